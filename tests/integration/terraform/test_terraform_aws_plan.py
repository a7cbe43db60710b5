"""envs/aws as a real account would plan it: the same configuration, its provider pointed at the local AWS
endpoint by an override file (only the data sources call it), and the planned values checked for what AWS
does not forgive on a first apply or a redeploy."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tools import terraform

from .tree import TerraformTree

RUNTIME = "python3.13"
MODULE = "module.observatory."
# envs/aws's default fleet: 5 strategies at 128 and 1,769 MB, and Cloud Extensions' prefetch variant at both
DEFAULT_PROBES = 14
CLOUD_EXTENSIONS_LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:cloud-extensions-stand-in:1"

pytestmark = pytest.mark.slow


def provider_override(endpoint: str) -> str:
    """An override file: envs/aws's provider, with credentials and endpoints of the local endpoint."""
    services = [
        "cloudwatch",
        "dynamodb",
        "iam",
        "lambda",
        "logs",
        "scheduler",
        "secretsmanager",
        "sqs",
        "ssm",
        "sts",
    ]
    lines = "\n".join(f"    {service} = {json.dumps(endpoint)}" for service in services)
    return (
        'provider "aws" {\n  region                      = "us-east-1"\n  access_key = "testing"\n'
        '  secret_key = "testing"\n  skip_credentials_validation = true\n  skip_metadata_api_check = true\n'
        f"  skip_requesting_account_id  = true\n  endpoints {{\n{lines}\n  }}\n}}\n"
    )


def fake_artifacts(directory: Path) -> Path:
    """A build output for RUNTIME (tiny zips and their manifest): planning never reads the code."""
    directory.mkdir(parents=True)
    manifest = {}
    for name in ("probe-code", f"deps-current-{RUNTIME}-x86_64", f"collector-{RUNTIME}-x86_64"):
        path = directory / f"{name}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
        digest = hashlib.sha256(path.read_bytes()).digest()
        manifest[name] = {
            "path": path.name,
            "sha256_hex": digest.hex(),
            "sha256_b64": base64.b64encode(digest).decode(),
        }
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


@pytest.fixture(scope="module")
def workspace(
    aws_endpoint: str, terraform_tree: TerraformTree, tmp_path_factory: pytest.TempPathFactory
) -> terraform.Workspace:
    """envs/aws with its defaults, in a copy of its own beside it (its provider override stays its own)."""
    root = tmp_path_factory.mktemp("tfawsplan")
    env = terraform_tree.sibling("aws", "aws-plan")
    (env / "zz_test_provider_override.tf").write_text(provider_override(aws_endpoint))
    return terraform_tree.workspace(
        "aws",
        env,
        variables={
            "artifacts_dir": str(fake_artifacts(root / "build")),
            # AWS's public parameter naming the Cloud Extensions layer cannot exist on the local endpoint
            # (moto refuses names under /aws/ as AWS does): its layer is given as the override a user may set
            "cloud_extensions_layer_arns": {"x86_64": CLOUD_EXTENSIONS_LAYER},
        },
        state=root / "aws.tfstate",
    )


@pytest.fixture(scope="module")
def plan(workspace: terraform.Workspace) -> Iterator[dict[str, Any]]:
    """`terraform plan` of envs/aws with its defaults."""
    yield terraform.plan(workspace)


def planned(plan: dict[str, Any], address: str) -> dict[str, Any]:
    """The planned `after` values of one resource of the module."""
    for change in plan["resource_changes"]:
        if change["address"] == MODULE + address:
            return dict(change["change"]["after"])
    raise AssertionError(f"{address} is not in the plan")


def unknown(plan: dict[str, Any], address: str) -> dict[str, Any]:
    for change in plan["resource_changes"]:
        if change["address"] == MODULE + address:
            return dict(change["change"]["after_unknown"])
    raise AssertionError(f"{address} is not in the plan")


def module_configuration(plan: dict[str, Any], *calls: str) -> dict[str, Any]:
    """The configuration of module.observatory, or of a module it calls (`probes`)."""
    module: dict[str, Any] = plan["configuration"]["root_module"]["module_calls"]["observatory"]["module"]
    for call in calls:
        module = module["module_calls"][call]["module"]
    return module


def configured(plan: dict[str, Any], address: str, *calls: str) -> dict[str, Any]:
    """The module's (or its `calls`') configuration of one resource (its expressions and depends_on)."""
    module = module_configuration(plan, *calls)
    for resource in module["resources"]:
        if resource["address"] == address:
            return dict(resource)
    raise AssertionError(f"{address} is not configured")


def test_the_canary_secret_has_no_recovery_window_so_a_redeploy_reuses_its_name(plan: dict[str, Any]) -> None:
    secret = planned(plan, "aws_secretsmanager_secret.this")
    assert secret["name"] == "slo-canary-secret"
    assert secret["recovery_window_in_days"] == 0


def test_role_names_carry_the_region_and_fit_iams_limit(plan: dict[str, Any]) -> None:
    roles = {
        change["address"]: change["change"]["after"]["name"]
        for change in plan["resource_changes"]
        if change["type"] == "aws_iam_role"
    }
    assert roles[MODULE + 'module.probes.aws_iam_role.this["caching_lib-1769-x86_64"]'] == (
        "slo-us-east-1-probe-caching_lib-1769-x86_64"
    )
    assert roles[MODULE + 'module.collector.aws_iam_role.this["collector"]'] == "slo-us-east-1-collector"
    assert roles[MODULE + 'module.compactor.aws_iam_role.this["compactor"]'] == "slo-us-east-1-compactor"
    assert roles[MODULE + "aws_iam_role.scheduler"] == "slo-us-east-1-scheduler"
    # the longest possible: a 16-character prefix, a 14-character region, caching_lib at 10,240 MB
    assert len("p" * 16 + "-ap-southeast-3-probe-caching_lib-10240-x86_64") <= 64


def test_every_probe_runs_the_code_zip_on_its_runtimes_dependency_layer(plan: dict[str, Any]) -> None:
    layer = planned(plan, f'aws_lambda_layer_version.deps["deps-current-{RUNTIME}-x86_64"]')
    assert layer["layer_name"] == "slo-probe-deps-current-py313-x86_64"
    assert (layer["compatible_runtimes"], layer["compatible_architectures"]) == ([RUNTIME], ["x86_64"])
    assert layer["filename"].endswith(f"/deps-current-{RUNTIME}-x86_64.zip")
    function = planned(plan, 'module.probes.aws_lambda_function.this["extension-128-x86_64"]')
    assert function["runtime"] == RUNTIME and function["filename"].endswith("/probe-code.zip")
    variables = function["environment"][0]["variables"]
    assert variables["OBSERVATORY_TRACING"] == "subsegments" and "OBSERVATORY_STORES" not in variables
    # the layers are known after apply (the deps layer is created with the fleet), and name the deps layer
    assert unknown(plan, 'module.probes.aws_lambda_function.this["extension-128-x86_64"]')["layers"] is True
    probes = module_configuration(plan)["module_calls"]["probes"]["expressions"]["functions"]
    assert "aws_lambda_layer_version.deps" in json.dumps(probes)
    assert "local.extension_layers" in json.dumps(probes)
    layers = json.dumps(configured(plan, "aws_lambda_function.this", "probes")["expressions"]["layers"])
    assert "each.value.layers" in layers  # the functions module deploys the layers it is given


def test_without_a_code_bucket_every_function_uploads_its_own_zip(plan: dict[str, Any]) -> None:
    assert not [change for change in plan["resource_changes"] if change["type"] == "aws_s3_object"]
    collector = planned(plan, 'module.collector.aws_lambda_function.this["collector"]')
    assert collector["filename"].endswith(f"/collector-{RUNTIME}-x86_64.zip")
    assert collector["s3_bucket"] is None


def test_from_a_code_bucket_each_zip_is_uploaded_once_and_every_function_deploys_from_it(
    workspace: terraform.Workspace,
) -> None:
    """With `code_bucket`, the provider creates the functions side by side (from local files it holds one
    lock per upload); a zip's key holds its SHA-256, so the collector and the compactor share one upload."""
    bucketed = {**workspace.variables, "code_bucket": "my-artifacts"}
    plan = terraform.plan(replace(workspace, variables=bucketed))
    manifest = json.loads((Path(workspace.variables["artifacts_dir"]) / "manifest.json").read_text())
    objects = {
        change["index"]: change["change"]["after"]
        for change in plan["resource_changes"]
        if change["type"] == "aws_s3_object"
    }
    deps, collector = f"deps-current-{RUNTIME}-x86_64.zip", f"collector-{RUNTIME}-x86_64.zip"
    zips = ["probe-code.zip", deps, collector]
    assert sorted(objects) == sorted(zips)
    for name, uploaded in objects.items():
        assert uploaded["bucket"] == "my-artifacts"
        assert uploaded["key"] == f"slo/{manifest[name.removesuffix('.zip')]['sha256_hex']}/{name}"
        assert uploaded["source"].endswith(f"/{name}")
    for address, name in [
        ('module.probes.aws_lambda_function.this["extension-128-x86_64"]', "probe-code.zip"),
        ('module.collector.aws_lambda_function.this["collector"]', collector),
        ('module.compactor.aws_lambda_function.this["compactor"]', collector),
        (f'aws_lambda_layer_version.deps["deps-current-{RUNTIME}-x86_64"]', deps),
    ]:
        deployed = planned(plan, address)
        assert (deployed["filename"], deployed["s3_bucket"]) == (None, "my-artifacts"), address
        assert deployed["s3_key"] == objects[name]["key"], address
        assert deployed["source_code_hash"] == manifest[name.removesuffix(".zip")]["sha256_b64"], address


def test_a_probe_is_created_only_once_its_role_can_call_xray(plan: dict[str, Any]) -> None:
    # modules/functions: each function waits for its "this" policy (for a probe, "probe")
    function = configured(plan, "aws_lambda_function.this", "probes")
    assert "aws_iam_role_policy.this" in function["depends_on"]
    assert planned(plan, 'module.probes.aws_iam_role_policy.this["sdk-128-x86_64"]')["name"] == "probe"
    assert planned(plan, 'module.probes.aws_lambda_function.this["sdk-128-x86_64"]')["tracing_config"] == [
        {"mode": "Active"}
    ]
    # which holds X-Ray (the module's own statement) and does not wait for the collector: the destination
    # grant is a policy of its own, which only the async invoke config waits for
    policy = configured(plan, "data.aws_iam_policy_document.this", "probes")
    assert "data.aws_iam_policy_document.tracing" in json.dumps(policy["expressions"])
    assert "Tracing" in json.dumps(configured(plan, "data.aws_iam_policy_document.tracing", "probes"))
    base = configured(plan, "data.aws_iam_policy_document.probe")
    assert "module.collector" not in json.dumps(base["expressions"])
    destination = configured(plan, "data.aws_iam_policy_document.probe_destination")
    assert "module.collector.function_arns" in json.dumps(destination["expressions"])
    assert planned(plan, 'module.probes.aws_iam_role_policy.destinations["sdk-128-x86_64"]')["name"] == (
        "destination"
    )
    invoke_config = configured(plan, "aws_lambda_function_event_invoke_config.this", "probes")
    assert "aws_iam_role_policy.destinations" in invoke_config["depends_on"]


def test_schedules_spread_the_fleet_and_dead_letter_what_they_cannot_deliver(plan: dict[str, Any]) -> None:
    keys = [
        change["index"]
        for change in plan["resource_changes"]
        if change["address"].startswith(MODULE + "aws_scheduler_schedule.probe[")
    ]
    assert len(keys) == DEFAULT_PROBES
    for key in keys:
        schedule = planned(plan, f'aws_scheduler_schedule.probe["{key}"]')
        assert schedule["flexible_time_window"] == [{"mode": "FLEXIBLE", "maximum_window_in_minutes": 5}]
        target_unknown = unknown(plan, f'aws_scheduler_schedule.probe["{key}"]')["target"][0]
        assert target_unknown["dead_letter_config"] == [{"arn": True}], key  # the queue's ARN, known at apply
    queue = planned(plan, "aws_sqs_queue.schedule_dead_letter")
    assert (queue["name"], queue["sqs_managed_sse_enabled"]) == ("slo-schedule-dlq", True)


def test_the_schedulers_policy_does_not_grow_with_the_fleet(plan: dict[str, Any]) -> None:
    policy = json.dumps(configured(plan, "data.aws_iam_policy_document.scheduler")["expressions"])
    assert "aws_lambda_function" not in policy and "module.probes" not in policy
    assert "local.probe_function_prefix" in policy and "aws_sqs_queue.schedule_dead_letter.arn" in policy


def test_every_probe_has_an_alarm_that_fires_when_it_goes_quiet(plan: dict[str, Any]) -> None:
    alarms = {
        change["index"]: change["change"]["after"]
        for change in plan["resource_changes"]
        if change["address"].startswith(MODULE + "aws_cloudwatch_metric_alarm.probe_quiet[")
    }
    functions = {
        change["index"]: change["change"]["after"]["function_name"]
        for change in plan["resource_changes"]
        if change["address"].startswith(MODULE + "module.probes.aws_lambda_function.this[")
    }
    assert set(alarms) == set(functions) and len(alarms) == DEFAULT_PROBES
    for key, alarm in alarms.items():
        assert alarm["alarm_name"] == f"slo-probe-{key}-quiet"
        assert (alarm["namespace"], alarm["metric_name"], alarm["dimensions"]) == (
            "AWS/Lambda",
            "Invocations",
            {"FunctionName": functions[key]},
        )
        # runs are at most 15 + 5 minutes apart: two 15-minute periods without one is a quiet probe
        assert (alarm["period"], alarm["evaluation_periods"], alarm["threshold"]) == (900, 2, 1)
        assert (alarm["comparison_operator"], alarm["treat_missing_data"]) == (
            "LessThanThreshold",
            "breaching",
        )
    depth = planned(plan, "aws_cloudwatch_metric_alarm.schedule_dead_letter_depth")
    assert depth["alarm_name"] == "slo-schedule-dead-letter-not-empty"
