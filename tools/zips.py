"""Deterministic zips for tools.build (contract §6): which files enter, in which order, with which bytes.

Sorted entries, a fixed timestamp and fixed permissions, no bytecode and no tests, so the same tree always
gives byte-identical zips and Terraform's code hash and the lab's change only on real changes.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.cli import UsageError

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXEC_MODE = 0o755
FORMAT_VERSION = "1"  # bump to change every zip's inputs digest


class BuildError(Exception):
    """A build cannot be completed; the message says what to fix."""


class BuildUsageError(BuildError, UsageError):
    """A build asked for what cannot be built (a runtime, an output folder): the person must change it."""


@dataclass(frozen=True)
class Entry:
    """One file in a zip: its name inside the zip, where its bytes come from, its permissions."""

    arcname: str
    source: Path
    mode: int = FILE_MODE


def _excluded(relative: Path) -> bool:
    """Bytecode, caches and tests never enter a zip."""
    parts = relative.parts
    if any(part in ("__pycache__", "tests", "test", ".pytest_cache", ".mypy_cache") for part in parts[:-1]):
        return True
    name = parts[-1]
    return (
        name.endswith((".pyc", ".pyo"))
        or name in (".DS_Store", "conftest.py", "__pycache__")
        or (name.startswith("test_") and name.endswith(".py"))
    )


def tree_entries(source: Path, prefix: str, pattern: str = "*") -> list[Entry]:
    """Every regular file under `source` matching `pattern`, named `prefix` + its relative path."""
    entries = []
    for path in sorted(source.rglob(pattern)):
        relative = path.relative_to(source)
        if path.is_file() and not path.is_symlink() and not _excluded(relative):
            entries.append(Entry(prefix + relative.as_posix(), path))
    return entries


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inputs_digest(entries: list[Entry]) -> str:
    """A hash of everything that decides a zip's bytes: names, permissions, contents, format version."""
    digest = hashlib.sha256(f"zip-format {FORMAT_VERSION}\n".encode())
    for entry in entries:
        digest.update(f"{entry.arcname}\0{entry.mode:o}\0{file_sha256(entry.source)}\n".encode())
    return digest.hexdigest()


def check_entries(entries: list[Entry]) -> list[Entry]:
    """Entries sorted by name; two files claiming one name is an error, not a silent overwrite."""
    ordered = sorted(entries, key=lambda entry: entry.arcname)
    for before, after in itertools.pairwise(ordered):
        if before.arcname == after.arcname:
            raise BuildError(
                f"two files would be {after.arcname} in one zip: {before.source} and {after.source}"
            )
    return ordered


def write_zip(path: Path, entries: list[Entry]) -> None:
    """A deterministic zip: sorted entries, fixed timestamp, Unix permissions, deflate; written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    staging = Path(staging_name)
    try:
        with zipfile.ZipFile(staging, "w", allowZip64=True) as archive:
            for entry in check_entries(entries):
                info = zipfile.ZipInfo(entry.arcname, date_time=ZIP_EPOCH)
                info.create_system = 3  # Unix, so external_attr carries the permissions
                info.external_attr = (stat.S_IFREG | entry.mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entry.source.read_bytes(), compresslevel=6)
        staging.chmod(FILE_MODE)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def sha256_pair(path: Path) -> tuple[str, str]:
    """(hex, base64) SHA-256 of a file: the manifest's two forms."""
    digest = hashlib.sha256(path.read_bytes()).digest()
    return digest.hex(), base64.b64encode(digest).decode()


def display(path: Path) -> str:
    """`path` relative to the working directory when it is under it: what progress lines show."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def layer_entries(repo: Path, layer_dir: str, packages: Sequence[str]) -> list[Entry] | None:
    """A lab emulator's layer: `extensions/{layer_dir}` (the first package's launcher.sh) and the code of the
    packages under `{layer_dir}/lab/`; None when the launcher is missing."""
    launcher = repo / "lab" / packages[0] / "launcher.sh"
    if not launcher.is_file():
        return None
    entries = [Entry(f"extensions/{layer_dir}", launcher, EXEC_MODE)]
    if (repo / "lab" / "__init__.py").is_file():
        entries.append(Entry(f"{layer_dir}/lab/__init__.py", repo / "lab" / "__init__.py"))
    for package in packages:
        entries += tree_entries(repo / "lab" / package, f"{layer_dir}/lab/{package}/", "*.py")
    return entries


def write_manifest(out: Path, built: dict[str, dict[str, str]]) -> Path:
    """Merge `built` into out/manifest.json, dropping entries whose zip is gone; sorted, stable bytes."""
    manifest_path = out / "manifest.json"
    manifest: dict[str, dict[str, str]] = {}
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError:
            manifest = {}
    manifest.update(built)
    manifest = {name: entry for name, entry in sorted(manifest.items()) if (out / entry["path"]).is_file()}
    out.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest_path
