"""Unit tests of lab.runtime.venvs: a runtime's environment is made once, remade when its requirements or
interpreter change, refused for runtimes the lab has no recipe for. Commands are recorded, not run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from lab.runtime.interpreters import Interpreter
from lab.runtime.lambda_errors import InterpreterNotFoundError, RuntimeEnvironmentError
from lab.runtime.venvs import REQUIREMENTS_DIR, RuntimeEnvironments, supported_runtimes


class Machine:
    """Interpreters found here, and the commands an environment build ran (the venv's python made on
    `-m venv`)."""

    def __init__(self, found: dict[str, Interpreter]) -> None:
        self.found = found
        self.commands: list[list[str]] = []

    def find(self, runtime: str) -> Interpreter:
        if runtime not in self.found:
            raise InterpreterNotFoundError(f"no {runtime}: install it with `pyenv install {runtime[6:]}`")
        return self.found[runtime]

    def run(self, argv: Sequence[str]) -> None:
        self.commands.append(list(argv))
        if argv[1:3] == ["-m", "venv"]:
            python = Path(argv[-1]) / "bin" / "python"
            python.parent.mkdir(parents=True)
            python.touch()


def environments(
    tmp_path: Path, machine: Machine, requirements: Path = REQUIREMENTS_DIR
) -> RuntimeEnvironments:
    return RuntimeEnvironments(tmp_path / "runtimes", log=lambda _: None, finder=machine.find,
                               run=machine.run, requirements_dir=requirements, pip=["pip"])


PY39 = Interpreter("python3.9", "/pyenv/versions/3.9.18/bin/python3.9", (3, 9, 18))


def test_an_environment_is_made_once_and_runs_the_runtimes_functions(tmp_path: Path) -> None:
    machine = Machine({"python3.9": PY39})
    got = environments(tmp_path, machine).ensure("python3.9")
    venv = tmp_path / "runtimes" / "python3.9" / "venv"
    assert got == Interpreter("python3.9", str(venv / "bin" / "python"), (3, 9, 18))
    venv_cmd, pip_cmd, compile_cmd = machine.commands
    assert venv_cmd == [PY39.executable, "-m", "venv", "--without-pip", str(venv)]
    assert pip_cmd[:2] == ["pip", "install"] and "--only-binary=:all:" in pip_cmd
    assert pip_cmd[pip_cmd.index("--target") + 1] == str(venv / "lib" / "python3.9" / "site-packages")
    assert pip_cmd[pip_cmd.index("--python-version") + 1] == "3.9"
    assert pip_cmd[-1] == str(REQUIREMENTS_DIR / "python3.9.txt")
    assert compile_cmd[0] == str(venv / "bin" / "python")  # compiled by the runtime's own interpreter
    marker = json.loads((tmp_path / "runtimes" / "python3.9" / "ready.json").read_text())
    assert marker["version"] == [3, 9, 18] and marker["base"] == PY39.executable

    again = Machine({"python3.9": PY39})  # another process (`lab run`) later: nothing to do
    assert environments(tmp_path, again).ensure("python3.9") == got
    assert again.commands == []


def test_changed_requirements_or_a_new_patch_release_remake_it(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements"
    requirements.mkdir()
    (requirements / "python3.9.txt").write_text("awslambdaric==4.0.4\n")
    machine = Machine({"python3.9": PY39})
    environments(tmp_path, machine, requirements).ensure("python3.9")
    (requirements / "python3.9.txt").write_text("awslambdaric==4.0.4\nboto3==1.42.97\n")
    environments(tmp_path, machine, requirements).ensure("python3.9")
    upgraded = Machine({"python3.9": Interpreter("python3.9", PY39.executable, (3, 9, 19))})
    assert environments(tmp_path, upgraded, requirements).ensure("python3.9").version == (3, 9, 19)
    assert len(machine.commands) == 6 and len(upgraded.commands) == 3


def test_check_names_every_missing_interpreter_and_how_to_install_it(tmp_path: Path) -> None:
    runtimes = environments(tmp_path, Machine({"python3.9": PY39}))
    assert runtimes.check(["python3.9", "python3.9"]) == [PY39]
    with pytest.raises(RuntimeEnvironmentError) as raised:
        runtimes.check(["python3.9", "python3.12", "python3.13"])
    assert "`pyenv install 3.12`" in str(raised.value) and "`pyenv install 3.13`" in str(raised.value)


def test_a_runtime_without_a_recipe_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeEnvironmentError, match=r"cannot run python3\.8: it knows python3\.9, "):
        environments(tmp_path, Machine({})).ensure("python3.8")


def test_a_failed_build_leaves_no_marker(tmp_path: Path) -> None:
    machine = Machine({"python3.9": PY39})

    def failing(argv: Sequence[str]) -> None:
        machine.run(argv)
        if argv[0] == "pip":
            raise RuntimeEnvironmentError("`pip install` exited with 1")

    runtimes = RuntimeEnvironments(tmp_path / "runtimes", log=lambda _: None, finder=machine.find,
                                   run=failing, pip=["pip"])
    with pytest.raises(RuntimeEnvironmentError, match="pip install"):
        runtimes.ensure("python3.9")
    assert not (tmp_path / "runtimes" / "python3.9" / "ready.json").exists()


def test_the_lab_has_a_pinned_recipe_for_every_runtime_it_accepts() -> None:
    assert supported_runtimes() == ["python3.9", "python3.10", "python3.11", "python3.12", "python3.13"]
    for runtime in supported_runtimes():
        lines = [line for line in (REQUIREMENTS_DIR / f"{runtime}.txt").read_text().splitlines()
                 if line and not line.startswith("#")]
        names = {line.split("==")[0] for line in lines}
        assert all("==" in line for line in lines), runtime  # every package pinned exactly
        assert {"awslambdaric", "boto3", "botocore"} <= names, runtime
