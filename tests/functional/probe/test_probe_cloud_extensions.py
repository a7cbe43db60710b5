"""The `cloud_extensions` strategy against a double of the Cloud Extensions runtime over real loopback HTTP.

The double verifies every request's SigV4 signature itself, so a passing measurement means the probe signed
each request as the runtime's default authentication (`runtimeCredentials`) requires.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator

import pytest

from collector.contract import parse_probe_record
from functions.probe.config import ProbeConfig
from functions.probe.timing import Probe

from .cloud_extensions_double import CxState, cloud_extensions_double
from .conftest import CANARY, PARAMETER_NAME, SECRET_ID

ACCESS_KEY = "ASIATESTCLOUDEXTKEY1"
SECRET_KEY = "test-secret-key-for-the-double-0123456789"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment's credentials, as Lambda sets them; nothing else from the host's AWS set-up."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-for-tests")
    yield


def _state(**kwargs: object) -> CxState:
    return CxState(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region="us-east-1",
        secrets={SECRET_ID: CANARY},
        parameters={PARAMETER_NAME: CANARY},
        **kwargs,  # type: ignore[arg-type]
    )


def _config(make_config: Callable[..., ProbeConfig], port: int, **overrides: str) -> ProbeConfig:
    return make_config(
        "cloud_extensions",
        OBSERVATORY_LAB_CLOUD_EXTENSIONS_PORT=str(port),
        OBSERVATORY_WARM_SAMPLES="12",
        **overrides,
    )


def test_signed_requests_measure_both_stores_after_the_not_ready_wait(
    make_config: Callable[..., ProbeConfig],
) -> None:
    state = _state(not_ready=3)
    sleeps: list[float] = []
    with cloud_extensions_double(state) as port:
        record = Probe(_config(make_config, port), sleep=sleeps.append).invoke("req-1", cold=True)

    assert record["errors"] == []
    assert record["identity"]["prefetch"] is False
    assert record["identity"]["probe_key"] == "cloud_extensions-128-x86_64"
    secrets, ssm = record["stores"]
    assert (secrets["ready_retries"], len(sleeps)) == (3, 3)  # three 503s: the not-ready wait, not errors
    assert secrets["ready_wait_ms"] > 0
    digest = hashlib.sha256(CANARY.encode()).hexdigest()
    for result in (secrets, ssm):
        assert result["errors"] == [] and result["value_sha256"] == digest
        assert result["miss_guarantee"] == "fresh_environment"
        assert result["api_calls"] is None  # the extensions' calls to AWS happen outside the function
        # the signing is timed apart, as part of the fetch the function pays
        assert 0 < result["sign_cold_ms"] <= result["cold_miss_ms"]
        assert result["sign_warm_summary"]["n"] == result["warm_summary"]["n"] == 12
        assert result["sign_warm_summary"]["p50"] <= result["warm_summary"]["max"]
    # every request was signed for the service its extension names, and verified by the double
    assert {(seen["path"].split("?")[0], seen["service"]) for seen in state.seen} == {
        ("/secretsmanager/get", "secretsmanager"),
        ("/parameterstore", "ssm"),
    }
    assert {seen["problem"] for seen in state.seen} == {""}
    assert all("x-amz-security-token" in seen["signed"].split(";") for seen in state.seen)
    assert CANARY not in json.dumps(record)
    parse_probe_record(record)  # the collector accepts it


def test_a_request_the_runtime_cannot_verify_is_an_error_of_that_sample(
    make_config: Callable[..., ProbeConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The double really checks signatures: signed with another secret key, every fetch is refused (403)."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "another-secret-key-the-runtime-does-not-know")
    with cloud_extensions_double(_state()) as port:
        record = Probe(_config(make_config, port)).invoke("req-1", cold=True)
    for result in record["stores"]:
        assert result["cold_miss_ms"] is None and result["warm_ms"] == []
        assert result["errors"][0]["phase"] == "cold_miss"
        assert result["errors"][0]["type"] == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ((429, "ThrottlingException"), "ThrottlingException"),
        ((502, "ConnectionError:http://internal.amazon.com/coral/"), "ConnectionError"),
        ((500, None), "HTTP500"),
    ],
)
def test_a_429_or_5xx_is_an_error_typed_from_x_amzn_errortype(
    make_config: Callable[..., ProbeConfig], fault: tuple[int, str | None], expected: str
) -> None:
    state = _state()
    with cloud_extensions_double(state) as port:
        probe = Probe(_config(make_config, port))
        probe.invoke("req-1", cold=True)  # a clean first round
        state.fault = fault
        record = probe.invoke("req-2", cold=False)
    for result in record["stores"]:
        assert result["ready_retries"] == 0  # never taken for the not-ready wait
        assert [error["type"] for error in result["errors"]] == [expected]
        assert result["errors"][0]["phase"] == "cold_miss"
    assert CANARY not in json.dumps(record)
    parse_probe_record(record)


def test_with_prefetch_the_first_secret_fetch_is_a_hit_never_a_cold_miss(
    make_config: Callable[..., ProbeConfig],
) -> None:
    with cloud_extensions_double(_state()) as port:
        config = _config(
            make_config,
            port,
            OBSERVATORY_PREFETCH="true",
            OBSERVATORY_PROBE_KEY="cloud_extensions-128-x86_64-prefetch",
        )
        record = Probe(config).invoke("req-1", cold=True)
    assert record["identity"]["prefetch"] is True
    secrets, ssm = record["stores"]
    # the secret was prefetched when the runtime started: its first fetch is a hit of unknown age
    assert secrets["miss_guarantee"] == "none"
    assert secrets["cold_miss_ms"] is None and secrets["sign_cold_ms"] is None
    assert secrets["first_hit_ms"] > 0 and secrets["cache_age_ms"] is None
    # prefetch is the Secrets Manager extension's: the parameter's first fetch is still a miss
    assert ssm["miss_guarantee"] == "fresh_environment" and ssm["cold_miss_ms"] > 0
    parse_probe_record(record)


def test_a_runtime_that_never_becomes_ready_writes_a_row_that_says_so(
    make_config: Callable[..., ProbeConfig],
) -> None:
    with cloud_extensions_double(_state(not_ready=10_000)) as port:
        config = _config(make_config, port, OBSERVATORY_STORES="secretsmanager")
        record = Probe(config, sleep=lambda _: None, ready_budget_ns=0).invoke("req-1", cold=True)
    (result,) = record["stores"]
    assert result["errors"] == [
        {
            "phase": "ready",
            "type": "ExtensionNotReadyError",
            "message": "extension still not ready after 0 retries",
        }
    ]
    assert result["cold_miss_ms"] is None and result["sign_cold_ms"] is None
    parse_probe_record(record)


def test_nothing_listening_is_an_unreachable_runtime(make_config: Callable[..., ProbeConfig]) -> None:
    from tests.conftest import free_port

    record = Probe(_config(make_config, free_port())).invoke("req-1", cold=True)
    types = {result["errors"][0]["type"] for result in record["stores"]}
    assert types == {"CloudExtensionsUnreachableError"}
