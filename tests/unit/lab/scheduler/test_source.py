"""Schedules are read through the clients the lab passes in: EventBridge Scheduler schedules and EventBridge
rules with Lambda targets; other targets are reported, not run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lab.scheduler import Rate, ScheduleSourceError, function_name_from_arn, load_schedules

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


class Pages:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self._pages = pages

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        return self._pages


class SchedulerClient:
    """EventBridge Scheduler as boto3 shows it (argument names are boto3's)."""

    def __init__(self, schedules: list[dict[str, Any]]) -> None:
        self._schedules = {s["Name"]: s for s in schedules}

    def get_paginator(self, name: str) -> Pages:
        assert name == "list_schedules"
        return Pages([{"Schedules": [{"Name": n, "GroupName": "g"} for n in self._schedules]}])

    def get_schedule(self, Name: str, GroupName: str) -> dict[str, Any]:
        return self._schedules[Name]


class EventsClient:
    def __init__(self, rules: list[dict[str, Any]], targets: dict[str, list[dict[str, Any]]]) -> None:
        self._rules, self._targets = rules, targets

    def get_paginator(self, name: str) -> Pages:
        assert name == "list_rules"
        return Pages([{"Rules": self._rules}])

    def list_targets_by_rule(self, Rule: str, EventBusName: str) -> dict[str, Any]:
        return {"Targets": self._targets.get(Rule, [])}


class Clients:
    """Stands in for `EndpointClients`: hands out the clients it was given, by service."""

    def __init__(self, **clients: Any) -> None:
        self._clients = clients
        self.asked: list[str] = []

    def client(self, service: str) -> Any:
        self.asked.append(service)
        return self._clients[service]


def test_schedules_and_rules_come_from_the_clients_passed_in() -> None:
    scheduler = SchedulerClient([
        {"Name": "probe-a", "ScheduleExpression": "rate(5 minutes)", "State": "ENABLED",
         "Target": {"Arn": ARN + "fa", "Input": json.dumps({"probe_key": "a"}),
                    "RetryPolicy": {"MaximumRetryAttempts": 2}}},
        {"Name": "off", "ScheduleExpression": "rate(1 minute)", "State": "DISABLED",
         "Target": {"Arn": ARN + "fx"}},
        {"Name": "to-a-queue", "ScheduleExpression": "rate(1 minute)",
         "Target": {"Arn": "arn:aws:sqs:us-east-1:123456789012:q"}},
    ])
    events = EventsClient([{"Name": "rule", "ScheduleExpression": "cron(0 3 * * ? *)"}],
                          {"rule": [{"Id": "t1", "Arn": ARN + "fb"}]})
    clients = Clients(scheduler=scheduler, events=events)
    logged: list[str] = []
    schedules = load_schedules(clients, log=logged.append)
    assert sorted(clients.asked) == ["events", "scheduler"]
    assert [(s.name, s.function_name, s.source) for s in schedules] == [
        ("probe-a", "fa", "scheduler"), ("rule/t1", "fb", "events")]
    assert schedules[0].input == {"probe_key": "a"} and schedules[0].max_retries == 2
    assert isinstance(schedules[0].expression, Rate)
    assert logged == ["schedule to-a-queue: target arn:aws:sqs:us-east-1:123456789012:q is not a Lambda "
                      "function; the lab does not run it"]


def test_a_bad_expression_names_its_schedule() -> None:
    scheduler = SchedulerClient([{"Name": "broken", "ScheduleExpression": "rate(0 minutes)",
                                  "Target": {"Arn": ARN + "f"}}])
    clients = Clients(scheduler=scheduler, events=EventsClient([], {}))
    with pytest.raises(ScheduleSourceError, match="schedule broken: rate"):
        load_schedules(clients)


def test_function_name_from_arn() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:slo-probe-x"
    assert function_name_from_arn(arn) == "slo-probe-x"
    assert function_name_from_arn("arn:aws:lambda:us-east-1:123456789012:function:f:live") == "f"
    assert function_name_from_arn("arn:aws:sqs:us-east-1:123456789012:queue") is None
