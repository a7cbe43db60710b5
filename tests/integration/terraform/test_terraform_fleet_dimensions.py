"""Runtimes, tracing, stores and the dependency set as fleet dimensions, evaluated by real terraform
(`terraform console`, no cloud call): envs/local's defaults and what the build is asked for, and the wording
of the settings refused at plan time. The key scheme and the refusals case by case are the module's
tests/fleet_dimensions.tftest.hcl, run by test_terraform_module_tests.py."""

from __future__ import annotations

from typing import Any

import pytest

from datastore.vocabulary import STRATEGIES
from tools import terraform

from .tree import TerraformTree

pytestmark = pytest.mark.slow


def refused(tree: TerraformTree, env: str, variables: dict[str, Any]) -> str:
    """terraform's refusal of these settings, whitespace collapsed (fails the test if it accepts them)."""
    with pytest.raises(terraform.TerraformError) as caught:
        terraform.console(tree.workspace(env, variables=variables), "module.observatory.fleet")
    return " ".join(str(caught.value).split())


def test_the_defaults_keep_todays_keys_and_fleet_size(terraform_tree: TerraformTree) -> None:
    value = terraform.console(
        terraform_tree.workspace("local"), "{ fleet = module.observatory.fleet, build = local.build }"
    )
    today = {f"{s}-{m}-x86_64" for s in STRATEGIES for m in (128, 1769)}
    # and the tracing comparison at 128 MB (issue 17): the extension and the direct SDK without tracing, with
    # the X-Ray SDK's subsegments (today's probes) and with OpenTelemetry: the SDK's own, AWS's distribution
    comparison = {f"{s}-128-x86_64-{t}" for s in ("extension", "sdk") for t in ("off", "otel", "adot")}
    assert set(value["fleet"]) == today | comparison
    assert {(p["runtime"], p["tracing"], p["stores"]) for p in value["fleet"].values()} == {
        ("python3.11", tracing, None) for tracing in ("subsegments", "off", "otel", "adot")
    }
    assert value["build"] == {
        "runtime": "python3.11",
        "runtimes": ["python3.11"],
        "dependency_set": "current",
        "otel_runtimes": ["python3.11"],
        "adot_runtimes": ["python3.11"],
    }


def test_the_lab_refuses_unknown_values_and_the_2022_set_on_another_runtime(
    terraform_tree: TerraformTree,
) -> None:
    fleet = {
        "runtimes": ["python3.8"],
        "tracing": ["xray"],
        "stores": ["ssm", "redis"],
        "strategies": ["caching_lib"],
    }
    message = refused(terraform_tree, "local", {"fleet": fleet})
    for reason in (
        "fleet.runtimes must be null (the runtime variable) or a non-empty list of: python3.9, python3.10, "
        "python3.11, python3.12, python3.13",
        "fleet.tracing must be a non-empty list of: off, subsegments, patch_all",
        "fleet.stores must be null (every store each strategy reads) or a non-empty list of: secretsmanager, "
        "ssm",
        "fleet.stores names a store none of fleet.strategies reads",
    ):
        assert reason in message
    # terraform skips a variable's rules when one reads another invalid variable: dependency_set with a valid
    # fleet
    fleet = {"runtimes": ["python3.9", "python3.11"]}
    message = refused(terraform_tree, "local", {"fleet": fleet, "dependency_set": "2022"})
    assert "dependency_set '2022' exists for python3.9 only" in message


def test_aws_refuses_the_runtimes_lambda_no_longer_creates(terraform_tree: TerraformTree) -> None:
    message = refused(terraform_tree, "aws", {"fleet": {"runtimes": ["python3.9"]}})
    assert "fleet.runtimes must be among python3.11, python3.12, python3.13 on AWS" in message
    assert "2025-12-15" in message


def test_the_lab_runs_one_architecture_its_own(terraform_tree: TerraformTree) -> None:
    message = refused(terraform_tree, "local", {"fleet": {"architectures": ["x86_64", "arm64"]}})
    assert "fleet.architectures must name one architecture in the lab" in message


def test_each_env_refuses_a_runtime_outside_its_vocabulary(terraform_tree: TerraformTree) -> None:
    message = refused(terraform_tree, "local", {"runtime": "python3.99"})
    assert "runtime must be one of python3.9, python3.10, python3.11, python3.12, python3.13" in message
    message = refused(terraform_tree, "aws", {"runtime": "python3.99"})
    assert "runtime must be one of python3.11, python3.12, python3.13 on AWS" in message
    assert "make build" not in message  # refused as a setting, not as a missing zip
