"""Record building (schema v1) and the redaction rule: a value read never appears in any output."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from functions.probe.cgroup import CgroupReader, CpuStat
from functions.probe.config import ProbeConfig
from functions.probe.record import (
    ErrorInfo,
    ErrorLog,
    StoreResult,
    build_record,
    error_type,
    redact,
    value_digest,
)
from functions.probe.strategies.base import Strategy
from functions.probe.timing import Probe
from functions.probe.tracing import Tracer

CANARY = "s3cr3t-canary-\u00e9-0123456789"
SAMPLE = Path(__file__).resolve().parents[2] / "events" / "probe_record_v1.json"
ENV = {
    "OBSERVATORY_STRATEGY": "dict",
    "OBSERVATORY_ARCHITECTURE": "x86_64",
    "OBSERVATORY_ENVIRONMENT": "lab",
    "OBSERVATORY_CPU_EMULATION": "cgroup-v1",
    "OBSERVATORY_SECRET_ID": "slo-canary-secret",
    "OBSERVATORY_PARAMETER_NAME": "/slo/canary/secure",
    "OBSERVATORY_WARM_SAMPLES": "50",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    "AWS_REGION": "us-east-1",
}


class LeakyError(Exception):
    """An error whose text carries the value, as a careless library might produce."""


class InMemoryStrategy(Strategy):
    """Returns the canary; every `fail_every`-th fetch raises with the value (and encodings) in its text."""

    name = "dict"

    def __init__(self, config: ProbeConfig, fail_every: int = 0) -> None:
        super().__init__(config)
        self.fail_every = fail_every
        self.fetches = 0

    def _init(self) -> None:
        pass

    def fetch(self, store: str) -> str | bytes:
        self.fetches += 1
        if self.fail_every and self.fetches % self.fail_every == 0:
            raw = CANARY.encode()
            raise LeakyError(f"bad value {CANARY!s} hex={raw.hex()} b64={base64.b64encode(raw).decode()}")
        return CANARY


def _leak_forms() -> list[str]:
    raw = CANARY.encode()
    return [
        CANARY,
        raw.hex(),
        raw.hex().upper(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        json.dumps(CANARY)[1:-1],
    ]


def _probe(fail_every: int = 0) -> Probe:
    config = ProbeConfig.from_env(ENV)
    return Probe(config, strategy=InMemoryStrategy(config, fail_every), tracer=Tracer("off"))


@pytest.mark.parametrize("fail_every", [0, 3])
def test_record_has_no_trace_of_the_value(fail_every: int, capsys: pytest.CaptureFixture[str]) -> None:
    record = _probe(fail_every).invoke("req-1", cold=True)
    text = json.dumps(record, ensure_ascii=False) + json.dumps(record) + capsys.readouterr().out
    for form in _leak_forms():
        assert form not in text, f"value leaked as {form!r}"
    digest = hashlib.sha256(CANARY.encode()).hexdigest()
    assert [s["value_sha256"] for s in record["stores"]] == [digest, digest]
    if fail_every:
        error = record["stores"][0]["errors"][0]
        assert error["type"] == "LeakyError" and "[redacted]" in error["message"]


def test_record_has_the_contract_shape() -> None:
    record = _probe().invoke("req-1", cold=True)
    sample = json.loads(SAMPLE.read_text())
    assert set(record) == set(sample)
    assert set(record["identity"]) == set(sample["identity"])
    assert set(record["stores"][0]) == set(sample["stores"][0])
    assert set(record["stores"][0]["warm_summary"]) == set(sample["stores"][0]["warm_summary"])
    assert record["schema_version"] == 1
    assert record["stores"][0]["warm_summary"]["n"] == 50 == len(record["stores"][0]["warm_ms"])
    json.dumps(record, allow_nan=False)  # every number finite


def test_build_record_converts_nanoseconds_and_throttling() -> None:
    config = ProbeConfig.from_env(ENV)
    store = StoreResult(
        "secretsmanager",
        "slo-canary-secret",
        value_sha256="ab" * 32,
        ready_wait_ns=4_500_000,
        ready_retries=2,
        cold_miss_ns=61_300_000,
        warm_ns=[19_800_000, 39_900_000],
        api_calls=1,
        errors=[ErrorInfo("warm_hit", "ConnectionError", "closed")],
    )
    record = build_record(
        config,
        invocation_id="i",
        started_at="2026-11-27T05:00:00+00:00",
        cold=False,
        client_init_ns=None,
        cpu_time_ns=48_200_000,
        throttling=CpuStat(40, 31, 512_400_000),
        stores=[store],
        errors=[],
    )
    assert record["execution_environment"] == {"cold": False, "cold_cause": None}
    assert record["client_init_ms"] is None and record["cpu_time_ms"] == 48.2
    assert record["throttling"] == {"nr_periods": 40, "nr_throttled": 31, "throttled_time_ms": 512.4}
    [result] = record["stores"]
    assert result["ready_wait_ms"] == 4.5 and result["cold_miss_ms"] == 61.3
    assert result["warm_ms"] == [19.8, 39.9]
    assert result["warm_summary"]["p50"] == pytest.approx(29.85)
    assert result["errors"] == [{"phase": "warm_hit", "type": "ConnectionError", "message": "closed"}]
    no_throttling = build_record(
        config,
        invocation_id="i",
        started_at="t",
        cold=True,
        client_init_ns=1,
        cpu_time_ns=None,
        throttling=None,
        stores=[],
        errors=[],
    )
    assert no_throttling["throttling"] is None and no_throttling["cpu_time_ms"] is None


class SteppingCgroup(CgroupReader):
    """A cgroup whose counters advance by `step` at every reading (None: not measured)."""

    def __init__(self, step: CpuStat | None) -> None:
        self.step = step
        self.readings = 0

    def read(self) -> CpuStat | None:
        if self.step is None:
            return None
        self.readings += 1
        n = self.readings
        return CpuStat(self.step.nr_periods * n, self.step.nr_throttled * n, self.step.throttled_ns * n)


def _record_with(cgroup: CgroupReader, **env: str) -> dict[str, Any]:
    config = ProbeConfig.from_env({**ENV, **env})
    probe = Probe(config, strategy=InMemoryStrategy(config), tracer=Tracer("off"), cgroup=cgroup)
    return probe.invoke("req-1", cold=True)


def test_no_cpu_quota_is_not_measured_never_zero(tmp_path: Path) -> None:
    # As on AWS: the root cgroup's counters readable and all zero, with no quota (-1); or no cgroup at all.
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "cgroup").write_text("1:cpu:/\n0::/\n")
    (proc / "mountinfo").write_text(f"32 31 0:29 / {tmp_path}/cpu rw - cgroup cgroup rw,cpu\n")
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.stat").write_text("nr_periods 0\nnr_throttled 0\nthrottled_time 0\n")
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    aws = {"OBSERVATORY_ENVIRONMENT": "aws", "OBSERVATORY_CPU_EMULATION": "aws"}
    assert _record_with(CgroupReader(proc=str(proc)), **aws)["throttling"] is None
    assert _record_with(CgroupReader(proc=str(tmp_path / "missing")), **aws)["throttling"] is None
    assert _record_with(SteppingCgroup(CpuStat(0, 0, 0)))["throttling"] is None  # no CFS period elapsed
    measured = _record_with(SteppingCgroup(CpuStat(3, 2, 1_500_000)))["throttling"]
    assert measured == {"nr_periods": 3, "nr_throttled": 2, "throttled_time_ms": 1.5}


def test_redact_every_form_and_cut_long_messages() -> None:
    raw = b"\x00\xffbinary-secret"
    message = f"a {raw.hex()} b {base64.b64encode(raw).decode()} c"
    assert redact(message, [raw]) == "a [redacted] b [redacted] c"
    assert len(redact("x" * 5000, [])) == 300


def test_error_log_folds_repeats_and_caps_entries() -> None:
    log = ErrorLog()
    for _ in range(7):
        log.add("warm_hit", TimeoutError("slow"), [])
    for index in range(60):
        log.add("warm_hit", ValueError(f"distinct {index}"), [])
    items = log.items()
    assert items[0] == ErrorInfo("warm_hit", "TimeoutError", "slow [7 times]")
    assert len(items) == 50
    with pytest.raises(ValueError):
        log.add("somewhere", None, [])


def test_error_type_prefers_the_aws_code_in_the_chain() -> None:
    class ClientErrorLike(Exception):
        def __init__(self) -> None:
            super().__init__("denied")
            self.response: dict[str, Any] = {"Error": {"Code": "AccessDeniedException"}}

    try:
        try:
            raise ClientErrorLike()
        except ClientErrorLike as inner:
            raise RuntimeError("wrapped by a library") from inner
    except RuntimeError as outer:
        assert error_type(outer) == "AccessDeniedException"
    assert error_type(KeyError("x")) == "KeyError"


def test_digest_of_text_and_bytes() -> None:
    assert value_digest("abc") == value_digest(b"abc") == hashlib.sha256(b"abc").hexdigest()


def test_identity_says_the_tracing_and_the_lab_host() -> None:
    record = _probe().invoke("req-1", cold=True)
    assert record["identity"]["tracing"] == "subsegments" and record["identity"]["host"] is None
    config = ProbeConfig.from_env(
        {
            **ENV,
            "OBSERVATORY_TRACING": "off",
            "OBSERVATORY_PROBE_KEY": "dict-128-x86_64-off",
            "OBSERVATORY_LAB_HOST_CPU": "AMD EPYC 7R13 Processor",
            "OBSERVATORY_LAB_HOST_REF_MS": "412.3",
        }
    )
    record = Probe(config, strategy=InMemoryStrategy(config), tracer=Tracer("off")).invoke("req-2", cold=True)
    identity = record["identity"]
    assert (identity["probe_key"], identity["tracing"]) == ("dict-128-x86_64-off", "off")
    assert identity["host"] == {"cpu": "AMD EPYC 7R13 Processor", "reference_ms": 412.3}


def test_only_the_chosen_stores_are_measured() -> None:
    config = ProbeConfig.from_env({**ENV, "OBSERVATORY_STORES": "secretsmanager"})
    strategy = InMemoryStrategy(config)
    record = Probe(config, strategy=strategy, tracer=Tracer("off")).invoke("req-1", cold=True)
    assert [store["store"] for store in record["stores"]] == ["secretsmanager"]
    assert strategy.fetches == 1 + 50
