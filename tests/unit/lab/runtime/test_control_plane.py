"""Unit tests of lab.runtime.control_plane: what the endpoint says about a function."""

from __future__ import annotations

import pytest

from lab.runtime.control_plane import ControlPlane, EventInvokeConfig
from lab.runtime.lambda_errors import FunctionNotFoundError, LambdaServiceError

from .conftest import FakeClients, queue_arn

LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:ext:3"


def test_the_configuration_becomes_a_spec(clients: FakeClients) -> None:
    said: list[str] = []
    arn = clients.lambda_.deploy(
        "probe",
        Runtime="python3.9",
        MemorySize=1769,
        Timeout=30,
        Environment={"Variables": {"OBSERVATORY_STRATEGY": "dict"}},
        Layers=[{"Arn": LAYER}],
        TracingConfig={"Mode": "Active"},
        DeadLetterConfig={"TargetArn": queue_arn("dlq")},
    )
    control = ControlPlane(clients, said.append)
    assert clients.made == []  # no client before the first read

    spec = control.function_spec("probe")
    control.function_spec("probe")

    assert (spec.name, spec.arn, spec.memory_mb, spec.timeout_s) == ("probe", arn, 1769, 30.0)
    assert spec.layers == (LAYER,) and spec.tracing_active and spec.is_probe
    assert spec.dead_letter_arn == queue_arn("dlq")
    assert (spec.region, spec.account_id) == ("us-east-1", "123456789012")
    assert clients.made == ["lambda"]  # one client, made once
    assert spec.runtime == "python3.9" and said == []  # each function runs under its own runtime


def test_missing_and_unusable_functions_are_errors_of_the_family(clients: FakeClients) -> None:
    control = ControlPlane(clients, lambda _: None)
    with pytest.raises(FunctionNotFoundError, match=r"not deployed at the endpoint https://127\.0\.0\.1:4566"):
        control.function_spec("nope")
    clients.lambda_.deploy("image", PackageType="Image")
    with pytest.raises(LambdaServiceError, match="only Zip functions"):
        control.function_spec("image")


def test_a_layer_sha_is_read_by_version_or_else_by_arn(clients: FakeClients) -> None:
    clients.lambda_.layers[LAYER] = "bGF5ZXI="
    control = ControlPlane(clients, lambda _: None)
    assert control.layer_sha(LAYER) == "bGF5ZXI="
    clients.lambda_.layer_version_works = False
    assert control.layer_sha(LAYER) == "bGF5ZXI="
    assert clients.lambda_.calls["get_layer_version_by_arn"] == 1
    with pytest.raises(LambdaServiceError, match="not a layer version ARN"):
        control.layer_sha("arn:aws:lambda:us-east-1:123456789012:function:f")


def test_event_invoke_config_has_lambdas_defaults(clients: FakeClients) -> None:
    control = ControlPlane(clients, lambda _: None)
    assert control.event_invoke_config("f") == EventInvokeConfig(2, 21600, None, None)
    clients.lambda_.event_configs["f"] = {
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": 60,
        "DestinationConfig": {"OnFailure": {"Destination": queue_arn("failed")}},
    }
    config = control.event_invoke_config("f")
    assert (config.max_retries, config.max_event_age_s) == (0, 60)
    assert config.destination(success=False) == queue_arn("failed")
    assert config.destination(success=True) is None
