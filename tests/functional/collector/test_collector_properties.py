"""Property-based: any record, however malformed, is either written correctly (once) or dead-lettered.

Hypothesis generates valid probe records across the contract's whole range, and adversarial ones (a valid
record with one field replaced by junk, deleted, or joined by an unknown field): wrong types, huge arrays, NaN
and infinities, unknown versions, missing fields, nested junk, unicode. Each one goes through the collector
against an in-process DynamoDB and SQS; nothing may raise, nothing may be half-written.
"""

from __future__ import annotations

import copy
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from collector import contract
from collector.collect import DEAD_LETTERED, DUPLICATE, WRITTEN, collect
from collector.config import Settings
from collector.rows import rows_for
from datastore import clients, codec, reads, schema, vocabulary
from tests.conftest import load_event

TABLE = "slo-properties"
PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class World:
    """An in-process table and queue; examples use fresh invocation ids, so they never collide."""

    def __init__(self) -> None:
        self.ddb = boto3.client("dynamodb", region_name="us-east-1")
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        schema.create_table(self.ddb, TABLE)
        self.dlq_url = self.sqs.create_queue(QueueName="slo-properties-dlq")["QueueUrl"]
        self.settings = Settings(TABLE, self.dlq_url)

    def count(self) -> int:
        """Items in the table (moto keeps DescribeTable's ItemCount exact)."""
        return int(self.ddb.describe_table(TableName=TABLE)["Table"]["ItemCount"])

    def drain_dlq(self) -> int:
        n = 0
        while True:
            got = self.sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                return n
            for message in got["Messages"]:
                n += 1
                self.sqs.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"])

    def collect(self, event: Any) -> Any:
        return collect(event, settings=self.settings, dynamodb=self.ddb, sqs=self.sqs)


@pytest.fixture()
def world() -> Iterator[World]:
    """A fresh table and queue per property (shared by that property's examples)."""
    clients.reset_clients()
    with mock_aws():
        yield World()
    clients.reset_clients()


# ------------------------------------------------------------------------------------------------ strategies
finite_ms = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
texts = st.text(max_size=40)  # any unicode, surrogates excluded by hypothesis' default alphabet
error_types = st.from_regex(r"[A-Za-z][A-Za-z0-9_.]{0,30}", fullmatch=True)
errors = st.lists(
    st.fixed_dictionaries(
        {"phase": st.sampled_from(vocabulary.PHASES), "type": error_types, "message": texts}
    ),
    max_size=3,
)


def _summary(samples: list[float]) -> dict[str, Any] | None:
    if not samples:
        return None
    ordered = sorted(samples)

    def pct(q: float) -> float:
        pos = (len(ordered) - 1) * q / 100
        lo, hi = math.floor(pos), math.ceil(pos)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)

    return {
        "n": len(ordered),
        "min": ordered[0],
        "p50": pct(50),
        "p90": pct(90),
        "p99": pct(99),
        "max": ordered[-1],
        "mean": min(ordered[-1], max(ordered[0], math.fsum(ordered) / len(ordered))),
    }


@st.composite
def store_results(draw: Any, name: str) -> dict[str, Any]:
    samples = draw(st.lists(finite_ms, max_size=40))
    return {
        "store": name,
        "fixture": draw(texts),
        "value_sha256": draw(st.none() | st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
        "ready_wait_ms": draw(finite_ms),
        "ready_retries": draw(st.integers(0, 1000)),
        "cold_miss_ms": draw(st.none() | finite_ms),
        "warm_ms": samples,
        "warm_summary": _summary(samples),
        "api_calls": draw(st.none() | st.integers(0, 10_000)),
        "errors": draw(errors),
    }


@st.composite
def probe_records(draw: Any) -> dict[str, Any]:
    strategy = draw(st.sampled_from(vocabulary.STRATEGIES))
    memory = draw(st.integers(contract.MIN_MEMORY_MB, contract.MAX_MEMORY_MB))
    arch = draw(st.sampled_from(vocabulary.ARCHITECTURES))
    started = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2099, 1, 1)))
    cold = draw(st.booleans())
    names = draw(
        st.sampled_from(
            [["secretsmanager"], ["ssm"], ["secretsmanager", "ssm"], ["ssm", "secretsmanager"], []]
        )
    )
    record_errors = draw(errors)
    if not names and not record_errors:
        record_errors = [{"phase": "config", "type": "ConfigError", "message": "nothing to measure"}]
    periods = draw(st.integers(0, 10**6))
    return {
        "schema_version": 1,
        "invocation_id": str(uuid.uuid4()),
        "started_at": started.replace(tzinfo=UTC).isoformat(),
        "identity": {
            "probe_key": f"{strategy}-{memory}-{arch}",
            "strategy": strategy,
            "memory_mb": memory,
            "architecture": arch,
            "runtime": draw(st.sampled_from(["python3.11", "python3.12", "python3.13"])),
            "region": draw(st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2"])),
            "environment": draw(st.sampled_from(vocabulary.ENVIRONMENTS)),
            "cpu_emulation": draw(st.sampled_from(vocabulary.CPU_EMULATIONS)),
            "extension_layer": draw(st.none() | texts),
            "function_name": draw(texts),
        },
        "execution_environment": {
            "cold": cold,
            "cold_cause": draw(st.sampled_from(vocabulary.COLD_CAUSES)) if cold else None,
        },
        "client_init_ms": draw(st.none() | finite_ms),
        "cpu_time_ms": draw(st.none() | finite_ms),
        "throttling": draw(
            st.none()
            | st.builds(
                lambda t, ms: {"nr_periods": periods, "nr_throttled": t, "throttled_time_ms": ms},
                st.integers(0, periods),
                finite_ms,
            )
        ),
        "stores": [draw(store_results(name)) for name in names],
        "errors": record_errors,
    }


def destination(record: dict[str, Any]) -> dict[str, Any]:
    event = load_event("destination_success.json")
    event["requestContext"]["requestId"] = record["invocation_id"]
    event["responsePayload"] = record
    return event


junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats()
    | st.text()
    | st.sampled_from([float("nan"), float("inf"), -0.0, -1, "\ud800", "x" * 2000])
    | st.just([0.5] * 10_001),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:5]):
            yield from _paths(child, (*prefix, index))


@st.composite
def adversarial_events(draw: Any) -> dict[str, Any]:
    event = destination(draw(probe_records()))
    path = draw(st.sampled_from(list(_paths(event))[1:]))
    *parents, last = path
    target: Any = event
    for part in parents:
        target = target[part]
    action = draw(st.sampled_from(["replace", "delete", "add_unknown"]))
    if action == "replace":
        target[last] = draw(junk)
    elif action == "delete":
        del target[last]
    elif isinstance(target[last], dict):
        target[last]["x_" + draw(st.text(max_size=8))] = draw(junk)
    else:
        target[last] = draw(junk)
    return event


# -------------------------------------------------------------------------------------------------- checks
def _expected_rows(event: Any) -> list[dict[str, Any]] | None:
    try:
        return rows_for(contract.parse_destination(copy.deepcopy(event)))
    except contract.InvalidRecordError:
        return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=0, abs_tol=1e-6)
    return bool(a == b)


def check_one(world: World, event: Any, deliveries: int = 1, compare: bool = True) -> str:
    """Deliver `event`; assert it was written exactly once and correctly, or dead-lettered and not written."""
    expected = _expected_rows(event)
    before = world.count()
    outcomes = [world.collect(copy.deepcopy(event)) for _ in range(deliveries)]
    after = world.count()
    letters = world.drain_dlq()
    if expected is None:
        assert [o.result for o in outcomes] == [DEAD_LETTERED] * deliveries
        assert after == before and letters == deliveries
        return DEAD_LETTERED
    assert outcomes[0].result == WRITTEN, outcomes[0]
    assert [o.result for o in outcomes[1:]] == [DUPLICATE] * (deliveries - 1)
    assert after - before == len(expected) and letters == 0
    if not compare:
        return WRITTEN
    first = expected[0]
    frame = reads.read_rows(
        first["ts"],
        first["ts"] + timedelta(microseconds=1),
        probe_key=first["probe_key"],
        client=world.ddb,
        table_name=TABLE,
        now=first["ts"],  # started_at spans 2020-2099: expiry judged at the record's own time
    )
    frame = frame[frame["invocation_id"] == first["invocation_id"]]
    assert sorted(frame["store"]) == sorted(row["store"] for row in expected)
    by_store = {row["store"]: row for row in expected}
    for _, got in frame.iterrows():
        want = by_store[got["store"]]
        for column in schema.COLUMNS:
            value = want.get(column)
            if column == "ts":
                assert got["ts"] == pd.Timestamp(value)
            elif column == "warm_ms":
                assert got["warm_ms"] == list(value or [])
            elif value is None:
                assert pd.isna(got[column]) or column == "cold_start", column
            else:
                assert _same(got[column], value), (column, got[column], value)
    return WRITTEN


@settings(PROPERTY_SETTINGS, max_examples=60)
@given(record=probe_records())
def test_valid_records_are_written_once_even_when_delivered_three_times(world: World, record: Any) -> None:
    assert check_one(world, destination(record), deliveries=3) == WRITTEN


@PROPERTY_SETTINGS
@given(adversarial=adversarial_events())
def test_adversarial_records_are_written_correctly_or_dead_lettered(world: World, adversarial: Any) -> None:
    event(check_one(world, adversarial, deliveries=2))  # shown by --hypothesis-show-statistics


@PROPERTY_SETTINGS
@given(garbage=junk)
def test_arbitrary_junk_events_are_dead_lettered(world: World, garbage: Any) -> None:
    assert check_one(world, garbage) == DEAD_LETTERED


@settings(PROPERTY_SETTINGS, max_examples=40)
@given(record=probe_records(), secret=st.text(min_size=12, max_size=40).map(lambda s: "SECRET" + s))
def test_a_secret_in_unknown_fields_never_reaches_a_row(world: World, record: Any, secret: str) -> None:
    record["value"] = secret
    record["identity"]["secret"] = secret
    for result in record["stores"]:
        result["value"] = {"plain": secret}
    delivery = destination(record)
    delivery["requestPayload"]["secret"] = secret
    assert check_one(world, delivery, compare=False) == WRITTEN
    items = world.ddb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={
            ":p": {"S": record["identity"]["probe_key"]},
            ":s": {
                "S": codec.format_ts(codec.parse_ts(record["started_at"])) + "#" + record["invocation_id"]
            },
        },
    )["Items"]
    assert items and secret not in repr(items)
