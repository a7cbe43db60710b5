"""Unit tests of lab.fleet.deployed_runtimes: the runtimes envs/local deploys, asked of Terraform once per
change of its inputs, with older envs/local (loose `runtimes`, or no such variable)
and a command's overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.fleet.deployed_runtimes import combine, fleet_runtimes

OLD_ENV = 'variable "runtime" {\n  type    = string\n  default = "python3.11"\n}\n'
LOOSE_ENV = OLD_ENV + 'variable "runtimes" {\n  type    = list(string)\n  default = null\n}\n'
NEW_ENV = OLD_ENV + (
    'variable "fleet" {\n  type    = object({ runtimes = optional(list(string)) })\n  default = {}\n}\n'
)


class Terraform:
    """Answers `{runtime = …, runtimes = …}` and records the expressions asked."""

    def __init__(self, runtime: str = "python3.11", runtimes: list[str] | None = None) -> None:
        self.value = {"runtime": runtime, "runtimes": runtimes}
        self.asked: list[str] = []

    def __call__(self, env_dir: Path, expression: str) -> Any:
        self.asked.append(expression)
        return dict(self.value)


def env(tmp_path: Path, text: str) -> Path:
    directory = tmp_path / "local"
    directory.mkdir(exist_ok=True)
    (directory / "variables.tf").write_text(text)
    return directory


def test_null_runtimes_means_the_environments_own() -> None:
    assert combine("python3.11", None) == ["python3.11"]
    assert combine("python3.11", ["python3.9", "python3.11", "python3.9"]) == ["python3.11", "python3.9"]


def test_an_older_env_without_runtimes_deploys_its_runtime_only(tmp_path: Path) -> None:
    terraform = Terraform()
    got = fleet_runtimes(tmp_path / "cache", env_dir=env(tmp_path, OLD_ENV), evaluate=terraform, environ={})
    assert got == ["python3.11"]
    assert terraform.asked == ["{runtime = var.runtime, runtimes = null}"]  # var.runtimes would not parse


def test_terraform_is_asked_once_until_its_inputs_change(tmp_path: Path) -> None:
    directory = env(tmp_path, NEW_ENV)
    terraform = Terraform(runtimes=["python3.9", "python3.13"])
    for _ in range(2):
        got = fleet_runtimes(tmp_path / "cache", env_dir=directory, evaluate=terraform, environ={})
        assert got == ["python3.11", "python3.9", "python3.13"]
    assert terraform.asked == ["{runtime = var.runtime, runtimes = var.fleet.runtimes}"]
    fleet_runtimes(tmp_path / "cache", env_dir=directory, evaluate=terraform,
                   environ={"TF_VAR_runtimes": '["python3.12"]'})
    (directory / "terraform.tfvars").write_text('runtime = "python3.12"\n')
    fleet_runtimes(tmp_path / "cache", env_dir=directory, evaluate=terraform, environ={})
    assert len(terraform.asked) == 3


def test_a_commands_overrides_win_and_spare_terraform_when_complete(tmp_path: Path) -> None:
    directory = env(tmp_path, NEW_ENV)
    terraform = Terraform()
    got = fleet_runtimes(tmp_path / "cache", {"fleet": {"runtimes": ["python3.9"], "tracing": ["patch_all"]}},
                         env_dir=directory, evaluate=terraform, environ={})
    assert got == ["python3.11", "python3.9"]  # the collector keeps the environment's runtime
    # a fleet passed is the whole object: without runtimes, the probes run the environment's runtime
    got = fleet_runtimes(tmp_path / "cache", {"runtime": "python3.12", "fleet": {"strategies": ["dict"]}},
                         env_dir=directory, evaluate=terraform, environ={})
    assert got == ["python3.12"] and len(terraform.asked) == 1


def test_an_env_of_loose_runtimes_is_asked_for_them(tmp_path: Path) -> None:
    terraform = Terraform(runtimes=["python3.9"])
    got = fleet_runtimes(tmp_path / "cache", env_dir=env(tmp_path, LOOSE_ENV), evaluate=terraform, environ={})
    assert got == ["python3.11", "python3.9"]
    assert terraform.asked == ["{runtime = var.runtime, runtimes = var.runtimes}"]
