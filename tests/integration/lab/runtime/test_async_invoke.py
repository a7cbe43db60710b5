"""Async (Event) invocation in the lab: retries, OnSuccess / OnFailure destinations, dead-letter queues."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from lab.runtime import LambdaService

from .conftest import Deployer

RAISES = """
def handler(event, context):
    print("attempt for", context.aws_request_id)
    raise RuntimeError("probe failed: " + event["probe_key"])
"""

RECORDER = """
import json, os
def handler(event, context):
    with open(os.environ["RECORD_FILE"], "a") as f:
        f.write(json.dumps({"request_id": context.aws_request_id, "event": event}) + "\\n")
    return {"stored": True}
"""

SCHEDULE_EVENT = {
    "source": "observatory.schedule",
    "probe_key": "dict-128-x86_64",
    "strategy": "dict",
    "memory_mb": 128,
    "architecture": "x86_64",
}


def test_failing_function_is_retried_then_sent_to_the_on_failure_queue(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function(RAISES)
    queue_url, queue_arn = deployer.queue()
    deployer.lambda_client.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": queue_arn}}
    )
    service = make_service()

    request_id = service.invoke_async(name, SCHEDULE_EVENT)
    assert service.wait_idle(60)

    [message] = deployer.messages(queue_url, 1)
    record = json.loads(message["Body"])
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    context = record["requestContext"]
    assert context["requestId"] == request_id
    assert context["functionArn"].endswith(f":function:{name}:$LATEST")
    assert context["condition"] == "RetriesExhausted"
    assert context["approximateInvokeCount"] == 3
    assert record["requestPayload"] == SCHEDULE_EVENT
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "probe failed: dict-128-x86_64"
    # three attempts, all with the same request id, as Lambda retries an event
    log = "".join(p.read_text() for p in (service.work_dir / "logs" / name).glob("*.log"))
    assert log.count(f"attempt for {request_id}") == 3
    [outcome] = [o for o in service.outcomes if o.request_id == request_id]
    assert (outcome.condition, outcome.attempts, outcome.delivered) == ("RetriesExhausted", 3, True)


def test_success_goes_to_a_lambda_destination_whose_own_failure_reaches_its_dlq(
    deployer: Deployer, make_service: Callable[..., LambdaService], tmp_path: Path
) -> None:
    records = tmp_path / "collected.jsonl"
    probe = deployer.function(
        "def handler(event, context):\n    return {'measured': event['probe_key']}\n",
        env={"OBSERVATORY_STRATEGY": "dict"},
    )
    collector = deployer.function(RECORDER, env={"RECORD_FILE": str(records)})
    broken_collector = deployer.function(RAISES.replace('event["probe_key"]', "str(len(event))"))
    collector_arn = deployer.lambda_client.get_function(FunctionName=collector)["Configuration"][
        "FunctionArn"
    ]
    broken_arn = deployer.lambda_client.get_function(FunctionName=broken_collector)["Configuration"][
        "FunctionArn"
    ]
    dlq_url, dlq_arn = deployer.queue()
    deployer.lambda_client.put_function_event_invoke_config(
        FunctionName=probe,
        MaximumRetryAttempts=0,
        DestinationConfig={
            "OnSuccess": {"Destination": collector_arn},
            "OnFailure": {"Destination": broken_arn},
        },
    )
    deployer.lambda_client.put_function_event_invoke_config(
        FunctionName=broken_collector,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    service = make_service()

    ok_id = service.invoke_async(probe, SCHEDULE_EVENT)
    failing_id = service.invoke_async(probe, {"no": "probe_key"})  # KeyError in the probe
    assert service.wait_idle(60)

    [delivered] = [json.loads(line) for line in records.read_text().splitlines()]
    record = delivered["event"]
    assert record["requestContext"]["requestId"] == ok_id
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"measured": "dict-128-x86_64"}
    assert delivered["request_id"] != ok_id  # the destination is its own (async) invocation

    # the probe's failure went to the broken collector, whose own failure went to its SQS dead-letter queue
    [message] = deployer.messages(dlq_url, 1)
    dead = json.loads(message["Body"])
    assert dead["requestContext"]["condition"] == "RetriesExhausted"
    assert dead["requestContext"]["functionArn"].startswith(broken_arn)
    inner = dead["requestPayload"]
    assert inner["requestContext"]["requestId"] == failing_id
    assert inner["responseContext"]["functionError"] == "Unhandled"
    assert inner["responsePayload"]["errorType"] == "KeyError"
    conditions = sorted(o.condition for o in service.outcomes)
    assert conditions == ["RetriesExhausted", "RetriesExhausted", "Success", "Success"]
    assert deployer.messages(dlq_url, 1, attempts=1) == []  # nothing doubled

    # a repeated delivery (Lambda delivers at least once) reaches the collector again, identical
    assert service.redeliver(ok_id)
    assert not service.redeliver("no-such-request")
    assert service.wait_idle(60)
    first, again = [json.loads(line)["event"] for line in records.read_text().splitlines()]
    assert again == first


def test_timed_out_async_event_is_retried_and_reported(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function("import time\ndef handler(event, context):\n    time.sleep(30)\n", timeout=1)
    queue_url, queue_arn = deployer.queue()
    deployer.lambda_client.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": queue_arn}}
    )
    service = make_service()
    request_id = service.invoke_async(name, SCHEDULE_EVENT)
    assert service.wait_idle(60)
    [message] = deployer.messages(queue_url, 1)
    record = json.loads(message["Body"])
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responsePayload"]["errorType"] == "Sandbox.Timedout"
    assert service.status() == []


def test_a_retry_that_would_pass_the_maximum_event_age_ends_as_event_age_exceeded(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function(RAISES)
    queue_url, queue_arn = deployer.queue()
    deployer.lambda_client.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=2,
        MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    service = make_service(retry_delays_s=(120.0,))  # the first retry would be due after 60 s of age
    request_id = service.invoke_async(name, SCHEDULE_EVENT)
    assert service.wait_idle(60)
    [message] = deployer.messages(queue_url, 1)
    record = json.loads(message["Body"])
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responsePayload"]["errorType"] == "RuntimeError"
