"""What a real AWS account refuses, refused before apply: variable validation of envs/aws evaluated by real
terraform (`terraform console`, no cloud call), each with the reason AWS or the code would give."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools import terraform

REPO_ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def aws_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An initialised copy of terraform/ (nothing is written into the repository); yields its envs/aws."""
    copy = tmp_path_factory.mktemp("tfrules") / "terraform"
    shutil.copytree(REPO_ROOT / "terraform", copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    env = copy / "envs" / "aws"
    terraform.init(terraform.Workspace(env), backend=False)
    yield env


# Each terraform call costs seconds, so one call checks several independent settings: terraform reports every
# variable's failed validation together (but skips rules reading a variable that is itself invalid, so a bad
# schedule_expression never shares a call with cache_ttl_seconds).
RUNTIME = "runtime must be one of python3.11, python3.12, python3.13 on AWS"
RATE = "singular for 1, plural above"
TTL_RANGE = "cache_ttl_seconds must be a whole number of seconds between 1 and 300"
WARM = "warm_samples cannot finish within probe_timeout_seconds"
SDK = "sdk_warm_samples cannot finish within probe_timeout_seconds"

REFUSED = [
    ({"runtime": "python3.10", "cache_ttl_seconds": 0, "warm_samples": 0},
     [RUNTIME, TTL_RANGE, "warm_samples must be a whole number between 1 and 10000"]),
    # 1400 x 2 stores x 0.04 s + 10 s = 122 s > the 120 s default timeout at 128 MB
    ({"runtime": "python3.14", "schedule_expression": "rate(1 minutes)", "warm_samples": 1400},
     [RUNTIME, RATE, WARM, "0.04 s at 128 MB"]),
    ({"runtime": "python3.9", "cache_ttl_seconds": 301, "sdk_warm_samples": 300}, [RUNTIME, TTL_RANGE, SDK]),
    # rate(5 minutes) spreads runs over a 1-minute window: two runs can be 240 s apart.
    ({"schedule_expression": "rate(5 minutes)", "cache_ttl_seconds": 250, "warm_samples": 5000,
      "probe_timeout_seconds": 300},
     ["cache_ttl_seconds must be shorter than the schedule interval minus its flexible window", WARM]),
    ({"schedule_expression": "rate(5 minute)", "sdk_warm_samples": 300}, [RATE, SDK]),
    ({"schedule_expression": "rate(1 hours)"}, [RATE]),
    ({"schedule_expression": "rate(2 hour)"}, [RATE]),
]  # fmt: skip


@pytest.mark.parametrize(("variables", "reasons"), REFUSED)
def test_settings_aws_or_the_code_would_reject_are_refused_with_the_reason(
    aws_env: Path, variables: dict[str, Any], reasons: list[str]
) -> None:
    with pytest.raises(terraform.TerraformError) as caught:
        terraform.console(terraform.Workspace(aws_env, variables=variables), "module.observatory.fleet")
    message = " ".join(str(caught.value).split())
    for reason in reasons:
        assert reason in message


def settings(env: Path, variables: dict[str, Any]) -> dict[str, Any]:
    """The runtime and the module's cost_inputs for these settings (fails the test if terraform refuses)."""
    value: dict[str, Any] = terraform.console(
        terraform.Workspace(env, variables=variables),
        "{ runtime = var.runtime, inputs = module.observatory.cost_inputs }",
    )
    return {"runtime": value["runtime"], **value["inputs"]}


def test_the_defaults_deploy_the_newest_runtime_the_provider_knows_spread_and_watched(aws_env: Path) -> None:
    got = settings(aws_env, {})
    assert got["runtime"] == "python3.13"
    assert (got["schedule_interval_s"], got["schedule_window_s"]) == (900, 300)  # min(5 min, interval / 3)
    assert got["alarms"] == 3 + len(got["probes"]) == 13  # two dead-letter queues, freshness, one per probe


ACCEPTED = [
    # the edges: 1375 x 0.08 s + 10 s = 120 s; 275 x 0.4 s + 10 s = 120 s; no window below 3 minutes
    ({"runtime": "python3.11", "schedule_expression": "rate(1 minute)", "cache_ttl_seconds": 59,
      "warm_samples": 1375, "sdk_warm_samples": 275}, {"schedule_interval_s": 60, "schedule_window_s": 0}),
    ({"runtime": "python3.12", "schedule_expression": "rate(5 minutes)", "cache_ttl_seconds": 239},
     {"schedule_interval_s": 300, "schedule_window_s": 60}),
    # at 1,769 MB a hit costs 0.04 s x 128 / 1769: 10000 hits fit in 68 s
    ({"schedule_expression": "rate(1 hour)", "cache_ttl_seconds": 300, "fleet": {"memory_sizes": [1769]},
      "warm_samples": 10000}, {"schedule_interval_s": 3600, "schedule_window_s": 300, "warm_samples": 10000}),
    ({"schedule_expression": "rate(12 hours)", "warm_samples": 5000, "probe_timeout_seconds": 900},
     {"schedule_interval_s": 43200, "schedule_window_s": 300}),
    ({"schedule_expression": "rate(3 minutes)", "cache_ttl_seconds": 119},
     {"schedule_interval_s": 180, "schedule_window_s": 60}),
]  # fmt: skip


@pytest.mark.parametrize(("variables", "expected"), ACCEPTED)
def test_settings_aws_accepts_are_accepted(
    aws_env: Path, variables: dict[str, Any], expected: dict[str, Any]
) -> None:
    got = settings(aws_env, variables)
    assert got["runtime"] == variables.get("runtime", "python3.13")
    assert {key: got[key] for key in expected} == expected
