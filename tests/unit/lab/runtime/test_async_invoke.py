"""Unit tests of lab.runtime.async_invoke: Lambda's retry and event-age rules, destinations and dead letters,
with a fake endpoint and a fake runner in place of execution environments."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from lab.runtime.async_invoke import AsyncInvoker
from lab.runtime.control_plane import ControlPlane
from lab.runtime.lambda_errors import CodeMismatchError, LambdaServiceError
from lab.runtime.results import AsyncOutcome, InvocationResult
from lab.runtime.spec import FunctionSpec

from .conftest import FakeClients, function_arn, queue_arn


class Runner:
    """Plays the invoker: fails the first `failures` attempts of each function, then succeeds."""

    def __init__(self) -> None:
        self.failures: dict[str, int] = {}
        self.raises: Exception | None = None
        self.calls: list[tuple[FunctionSpec, str, Any, bool]] = []
        self._lock = threading.Lock()

    def __call__(
        self, spec: FunctionSpec, request_id: str, payload: Any, force_cold: bool
    ) -> InvocationResult:
        with self._lock:
            self.calls.append((spec, request_id, payload, force_cold))
            attempt = sum(1 for call in self.calls if call[0].name == spec.name)
        if self.raises is not None:
            raise self.raises
        failed = attempt <= self.failures.get(spec.name, 0)
        payload = {"errorType": "Boom", "errorMessage": "it broke"} if failed else {"done": attempt}
        error = "Unhandled" if failed else None
        return InvocationResult(
            request_id, spec.name, 200, payload, error, None, False, None, "e", 1.0, None, None
        )


@pytest.fixture
def runner() -> Runner:
    return Runner()


@pytest.fixture
def events(clients: FakeClients, runner: Runner) -> Iterator[AsyncInvoker]:
    invoker = AsyncInvoker(ControlPlane(clients, lambda _: None), runner, clients, (0.0,), lambda _: None)
    try:
        yield invoker
    finally:
        invoker.close()


def outcome_of(events: AsyncInvoker, request_id: str) -> AsyncOutcome:
    assert events.wait_idle(30)
    [outcome] = [o for o in events.outcomes if o.request_id == request_id]
    return outcome


def test_each_attempt_reads_the_functions_settings_once_and_passes_them_on(
    clients: FakeClients, runner: Runner, events: AsyncInvoker
) -> None:
    clients.lambda_.deploy("f")
    clients.lambda_.event_configs["f"] = {"DestinationConfig": {"OnFailure": {"Destination": queue_arn("q")}}}
    runner.failures["f"] = 99

    request_id = events.invoke_async("f", {"n": 1}, force_cold=True)
    outcome = outcome_of(events, request_id)

    assert (outcome.condition, outcome.attempts, outcome.delivered) == ("RetriesExhausted", 3, True)
    calls = clients.lambda_.calls
    assert calls["get_function_event_invoke_config"] == 3
    assert calls["get_function_configuration"] == 1 + 3  # the check of invoke_async, then one per attempt
    assert [(c[1], c[2], c[3]) for c in runner.calls] == [
        (request_id, {"n": 1}, True),  # only the first attempt is forced cold
        (request_id, {"n": 1}, False),
        (request_id, {"n": 1}, False),
    ]
    [message] = clients.sqs.sent["q"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"] == function_arn("f") + ":$LATEST"
    assert record["responsePayload"]["errorType"] == "Boom"


def test_a_success_after_a_retry_goes_to_on_success_and_a_lambda_destination_runs_async(
    clients: FakeClients, runner: Runner, events: AsyncInvoker
) -> None:
    clients.lambda_.deploy("f")
    collector = clients.lambda_.deploy("collector")
    clients.lambda_.event_configs["f"] = {"DestinationConfig": {"OnSuccess": {"Destination": collector}}}
    runner.failures["f"] = 1

    request_id = events.invoke_async("f", {})
    outcome = outcome_of(events, request_id)

    assert (outcome.condition, outcome.attempts, outcome.destination) == ("Success", 2, collector)
    assert outcome.delivered and outcome.record is not None
    [(_, _, record, _)] = [call for call in runner.calls if call[0].name == "collector"]
    assert record == outcome.record and record["responsePayload"] == {"done": 2}
    collected = [o for o in events.outcomes if o.function_name == "collector"]
    assert [(o.condition, o.delivered) for o in collected] == [("Success", False)]  # it has no destination


def test_a_retry_that_would_start_past_the_maximum_age_ends_the_event(
    clients: FakeClients, runner: Runner
) -> None:
    clients.lambda_.deploy("f")
    clients.lambda_.event_configs["f"] = {"MaximumEventAgeInSeconds": 60}
    runner.failures["f"] = 99
    events = AsyncInvoker(ControlPlane(clients, lambda _: None), runner, clients, (120.0,), lambda _: None)
    try:
        outcome = outcome_of(events, events.invoke_async("f", {}))
    finally:
        events.close()
    assert (outcome.condition, outcome.attempts, outcome.delivered) == ("EventAgeExceeded", 1, False)


def test_an_event_older_than_its_maximum_age_is_not_run_and_still_reaches_its_destinations(
    clients: FakeClients, runner: Runner, events: AsyncInvoker
) -> None:
    clients.lambda_.deploy("f", DeadLetterConfig={"TargetArn": queue_arn("dlq")})
    clients.lambda_.event_configs["f"] = {
        "MaximumEventAgeInSeconds": 0,  # any age is too old
        "DestinationConfig": {"OnFailure": {"Destination": queue_arn("q")}},
    }
    outcome = outcome_of(events, events.invoke_async("f", {"n": 2}))
    assert (outcome.condition, outcome.attempts) == ("EventAgeExceeded", 0)
    assert runner.calls == []
    record = json.loads(clients.sqs.sent["q"][0]["Body"])
    assert "responseContext" not in record
    assert record["requestContext"]["functionArn"] == function_arn("f") + ":$LATEST"
    assert json.loads(clients.sqs.sent["dlq"][0]["Body"]) == {"n": 2}


def test_a_failed_event_goes_to_the_dead_letter_queue_with_lambdas_attributes(
    clients: FakeClients, runner: Runner, events: AsyncInvoker
) -> None:
    clients.lambda_.deploy("f", DeadLetterConfig={"TargetArn": queue_arn("dlq")})
    clients.lambda_.event_configs["f"] = {"MaximumRetryAttempts": 0}
    runner.failures["f"] = 1
    request_id = events.invoke_async("f", {"n": 3})
    outcome = outcome_of(events, request_id)
    assert (outcome.condition, outcome.destination, outcome.delivered) == ("RetriesExhausted", None, False)
    [message] = clients.sqs.sent["dlq"]
    assert json.loads(message["Body"]) == {"n": 3}
    attributes = message["MessageAttributes"]
    assert attributes["RequestID"]["StringValue"] == request_id
    assert attributes["ErrorMessage"]["StringValue"] == "it broke"


def test_an_attempt_the_lab_refuses_is_a_failure_and_retried(
    clients: FakeClients, runner: Runner, events: AsyncInvoker
) -> None:
    clients.lambda_.deploy("f")
    clients.lambda_.event_configs["f"] = {
        "MaximumRetryAttempts": 1,
        "DestinationConfig": {"OnFailure": {"Destination": queue_arn("q")}},
    }
    runner.raises = CodeMismatchError("no built zip")
    outcome = outcome_of(events, events.invoke_async("f", {}))
    assert (outcome.condition, outcome.attempts) == ("RetriesExhausted", 2)
    record = json.loads(clients.sqs.sent["q"][0]["Body"])
    assert record["responsePayload"] == {"errorType": "Lab.CodeMismatchError", "errorMessage": "no built zip"}


def test_an_event_whose_function_is_gone_is_dropped(
    clients: FakeClients, runner: Runner, events: AsyncInvoker
) -> None:
    outcome = outcome_of(events, events.enqueue("deleted", {}))  # as a Lambda destination is invoked
    assert (outcome.condition, outcome.attempts, outcome.destination) == ("FunctionNotFound", 0, None)
    assert runner.calls == []


def test_an_unsupported_destination_is_reported_not_delivered(
    clients: FakeClients, events: AsyncInvoker
) -> None:
    clients.lambda_.deploy("f")
    topic = "arn:aws:sns:us-east-1:123456789012:topic"
    clients.lambda_.event_configs["f"] = {"DestinationConfig": {"OnSuccess": {"Destination": topic}}}
    outcome = outcome_of(events, events.invoke_async("f", {}))
    assert (outcome.condition, outcome.delivered) == ("Success", False)
    assert outcome.error is not None and "not supported" in outcome.error


def test_a_record_can_be_delivered_again(clients: FakeClients, events: AsyncInvoker) -> None:
    clients.lambda_.deploy("f")
    clients.lambda_.event_configs["f"] = {"DestinationConfig": {"OnSuccess": {"Destination": queue_arn("q")}}}
    request_id = events.invoke_async("f", {})
    outcome_of(events, request_id)
    assert events.redeliver(request_id) and not events.redeliver("unknown")
    first, second = clients.sqs.sent["q"]
    assert first == second


def test_a_closed_invoker_takes_no_event(clients: FakeClients, events: AsyncInvoker) -> None:
    clients.lambda_.deploy("f")
    events.close()
    with pytest.raises(LambdaServiceError, match="closed"):
        events.invoke_async("f", {})
