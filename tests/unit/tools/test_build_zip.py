"""tools/build.py on a small fake tree with a fake installer: layout, determinism, caching, manifest, and
which requirements each dependency layer gets."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from tools import build as b


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def fake_repo(root: Path, layer: bool = True) -> Path:
    _write(root / "functions/probe/__init__.py", "")
    _write(root / "functions/probe/handler.py", "def handler(event, context):\n    return {}\n")
    _write(root / "functions/probe/strategies/sdk.py", "X = 1\n")
    _write(root / "functions/probe/requirements/current.txt", "fakepkg==1.0\n")
    _write(root / "functions/probe/requirements/current-python3.9.txt", "fakepkg==0.9\n")
    _write(root / "functions/probe/requirements/2022-python3.9.txt", "oldpkg==0.1\n")
    _write(root / "functions/probe/__pycache__/handler.cpython-311.pyc", "bytecode")
    _write(root / "functions/probe/stray.pyc", "bytecode")
    _write(root / "functions/probe/tests/test_inside.py", "def test(): pass\n")
    _write(root / "functions/probe/test_probe_here.py", "def test(): pass\n")
    _write(root / "collector/__init__.py", "")
    _write(root / "collector/handler.py", "def handler(event, context):\n    return None\n")
    _write(root / "datastore/__init__.py", "")  # the data layer the collector imports: in its zip
    _write(root / "datastore/schema.py", "COLUMNS = ()\n")
    _write(root / "datastore/__pycache__/schema.cpython-311.pyc", "bytecode")
    _write(root / "lab/__init__.py", "")
    _write(root / "lab/runtime/service.py", "NOT_IN_LAYER = 1\n")
    if layer:
        _write(root / "lab/extension/launcher.sh", "#!/bin/sh\nexec python3 -m lab.extension\n", 0o700)
        _write(root / "lab/extension/__init__.py", "")
        _write(root / "lab/extension/server.py", "PORT = 2773\n")
        _write(root / "lab/extension/sub/deep.py", "DEEP = 1\n")
        _write(root / "lab/extension/README.md", "not python, not in the layer\n")
        _write(root / "lab/extension/requirements.txt", "layerdep==2.0\n")
    return root


class FakeInstaller:
    """Writes what pip --target would (a package, dist-info, a console script, bytecode)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, requirements: Path, target: Path, arch: str, python_version: str) -> None:
        self.calls.append((requirements.read_text().strip(), arch, python_version))
        name = requirements.read_text().split("==")[0]
        _write(target / name / "__init__.py", f"ARCH = {arch!r}\n")
        _write(target / name / "__pycache__/__init__.cpython-311.pyc", "bytecode")
        _write(target / f"{name}-1.0.dist-info/METADATA", f"Name: {name}\n")
        _write(target / "bin/console-script", "#!/bin/sh\n", 0o755)


def run(
    repo: Path,
    out: Path,
    installer: FakeInstaller,
    archs: tuple[str, ...] = b.ARCHITECTURES,
    only: tuple[str, ...] = (),
    cache: Path | None = None,
) -> tuple[dict, list[str]]:
    lines: list[str] = []
    built = b.build(
        out, "python3.11", archs, only, repo=repo, cache=cache, installer=installer, say=lines.append
    )
    return built, lines


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_layout_of_the_three_artifacts(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo")
    built, _ = run(repo, tmp_path / "out", FakeInstaller())
    assert sorted(built) == sorted(
        ["probe-code"]
        + [
            f"{kind}-{arch}"
            for kind in ("deps-current-python3.11", "collector-python3.11", "extension-layer")
            for arch in b.ARCHITECTURES
        ]
    )
    out = tmp_path / "out"
    # The code alone, whatever the runtime and architecture: no requirement files, no dependencies.
    assert names(out / "probe-code.zip") == [
        "probe/BUILD.json",  # the digest of the other inputs: every row records it
        "probe/__init__.py",
        "probe/handler.py",
        "probe/strategies/sdk.py",
    ]
    assert names(out / "deps-current-python3.11-x86_64.zip") == [
        "python/fakepkg-1.0.dist-info/METADATA",
        "python/fakepkg/__init__.py",
    ]
    assert names(out / "collector-python3.11-arm64.zip") == [
        "collector/__init__.py",
        "collector/handler.py",
        "datastore/__init__.py",
        "datastore/schema.py",
    ]
    assert names(out / "extension-layer-arm64.zip") == [
        "extensions/slo-parameters-secrets",
        "slo-parameters-secrets/lab/__init__.py",
        "slo-parameters-secrets/lab/extension/__init__.py",
        "slo-parameters-secrets/lab/extension/server.py",
        "slo-parameters-secrets/lab/extension/sub/deep.py",
        "slo-parameters-secrets/layerdep-1.0.dist-info/METADATA",
        "slo-parameters-secrets/layerdep/__init__.py",
    ]
    with zipfile.ZipFile(out / "probe-code.zip") as archive:
        build = json.loads(archive.read("probe/BUILD.json"))["inputs_sha256"]
    assert len(build) == 64 and build != b.inputs_digest([])
    with zipfile.ZipFile(out / "extension-layer-arm64.zip") as archive:
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in archive.infolist()}
        assert modes["extensions/slo-parameters-secrets"] == 0o755
        assert set(modes.values()) == {0o755, 0o644}
        assert archive.read("slo-parameters-secrets/layerdep/__init__.py") == b"ARCH = 'arm64'\n"
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_two_builds_are_byte_identical_whatever_the_file_times_and_modes(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo")
    run(repo, tmp_path / "one", FakeInstaller(), cache=tmp_path / "cache-one")
    for path in repo.rglob("*"):
        if path.is_file():
            os.utime(path, (1_000_000_000, 1_000_000_000))
            path.chmod(0o600)
    run(repo, tmp_path / "two", FakeInstaller(), cache=tmp_path / "cache-two")
    zips = sorted(p.name for p in (tmp_path / "one").glob("*.zip"))
    assert len(zips) == 7
    for name in zips:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    assert (tmp_path / "one/manifest.json").read_bytes() == (tmp_path / "two/manifest.json").read_bytes()


def test_manifest_lists_path_and_both_digests(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo")
    run(repo, tmp_path / "out", FakeInstaller())
    manifest = json.loads((tmp_path / "out/manifest.json").read_text())
    assert len(manifest) == 7
    assert {name: entry["kind"] for name, entry in manifest.items()} == {
        "probe-code": "probe-code",
        **{f"deps-current-python3.11-{arch}": "deps" for arch in b.ARCHITECTURES},
        **{f"collector-python3.11-{arch}": "collector" for arch in b.ARCHITECTURES},
        **{f"extension-layer-{arch}": "extension-layer" for arch in b.ARCHITECTURES},
    }
    assert "runtime" not in manifest["probe-code"] and "architecture" not in manifest["probe-code"]
    deps = manifest["deps-current-python3.11-arm64"]
    assert (deps["runtime"], deps["architecture"], deps["dependency_set"]) == (
        "python3.11",
        "arm64",
        "current",
    )
    assert "dependency_set" not in manifest["collector-python3.11-arm64"]
    for name, entry in manifest.items():
        data = (tmp_path / "out" / entry["path"]).read_bytes()
        assert entry["path"] == f"{name}.zip"
        assert entry["sha256_hex"] == hashlib.sha256(data).hexdigest()
        assert entry["sha256_b64"] == base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_dependencies_are_cached_and_unchanged_zips_kept(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo")
    installer = FakeInstaller()
    run(repo, tmp_path / "out", installer)
    assert sorted(installer.calls) == sorted(
        [
            ("fakepkg==1.0", "x86_64", "3.11"),
            ("fakepkg==1.0", "arm64", "3.11"),
            ("layerdep==2.0", "x86_64", "3.11"),
            ("layerdep==2.0", "arm64", "3.11"),
        ]
    )
    code_zip, deps_zip = tmp_path / "out/probe-code.zip", tmp_path / "out/deps-current-python3.11-x86_64.zip"
    before = code_zip.stat().st_mtime_ns, deps_zip.stat().st_mtime_ns
    _, lines = run(repo, tmp_path / "out", installer)
    assert len(installer.calls) == 4  # nothing installed again
    assert sum("unchanged" in line for line in lines) == 7
    assert (code_zip.stat().st_mtime_ns, deps_zip.stat().st_mtime_ns) == before
    # A code change rebuilds the code zip only; a changed requirement installs again and rebuilds the layer.
    old_code, old_deps = code_zip.read_bytes(), deps_zip.read_bytes()
    (repo / "functions/probe/handler.py").write_text("def handler(event, context):\n    return {'v': 2}\n")
    run(repo, tmp_path / "out", installer, only=("probe",), archs=("x86_64",))
    assert code_zip.read_bytes() != old_code and deps_zip.read_bytes() == old_deps
    assert len(installer.calls) == 4
    (repo / "functions/probe/requirements/current.txt").write_text("fakepkg==1.1\n")
    run(repo, tmp_path / "out", installer, only=("probe",), archs=("x86_64",))
    assert installer.calls[-1] == ("fakepkg==1.1", "x86_64", "3.11")


def test_a_tampered_zip_is_rebuilt(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo")
    run(repo, tmp_path / "out", FakeInstaller(), only=("collector",), archs=("x86_64",))
    target = tmp_path / "out/collector-python3.11-x86_64.zip"
    good = target.read_bytes()
    target.write_bytes(b"corrupt")
    _, lines = run(repo, tmp_path / "out", FakeInstaller(), only=("collector",), archs=("x86_64",))
    assert target.read_bytes() == good
    assert not any("unchanged" in line for line in lines)


def test_missing_extension_is_skipped_and_said(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo", layer=False)
    built, lines = run(repo, tmp_path / "out", FakeInstaller())
    assert not any(name.startswith("extension-layer") for name in built)
    assert any(line.startswith("skipped extension-layer-x86_64") and "launcher.sh" in line for line in lines)
    assert not (repo / "lab/extension").exists()  # nothing created where another engineer works


def test_only_builds_one_kind_and_keeps_the_rest_of_the_manifest(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo")
    run(repo, tmp_path / "out", FakeInstaller())
    (tmp_path / "out/extension-layer-arm64.zip").unlink()
    built, _ = run(repo, tmp_path / "out", FakeInstaller(), only=("collector",), archs=("x86_64",))
    assert list(built) == ["collector-python3.11-x86_64"]
    manifest = json.loads((tmp_path / "out/manifest.json").read_text())
    assert "deps-current-python3.11-arm64" in manifest
    assert "extension-layer-arm64" not in manifest  # its zip is gone


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo")
    with pytest.raises(b.BuildError, match=r"not one the probe runs on: python3\.9, "):
        b.build(tmp_path / "out", "python", ["x86_64"], repo=repo, installer=FakeInstaller())
    with pytest.raises(b.BuildError, match="sparc"):
        b.build(tmp_path / "out", "python3.11", ["sparc"], repo=repo, installer=FakeInstaller())
    with pytest.raises(b.BuildError, match=r"two files would be a\.py"):
        b.check_entries(
            [b.Entry("a.py", repo / "collector/handler.py"), b.Entry("a.py", repo / "lab/__init__.py")]
        )


def test_command_line_help_and_failure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as done:
        b.main(["--help"])
    assert done.value.code == 0
    assert "--runtime" in capsys.readouterr().out
    assert b.main(["--out", str(tmp_path), "--runtime", "pypy3", "--only", "collector"]) == 2
    assert "runtime 'pypy3' is not one the probe runs on: python3.9, " in capsys.readouterr().err


def test_a_failed_install_leaves_no_cache_and_no_zip(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo")

    def failing(requirements: Path, target: Path, arch: str, python_version: str) -> None:
        (target / "half-installed").write_text("partial")
        raise b.BuildError("pip could not install fakepkg==1.0")

    with pytest.raises(b.BuildError, match="fakepkg"):
        b.build(
            tmp_path / "out", "python3.11", ["x86_64"], ["probe"], repo=repo, installer=failing, say=print
        )
    assert not list((tmp_path / "out").glob("deps-*.zip"))
    assert list((tmp_path / "out/.cache/deps").iterdir()) == []
    # The next build installs again rather than trusting the partial tree.
    installer = FakeInstaller()
    run(repo, tmp_path / "out", installer, only=("probe",), archs=("x86_64",))
    assert len(installer.calls) == 1


def test_each_runtime_gets_its_own_requirements_and_the_2022_set_only_python39(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo")
    installer = FakeInstaller()
    out = tmp_path / "out"
    for runtime, sets in (("python3.9", ("current", "2022")), ("python3.12", ("current",))):
        b.build(
            out, runtime, ["x86_64"], ["deps"], repo=repo, installer=installer, say=lambda _: None,
            dependency_sets=sets,
        )  # fmt: skip
    assert installer.calls == [
        ("fakepkg==0.9", "x86_64", "3.9"),  # current-python3.9.txt
        ("oldpkg==0.1", "x86_64", "3.9"),  # 2022-python3.9.txt
        ("fakepkg==1.0", "x86_64", "3.12"),  # current.txt: no current-python3.12.txt
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest) == [
        "deps-2022-python3.9-x86_64",
        "deps-current-python3.12-x86_64",
        "deps-current-python3.9-x86_64",
    ]
    assert manifest["deps-2022-python3.9-x86_64"]["dependency_set"] == "2022"
    with pytest.raises(
        b.BuildError, match=r"'2022' has no requirements for python3\.11.*exists for python3\.9"
    ):
        b.build(
            out, "python3.11", ["x86_64"], ["deps"], repo=repo, installer=installer, dependency_sets=["2022"]
        )
    with pytest.raises(b.BuildError, match="1999"):
        b.build(
            out, "python3.11", ["x86_64"], ["deps"], repo=repo, installer=installer, dependency_sets=["1999"]
        )


def test_the_collector_is_not_built_for_a_runtime_it_cannot_run_on(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo")
    lines: list[str] = []
    built = b.build(
        tmp_path / "out", "python3.9", ["x86_64"], ["collector"], repo=repo, installer=FakeInstaller(),
        say=lines.append,
    )  # fmt: skip
    assert built == {}
    assert any(line.startswith("skipped collector-python3.9-x86_64") and "3.11+" in line for line in lines)


def test_the_cloud_extensions_layer_runs_its_launcher_and_carries_the_shared_extension_code(
    tmp_path: Path,
) -> None:
    repo = fake_repo(tmp_path / "repo")
    _write(
        repo / "lab/cloud_extensions/launcher.sh", "#!/bin/sh\nexec python3 -m lab.cloud_extensions\n", 0o700
    )
    _write(repo / "lab/cloud_extensions/__init__.py", "")
    _write(repo / "lab/cloud_extensions/app.py", "PORT = 5333\n")
    _write(repo / "lab/cloud_extensions/README.md", "not python, not in the layer\n")
    built, _ = run(
        repo, tmp_path / "out", FakeInstaller(), archs=("x86_64",), only=("cloud-extensions-layer",)
    )
    assert sorted(built) == ["cloud-extensions-layer-x86_64"]
    zip_path = tmp_path / "out/cloud-extensions-layer-x86_64.zip"
    assert names(zip_path) == [
        "extensions/slo-cloud-extensions",
        "slo-cloud-extensions/lab/__init__.py",
        "slo-cloud-extensions/lab/cloud_extensions/__init__.py",
        "slo-cloud-extensions/lab/cloud_extensions/app.py",
        "slo-cloud-extensions/lab/extension/__init__.py",  # the parts it shares with the other emulator
        "slo-cloud-extensions/lab/extension/server.py",
        "slo-cloud-extensions/lab/extension/sub/deep.py",
        "slo-cloud-extensions/layerdep-1.0.dist-info/METADATA",
        "slo-cloud-extensions/layerdep/__init__.py",
    ]
    with zipfile.ZipFile(zip_path) as archive:
        assert (archive.getinfo("extensions/slo-cloud-extensions").external_attr >> 16) & 0o777 == 0o755


def test_the_otel_layer_holds_otel_txt_for_3_10_and_newer_only(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path / "repo")
    out, installer, lines = tmp_path / "out", FakeInstaller(), []
    built = b.build(
        out, "python3.11", ["x86_64"], ["deps-otel"], repo=repo, installer=installer, say=lines.append
    )
    assert built == {} and any(  # no otel.txt: said, not silently empty
        line.startswith("skipped deps-otel-python3.11-x86_64") and "otel.txt does not exist" in line
        for line in lines
    )
    _write(repo / "functions/probe/requirements/otel.txt", "otelpkg==1.45\n")
    for runtime in ("python3.9", "python3.12"):
        b.build(out, runtime, ["arm64"], ["deps-otel"], repo=repo, installer=installer, say=lines.append)
    assert installer.calls == [("otelpkg==1.45", "arm64", "3.12")]
    assert any(line.startswith("skipped deps-otel-python3.9-arm64") and "3.10+" in line for line in lines)
    assert names(out / "deps-otel-python3.12-arm64.zip") == [
        "python/otelpkg-1.0.dist-info/METADATA",
        "python/otelpkg/__init__.py",
    ]
    entry = json.loads((out / "manifest.json").read_text())["deps-otel-python3.12-arm64"]
    assert {k: entry[k] for k in ("path", "kind", "runtime", "architecture")} == {
        "path": "deps-otel-python3.12-arm64.zip", "kind": "deps-otel", "runtime": "python3.12",
        "architecture": "arm64",
    }  # fmt: skip
    assert "dependency_set" not in entry
    # --only probe: everything a probe function needs, the otel layer with it
    assert "deps-otel" in b.expand_kinds(["probe"])


def test_the_otel_layer_leaves_out_what_the_deps_layer_pins(tmp_path: Path) -> None:
    """pip installs otel.txt with requests and idna; /opt/python must hold one idna, the deps layer's."""
    from tools import probe_layers
    from tools.zips import Entry

    tree = tmp_path / "installed"
    files = {
        "idna/core.py": "VERSION = '3.21'\n",
        "idna-3.21.dist-info/METADATA": "Name: idna\n",
        "idna-3.21.dist-info/RECORD": "idna/core.py,sha256=x,20\nidna-3.21.dist-info/METADATA,,\n"
        "idna-3.21.dist-info/RECORD,,\n",
        "opentelemetry/sdk/__init__.py": "",
        "opentelemetry_sdk-1.45.1.dist-info/RECORD": "opentelemetry/sdk/__init__.py,,\n",
        "typing_extensions.py": "",
        "typing_extensions-4.16.0.dist-info/RECORD": "typing_extensions.py,,\n",
    }
    for name, text in files.items():
        _write(tree / name, text)
    entries = [Entry(f"python/{name}", tree / name) for name in sorted(files)]
    requirements = tmp_path / "current.txt"
    requirements.write_text("# pins\nidna==3.20\nTyping-Extensions==4.16.0  # a comment\nboto3 >= 1\n")
    assert probe_layers.pinned_names(requirements) == {"idna", "typing-extensions"}
    kept = probe_layers.without_distributions(entries, probe_layers.pinned_names(requirements))
    assert [e.arcname for e in kept] == [
        "python/opentelemetry/sdk/__init__.py",
        "python/opentelemetry_sdk-1.45.1.dist-info/RECORD",
    ]
