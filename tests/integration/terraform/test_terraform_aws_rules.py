"""What a real AWS account refuses, refused before apply with the reason AWS or the code would give: the
wording of these messages, read from real terraform (`terraform console` on envs/aws, no cloud call). Which
settings are refused and which accepted, case by case (the edges of every rule), is the module's
tests/aws_rules.tftest.hcl, run by test_terraform_module_tests.py."""

from __future__ import annotations

import pytest

from tools import terraform

from .tree import TerraformTree

pytestmark = pytest.mark.slow

RUNTIME = "runtime must be one of python3.11, python3.12, python3.13 on AWS"
RATE = "singular for 1, plural above"
TTL_RANGE = "cache_ttl_seconds must be a whole number of seconds between 1 and 300"
WARM = "warm_samples cannot finish within probe_timeout_seconds"
SDK = "sdk_warm_samples cannot finish within probe_timeout_seconds"


def test_settings_aws_or_the_code_would_reject_are_refused_with_the_reason(
    terraform_tree: TerraformTree,
) -> None:
    # terraform reports every variable's failed rule together (skipping rules that read an invalid variable)
    variables = {
        "runtime": "python3.14",
        "schedule_expression": "rate(1 minutes)",
        # 1400 x 2 stores x 0.04 s + 10 s = 122 s > the 120 s default timeout at 128 MB
        "warm_samples": 1400,
        "sdk_warm_samples": 300,
        "cache_ttl_seconds": 0,
    }
    with pytest.raises(terraform.TerraformError) as caught:
        terraform.console(terraform_tree.workspace("aws", variables=variables), "module.observatory.fleet")
    message = " ".join(str(caught.value).split())
    reasons = (RUNTIME, "schedule_expression must be rate", RATE, WARM, "0.04 s at 128 MB", SDK, TTL_RANGE)
    for reason in reasons:
        assert reason in message
