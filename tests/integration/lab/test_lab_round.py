"""A real lab round: endpoint over TLS, terraform apply of envs/local, the lab's Lambda service, the
scheduler's events, destinations to the collector, rows in the table; then failure paths and the canary."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest

from datastore.reads import read_rows
from functions.probe.config import STORES_BY_STRATEGY
from tests.integration.lab.conftest import LabRound

pytestmark = pytest.mark.slow

RAISER_KEY, SLEEPER_KEY = "dict-256-x86_64", "dict-512-x86_64"


def rows_since(lab: LabRound, **filters: Any) -> Any:
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    frame = read_rows(lab.started - dt.timedelta(minutes=1), end, client=lab.client("dynamodb"),
                      table_name=lab.deployment.table_name)
    for column, value in filters.items():
        frame = frame[frame[column] == value]
    return frame


def test_one_round_gives_a_row_for_every_probe_and_store(lab_round: LabRound) -> None:
    fleet = lab_round.deployment.fleet
    assert len(fleet) == len(lab_round.schedules) == len(lab_round.deployment.probe_function_names)
    expected = {(key, store) for key, dims in fleet.items() for store in STORES_BY_STRATEGY[dims["strategy"]]}
    frame = rows_since(lab_round)
    frame = frame[frame["probe_key"].isin(fleet)]
    assert lab_round.result.failed_to_fire == 0 and lab_round.result.probes_without_rows == []
    assert set(zip(frame["probe_key"], frame["store"], strict=True)) == expected
    assert len(frame) == len(expected)  # nothing doubled
    problems = frame[frame["status"] != "ok"][["probe_key", "store", "status", "error_types"]]
    assert problems.empty, problems.to_string()
    assert set(frame["environment"]) == {"lab"}
    assert set(frame["runtime"]) == {"python3.11"}
    assert set(frame["cpu_emulation"]) <= {"cgroup-v1", "cgroup-v2", "none"}
    assert (frame["warm_n"] > 0).all() and frame["cold_miss_ms"].notna().all()
    extension = frame[frame["strategy"] == "extension"]
    assert extension["extension_layer"].str.contains(":layer:").all()
    # Every strategy read the same value of each store.
    assert frame.groupby("store")["value_sha256"].nunique().eq(1).all()


def _deploy_test_probe(lab: LabRound, name: str, probe_key: str, memory_mb: int, timeout_s: int) -> str:
    """A function of our own zip, configured like a probe (same role, env, retries and destinations)."""
    lam = lab.client("lambda")
    probe_name = lab.deployment.probe_function_names["dict-128-x86_64"]
    probe = lam.get_function_configuration(FunctionName=probe_name)
    variables = dict(probe["Environment"]["Variables"]) | {"OBSERVATORY_PROBE_KEY": probe_key}
    function = f"slo-test-{name}"
    lam.create_function(
        FunctionName=function, Runtime=probe["Runtime"], Role=probe["Role"], Handler=f"{name}.handler",
        Code={"ZipFile": (lab.artifacts / f"test-{name}.zip").read_bytes()}, Timeout=timeout_s,
        MemorySize=memory_mb, Environment={"Variables": variables},
    )
    invoke_config = lam.get_function_event_invoke_config(FunctionName=probe["FunctionName"])
    lam.put_function_event_invoke_config(
        FunctionName=function, MaximumRetryAttempts=invoke_config["MaximumRetryAttempts"],
        DestinationConfig=invoke_config["DestinationConfig"],
    )
    return function


def _schedule_event(probe_key: str, memory_mb: int) -> dict[str, Any]:
    return {"source": "observatory.schedule", "probe_key": probe_key, "strategy": "dict",
            "memory_mb": memory_mb, "architecture": "x86_64"}


def test_a_raising_and_a_timed_out_function_each_end_as_one_failed_row(lab_round: LabRound) -> None:
    service = lab_round.service
    raiser = _deploy_test_probe(lab_round, "raiser", RAISER_KEY, 256, 10)
    sleeper = _deploy_test_probe(lab_round, "sleeper", SLEEPER_KEY, 512, 2)
    retries = lab_round.client("lambda").get_function_event_invoke_config(
        FunctionName=raiser)["MaximumRetryAttempts"]
    raised = service.invoke_async(raiser, _schedule_event(RAISER_KEY, 256))
    timed_out = service.invoke_async(sleeper, _schedule_event(SLEEPER_KEY, 512))
    assert service.wait_idle(600)
    outcomes = {o.request_id: o for o in service.outcomes}
    for request_id in (raised, timed_out):
        outcome = outcomes[request_id]
        assert outcome.condition == "RetriesExhausted" and outcome.delivered, outcome
        assert outcome.attempts == 1 + retries  # every retry ran, yet one row below
    for key, request_id, error in ((RAISER_KEY, raised, "RuntimeError"),
                                   (SLEEPER_KEY, timed_out, "Sandbox.Timedout")):
        rows = rows_since(lab_round, probe_key=key)
        assert len(rows) == 1, rows.to_string()
        row = rows.iloc[0]
        assert (row["invocation_id"], row["status"], row["store"]) == (request_id, "failed", "none")
        assert "RetriesExhausted" in row["error_types"] and error in row["error_types"], row["error_types"]


def _success_record(lab: LabRound, request_id: str, payload: dict[str, Any], record: Any) -> dict[str, Any]:
    arn = lab.client("lambda").get_function_configuration(
        FunctionName=lab.deployment.probe_function_names[payload["probe_key"]])["FunctionArn"]
    return {
        "version": "1.0",
        "timestamp": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
        "requestContext": {"requestId": request_id, "functionArn": f"{arn}:$LATEST", "condition": "Success",
                           "approximateInvokeCount": 1},
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": record,
    }


def test_a_repeated_collector_delivery_writes_its_rows_once(lab_round: LabRound) -> None:
    service = lab_round.service
    key = "dict-1769-x86_64"
    payload = next(s.input for s in lab_round.schedules if s.input and s.input.get("probe_key") == key)
    probe = service.invoke(lab_round.deployment.probe_function_names[key], payload)
    assert probe.ok, probe.payload
    record = _success_record(lab_round, probe.request_id, payload, probe.payload)
    collector = lab_round.deployment.collector_function_name
    first = service.invoke(collector, record)
    second = service.invoke(collector, record)
    assert first.ok and second.ok, (first.payload, second.payload)
    stores = len(STORES_BY_STRATEGY["dict"])
    assert (first.payload["result"], first.payload["rows"]) == ("written", stores)
    assert (second.payload["result"], second.payload["rows"]) == ("duplicate", 0)
    assert len(rows_since(lab_round, invocation_id=probe.request_id)) == stores


def test_a_record_that_breaks_the_contract_becomes_a_dead_letter_not_a_row(lab_round: LabRound) -> None:
    service = lab_round.service
    key = "dict-128-x86_64"
    payload = next(s.input for s in lab_round.schedules if s.input and s.input.get("probe_key") == key)
    bad_id = "0badc0de-0000-4000-8000-000000000001"
    record = _success_record(lab_round, bad_id, payload, {"schema_version": 99, "nonsense": True})
    outcome = service.invoke(lab_round.deployment.collector_function_name, record)
    assert outcome.ok and outcome.payload["result"] == "dead_lettered", outcome.payload
    sqs = lab_round.client("sqs")
    bodies: list[str] = []
    deadline = time.monotonic() + 30
    while not any(bad_id in b for b in bodies) and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=lab_round.deployment.dead_letter_queue_url,
                                       MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
        bodies += [m["Body"] for m in messages]
    letter = next(json.loads(b) for b in bodies if bad_id in b)
    assert "schema_version" in json.dumps(letter)  # the reason says what was wrong
    assert rows_since(lab_round, invocation_id=bad_id).empty


def _canaries(lab: LabRound) -> list[str]:
    """The fixture values, read from the endpoint as the probes read them."""
    lam = lab.client("lambda")
    env = lam.get_function_configuration(
        FunctionName=lab.deployment.probe_function_names["sdk-128-x86_64"])["Environment"]["Variables"]
    secrets = lab.client("secretsmanager")
    values = [secrets.get_secret_value(SecretId=env["OBSERVATORY_SECRET_ID"])["SecretString"]]
    ssm = lab.client("ssm")
    for page in ssm.get_paginator("describe_parameters").paginate():
        for parameter in page["Parameters"]:
            value = ssm.get_parameter(Name=parameter["Name"], WithDecryption=True)["Parameter"]["Value"]
            values.append(value)
    assert values and all(len(v) >= 8 for v in values), "fixtures too short to search for"
    return values


def test_the_canary_values_appear_in_no_row_log_or_trace(lab_round: LabRound) -> None:
    canaries = _canaries(lab_round)
    ddb = lab_round.client("dynamodb")
    items = [i for page in ddb.get_paginator("scan").paginate(TableName=lab_round.deployment.table_name)
             for i in page["Items"]]
    logs = sorted(lab_round.config.state_dir.rglob("*.log"))
    segments = lab_round.xray.segments()
    # Not vacuous: there are rows, function logs with invocations in them, and kept X-Ray segments.
    assert items and segments
    assert any(b"START RequestId" in p.read_bytes() or b"REPORT RequestId" in p.read_bytes() for p in logs)
    haystacks = {
        "table": json.dumps(items, default=str),
        "x-ray segments": json.dumps(segments, default=str),
        **{str(p): p.read_text(errors="replace") for p in logs},
    }
    leaks = [(where, i) for where, text in haystacks.items()
             for i, canary in enumerate(canaries) if canary in text]
    assert leaks == []
