"""What a real AWS account refuses, refused before apply with the reason AWS or the code would give: the
wording of these messages, read from real terraform (`terraform console` on envs/aws, no cloud call). Which
settings are refused and which accepted, case by case (the edges of every rule), is the module's
tests/aws_rules.tftest.hcl, run by test_terraform_module_tests.py."""

from __future__ import annotations

from typing import Any

import pytest

from tools import terraform

from .tree import TerraformTree

pytestmark = pytest.mark.slow

RUNTIME = "runtime must be one of python3.11, python3.12, python3.13 on AWS"
RATE = "singular for 1, plural above"
TTL_RANGE = "cache_ttl_seconds must be a whole number of seconds between 1 and 300"
WARM = "warm_samples cannot finish within probe_timeout_seconds"
SDK = "sdk_warm_samples cannot finish within probe_timeout_seconds"


def refused(tree: TerraformTree, variables: dict[str, Any]) -> str:
    """terraform's refusal of these settings of envs/aws, whitespace collapsed."""
    with pytest.raises(terraform.TerraformError) as caught:
        terraform.console(tree.workspace("aws", variables=variables), "module.observatory.fleet")
    return " ".join(str(caught.value).split())


# terraform reports every variable's failed rules together, but skips all the rules of a variable when one of
# them reads an invalid variable: a bad schedule_expression hides cache_ttl_seconds' rules.
def test_settings_aws_or_the_code_would_reject_are_refused_with_the_reason(
    terraform_tree: TerraformTree,
) -> None:
    # at 128 MB and 120 s: 1400 x 2 stores x 0.04 s + 10 s = 122 s; 300 x 2 x 0.2 s + 10 s = 130 s
    message = refused(
        terraform_tree,
        {
            "runtime": "python3.14",
            "schedule_expression": "rate(1 minutes)",
            "warm_samples": 1400,
            "sdk_warm_samples": 300,
        },
    )
    for reason in (RUNTIME, "schedule_expression must be rate", RATE, WARM, "0.04 s at 128 MB", SDK):
        assert reason in message
    message = refused(
        terraform_tree,
        {"runtime": "python3.9", "cache_ttl_seconds": 301, "warm_samples": 0, "sdk_warm_samples": 300},
    )
    for reason in (RUNTIME, TTL_RANGE, "warm_samples must be a whole number between 1 and 10000", SDK):
        assert reason in message


def test_envs_aws_refuses_what_aws_itself_would_refuse_at_apply(terraform_tree: TerraformTree) -> None:
    # issue 20: the scheduler's own group, a region that is no region code, memory above the account's limit
    message = refused(terraform_tree, {"name_prefix": "default", "region": "us-east1", "max_memory_mb": 1024})
    assert "EventBridge Scheduler's built-in schedule group" in message
    assert "region must be an AWS region code" in message
    assert "The account allows at most 1024 MB per function (max_memory_mb)" in message
    assert "CreateFunction would refuse 1769 MB" in message
