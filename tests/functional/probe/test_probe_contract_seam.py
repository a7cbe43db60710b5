"""Records the probe really produces — measured, faulty, half-failed — pass the collector's validator.

The collector owns validation (contract §3); this checks the probe's side of the seam with records from
real runs rather than the hand-written sample.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from collector.contract import parse_probe_record
from functions.probe import strategies
from functions.probe.config import ProbeConfig
from functions.probe.timing import Probe
from functions.probe.tracing import Tracer
from tests.conftest import free_port

from .aws_double import FakeAws, fake_clients
from .conftest import AWS_STRATEGIES
from .extension_double import DoubleState, extension_double


def _check(record: dict[str, Any]) -> None:
    parsed = parse_probe_record(record, request_id=record["invocation_id"])
    assert len(parsed.stores) == len(record["stores"])


@pytest.mark.parametrize("strategy", AWS_STRATEGIES)
def test_measured_records_are_valid(
    aws: None, make_config: Callable[..., ProbeConfig], strategy: str
) -> None:
    probe = Probe(make_config(strategy, OBSERVATORY_WARM_SAMPLES="5"))
    _check(probe.invoke("req-1", cold=True))
    _check(probe.invoke("req-2", cold=False))


def test_fault_records_are_valid(make_config: Callable[..., ProbeConfig]) -> None:
    config = make_config("sdk", OBSERVATORY_WARM_SAMPLES="6")
    throttled = FakeAws("ThrottlingException", lambda n, op: n % 2 == 0)
    _check(
        Probe(config, strategy=strategies.create(config, clients=fake_clients(throttled))).invoke("a", True)
    )
    denied = FakeAws("AccessDeniedException", lambda n, op: True)
    _check(Probe(config, strategy=strategies.create(config, clients=fake_clients(denied))).invoke("b", True))
    unreachable = make_config("extension", PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(free_port()))
    _check(Probe(unreachable).invoke("c", cold=True))


def test_extension_records_are_valid(make_config: Callable[..., ProbeConfig]) -> None:
    state = DoubleState(token="session-token-for-tests", secrets={}, parameters={}, not_ready=2)
    with extension_double(state) as port:
        config = make_config("extension", PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port))
        _check(Probe(config, sleep=lambda _: None).invoke("d", cold=True))


def test_init_failure_record_is_valid(make_config: Callable[..., ProbeConfig]) -> None:
    config = make_config("dict")
    strategy = strategies.create(config)

    def broken() -> None:
        raise RuntimeError("no client today")

    strategy._init = broken  # type: ignore[method-assign]
    _check(Probe(config, strategy=strategy).invoke("e", cold=True))


@pytest.mark.parametrize("tracing", ["off", "subsegments", "patch_all"])
def test_records_of_every_tracing_mode_on_one_store_in_the_lab_are_valid(
    aws: None, make_config: Callable[..., ProbeConfig], tracing: str
) -> None:
    key = "caching_lib-128-x86_64" + ("" if tracing == "subsegments" else f"-{tracing}")
    config = make_config(
        "caching_lib",
        OBSERVATORY_WARM_SAMPLES="5",
        OBSERVATORY_TRACING=tracing,
        OBSERVATORY_PROBE_KEY=key,
        OBSERVATORY_STORES="secretsmanager",
        OBSERVATORY_LAB_HOST_CPU="Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz",
        OBSERVATORY_LAB_HOST_REF_MS="412.3",
    )
    # X-Ray's patch_all() would patch botocore for the rest of this test session: tracing itself is tested in
    # a fresh interpreter (test_probe_isolation); here the record only says the mode
    record = Probe(config, tracer=Tracer("off")).invoke("req-1", cold=True)
    _check(record)
    parsed = parse_probe_record(record)
    assert (parsed.identity.probe_key, parsed.identity.tracing) == (key, tracing)
    assert [s.store for s in parsed.stores] == ["secretsmanager"] and not parsed.stores[0].errors
    assert (parsed.identity.host_cpu, parsed.identity.host_ref_ms) == (
        "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz",
        412.3,
    )
