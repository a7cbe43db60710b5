"""Runtimes, tracing, stores and the dependency set as fleet dimensions, evaluated by real terraform
(`terraform console`, no cloud call): the probe key scheme, what each probe gets, what the build is asked for,
and the settings refused at plan time with their reason."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collector.vocabulary import STRATEGIES
from tools import terraform

REPO_ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def envs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """An initialised copy of terraform/ (nothing is written into the repository): envs/local and envs/aws."""
    copy = tmp_path_factory.mktemp("tfdimensions") / "terraform"
    shutil.copytree(REPO_ROOT / "terraform", copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    found = {name: copy / "envs" / name for name in ("local", "aws")}
    for env in found.values():
        terraform.init(terraform.Workspace(env), backend=False)
    yield found


def evaluate(env: Path, variables: dict[str, Any], expression: str) -> Any:
    return terraform.console(terraform.Workspace(env, variables=variables), expression)


def refused(env: Path, variables: dict[str, Any]) -> str:
    """terraform's refusal of these settings, whitespace collapsed (fails the test if it accepts them)."""
    with pytest.raises(terraform.TerraformError) as caught:
        evaluate(env, variables, "module.observatory.fleet")
    return " ".join(str(caught.value).split())


def test_the_defaults_keep_todays_keys_and_fleet_size(envs: dict[str, Path]) -> None:
    value = evaluate(envs["local"], {}, "{ fleet = module.observatory.fleet, build = local.build }")
    assert set(value["fleet"]) == {f"{s}-{m}-x86_64" for s in STRATEGIES for m in (128, 1769)}
    assert {(p["runtime"], p["tracing"], p["stores"]) for p in value["fleet"].values()} == {
        ("python3.11", "subsegments", None)
    }
    assert value["build"] == {
        "runtime": "python3.11",
        "runtimes": ["python3.11"],
        "dependency_set": "current",
    }


def test_two_runtimes_by_two_tracing_modes_make_four_probes_per_strategy_and_memory(
    envs: dict[str, Path],
) -> None:
    variables = {
        "runtimes": ["python3.11", "python3.9"],
        "tracing": ["subsegments", "patch_all"],
        "strategies": ["extension", "dict"],
        "memory_sizes": [128],
    }
    value = evaluate(envs["local"], variables, "{ fleet = module.observatory.fleet, build = local.build }")
    assert sorted(value["fleet"]) == [
        "dict-128-x86_64",  # var.runtime and subsegments: no suffix, today's key
        "dict-128-x86_64-patch_all",
        "dict-128-x86_64-py39",
        "dict-128-x86_64-py39-patch_all",
        "extension-128-x86_64",
        "extension-128-x86_64-patch_all",
        "extension-128-x86_64-py39",
        "extension-128-x86_64-py39-patch_all",
    ]
    assert value["fleet"]["extension-128-x86_64-py39-patch_all"] == {
        "strategy": "extension",
        "memory_mb": 128,
        "architecture": "x86_64",
        "runtime": "python3.9",
        "tracing": "patch_all",
        "stores": None,
    }
    assert value["build"]["runtimes"] == ["python3.11", "python3.9"]


def test_the_2022_replay_fleet_restricts_stores_and_asks_for_the_2022_layer(envs: dict[str, Path]) -> None:
    variables = {
        "runtimes": ["python3.9"],
        "tracing": ["patch_all", "off"],
        "dependency_set": "2022",
        "strategies": ["extension", "sdk", "dict", "caching_lib"],
        "memory_sizes": [128],
        "stores": ["secretsmanager"],
    }
    value = evaluate(envs["local"], variables, "{ fleet = module.observatory.fleet, build = local.build }")
    assert set(value["fleet"]) == {
        f"{s}-128-x86_64-py39-{t}"
        for s in ("extension", "sdk", "dict", "caching_lib")
        for t in ("patch_all", "off")
    }
    assert {tuple(p["stores"]) for p in value["fleet"].values()} == {("secretsmanager",)}
    assert value["build"] == {"runtime": "python3.11", "runtimes": ["python3.9"], "dependency_set": "2022"}
    # ssm only: caching_lib reads no SSM, so it has no probe rather than a probe that refuses its config
    ssm = evaluate(envs["local"], {"stores": ["ssm"], "memory_sizes": [128]}, "module.observatory.fleet")
    assert sorted(ssm) == sorted(f"{s}-128-x86_64" for s in STRATEGIES if s != "caching_lib")


def test_the_lab_refuses_unknown_values_and_the_2022_set_on_another_runtime(envs: dict[str, Path]) -> None:
    message = refused(
        envs["local"],
        {"runtimes": ["python3.8"], "tracing": ["xray"], "stores": ["redis"]},
    )
    for reason in (
        "fleet.runtimes must be null (the runtime variable) or a non-empty list of: python3.9, python3.10, "
        "python3.11, python3.12, python3.13",
        "fleet.tracing must be a non-empty list of: off, subsegments, patch_all",
        "fleet.stores must be null (every store each strategy reads) or a non-empty list of: secretsmanager, "
        "ssm",
    ):
        assert reason in message
    # terraform skips a variable's rules when one reads another invalid variable: dependency_set alone
    assert "dependency_set must be 'current' or '2022'" in refused(envs["local"], {"dependency_set": "1999"})
    message = refused(envs["local"], {"runtimes": ["python3.9", "python3.11"], "dependency_set": "2022"})
    assert "dependency_set '2022' exists for python3.9 only" in message
    message = refused(envs["local"], {"stores": ["ssm"], "strategies": ["caching_lib"]})
    assert "fleet.stores names a store none of fleet.strategies reads" in message


def test_aws_refuses_the_runtimes_lambda_no_longer_creates(envs: dict[str, Path]) -> None:
    for runtimes in (["python3.9"], ["python3.13", "python3.10"]):
        message = refused(envs["aws"], {"fleet": {"runtimes": runtimes}})
        assert "fleet.runtimes must be among python3.11, python3.12, python3.13 on AWS" in message
        assert "2025-12-15" in message
    value = evaluate(
        envs["aws"],
        {"fleet": {"runtimes": ["python3.12", "python3.13"], "tracing": ["off", "subsegments"]}},
        "{ fleet = module.observatory.fleet, build = local.build }",
    )
    assert len(value["fleet"]) == len(STRATEGIES) * 2 * 2 * 2  # x 2 memory sizes x 2 runtimes x 2 tracing
    assert "extension-1769-x86_64-py312-off" in value["fleet"] and "sdk-128-x86_64" in value["fleet"]
    assert value["build"] == {
        "runtime": "python3.13",
        "runtimes": ["python3.12", "python3.13"],
        "dependency_set": "current",
    }
