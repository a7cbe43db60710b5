"""One runtime setting drives the build: tools.runtimes asks each Terraform environment (here a stand-in
resolver), caches the answer by the environment's files, and tools.build builds for what it answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import build as b
from tools import runtimes


class Resolver:
    """Stands in for Terraform: the runtime written in the env's runtime.txt, and a count of the questions."""

    def __init__(self) -> None:
        self.asked: list[Path] = []

    def __call__(self, env_dir: Path) -> str:
        self.asked.append(env_dir)
        return (env_dir / "runtime.txt").read_text().strip()


def env(root: Path, name: str, runtime: str) -> Path:
    directory = root / "envs" / name
    directory.mkdir(parents=True)
    (directory / "variables.tf").write_text(f'variable "runtime" {{\n  default = "{runtime}"\n}}\n')
    (directory / "runtime.txt").write_text(runtime)
    return directory


def test_each_environment_is_asked_once_then_answered_from_the_cache(tmp_path: Path) -> None:
    aws, local = env(tmp_path, "aws", "python3.13"), env(tmp_path, "local", "python3.11")
    resolver = Resolver()
    cache = tmp_path / "cache"
    assert runtimes.env_runtimes([local, aws], cache, resolver, {}) == ["python3.11", "python3.13"]
    assert sorted(resolver.asked) == sorted([aws, local])
    assert runtimes.env_runtimes([local, aws], cache, resolver, {}) == ["python3.11", "python3.13"]
    assert len(resolver.asked) == 2


def test_a_tfvars_edit_or_tf_var_runtime_asks_again(tmp_path: Path) -> None:
    aws = env(tmp_path, "aws", "python3.13")
    resolver = Resolver()
    cache = tmp_path / "cache"
    runtimes.env_runtimes([aws], cache, resolver, {})
    (aws / "terraform.tfvars").write_text('runtime = "python3.12"\n')
    (aws / "runtime.txt").write_text("python3.12")
    assert runtimes.env_runtimes([aws], cache, resolver, {}) == ["python3.12"]
    (aws / "runtime.txt").write_text("python3.11")
    assert runtimes.env_runtimes([aws], cache, resolver, {"TF_VAR_runtime": "python3.11"}) == ["python3.11"]
    assert len(resolver.asked) == 3


def test_a_damaged_cache_is_asked_again(tmp_path: Path) -> None:
    aws = env(tmp_path, "aws", "python3.13")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / runtimes.CACHE_FILE).write_text("{not json")
    assert runtimes.env_runtimes([aws], tmp_path / "cache", Resolver(), {}) == ["python3.13"]


def test_the_build_makes_the_zips_for_each_environments_runtime_and_the_layer_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[list[Path]] = []
    built: list[tuple[str, list[str]]] = []

    def fake_env_runtimes(envs: list[Path], cache: Path) -> list[str]:
        asked.append(list(envs))
        return ["python3.11", "python3.13"][: len(envs)]

    def fake_build(out: Path, runtime: str, archs: list[str], only: list[str], cache: Path) -> dict:
        built.append((runtime, list(only)))
        return {f"probe-{runtime}-x86_64": {}}

    monkeypatch.setattr(runtimes, "env_runtimes", fake_env_runtimes)
    monkeypatch.setattr(b, "build", fake_build)
    assert b.main(["--out", str(tmp_path)]) == 0
    assert asked == [list(b.DEFAULT_RUNTIME_ENVS)]
    assert built == [
        ("python3.11", ["probe", "collector", "extension-layer"]),
        ("python3.13", ["probe", "collector"]),
    ]
    built.clear()
    assert b.main(["--out", str(tmp_path), "--runtime", "python3.12"]) == 0
    assert built == [("python3.12", ["probe", "collector", "extension-layer"])] and len(asked) == 1


def test_a_terraform_failure_stops_the_build_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tools import terraform

    def failing(envs: list[Path], cache: Path) -> list[str]:
        raise terraform.TerraformError("runtime must be one of python3.11, python3.12, python3.13 on AWS")

    monkeypatch.setattr(runtimes, "env_runtimes", failing)
    assert b.main(["--out", str(tmp_path), "--runtime-from", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "cannot ask Terraform which runtime to build for: runtime must be one of" in error
