"""Every compiled module in a built zip is a Linux build for the zip's architecture and runtime's Python.

The zips of `build/manifest.json` (`make build`; `BUILD_DIR` overrides the folder) are read as they are: each
`*.so` must be a 64-bit little-endian ELF for the architecture (e_machine 0xB7 aarch64 for arm64, 0x3E for
x86_64), and a `cpython-3XY-<triplet>` tag in its name must name the runtime's Python and that architecture;
each wheel installed with a platform tag must be for them too. The Python version comes from the manifest (a
`runtime` / `python_version` field, else the `python3.X` in the artifact's name), never from this interpreter.
"""

from __future__ import annotations

import json
import os
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

BUILD_DIR = Path(os.environ.get("BUILD_DIR", REPO_ROOT / "build"))
ARCHITECTURES = ("x86_64", "arm64")
ELF_MACHINE = {"x86_64": 0x3E, "arm64": 0xB7}
MACHINE_NAME = {0x3E: "x86_64", 0xB7: "aarch64", 0x03: "i386", 0x28: "arm", 0x08: "mips", 0x15: "ppc64"}
TRIPLET = {"x86_64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}
WHEEL_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}
SHARED_OBJECT = re.compile(r"\.so(\.\d+)*$")
CPYTHON_TAG = re.compile(r"\.cpython-(\d)(\d+)-([\w-]+)\.so$")
RUNTIME = re.compile(r"python(3\.\d+)")


@dataclass(frozen=True)
class Artifact:
    """One zip of the manifest, with the architecture and Python version it was built for."""

    name: str
    path: Path
    arch: str
    python: str  # "3.11"


def _python_of(name: str, entry: dict[str, Any]) -> str | None:
    """The Python version an entry records: `python_version`, `runtime`, else the `python3.X` in its name."""
    if isinstance(entry.get("python_version"), str) and re.fullmatch(r"3\.\d+", entry["python_version"]):
        return str(entry["python_version"])
    for text in (entry.get("runtime"), name):
        match = RUNTIME.search(text) if isinstance(text, str) else None
        if match:
            return match.group(1)
    return None


def _arch_of(name: str, entry: dict[str, Any]) -> str | None:
    for key in ("architecture", "arch"):
        if entry.get(key) in ARCHITECTURES:
            return str(entry[key])
    return next((arch for arch in ARCHITECTURES if name.endswith(f"-{arch}")), None)


def manifest_artifacts(build_dir: Path) -> list[Artifact]:
    """The zips listed in `build_dir/manifest.json`; fails saying what is missing.

    An artifact whose name records no runtime (the extension layer) was built in the same run as the others,
    for the one Python version they all record.
    """
    manifest_path = build_dir / "manifest.json"
    if not manifest_path.is_file():
        pytest.fail(f"{manifest_path} does not exist: build the zips first (`make build`)")
    manifest = json.loads(manifest_path.read_text())
    entries = {
        name: entry
        for name, entry in manifest.items()
        if isinstance(entry, dict)
        and str(entry.get("path", "")).endswith(".zip")
        and entry.get("kind") != "probe-code"  # code only, for every runtime and architecture: checked below
    }
    if not entries:
        pytest.fail(f"{manifest_path} lists no zip")
    recorded = {python for name, entry in entries.items() if (python := _python_of(name, entry)) is not None}
    artifacts = []
    for name, entry in sorted(entries.items()):
        python = _python_of(name, entry) or (next(iter(recorded)) if len(recorded) == 1 else None)
        arch = _arch_of(name, entry)
        if python is None:
            others = ", ".join(sorted(recorded)) or "none"
            pytest.fail(
                f"{manifest_path}: {name!r} records no Python version (no `runtime` / `python_version` "
                f"field, no python3.X in its name) and the other artifacts record {others}"
            )
        if arch is None:
            pytest.fail(f"{manifest_path}: {name!r} records no architecture ({' or '.join(ARCHITECTURES)})")
        artifacts.append(Artifact(name, build_dir / entry["path"], arch, python))
    return artifacts


def _elf_problem(header: bytes, arch: str) -> str | None:
    """Why an ELF header is not a 64-bit little-endian build for `arch`, or None."""
    if header[:4] != b"\x7fELF":
        return "is not an ELF file"
    if header[4] != 2 or header[5] != 1:
        return "is not a 64-bit little-endian ELF"
    (machine,) = struct.unpack_from("<H", header, 18)
    if machine != ELF_MACHINE[arch]:
        return f"is built for {MACHINE_NAME.get(machine, hex(machine))}, not {WHEEL_ARCH[arch]}"
    return None


def _tag_problem(filename: str, artifact: Artifact) -> str | None:
    """Why a `cpython-3XY-<triplet>` tag in a module's name does not fit the artifact, or None."""
    match = CPYTHON_TAG.search(filename)
    if match is None:  # `.abi3.so`, or untagged: the wheel's tag and the ELF header decide
        return None
    python = f"{match.group(1)}.{match.group(2)}"
    if python != artifact.python:
        return f"is tagged for Python {python}, the runtime is Python {artifact.python}"
    if match.group(3) != TRIPLET[artifact.arch]:
        return f"is tagged {match.group(3)}, not {TRIPLET[artifact.arch]}"
    return None


def _wheel_problems(name: str, text: str, artifact: Artifact) -> list[str]:
    """Why a dist-info WHEEL's tags do not fit the artifact (pure wheels always do)."""
    problems = []
    cp = f"cp{artifact.python.replace('.', '')}"
    for line in text.splitlines():
        if not line.startswith("Tag:"):
            continue
        tag = line.split(":", 1)[1].strip()
        python_tag, abi_tag, platform_tag = tag.split("-")
        if platform_tag == "any":
            continue
        if not platform_tag.endswith(WHEEL_ARCH[artifact.arch]) or "linux" not in platform_tag:
            problems.append(f"{name}: wheel tag {tag} is not for Linux {WHEEL_ARCH[artifact.arch]}")
        minor = python_tag[3:]
        stable = python_tag[:3] == "cp3" and minor.isdigit() and int(minor) <= int(cp[3:])
        abi3_ok = abi_tag == "abi3" and stable
        if python_tag != cp and not abi3_ok:
            problems.append(f"{name}: wheel tag {tag} is not for Python {artifact.python}")
    return problems


def zip_problems(artifact: Artifact) -> tuple[list[str], int]:
    """Everything in the zip built for another architecture or Python, and how many modules were checked."""
    problems: list[str] = []
    checked = 0
    with zipfile.ZipFile(artifact.path) as archive:
        for info in archive.infolist():
            name = info.filename
            if name.endswith(".dist-info/WHEEL"):
                problems += _wheel_problems(name, archive.read(info).decode("utf-8", "replace"), artifact)
            if info.is_dir() or not SHARED_OBJECT.search(name.rsplit("/", 1)[-1]):
                continue
            checked += 1
            with archive.open(info) as handle:
                header = handle.read(64)
            for problem in (_elf_problem(header, artifact.arch), _tag_problem(name, artifact)):
                if problem:
                    problems.append(f"{name} {problem}")
    return problems, checked


# ------------------------------------------------------------------------------------------------ the zips
def test_every_compiled_module_fits_its_zips_architecture_and_python() -> None:
    artifacts = manifest_artifacts(BUILD_DIR)
    checked = {arch: 0 for arch in ARCHITECTURES}
    failures = []
    for artifact in artifacts:
        assert artifact.path.is_file(), f"{artifact.path} is in the manifest but missing: run `make build`"
        problems, count = zip_problems(artifact)
        checked[artifact.arch] += count
        failures += [f"{artifact.name} ({artifact.arch}, Python {artifact.python}): {p}" for p in problems]
    assert failures == []
    # Not vacuous: the probe's dependencies (charset_normalizer, wrapt) are compiled, on both architectures.
    assert checked["arm64"] > 0 and checked["x86_64"] > 0, checked


def test_the_probe_code_zip_holds_no_compiled_module() -> None:
    manifest = json.loads((BUILD_DIR / "manifest.json").read_text())
    code = [entry for entry in manifest.values() if entry.get("kind") == "probe-code"]
    assert len(code) == 1, "the manifest lists no probe-code zip: run `make build`"
    assert "runtime" not in code[0] and "architecture" not in code[0]
    with zipfile.ZipFile(BUILD_DIR / code[0]["path"]) as archive:
        names = archive.namelist()
    assert names and not [name for name in names if SHARED_OBJECT.search(name) or ".dist-info/" in name]


# ------------------------------------------------------------------------------- the checker itself fails
def _elf(machine: int) -> bytes:
    return b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HH", 3, machine) + bytes(44)


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def test_a_module_for_the_wrong_architecture_or_python_is_reported(tmp_path: Path) -> None:
    wheel = "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp313-cp313-manylinux_2_17_x86_64\n"
    path = _zip(
        tmp_path / "probe-python3.13-arm64.zip",
        {
            "good/_ok.cpython-313-aarch64-linux-gnu.so": _elf(0xB7),
            "good/_stable.abi3.so": _elf(0xB7),
            "bad/_x86.cpython-313-aarch64-linux-gnu.so": _elf(0x3E),
            "bad/_old.cpython-311-aarch64-linux-gnu.so": _elf(0xB7),
            "bad/_triplet.cpython-313-x86_64-linux-gnu.so": _elf(0xB7),
            "bad.libs/libz.so.1": b"not an elf",
            "bad-1.0.dist-info/WHEEL": wheel.encode(),
            "pure-1.0.dist-info/WHEEL": b"Tag: py3-none-any\n",
        },
    )
    problems, checked = zip_problems(Artifact("probe-python3.13-arm64", path, "arm64", "3.13"))
    assert checked == 6
    assert problems == [
        "bad/_x86.cpython-313-aarch64-linux-gnu.so is built for x86_64, not aarch64",
        "bad/_old.cpython-311-aarch64-linux-gnu.so is tagged for Python 3.11, the runtime is Python 3.13",
        "bad/_triplet.cpython-313-x86_64-linux-gnu.so is tagged x86_64-linux-gnu, not aarch64-linux-gnu",
        "bad.libs/libz.so.1 is not an ELF file",
        "bad-1.0.dist-info/WHEEL: wheel tag cp313-cp313-manylinux_2_17_x86_64 is not for Linux aarch64",
    ]


def test_the_python_version_comes_from_the_manifest(tmp_path: Path) -> None:
    entries = {
        "probe-python3.13-arm64": {"path": "probe-python3.13-arm64.zip"},
        "collector-x86_64": {"path": "collector-x86_64.zip", "runtime": "python3.12"},
        "extension-layer-arm64": {"path": "extension-layer-arm64.zip"},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(entries))
    with pytest.raises(pytest.fail.Exception, match="'extension-layer-arm64' records no Python version"):
        manifest_artifacts(tmp_path)  # two runtimes recorded: the layer's is not known
    del entries["collector-x86_64"]
    (tmp_path / "manifest.json").write_text(json.dumps(entries))
    assert [(a.name, a.arch, a.python) for a in manifest_artifacts(tmp_path)] == [
        ("extension-layer-arm64", "arm64", "3.13"),
        ("probe-python3.13-arm64", "arm64", "3.13"),
    ]
    (tmp_path / "manifest.json").write_text(json.dumps({"layer-arm64": {"path": "layer-arm64.zip"}}))
    with pytest.raises(pytest.fail.Exception, match="records no Python version"):
        manifest_artifacts(tmp_path)
    with pytest.raises(pytest.fail.Exception, match="make build"):
        manifest_artifacts(tmp_path / "nowhere")
