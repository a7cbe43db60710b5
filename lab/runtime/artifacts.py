"""Finding the built zip whose SHA-256 is the deployed CodeSha256, and unpacking it where Lambda would.

The lab runs only the code Terraform deployed: a function's (or layer's) `CodeSha256` from the endpoint
must equal the base64 SHA-256 of a zip in the artifacts directory (`build/manifest.json`'s `sha256_b64`, or
the hash of each `*.zip` there). Anything else is refused with `CodeMismatchError`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import stat
import threading
import zipfile
from pathlib import Path

from .lambda_errors import CodeMismatchError

__all__ = ["ArtifactIndex", "CodeMismatchError", "sha256_b64", "unpack"]


def sha256_b64(path: Path) -> str:
    """Base64 SHA-256 of a file, as Lambda reports `CodeSha256`."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()


class ArtifactIndex:
    """Maps CodeSha256 → built zip, from the manifest and the zips present (hashes cached by size+mtime)."""

    def __init__(self, artifacts_dir: Path) -> None:
        self.artifacts_dir = Path(artifacts_dir)
        self._cache: dict[Path, tuple[int, int, str]] = {}
        self._lock = threading.Lock()

    def _candidates(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        manifest = self.artifacts_dir / "manifest.json"
        if manifest.is_file():
            try:
                entries = json.loads(manifest.read_text())
            except ValueError as exc:
                raise CodeMismatchError(f"{manifest} is not valid JSON: {exc}") from exc
            for entry in entries.values() if isinstance(entries, dict) else []:
                path = Path(entry.get("path", ""))
                if not path.is_absolute():
                    path = (self.artifacts_dir / path.name) if not path.exists() else path
                if path.is_file() and entry.get("sha256_b64"):
                    found.setdefault(str(entry["sha256_b64"]), path)
        for path in sorted(self.artifacts_dir.glob("*.zip")) if self.artifacts_dir.is_dir() else []:
            info = path.stat()
            cached = self._cache.get(path)
            if cached is None or cached[:2] != (info.st_size, info.st_mtime_ns):
                cached = (info.st_size, info.st_mtime_ns, sha256_b64(path))
                self._cache[path] = cached
            found.setdefault(cached[2], path)
        return found

    def find(self, code_sha256: str, what: str) -> Path:
        """The zip whose SHA-256 is `code_sha256`, verified by hashing it; `CodeMismatchError` otherwise."""
        with self._lock:
            candidates = self._candidates()
        path = candidates.get(code_sha256)
        if path is None:
            known = ", ".join(f"{p.name}={s}" for s, p in sorted(candidates.items(), key=lambda i: i[1].name))
            raise CodeMismatchError(
                f"refusing to run {what}: the endpoint reports CodeSha256 {code_sha256} but no artifact in "
                f"{self.artifacts_dir} has that hash (found: {known or 'none'}); rebuild (`make build`) and "
                "re-apply Terraform so the deployed code is the built code"
            )
        actual = sha256_b64(path)
        if actual != code_sha256:
            raise CodeMismatchError(
                f"refusing to run {what}: {path} hashes to {actual}, not the deployed {code_sha256} "
                "(the manifest is stale; rebuild)"
            )
        return path


def unpack(zip_path: Path, dest: Path) -> None:
    """Extract `zip_path` into `dest`, keeping the Unix permission bits (extensions must stay executable)."""
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = (dest / info.filename).resolve()
            if root != target and root not in target.parents:
                raise CodeMismatchError(f"{zip_path} has an entry outside its root: {info.filename!r}")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                target.chmod(mode | stat.S_IRUSR)
