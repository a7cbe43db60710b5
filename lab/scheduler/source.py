"""The schedules Terraform created at the endpoint: EventBridge Scheduler schedules and EventBridge rules.

Both kinds are read, so the lab follows whichever the Terraform module uses. Only Lambda targets are kept;
anything else is reported, not silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lab.errors import LabError
from lab.scheduler.expressions import Expression, ExpressionError, parse_expression

if TYPE_CHECKING:
    from lab.endpoint.clients import EndpointClients


class ScheduleSourceError(LabError):
    """The schedules could not be read from the endpoint."""


@dataclass(frozen=True)
class Schedule:
    """One schedule: when it fires and which function it invokes asynchronously with which input."""

    name: str
    expression_text: str
    expression: Expression
    function_name: str
    input: dict[str, Any] | None
    source: str  # "scheduler" | "events"
    max_retries: int = 0  # the target's RetryPolicy: further attempts when the invocation cannot be made


def function_name_from_arn(arn: str) -> str | None:
    """`arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]` → name; None for other targets."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return parts[6]
    return None


def _input(raw: str | None, where: str) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ScheduleSourceError(f"{where}: target input is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ScheduleSourceError(f"{where}: target input must be a JSON object")
    return value


def _make(
    name: str, expression_text: str, timezone: str, arn: str, raw_input: str | None, source: str,
    log: Callable[[str], None], max_retries: int = 0,
) -> Schedule | None:
    function = function_name_from_arn(arn)
    if function is None:
        log(f"schedule {name}: target {arn} is not a Lambda function; the lab does not run it")
        return None
    try:
        expression = parse_expression(expression_text, timezone)
    except ExpressionError as exc:
        raise ScheduleSourceError(f"schedule {name}: {exc}") from exc
    payload = _input(raw_input, f"schedule {name}")
    return Schedule(name, expression_text, expression, function, payload, source, max_retries)


def _scheduler_schedules(client: Any, log: Callable[[str], None]) -> list[Schedule]:
    found: list[Schedule] = []
    for page in client.get_paginator("list_schedules").paginate():
        for summary in page.get("Schedules", []):
            detail = client.get_schedule(Name=summary["Name"], GroupName=summary.get("GroupName", "default"))
            if detail.get("State", "ENABLED") != "ENABLED":
                continue
            target = detail.get("Target", {})
            made = _make(
                detail["Name"], detail["ScheduleExpression"],
                detail.get("ScheduleExpressionTimezone") or "UTC",
                target.get("Arn", ""), target.get("Input"), "scheduler", log,
                int(target.get("RetryPolicy", {}).get("MaximumRetryAttempts", 0)),
            )
            if made is not None:
                found.append(made)
    return found


def _event_rules(client: Any, log: Callable[[str], None]) -> list[Schedule]:
    found: list[Schedule] = []
    for page in client.get_paginator("list_rules").paginate():
        for rule in page.get("Rules", []):
            if rule.get("State", "ENABLED") != "ENABLED" or not rule.get("ScheduleExpression"):
                continue
            bus = rule.get("EventBusName", "default")
            targets = client.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus).get("Targets", [])
            for target in targets:
                made = _make(
                    f"{rule['Name']}/{target.get('Id', '')}", rule["ScheduleExpression"], "UTC",
                    target.get("Arn", ""), target.get("Input"), "events", log,
                    int(target.get("RetryPolicy", {}).get("MaximumRetryAttempts", 0)),
                )
                if made is not None:
                    found.append(made)
    return found


def load_schedules(clients: EndpointClients, log: Callable[[str], None] = print) -> list[Schedule]:
    """Every enabled schedule with a Lambda target at the endpoint, from EventBridge Scheduler and
    EventBridge rules."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        schedules = (_scheduler_schedules(clients.client("scheduler"), log)
                     + _event_rules(clients.client("events"), log))
    except (BotoCoreError, ClientError) as exc:
        raise ScheduleSourceError(f"cannot read the schedules from the endpoint: {exc}") from exc
    return sorted(schedules, key=lambda s: s.name)
