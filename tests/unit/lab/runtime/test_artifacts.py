"""Unit tests of lab.runtime.artifacts: finding the built zip of a CodeSha256, and unpacking it safely."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from lab.runtime.artifacts import ArtifactIndex, CodeMismatchError, unpack


def _zip(path: Path, files: dict[str, tuple[bytes, int]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return path


def _b64(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def test_artifact_found_by_manifest_or_hash_and_mismatch_refused(tmp_path: Path) -> None:
    a = _zip(tmp_path / "probe.zip", {"h.py": (b"x = 1\n", 0o644)})
    b = _zip(tmp_path / "layer.zip", {"extensions/e": (b"#!/bin/sh\n", 0o755)})
    (tmp_path / "manifest.json").write_text(
        json.dumps({"probe": {"path": "build/probe.zip", "sha256_hex": "", "sha256_b64": _b64(a)}})
    )
    index = ArtifactIndex(tmp_path)
    assert index.find(_b64(a), "function f") == a
    assert index.find(_b64(b), "layer l") == b  # not in the manifest: found by hashing
    with pytest.raises(CodeMismatchError, match=r"refusing to run function f: .*probe\.zip"):
        index.find(base64.b64encode(b"\0" * 32).decode(), "function f")


def test_stale_manifest_entry_is_refused(tmp_path: Path) -> None:
    a = _zip(tmp_path / "probe.zip", {"h.py": (b"x = 1\n", 0o644)})
    claimed = base64.b64encode(b"\1" * 32).decode()
    (tmp_path / "manifest.json").write_text(json.dumps({"probe": {"path": str(a), "sha256_b64": claimed}}))
    with pytest.raises(CodeMismatchError, match="stale"):
        ArtifactIndex(tmp_path).find(claimed, "function f")


def test_unpack_keeps_executable_bits_and_refuses_escapes(tmp_path: Path) -> None:
    layer = _zip(
        tmp_path / "layer.zip", {"extensions/ext": (b"#!/bin/sh\n", 0o755), "python/m.py": (b"", 0o644)}
    )
    unpack(layer, tmp_path / "opt")
    assert (tmp_path / "opt/extensions/ext").stat().st_mode & 0o111
    assert not (tmp_path / "opt/python/m.py").stat().st_mode & 0o111
    evil = _zip(tmp_path / "evil.zip", {"../escaped": (b"", 0o644)})
    with pytest.raises(CodeMismatchError, match="outside"):
        unpack(evil, tmp_path / "task")
    assert not (tmp_path / "escaped").exists()
