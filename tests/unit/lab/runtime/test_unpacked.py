"""Unit tests of lab.runtime.unpacked: a zip is unpacked once and linked into every environment; layers
overlay in order; the build's zips for this machine are unpacked ahead of the first cold start."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from lab.runtime.unpacked import UnpackedZips, tree_name

from .test_artifacts import _b64, _zip


def test_a_zip_is_unpacked_once_and_each_environment_gets_its_own_directories(tmp_path: Path) -> None:
    code = _zip(tmp_path / "code.zip", {"h.py": (b"x = 1\n", 0o644), "bin/run": (b"#!/bin/sh\n", 0o755)})
    zips, sha = UnpackedZips(tmp_path / "unpacked"), _b64(code)
    zips.place(code, sha, tmp_path / "env1" / "task")
    code.unlink()  # the second environment no longer needs the zip: its tree is kept
    zips.place(code, sha, tmp_path / "env2" / "task")
    for env in ("env1", "env2"):
        assert (tmp_path / env / "task" / "h.py").read_text() == "x = 1\n"
        assert (tmp_path / env / "task" / "bin" / "run").stat().st_mode & 0o111
    (tmp_path / "env1" / "task" / "__pycache__").mkdir()  # what one environment writes, the other never sees
    assert not (tmp_path / "env2" / "task" / "__pycache__").exists()
    assert [p.name for p in (tmp_path / "unpacked").iterdir()] == [tree_name(sha)]  # one tree, no leftovers


def test_a_later_layer_replaces_an_earlier_ones_file(tmp_path: Path) -> None:
    first = _zip(tmp_path / "a.zip", {"python/m.py": (b"a", 0o644), "python/only_a.py": (b"", 0o644)})
    second = _zip(tmp_path / "b.zip", {"python/m.py": (b"b", 0o644)})
    zips = UnpackedZips(tmp_path / "unpacked")
    for layer in (first, second):
        zips.place(layer, _b64(layer), tmp_path / "opt")
    assert (tmp_path / "opt/python/m.py").read_text() == "b"
    assert (tmp_path / "opt/python/only_a.py").exists()
    assert zips.tree(first, _b64(first)).joinpath("python/m.py").read_text() == "a"  # the tree is untouched
    zips.clear()
    assert not (tmp_path / "unpacked").exists() and (tmp_path / "opt/python/m.py").read_text() == "b"


def test_prefetch_unpacks_this_machines_zips_of_the_fleets_runtimes(tmp_path: Path) -> None:
    here = "arm64" if platform.machine().lower() in ("aarch64", "arm64") else "x86_64"
    other = "x86_64" if here == "arm64" else "arm64"
    names = [f"probe-python3.11-{here}", f"probe-python3.11-{other}", f"deps-current-python3.9-{here}",
             "probe-code", f"extension-layer-{here}"]
    manifest = {}
    for name in names:
        path = _zip(tmp_path / f"{name}.zip", {f"{name}.txt": (name.encode(), 0o644)})
        manifest[name] = {"path": path.name, "sha256_b64": _b64(path)}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    done = UnpackedZips(tmp_path / "unpacked").prefetch(tmp_path, ["python3.11"])
    assert done == [f"probe-python3.11-{here}", "probe-code", f"extension-layer-{here}"]
    assert UnpackedZips(tmp_path / "nothing").prefetch(tmp_path / "no-build", ["python3.11"]) == []
