"""The `extension` strategy against a test double of the extension over real loopback HTTP."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from functions.probe.config import ProbeConfig
from functions.probe.timing import Probe
from tests.conftest import free_port

from .conftest import CANARY, PARAMETER_NAME, SECRET_ID
from .extension_double import DoubleState, extension_double

TOKEN = "session-token-for-tests"


def _state(not_ready: int = 0) -> DoubleState:
    return DoubleState(
        token=TOKEN, secrets={SECRET_ID: CANARY}, parameters={PARAMETER_NAME: CANARY}, not_ready=not_ready
    )


def test_extension_waits_until_ready_then_measures_both_stores(
    make_config: Callable[..., ProbeConfig],
) -> None:
    state = _state(not_ready=3)
    sleeps: list[float] = []
    with extension_double(state) as port:
        config = make_config(
            "extension", PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port), OBSERVATORY_WARM_SAMPLES="25"
        )
        record = Probe(config, sleep=sleeps.append).invoke("req-1", cold=True)

    assert record["errors"] == []
    secrets, ssm = record["stores"]
    assert secrets["store"] == "secretsmanager" and ssm["store"] == "ssm"
    # The first three answers were "not ready": three retries, growing backoff, kept apart from the fetch.
    assert secrets["ready_retries"] == 3
    assert secrets["ready_wait_ms"] > 0
    assert sleeps == sorted(sleeps) and len(sleeps) == 3 and sleeps[0] < sleeps[-1]
    assert ssm["ready_retries"] == 0 and ssm["ready_wait_ms"] == 0.0
    digest = hashlib.sha256(CANARY.encode()).hexdigest()
    for result in (secrets, ssm):
        assert result["errors"] == []
        assert result["value_sha256"] == digest
        assert result["cold_miss_ms"] > 0
        assert result["warm_summary"]["n"] == 25
        assert result["api_calls"] is None  # the extension's calls happen outside the function
    # Every request carried the session token; 3 + 26 + 26 requests in all.
    assert len(state.requests) == 3 + 26 + 26
    assert {token for _, token in state.requests} == {TOKEN}
    assert any(
        path.startswith("/systemsmanager/parameters/get?name=%2Fslo%2Fcanary%2Fsecure")
        for path, _ in state.requests
    )
    assert CANARY not in json.dumps(record)


def test_extension_never_ready_is_a_ready_error(make_config: Callable[..., ProbeConfig]) -> None:
    state = _state(not_ready=10_000)
    with extension_double(state) as port:
        config = make_config("extension", PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port))
        record = Probe(config, sleep=lambda _: None, ready_budget_ns=50_000_000).invoke("r", cold=True)
    for result in record["stores"]:
        assert result["cold_miss_ms"] is None and result["warm_ms"] == [] and result["warm_summary"] is None
        assert result["value_sha256"] is None
        assert result["ready_retries"] > 0
        [error] = result["errors"]
        assert error["phase"] == "ready" and error["type"] == "ExtensionNotReadyError"


def test_wrong_token_is_reported(make_config: Callable[..., ProbeConfig]) -> None:
    state = _state()
    with extension_double(state) as port:
        config = make_config(
            "extension",
            PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port),
            AWS_SESSION_TOKEN="some-other-token",
        )
        record = Probe(config).invoke("r", cold=True)
    for result in record["stores"]:
        [error] = result["errors"]
        assert error["phase"] == "cold_miss" and error["type"] == "HTTP403"


def test_missing_fixture_passes_the_aws_error_through(make_config: Callable[..., ProbeConfig]) -> None:
    state = DoubleState(token=TOKEN, secrets={}, parameters={})
    with extension_double(state) as port:
        config = make_config("extension", PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port))
        record = Probe(config).invoke("r", cold=True)
    types = [result["errors"][0]["type"] for result in record["stores"]]
    assert types == ["ResourceNotFoundException", "ParameterNotFound"]
    assert all(result["errors"][0]["phase"] == "cold_miss" for result in record["stores"])


def test_unreachable_extension_is_data_not_a_crash(make_config: Callable[..., ProbeConfig]) -> None:
    port = free_port()  # nothing listens there
    config = make_config("extension", PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port))
    record = Probe(config).invoke("r", cold=True)
    assert record["errors"] == []
    for result in record["stores"]:
        [error] = result["errors"]
        assert error["phase"] == "cold_miss"
        assert error["type"] == "ExtensionUnreachableError"
        assert str(port) in error["message"]
        assert result["cold_miss_ms"] is None and result["warm_ms"] == []
