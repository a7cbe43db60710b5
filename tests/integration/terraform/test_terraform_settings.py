"""Variable validation and the default AWS fleet's cost, evaluated by real terraform (no cloud call). The
settings refused or accepted case by case are the module's tests/*.tftest.hcl (run by
test_terraform_module_tests.py); here, the wording of the fleet's and the deployment's own messages."""

from __future__ import annotations

import pytest

from datastore.vocabulary import ARCHITECTURES, STRATEGIES
from tools import cost, terraform

from .tree import TerraformTree


def test_bad_settings_are_refused_with_a_reason(terraform_tree: TerraformTree) -> None:
    ws = terraform_tree.workspace(
        "aws",
        variables={
            "fleet": {"strategies": ["sdk", "redis"], "memory_sizes": [64], "architectures": ["sparc"]},
            "schedule_expression": "rate(15 minutes)",
            "cache_ttl_seconds": 900,
            "log_retention_days": 13,
            "name_prefix": "Bad_Prefix",
        },
    )
    with pytest.raises(terraform.TerraformError) as caught:
        terraform.console(ws, "module.observatory.fleet")
    message = " ".join(str(caught.value).split())
    # warm_samples is checked against the fleet's memory, so an invalid fleet hides its errors: see
    # test_terraform_aws_rules.py for warm_samples
    for reason in (
        f"fleet.strategies must be a non-empty list of: {', '.join(STRATEGIES)}",
        "fleet.memory_sizes must be a non-empty list of whole MB between 128 and 10240",
        f"fleet.architectures must be a non-empty list of: {', '.join(ARCHITECTURES)}",
        "cache_ttl_seconds must be shorter than the schedule interval",
        "log_retention_days must be one of CloudWatch's values",
        "name_prefix must be 2-16 characters",
    ):
        assert reason in message


def test_the_default_aws_fleet_costs_at_most_five_dollars_a_month(terraform_tree: TerraformTree) -> None:
    aws_env = terraform_tree.env("aws")
    inputs = cost.read_inputs(aws_env, terraform_tree.root)
    lines = cost.estimate(inputs, cost.load_json(cost.PRICES_PATH), cost.load_json(cost.SEED_PATH))
    total = sum(line.usd for line in lines)
    assert 0 < total <= 5.0, cost.render(aws_env, inputs, lines)
    # the default catalogue, spread over the interval and watched
    # (cloud_extensions with and without prefetch)
    assert set(inputs["probes"]) == {f"{s}-{m}-x86_64" for s in STRATEGIES for m in (128, 1769)} | {
        f"cloud_extensions-{m}-x86_64-prefetch" for m in (128, 1769)
    }
    # a window of min(5 min, interval / 3); alarms: two dead-letter queues, freshness, one per probe
    assert (inputs["schedule_interval_s"], inputs["schedule_window_s"]) == (900, 300)
    assert inputs["alarms"] == 3 + len(inputs["probes"]) == 17


def test_the_estimate_follows_the_users_tfvars_and_ignores_a_remote_backend(
    terraform_tree: TerraformTree,
) -> None:
    aws_env = terraform_tree.sibling("aws", "aws-tfvars")
    tfvars = aws_env / "terraform.tfvars"
    backend = aws_env / "backend.tf"
    tfvars.write_text(
        'fleet = { strategies = ["dict"], memory_sizes = [512] }\nschedule_expression = "rate(1 hour)"\n'
    )
    backend.write_text(
        'terraform {\n  backend "s3" {\n    bucket = "nobody"\n    key    = "k"\n'
        '    region = "us-east-1"\n  }\n}\n'
    )
    try:
        inputs = cost.read_inputs(aws_env, terraform_tree.root)
    finally:
        tfvars.unlink()
        backend.unlink()
    assert inputs["probes"] == {
        "dict-512-x86_64": {
            "strategy": "dict",
            "memory_mb": 512,
            "architecture": "x86_64",
            "runtime": "python3.13",
            "tracing": "subsegments",
            "stores": None,
            "prefetch": False,
        }
    }
    assert inputs["schedule_interval_s"] == 3600
