"""The collector end to end in-process: destination record → rows or dead letter (moto's mock_aws)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.retries.standard
import pandas as pd
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from collector import config, handler
from collector.collect import DEAD_LETTERED, DUPLICATE, WRITTEN, collect
from collector.config import ConfigError, Settings
from datastore import clients, codec, reads, schema
from tests.conftest import load_event

from .conftest import TABLE

WINDOW = (datetime(2026, 11, 26, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC))


@pytest.fixture()
def settings(ddb: Any, dlq_url: str) -> Settings:
    return Settings(table_name=TABLE, dlq_url=dlq_url, retention_days=30)


@pytest.fixture()
def run(ddb: Any, sqs: Any, settings: Settings) -> Callable[[Any], Any]:
    def _run(event: Any) -> Any:
        return collect(
            event, settings=settings, dynamodb=ddb, sqs=sqs, collector_request_id="collector-req-1"
        )

    return _run


def table_rows(ddb: Any) -> pd.DataFrame:
    return reads.read_rows(*WINDOW, client=ddb, table_name=TABLE)


def dead_letters(sqs: Any, url: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        if not got.get("Messages"):
            return out
        for message in got["Messages"]:
            out.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_success_record_becomes_one_row_per_store(run: Any, ddb: Any, sqs: Any, dlq_url: str) -> None:
    event = load_event("destination_success.json")
    outcome = run(event)
    assert (outcome.result, outcome.rows, outcome.condition) == (WRITTEN, 2, "Success")
    frame = table_rows(ddb)
    assert frame["store"].tolist() == ["secretsmanager", "ssm"]
    record = event["responsePayload"]
    sm, ssm = frame.iloc[0], frame.iloc[1]
    assert sm["ts"] == pd.Timestamp("2026-11-27T05:00:00.123456Z")
    assert sm["invocation_id"] == record["invocation_id"]
    assert (sm["probe_key"], sm["strategy"], sm["memory_mb"], sm["architecture"]) == (
        "extension-128-x86_64",
        "extension",
        128,
        "x86_64",
    )
    assert (sm["runtime"], sm["region"], sm["environment"], sm["cpu_emulation"]) == (
        "python3.11",
        "us-east-1",
        "lab",
        "cgroup-v1",
    )
    assert sm["extension_layer"] == record["identity"]["extension_layer"]
    assert (sm["status"], sm["error_types"], sm["error_phase"]) == ("ok", "", "")
    assert (ssm["status"], ssm["error_types"], ssm["error_phase"]) == ("error", "ConnectionError", "warm_hit")
    assert bool(sm["cold_start"]) and sm["cold_cause"] == "first_start"
    assert (sm["client_init_ms"], sm["ready_wait_ms"], sm["cold_miss_ms"]) == (12.75, 4.5, 61.3)
    assert sm["warm_ms"] == [19.8, 39.9, 40.1, 20.2, 39.7] and sm["warm_n"] == 5
    assert (sm["warm_min_ms"], sm["warm_p50_ms"], sm["warm_p99_ms"], sm["warm_mean_ms"]) == (
        19.8,
        39.7,
        40.092,
        31.94,
    )
    assert (sm["cpu_time_ms"], sm["throttled_periods"], sm["total_periods"], sm["api_calls"]) == (
        48.2,
        31,
        40,
        1,
    )
    assert sm["value_sha256"] == record["stores"][0]["value_sha256"]
    assert dead_letters(sqs, dlq_url) == []
    item = ddb.scan(TableName=TABLE)["Items"][0]
    assert int(item["expires_at"]["N"]) == int(datetime(2026, 11, 27, 5, tzinfo=UTC).timestamp()) + 30 * 86400


@pytest.mark.parametrize(
    "throttling",
    [None, {"nr_periods": 0, "nr_throttled": 0, "throttled_time_ms": 0.0}],
    ids=["null", "zeros"],
)
def test_cfs_counters_not_measured_stay_null_never_zero(
    run: Any, ddb: Any, throttling: dict[str, Any] | None
) -> None:
    # An AWS probe reads no CPU quota: null (or, from older probes, zero periods) is "not measured".
    event = load_event("destination_success.json")
    record = event["responsePayload"]
    record["identity"].update(environment="aws", cpu_emulation="aws")
    record["throttling"] = throttling
    assert run(event).result == WRITTEN
    frame = table_rows(ddb)
    assert len(frame) == 2 and set(frame["environment"]) == {"aws"}
    assert frame["throttled_periods"].isna().all() and frame["total_periods"].isna().all()
    assert str(frame["throttled_periods"].dtype) == "Int64"
    assert frame["cpu_time_ms"].notna().all()  # the rest of the measurement is kept


def test_a_record_delivered_three_times_is_one_set_of_rows(run: Any, ddb: Any) -> None:
    event = load_event("destination_success.json")
    results = [run(copy.deepcopy(event)).result for _ in range(3)]
    assert results == [WRITTEN, DUPLICATE, DUPLICATE]
    assert ddb.scan(TableName=TABLE, Select="COUNT")["Count"] == 2


@pytest.mark.parametrize(
    ("name", "error_types"),
    [
        ("destination_retries_exhausted_timeout.json", "RetriesExhausted,Unhandled,Sandbox.Timedout"),
        ("destination_retries_exhausted_handled.json", "RetriesExhausted,Handled,RuntimeError"),
        ("destination_event_age_exceeded.json", "EventAgeExceeded"),
    ],
)
def test_failed_invocation_becomes_one_failed_row(run: Any, ddb: Any, name: str, error_types: str) -> None:
    event = load_event(name)
    for _ in range(2):
        run(event)
    frame = table_rows(ddb)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["store"], row["status"], row["error_types"], row["error_phase"]) == (
        "none",
        "failed",
        error_types,
        "invocation",
    )
    assert (row["probe_key"], row["strategy"], row["memory_mb"], row["architecture"], row["region"]) == (
        "extension-128-x86_64",
        "extension",
        128,
        "x86_64",
        "us-east-1",
    )
    assert row["invocation_id"] == event["requestContext"]["requestId"]
    assert row["ts"] == pd.Timestamp(event["timestamp"])
    assert row["warm_n"] == 0 and row["warm_ms"] == [] and pd.isna(row["cold_miss_ms"])
    assert "timed out" not in repr(ddb.scan(TableName=TABLE)["Items"])  # free-text messages are not kept


def test_failed_row_takes_environment_from_the_schedule_event_when_present(run: Any, ddb: Any) -> None:
    event = load_event("destination_event_age_exceeded.json")
    event["requestPayload"]["environment"] = "aws"
    run(event)
    assert table_rows(ddb)["environment"].tolist() == ["aws"]


def test_record_with_no_store_and_a_config_error_is_one_error_row(run: Any, ddb: Any) -> None:
    event = load_event("destination_success.json")
    event["responsePayload"]["stores"] = []
    event["responsePayload"]["errors"] = [
        {"phase": "config", "type": "ConfigError", "message": "no secret id"}
    ]
    assert run(event).rows == 1
    row = table_rows(ddb).iloc[0]
    assert (row["store"], row["status"], row["error_types"], row["error_phase"]) == (
        "none",
        "error",
        "ConfigError",
        "config",
    )


def test_unknown_fields_are_ignored_and_never_stored(run: Any, ddb: Any, sqs: Any, dlq_url: str) -> None:
    event = load_event("destination_success.json")
    record = event["responsePayload"]
    record["secret_value"] = "hunter2-very-secret"
    record["identity"]["value"] = "hunter2-very-secret"
    record["stores"][0]["value"] = "hunter2-very-secret"
    event["extra"] = {"value": "hunter2-very-secret"}
    assert run(event).result == WRITTEN
    assert "hunter2" not in repr(ddb.scan(TableName=TABLE)["Items"])
    assert dead_letters(sqs, dlq_url) == []


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(event: dict[str, Any]) -> None:
        target: Any = event
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()
P = "responsePayload"

INVALID = {
    "unknown schema version": (_set(f"{P}.schema_version", 2), "schema_version"),
    "schema version as string": (_set(f"{P}.schema_version", "1"), "schema_version"),
    "NaN timing": (_set(f"{P}.stores.0.cold_miss_ms", float("nan")), "cold_miss_ms: not a finite number"),
    "infinite sample": (_set(f"{P}.stores.1.warm_ms", [1.0, float("inf")]), "warm_ms[1]"),
    "negative timing": (_set(f"{P}.cpu_time_ms", -1.0), "cpu_time_ms: out of range"),
    "huge number": (_set(f"{P}.client_init_ms", 10**400), "client_init_ms"),
    "too many samples": (_set(f"{P}.stores.0.warm_ms", [1.0] * 10_001), "at most 10000"),
    "string for number": (_set(f"{P}.stores.0.ready_wait_ms", "4.5"), "expected a number, got string"),
    "bool for int": (_set(f"{P}.identity.memory_mb", True), "memory_mb: expected an integer"),
    "unknown strategy": (_set(f"{P}.identity.strategy", "hunter2-secret"), "identity.strategy"),
    "probe key mismatch": (_set(f"{P}.identity.probe_key", "sdk-128-x86_64"), "probe_key"),
    "missing identity": (_set(f"{P}.identity", _DELETE), "identity: expected an object, got null"),
    "bad error phase": (_set(f"{P}.stores.1.errors.0.phase", "teardown"), "errors[0].phase"),
    "too many errors": (
        _set(f"{P}.errors", [{"phase": "init", "type": "E", "message": ""}] * 51),
        "at most 50",
    ),
    "long string": (_set(f"{P}.stores.0.fixture", "x" * 1025), "at most 1024"),
    "lone surrogate": (_set(f"{P}.stores.0.fixture", "\ud800"), "UTF-8"),
    "summary disagrees": (_set(f"{P}.stores.0.warm_summary.n", 4), "warm_summary.n"),
    "duplicate store": (_set(f"{P}.stores.1.store", "secretsmanager"), "appears twice"),
    "nested junk": (_set(f"{P}.stores", [[{"store": "ssm"}]]), "stores[0]: expected an object"),
    "naive timestamp": (_set(f"{P}.started_at", "2026-11-27T05:00:00"), "no UTC offset"),
    "no payload": (_set(P, None), "expected an object, got null"),
    "unknown condition": (_set("requestContext.condition", "Maybe"), "condition"),
    "unknown version": (_set("version", "2.0"), "version"),
    "bad request id": (_set("requestContext.requestId", "a#b"), "requestId"),
    "function error on success": (_set("responseContext.functionError", "Unhandled"), "functionError"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_record_is_dead_lettered_not_written(
    run: Any, ddb: Any, sqs: Any, dlq_url: str, case: str
) -> None:
    mutate, reason_part = INVALID[case]
    event = load_event("destination_success.json")
    mutate(event)
    outcome = run(event)
    assert outcome.result == DEAD_LETTERED and outcome.rows == 0
    assert reason_part in (outcome.reason or "")
    assert ddb.scan(TableName=TABLE, Select="COUNT")["Count"] == 0
    (letter,) = dead_letters(sqs, dlq_url)
    assert letter["reason"] == outcome.reason
    assert letter["collector_request_id"] == "collector-req-1"
    assert letter["kind"] == "observatory.invalid_record" and len(letter["event_sha256"] or "x" * 64) == 64
    if case != "bad request id":
        assert letter["request_id"] == event["requestContext"]["requestId"]
    assert "hunter2" not in json.dumps(letter)


def test_failure_without_schedule_identity_is_dead_lettered(
    run: Any, ddb: Any, sqs: Any, dlq_url: str
) -> None:
    event = load_event("destination_retries_exhausted_timeout.json")
    event["requestPayload"] = {"source": "someone.else"}
    assert run(event).result == DEAD_LETTERED
    (letter,) = dead_letters(sqs, dlq_url)
    assert letter["request_id"] == "0b8d7a52-1f3e-4c2a-8f6d-5e4c3b2a1f00"
    assert letter["condition"] == "RetriesExhausted" and letter["function_arn"].endswith(":$LATEST")


def _deep(levels: int) -> Any:
    value: Any = []
    for _ in range(levels):
        value = [value]
    return {"requestContext": {"requestId": "deep-1"}, "junk": value}


@pytest.mark.parametrize("event", [None, [], "text", 42, {"requestContext": "x"}, {1: 2}, _deep(5000)])
def test_garbage_events_are_dead_lettered(run: Any, sqs: Any, dlq_url: str, event: Any) -> None:
    assert run(event).result == DEAD_LETTERED
    (letter,) = dead_letters(sqs, dlq_url)
    assert letter["request_id"] == ("deep-1" if isinstance(event, dict) and "junk" in event else None)


# --------------------------------------------------------------------------------------- transient faults
class _Flaky:
    """A real client whose `operation` first fails `count` times with the given AWS error (then works)."""

    def __init__(self, client: Any, operation: str, count: int, error: dict[str, Any]) -> None:
        self._client, self._operation, self._left, self._error = client, operation, count, error
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name != self._operation:
            return real

        def call(**kwargs: Any) -> Any:
            self.calls += 1
            if self._left > 0:
                self._left -= 1
                raise self._client.exceptions.from_code(self._error["Error"]["Code"])(self._error, name)
            return real(**kwargs)

        return call


THROTTLED = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
REFUSED = {"Error": {"Code": "ValidationException", "Message": "Item size has exceeded the maximum"}}


def test_throttling_that_outlasts_the_client_retries_raises(ddb: Any, sqs: Any, dlq_url: str) -> None:
    flaky = _Flaky(ddb, "put_item", 1, THROTTLED)
    settings = Settings(TABLE, dlq_url)
    with pytest.raises(ClientError, match="Throttling"):
        collect(load_event("destination_success.json"), settings=settings, dynamodb=flaky, sqs=sqs)
    assert ddb.scan(TableName=TABLE, Select="COUNT")["Count"] == 0
    assert dead_letters(sqs, dlq_url) == []
    # Lambda retries the event: the next delivery writes it, once.
    assert (
        collect(load_event("destination_success.json"), settings=settings, dynamodb=flaky, sqs=sqs).rows == 2
    )


def test_a_fault_after_the_first_row_is_completed_by_the_retry(ddb: Any, sqs: Any, dlq_url: str) -> None:
    class SecondPutThrottled(_Flaky):
        def __getattr__(self, name: str) -> Any:
            real = getattr(self._client, name)
            if name != "put_item":
                return real

            def call(**kwargs: Any) -> Any:
                self.calls += 1
                if self.calls == 2:
                    raise self._client.exceptions.from_code("ThrottlingException")(THROTTLED, name)
                return real(**kwargs)

            return call

    flaky = SecondPutThrottled(ddb, "put_item", 0, THROTTLED)
    settings = Settings(TABLE, dlq_url)
    with pytest.raises(ClientError):
        collect(load_event("destination_success.json"), settings=settings, dynamodb=flaky, sqs=sqs)
    outcome = collect(load_event("destination_success.json"), settings=settings, dynamodb=flaky, sqs=sqs)
    assert (outcome.result, outcome.rows) == (WRITTEN, 1)
    assert ddb.scan(TableName=TABLE, Select="COUNT")["Count"] == 2


def test_a_row_refused_for_good_rolls_the_record_back(ddb: Any, sqs: Any, dlq_url: str) -> None:
    class SecondPutRefused(_Flaky):
        def __getattr__(self, name: str) -> Any:
            real = getattr(self._client, name)
            if name != "put_item":
                return real

            def call(**kwargs: Any) -> Any:
                self.calls += 1
                if kwargs["Item"]["store"]["S"] == "ssm":
                    raise self._client.exceptions.from_code("ValidationException")(REFUSED, name)
                return real(**kwargs)

            return call

    outcome = collect(
        load_event("destination_success.json"),
        settings=Settings(TABLE, dlq_url),
        dynamodb=SecondPutRefused(ddb, "put_item", 0, REFUSED),
        sqs=sqs,
    )
    assert outcome.result == DEAD_LETTERED and "refused" in (outcome.reason or "")
    assert ddb.scan(TableName=TABLE, Select="COUNT")["Count"] == 0
    assert len(dead_letters(sqs, dlq_url)) == 1


def test_client_retries_throttling_and_network_errors() -> None:
    retries = clients.client_config().retries
    assert retries == {"mode": "standard", "total_max_attempts": clients.MAX_ATTEMPTS}


def test_network_errors_are_retried_then_raised(
    mocked: None, sqs: Any, dlq_url: str, monkeypatch: Any
) -> None:
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda *_a, **_k: 0)
    client = clients.get_client("dynamodb")
    schema.create_table(client, TABLE)
    calls: list[int] = []

    def unreachable(request: Any, **_: Any) -> None:
        calls.append(1)
        raise EndpointConnectionError(endpoint_url=request.url)

    client.meta.events.register_first("before-send.dynamodb.PutItem", unreachable)
    with pytest.raises(EndpointConnectionError):
        collect(load_event("destination_success.json"), settings=Settings(TABLE, dlq_url))
    assert len(calls) == clients.MAX_ATTEMPTS and dead_letters(sqs, dlq_url) == []
    assert client.scan(TableName=TABLE, Select="COUNT")["Count"] == 0


def test_a_row_dynamodb_refuses_is_dead_lettered(ddb: Any, sqs: Any, dlq_url: str) -> None:
    flaky = _Flaky(ddb, "put_item", 100, REFUSED)
    event = load_event("destination_event_age_exceeded.json")
    outcome = collect(event, settings=Settings(TABLE, dlq_url), dynamodb=flaky, sqs=sqs)
    assert outcome.result == DEAD_LETTERED and "refused" in (outcome.reason or "")
    assert len(dead_letters(sqs, dlq_url)) == 1


def test_dead_letter_send_failure_raises(mocked: None, ddb: Any) -> None:
    missing = "https://sqs.us-east-1.amazonaws.com/123456789012/no-such-queue"
    with pytest.raises(ClientError):
        collect({"junk": True}, settings=Settings(TABLE, missing), dynamodb=ddb)


# ------------------------------------------------------------------------------------------ the Lambda entry
class _Context:
    aws_request_id = "collector-invocation-1"


def test_handler_reads_settings_from_the_environment(
    ddb: Any, sqs: Any, dlq_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBSERVATORY_TABLE_NAME", TABLE)
    monkeypatch.setenv("OBSERVATORY_DLQ_URL", dlq_url)
    monkeypatch.setenv("OBSERVATORY_RETENTION_DAYS", "7")
    config.get_settings.cache_clear()
    try:
        assert handler.handler(load_event("destination_success.json"), _Context())["result"] == WRITTEN
        assert handler.handler({"bad": 1}, _Context())["result"] == DEAD_LETTERED
        assert dead_letters(sqs, dlq_url)[0]["collector_request_id"] == "collector-invocation-1"
        item = ddb.scan(TableName=TABLE)["Items"][0]
        ts = codec.parse_ts(json.loads(item["m"]["S"])["ts"])
        assert int(item["expires_at"]["N"]) == int(ts.timestamp()) + 7 * 86400
    finally:
        config.get_settings.cache_clear()


def test_handler_refuses_to_run_without_its_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_TABLE_NAME", TABLE)
    monkeypatch.delenv("OBSERVATORY_DLQ_URL", raising=False)
    config.get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="OBSERVATORY_DLQ_URL"):
            handler.handler(load_event("destination_success.json"), _Context())
    finally:
        config.get_settings.cache_clear()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "OBSERVATORY_TABLE_NAME"),
        ({"OBSERVATORY_TABLE_NAME": "t", "OBSERVATORY_RETENTION_DAYS": "x"}, "whole"),
        ({"OBSERVATORY_TABLE_NAME": "t", "OBSERVATORY_RETENTION_DAYS": "0"}, "between"),
    ],
)
def test_settings_errors_are_clear(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_settings_defaults() -> None:
    settings = Settings.from_env({"OBSERVATORY_TABLE_NAME": "t", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert settings == Settings("t", None, 90, "http://127.0.0.1:1")
    assert timedelta(days=settings.retention_days).days == 90
