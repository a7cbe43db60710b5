"""Each built zip unpacked once, by its SHA-256, and hard-linked into every environment that runs it.

Unpacking a probe's zip or a layer (thousands of files) took seconds on every cold start, inside the probe's
turn; a tree of hard links takes a fraction of that. An environment still gets its own directories (Python
writes `__pycache__` there, as before), and a later layer's file replaces an earlier one's, as Lambda overlays
layers in `/opt`. On Lambda `/var/task` and `/opt` are read-only; the lab's files are shared between the
environments of one zip, so a function that rewrote a file of its own code in place would change it for the
others (the lab's functions do not).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import threading
import uuid
from pathlib import Path

from .artifacts import unpack


def tree_name(code_sha256: str) -> str:
    """A directory name for a base64 SHA-256 (which may hold `/` and `+`)."""
    return code_sha256.replace("/", "_").replace("+", "-").rstrip("=")


def link_tree(source: Path, dest: Path) -> None:
    """Recreate `source`'s directories under `dest` and hard-link its files (copies where links fail);
    an existing file is replaced."""
    for directory, _, files in os.walk(source):
        relative = Path(directory).relative_to(source)
        target_dir = dest / relative
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in files:
            target = target_dir / name
            if target.exists() or target.is_symlink():
                target.unlink()
            try:
                os.link(Path(directory) / name, target)
            except OSError:  # another file system, or links not allowed
                shutil.copy2(Path(directory) / name, target)


class UnpackedZips:
    """Trees of unpacked zips under `root`, one per SHA-256; safe across threads and processes (a tree appears
    whole, by rename, or not at all)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def tree(self, zip_path: Path, code_sha256: str) -> Path:
        """The unpacked tree of `zip_path` (whose hash is `code_sha256`), unpacked now if it is not yet."""
        final = self.root / tree_name(code_sha256)
        with self._lock:
            lock = self._locks.setdefault(code_sha256, threading.Lock())
        with lock:
            if final.is_dir():
                return final
            staging = self.root / f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
            try:
                unpack(zip_path, staging)
                try:
                    staging.rename(final)
                except OSError:  # another process made it first
                    if not final.is_dir():
                        raise
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            return final

    def place(self, zip_path: Path, code_sha256: str, dest: Path) -> None:
        """Put the zip's files in `dest` (a later zip's file replaces an earlier one's)."""
        link_tree(self.tree(zip_path, code_sha256), dest)

    def prefetch(self, artifacts_dir: Path, runtimes: list[str]) -> list[str]:
        """Unpack, ahead of the first cold starts, the zips of the build manifest this machine can run: those
        of its architecture (or none) and of `runtimes` (or none). Their names, in manifest order."""
        try:
            entries = json.loads((artifacts_dir / "manifest.json").read_text())
        except (OSError, ValueError):
            return []
        arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
            platform.machine().lower(), "")
        done: list[str] = []
        for name, entry in entries.items() if isinstance(entries, dict) else []:
            other_arch = re.search(r"-(x86_64|arm64)(?:$|-)", name)
            other_runtime = re.search(r"python3\.\d+", name)
            if (other_arch and other_arch.group(1) != arch) or (other_runtime and other_runtime.group(0)
                                                                  not in runtimes):
                continue
            path = artifacts_dir / Path(str(entry.get("path", ""))).name
            if path.is_file() and entry.get("sha256_b64"):
                self.tree(path, str(entry["sha256_b64"]))
                done.append(name)
        return done

    def clear(self) -> None:
        """Remove every tree (environments keep their links: a file goes when its last link does)."""
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)
