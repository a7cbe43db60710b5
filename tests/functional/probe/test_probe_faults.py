"""Faults are data: denied, throttled and missing reads become errors in the record, never exceptions."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from functions.probe import strategies
from functions.probe.config import ConfigError, ProbeConfig
from functions.probe.timing import Probe
from functions.probe.vocabulary import STORES_BY_STRATEGY

from .aws_double import FakeAws, fake_clients
from .conftest import AWS_STRATEGIES, probe_env


def _probe(config: ProbeConfig, fake: FakeAws) -> Probe:
    return Probe(config, strategy=strategies.create(config, clients=fake_clients(fake)))


@pytest.mark.parametrize("strategy", AWS_STRATEGIES)
def test_access_denied_on_the_miss(make_config: Callable[..., ProbeConfig], strategy: str) -> None:
    fake = FakeAws("AccessDeniedException", lambda n, op: True)
    record = _probe(make_config(strategy), fake).invoke("r", cold=True)
    assert record["errors"] == []
    assert len(record["stores"]) == len(STORES_BY_STRATEGY[strategy])
    for result in record["stores"]:
        [error] = result["errors"]
        assert (error["phase"], error["type"]) == ("cold_miss", "AccessDeniedException")
        assert result["cold_miss_ms"] is None and result["warm_ms"] == [] and result["value_sha256"] is None
        assert result["api_calls"] == 1  # the denied request was sent; no warm series after a failed miss


def test_throttled_warm_hits_are_counted_errors(make_config: Callable[..., ProbeConfig]) -> None:
    # Requests 1 (miss) and every odd one succeed; every even one is throttled.
    fake = FakeAws("ThrottlingException", lambda n, op: n % 2 == 0)
    config = make_config("sdk", OBSERVATORY_WARM_SAMPLES="10")
    record = _probe(config, fake).invoke("r", cold=True)
    secrets = record["stores"][0]
    assert secrets["cold_miss_ms"] is not None
    assert len(secrets["warm_ms"]) == 5 and secrets["warm_summary"]["n"] == 5
    [error] = secrets["errors"]
    assert (error["phase"], error["type"]) == ("warm_hit", "ThrottlingException")
    assert error["message"].endswith("[5 times]")
    assert secrets["api_calls"] == 11


def test_throttled_miss_for_a_caching_strategy(make_config: Callable[..., ProbeConfig]) -> None:
    fake = FakeAws("ThrottlingException", lambda n, op: op == "GetParameter")
    record = _probe(make_config("powertools"), fake).invoke("r", cold=True)
    secrets, ssm = record["stores"]
    assert secrets["errors"] == [] and len(secrets["warm_ms"]) == 20
    [error] = ssm["errors"]
    assert (error["phase"], error["type"]) == ("cold_miss", "ThrottlingException")


@pytest.mark.parametrize("strategy", AWS_STRATEGIES)
def test_missing_fixture_is_reported(
    aws: None, make_config: Callable[..., ProbeConfig], strategy: str
) -> None:
    config = make_config(
        strategy, OBSERVATORY_SECRET_ID="no-such-secret", OBSERVATORY_PARAMETER_NAME="/no/such/parameter"
    )
    record = Probe(config).invoke("r", cold=True)
    expected = {"secretsmanager": "ResourceNotFoundException", "ssm": "ParameterNotFound"}
    for result in record["stores"]:
        [error] = result["errors"]
        assert error["phase"] == "cold_miss"
        assert error["type"] == expected[result["store"]]
        assert result["fixture"] in ("no-such-secret", "/no/such/parameter")


def test_init_failure_is_recorded_and_retried(make_config: Callable[..., ProbeConfig]) -> None:
    config = make_config("dict")
    strategy = strategies.create(config)
    original = strategy._init
    attempts = {"n": 0}

    def flaky_init() -> None:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise RuntimeError("client could not be created")
        original()

    strategy._init = flaky_init  # type: ignore[method-assign]
    probe = Probe(config, strategy=strategy)
    first = probe.invoke("r1", cold=True)
    assert first["errors"] == [
        {"phase": "init", "type": "RuntimeError", "message": "client could not be created"}
    ]
    assert [r["errors"][0]["phase"] for r in first["stores"]] == ["init", "init"]
    assert first["client_init_ms"] is None
    second = probe.invoke("r2", cold=False)
    assert second["errors"] == [] and second["client_init_ms"] is not None


def test_broken_configuration_raises_from_the_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.probe import handler as module

    for name, value in probe_env("sdk", OBSERVATORY_STRATEGY="carrier_pigeon").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(module, "_PROBE", None)
    with pytest.raises(ConfigError, match="OBSERVATORY_STRATEGY='carrier_pigeon'"):
        module.handler({}, None)
