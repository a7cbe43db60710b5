"""Unit tests of lab.runtime.interpreters: where a runtime's python3.X is looked for, in which order, and what
the user is told when it is missing. Candidates are fake files; running one is a stand-in."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lab.runtime.interpreters import Interpreter, candidates, find_interpreter, probe, runtime_version
from lab.runtime.lambda_errors import InterpreterNotFoundError


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def pyenv_version(root: Path, version: str) -> Path:
    minor = ".".join(version.split(".")[:2])
    return executable(root / "versions" / version / "bin" / f"python{minor}")


def test_path_first_then_pyenv_newest_patch_first(tmp_path: Path) -> None:
    on_path = executable(tmp_path / "bin" / "python3.9")
    root = tmp_path / "pyenv"
    old, new, odd = (pyenv_version(root, v) for v in ("3.9.2", "3.9.18", "3.9.18-dev"))
    pyenv_version(root, "3.10.1")  # another minor: never a candidate
    found = candidates("python3.9", [str(tmp_path / "empty"), str(on_path.parent)], root)
    assert found == [on_path, new, old, odd]


def test_the_first_candidate_that_runs_as_that_version_wins_and_its_real_executable_is_kept(
    tmp_path: Path,
) -> None:
    shim = executable(tmp_path / "shims" / "python3.12")  # a pyenv shim of an unselected version fails
    wrong = executable(tmp_path / "bin" / "python3.12")  # answers with another version
    real = pyenv_version(tmp_path / "pyenv", "3.12.1")
    answers = {shim: None, wrong: ((3, 11, 2), str(wrong)), real: ((3, 12, 1), "/real/python3.12")}
    got = find_interpreter("python3.12", path_dirs=[str(shim.parent), str(wrong.parent)],
                           pyenv_root=tmp_path / "pyenv", run=answers.__getitem__)
    assert got == Interpreter("python3.12", "/real/python3.12", (3, 12, 1))
    assert got.version_text == "3.12.1"


def test_a_missing_interpreter_names_the_pyenv_command_when_pyenv_is_there(tmp_path: Path) -> None:
    (tmp_path / "pyenv" / "versions").mkdir(parents=True)
    with pytest.raises(InterpreterNotFoundError, match=r"install it with `pyenv install 3\.9`"):
        find_interpreter("python3.9", path_dirs=[], pyenv_root=tmp_path / "pyenv", run=lambda p: None)


def test_without_pyenv_the_distribution_package_is_named(tmp_path: Path) -> None:
    with pytest.raises(InterpreterNotFoundError, match=r"`apt install python3\.13`") as raised:
        find_interpreter("python3.13", path_dirs=[], pyenv_root=tmp_path / "none", run=lambda p: None)
    assert "python3.13 for the python3.13 runtime" in str(raised.value)


def test_only_python_runtimes_are_accepted() -> None:
    assert runtime_version("python3.10") == (3, 10)
    for bad in ("nodejs20.x", "python2.7", "", "python3.x"):
        with pytest.raises(InterpreterNotFoundError, match="is not a Python runtime"):
            runtime_version(bad)


def test_probe_runs_the_candidate_and_reads_its_version(tmp_path: Path) -> None:
    got = probe(Path(sys.executable))
    assert got is not None and got[0][:2] == tuple(sys.version_info[:2])
    broken = executable(tmp_path / "python3.99")
    broken.write_text("#!/bin/sh\nexit 127\n")
    assert probe(broken) is None
    assert probe(tmp_path / "absent") is None
