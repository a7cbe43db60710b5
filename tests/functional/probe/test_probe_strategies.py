"""Every AWS-backed strategy × store against moto's in-process AWS: a full record, a real miss each time."""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable
from importlib import metadata

import boto3
import botocore
import pytest

from functions.probe.config import ProbeConfig
from functions.probe.timing import Probe
from functions.probe.vocabulary import STORES_BY_STRATEGY
from tests.conftest import load_event

from .conftest import AWS_STRATEGIES, CANARY

CANARY_SHA = hashlib.sha256(CANARY.encode()).hexdigest()
# AWS calls one cold miss costs, by strategy (EXTENSION-API.md): the caching library describes first.
MISS_CALLS = {"sdk": 1, "dict": 1, "caching_lib": 2, "powertools": 1}
CASES = [(s, store) for s in AWS_STRATEGIES for store in STORES_BY_STRATEGY[s]]


@pytest.mark.parametrize(("strategy", "store"), CASES)
def test_strategy_measures_store(
    aws: None, make_config: Callable[..., ProbeConfig], strategy: str, store: str
) -> None:
    config = make_config(strategy, OBSERVATORY_WARM_SAMPLES="15")
    probe = Probe(config)
    record = probe.invoke("req-1", cold=True)

    assert record["schema_version"] == 1
    assert record["errors"] == []
    assert record["client_init_ms"] is not None and record["client_init_ms"] > 0
    assert record["execution_environment"] == {"cold": True, "cold_cause": "first_start"}
    assert [s["store"] for s in record["stores"]] == list(STORES_BY_STRATEGY[strategy])
    result = next(s for s in record["stores"] if s["store"] == store)
    assert result["errors"] == []
    assert result["value_sha256"] == CANARY_SHA
    assert result["cold_miss_ms"] is not None and result["cold_miss_ms"] > 0
    assert len(result["warm_ms"]) == 15
    assert result["warm_summary"]["n"] == 15
    assert result["ready_wait_ms"] == 0.0 and result["ready_retries"] == 0
    hits_calls = 15 if strategy == "sdk" else 0  # only sdk's hits call AWS
    assert result["api_calls"] == MISS_CALLS[strategy] + hits_calls
    assert CANARY not in json.dumps(record)


@pytest.mark.parametrize("strategy", AWS_STRATEGIES)
def test_warm_environment_still_starts_with_a_real_miss(
    aws: None, make_config: Callable[..., ProbeConfig], strategy: str
) -> None:
    """The second invocation reuses clients (no init time) but its first fetch calls AWS again."""
    probe = Probe(make_config(strategy, OBSERVATORY_WARM_SAMPLES="5"))
    probe.invoke("req-1", cold=True)
    second = probe.invoke("req-2", cold=False)

    assert second["client_init_ms"] is None
    assert second["execution_environment"] == {"cold": False, "cold_cause": None}
    for result in second["stores"]:
        assert result["errors"] == []
        hits_calls = 5 if strategy == "sdk" else 0
        assert result["api_calls"] == MISS_CALLS[strategy] + hits_calls


def test_identity_comes_from_configuration(aws: None, make_config: Callable[..., ProbeConfig]) -> None:
    config = make_config(
        "dict",
        OBSERVATORY_ARCHITECTURE="arm64",
        OBSERVATORY_PROBE_KEY="dict-128-arm64",
        OBSERVATORY_CPU_EMULATION="cgroup-v1",
        OBSERVATORY_COLD_CAUSE="idle_expiry",
        OBSERVATORY_EXTENSION_LAYER="arn:aws:lambda:us-east-1:123456789012:layer:x:1",
    )
    record = Probe(config).invoke("req-9", cold=True)
    assert record["invocation_id"] == "req-9"
    assert record["identity"] == {
        "probe_key": "dict-128-arm64",
        "strategy": "dict",
        "memory_mb": 128,
        "architecture": "arm64",
        "runtime": config.runtime,
        "tracing": "subsegments",
        "region": "us-east-1",
        "environment": "lab",
        "cpu_emulation": "cgroup-v1",
        "extension_layer": "arn:aws:lambda:us-east-1:123456789012:layer:x:1",
        "function_name": "slo-probe-dict-128-x86_64",
        "versions": {
            "python": platform.python_version(),
            "boto3": boto3.__version__,
            "botocore": botocore.__version__,
            "library": f"boto3=={boto3.__version__}",  # the dict strategy caches what boto3 fetched
            "build": None,  # from the source tree; the zip carries probe/BUILD.json
            "tracing": f"aws-xray-sdk=={metadata.version('aws-xray-sdk')}",  # subsegments: the X-Ray SDK
        },
        "host": None,  # set by the lab only
    }
    assert record["execution_environment"] == {"cold": True, "cold_cause": "idle_expiry"}
    assert record["cpu_time_ms"] is not None and record["cpu_time_ms"] >= 0


def test_handler_flags_only_the_first_invocation_cold(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.probe import handler as module

    from .conftest import probe_env

    for name, value in probe_env("sdk", OBSERVATORY_WARM_SAMPLES="2").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(module, "_COLD", True)
    monkeypatch.setattr(module, "_PROBE", None)

    class Context:
        aws_request_id = "lambda-request-1"

    event = load_event("probe_schedule_event.json")
    first = module.handler(event, Context())
    second = module.handler(event, None)
    assert first["invocation_id"] == "lambda-request-1"
    assert first["execution_environment"]["cold"] is True
    assert second["execution_environment"]["cold"] is False
    assert second["invocation_id"] != first["invocation_id"]
    assert [s["value_sha256"] for s in first["stores"]] == [CANARY_SHA, CANARY_SHA]
