"""The two-region path planned against the lab's local endpoint (moto keeps regions apart): envs/aws as
`make deploy-regions REGIONS="us-east-1 ap-northeast-1"` plans it, the home region and then the other,
each with its own state. The home holds the table and the compactor; the other holds neither, its collector
writes to the home table (its name and region; the collector's environment and policy hold values known only
after apply, so the table's ARN they are made from is read from the outputs), and its probes' keys end in its
region."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tools import terraform

from .test_terraform_aws_plan import fake_artifacts, provider_override
from .tree import TerraformTree

HOME, OTHER = "us-east-1", "ap-northeast-1"
FLEET = {"strategies": ["sdk", "extension"], "memory_sizes": [128]}  # small: a plan, not a fleet
MODULE = "module.observatory."

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plans(
    aws_endpoint: str, terraform_tree: TerraformTree, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """envs/aws planned in each region (its provider's region is var.region here, as in envs/aws)."""
    root = tmp_path_factory.mktemp("tfregions")
    env = terraform_tree.sibling("aws", "aws-regions")
    override = provider_override(aws_endpoint).replace('= "us-east-1"', "= var.region", 1)
    assert "var.region" in override
    (env / "zz_test_provider_override.tf").write_text(override)
    artifacts = fake_artifacts(root / "build")
    out = {}
    for region in (HOME, OTHER):
        ws = terraform_tree.workspace(
            "aws",
            env,
            variables={
                "artifacts_dir": str(artifacts), "region": region, "home_region": HOME, "fleet": FLEET
            },
            state=root / f"{region}.tfstate",  # one state per region
        )
        out[region] = terraform.plan(ws)
    return out


def changes(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["address"].removeprefix(MODULE): c["change"]["after"] for c in plan["resource_changes"]}


def test_the_home_region_holds_the_table_and_the_compactor(plans: dict[str, dict[str, Any]]) -> None:
    home = changes(plans[HOME])
    assert home["aws_dynamodb_table.this[0]"]["name"] == "slo-measurements"
    assert "aws_scheduler_schedule.compactor[0]" in home
    assert plans[HOME]["planned_values"]["outputs"]["table_region"]["value"] == HOME
    probe = home['module.probes.aws_lambda_function.this["sdk-128-x86_64"]']
    assert probe["environment"][0]["variables"]["OBSERVATORY_PROBE_KEY"] == "sdk-128-x86_64"


def test_the_other_region_writes_to_the_home_table_and_keys_its_probes_by_region(
    plans: dict[str, dict[str, Any]],
) -> None:
    other = changes(plans[OTHER])
    assert not [a for a in other if a.startswith(("aws_dynamodb_table.", "aws_scheduler_schedule.compactor"))]
    assert not [a for a in other if a.startswith("module.compactor.")]
    outputs = plans[OTHER]["planned_values"]["outputs"]
    arn = outputs["dynamodb_table_arn"]["value"]  # what the collector's WriteRows statement names
    assert arn.split(":")[3] == HOME and arn.endswith(":table/slo-measurements")
    probe = other['module.probes.aws_lambda_function.this["sdk-128-x86_64"]']
    assert probe["environment"][0]["variables"]["OBSERVATORY_PROBE_KEY"] == f"sdk-128-x86_64@{OTHER}"
    schedule = other['aws_scheduler_schedule.probe["sdk-128-x86_64"]']
    assert json.loads(schedule["target"][0]["input"])["probe_key"] == f"sdk-128-x86_64@{OTHER}"
    assert outputs["table_region"]["value"] == HOME
    assert f"AWS_REGION={HOME}" in outputs["dashboard_command"]["value"]


def test_each_region_names_its_own_roles(plans: dict[str, dict[str, Any]]) -> None:
    for region, plan in plans.items():
        role = changes(plan)['module.collector.aws_iam_role.this["collector"]']
        assert role["name"] == f"slo-{region}-collector"
