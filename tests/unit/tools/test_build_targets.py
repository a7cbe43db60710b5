"""One runtime setting drives the build: tools.build_targets asks each Terraform environment (here a stand-in
resolver) for its runtime, its fleet's runtimes and dependency set, caches the answer by the environment's
files and TF_VAR_*, and tools.build builds for what it answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import build as b
from tools import build_targets


class Resolver:
    """Stands in for Terraform: the runtime written in the env's runtime.txt (the fleet on that runtime, set
    current), and a count of the questions."""

    def __init__(self) -> None:
        self.asked: list[Path] = []

    def __call__(self, env_dir: Path) -> build_targets.EnvBuild:
        self.asked.append(env_dir)
        runtime = (env_dir / "runtime.txt").read_text().strip()
        return build_targets.EnvBuild(runtime, (runtime,))


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
    assert build_targets.env_runtimes([local, aws], cache, resolver, {}) == ["python3.11", "python3.13"]
    assert sorted(resolver.asked) == sorted([aws, local])
    assert build_targets.env_runtimes([local, aws], cache, resolver, {}) == ["python3.11", "python3.13"]
    assert len(resolver.asked) == 2


def test_a_tfvars_edit_or_tf_var_runtime_asks_again(tmp_path: Path) -> None:
    aws = env(tmp_path, "aws", "python3.13")
    resolver = Resolver()
    cache = tmp_path / "cache"
    build_targets.env_runtimes([aws], cache, resolver, {})
    (aws / "terraform.tfvars").write_text('runtime = "python3.12"\n')
    (aws / "runtime.txt").write_text("python3.12")
    assert build_targets.env_runtimes([aws], cache, resolver, {}) == ["python3.12"]
    (aws / "runtime.txt").write_text("python3.11")
    assert build_targets.env_runtimes([aws], cache, resolver, {"TF_VAR_runtime": "python3.11"}) == [
        "python3.11"
    ]
    assert len(resolver.asked) == 3


def test_a_damaged_cache_is_asked_again(tmp_path: Path) -> None:
    aws = env(tmp_path, "aws", "python3.13")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / build_targets.CACHE_FILE).write_text("{not json")
    assert build_targets.env_runtimes([aws], tmp_path / "cache", Resolver(), {}) == ["python3.13"]


def test_a_tf_var_of_any_variable_asks_again(tmp_path: Path) -> None:
    local = env(tmp_path, "local", "python3.11")
    resolver = Resolver()
    cache = tmp_path / "cache"
    build_targets.env_builds([local], cache, resolver, {})
    build_targets.env_builds([local], cache, resolver, {"HOME": "/elsewhere"})
    assert len(resolver.asked) == 1
    build_targets.env_builds([local], cache, resolver, {"TF_VAR_runtimes": '["python3.9"]'})
    assert len(resolver.asked) == 2


def test_a_malformed_answer_is_a_terraform_error(tmp_path: Path) -> None:
    from tools import terraform

    with pytest.raises(terraform.TerraformError, match=r"local\.build"):
        build_targets.EnvBuild.parse({"runtime": "python3.11", "runtimes": []}, tmp_path)
    wanted = build_targets.EnvBuild.parse(
        {"runtime": "python3.11", "runtimes": ["python3.9", "python3.9"], "dependency_set": "2022"}, tmp_path
    )
    assert wanted == build_targets.EnvBuild("python3.11", ("python3.9",), "2022")
    with pytest.raises(terraform.TerraformError, match=r"otel_runtimes"):
        build_targets.EnvBuild.parse(
            {"runtime": "python3.11", "runtimes": ["python3.11"], "otel_runtimes": "x"}, tmp_path
        )
    both = {"runtime": "python3.11", "runtimes": ["python3.11"], "otel_runtimes": ["python3.11"],
            "adot_runtimes": ["python3.11"], "dependency_set": "current"}  # fmt: skip
    assert build_targets.EnvBuild.parse(both, tmp_path).encode() == both


def _stub(
    monkeypatch: pytest.MonkeyPatch, answers: list[build_targets.EnvBuild]
) -> list[tuple[str, list, list]]:
    """tools.build's main with Terraform and the builds stood in for; returns the builds it asked for."""
    built: list[tuple[str, list, list]] = []

    def fake_env_builds(envs: list[Path], cache: Path) -> list[build_targets.EnvBuild]:
        return answers[: len(envs)]

    def fake_build(
        out: Path, runtime: str, archs: list[str], only: list[str], cache: Path, dependency_sets: list[str]
    ) -> dict:
        built.append((runtime, list(only), list(dependency_sets)))
        return {f"x-{runtime}": {}}

    monkeypatch.setattr(build_targets, "env_builds", fake_env_builds)
    monkeypatch.setattr(b, "build", fake_build)
    return built


def test_the_build_makes_the_zips_each_environment_deploys_and_the_shared_ones_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = build_targets.EnvBuild(
        "python3.11", ("python3.9", "python3.11"), "current", ("python3.11",), ("python3.11",)
    )
    aws = build_targets.EnvBuild("python3.13", ("python3.13",), "current", ("python3.13",))
    built = _stub(monkeypatch, [local, aws])
    assert b.main(["--out", str(tmp_path)]) == 0
    assert built == [
        (
            "python3.11",
            [
                "probe-code",
                "deps",
                "deps-otel",
                "collector",
                "extension-layer",
                "cloud-extensions-layer",
                "adot-layer",
            ],
            ["current"],
        ),
        ("python3.9", ["deps"], ["current"]),  # no otel nor adot probes on it (they need 3.10+)
        ("python3.13", ["deps", "deps-otel", "collector"], ["current"]),  # otel probes, no adot probe
    ]


def test_the_tracing_layers_go_only_with_the_runtimes_of_their_probes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an older local.build (no otel_runtimes, adot_runtimes) asks for neither; a 3.9 runtime never gets one
    old = build_targets.EnvBuild.parse({"runtime": "python3.11", "runtimes": ["python3.11"]}, tmp_path)
    assert (old.otel_runtimes, old.adot_runtimes) == ((), ())
    built = _stub(monkeypatch, [old])
    assert b.main(["--out", str(tmp_path), "--runtime-from", str(tmp_path)]) == 0
    assert built == [
        (
            "python3.11",
            ["probe-code", "deps", "collector", "extension-layer", "cloud-extensions-layer"],
            ["current"],
        )
    ]
    built.clear()
    adot_only = build_targets.EnvBuild(
        "python3.12", ("python3.9", "python3.12"), "current", (), ("python3.12",)
    )
    built = _stub(monkeypatch, [adot_only])
    assert b.main(["--out", str(tmp_path), "--runtime-from", str(tmp_path), "--only", "probe"]) == 0
    assert built == [
        ("python3.12", ["probe-code", "deps"], ["current"]),
        ("python3.9", ["deps"], ["current"]),
    ]
    assert b.main(["--out", str(tmp_path), "--runtime-from", str(tmp_path), "--only", "adot-layer"]) == 0
    assert built[-1] == ("python3.12", ["adot-layer"], ["current"])


def test_the_2022_set_comes_from_the_environment_or_the_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay = build_targets.EnvBuild("python3.11", ("python3.9",), "2022")
    built = _stub(monkeypatch, [replay])
    assert b.main(["--out", str(tmp_path), "--runtime-from", str(tmp_path)]) == 0
    assert built == [
        ("python3.11", ["probe-code", "collector", "extension-layer", "cloud-extensions-layer"], []),
        ("python3.9", ["deps"], ["2022"]),
    ]
    built.clear()
    # Alone, --dependency-set 2022 adds the runtimes it has requirements for (the repository's: python3.9).
    today = build_targets.EnvBuild("python3.11", ("python3.11",), "current")
    built = _stub(monkeypatch, [today])
    assert b.main(["--out", str(tmp_path), "--runtime-from", str(tmp_path), "--dependency-set", "2022"]) == 0
    assert built[-1] == ("python3.9", ["deps"], ["2022"])
    built.clear()
    # by hand, the code zip and the extension layer go with a runtime the collector's and lab's Python can be
    assert b.main(["--out", str(tmp_path), "--runtime", "python3.9", "--runtime", "python3.12"]) == 0
    assert built == [
        ("python3.9", ["deps", "collector"], ["current"]),  # tools.build then says the collector is skipped
        (  # by hand, every layer a probe of the runtime may need: otel and adot from 3.10
            "python3.12",
            [
                "probe-code",
                "deps",
                "deps-otel",
                "collector",
                "extension-layer",
                "cloud-extensions-layer",
                "adot-layer",
            ],
            ["current"],
        ),
    ]
    built.clear()
    assert b.main(["--out", str(tmp_path), "--runtime", "python3.12", "--only", "probe"]) == 0
    assert built == [("python3.12", ["probe-code", "deps", "deps-otel"], ["current"])]


def test_a_terraform_failure_stops_the_build_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tools import terraform

    def failing(envs: list[Path], cache: Path) -> list[build_targets.EnvBuild]:
        raise terraform.TerraformError("runtime must be one of python3.11, python3.12, python3.13 on AWS")

    monkeypatch.setattr(build_targets, "env_builds", failing)
    assert b.main(["--out", str(tmp_path), "--runtime-from", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "cannot ask Terraform which runtime to build for: runtime must be one of" in error
