"""The dashboard `lab up` starts is told the lab's schedule interval (issue 21, finding 6): without it the
page guesses the interval from invocations per day, and after a 3-hour session at rate(5 minutes) it guessed
40 minutes, so a probe silent for 95 minutes was not stale. Streamlit itself is not started here: the
supervisor's start is replaced by one that records the command and environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lab.endpoint.clients import EndpointClients
from lab.processes import dashboard_server
from lab.scheduler.expressions import parse_expression
from lab.scheduler.source import Schedule
from lab.settings import LabConfig
from lab.state import Deployment


def _schedule(function: str, expression: str) -> Schedule:
    return Schedule(f"slo-{function}", expression, parse_expression(expression), function, None, "scheduler")


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def start(command: list[str], **kwargs: Any) -> Any:
        seen.update(command=command, **kwargs)
        return object()

    monkeypatch.setattr(dashboard_server.supervisor, "start", start)
    monkeypatch.setattr(dashboard_server.supervisor, "wait_healthy", lambda *a, **k: None)
    monkeypatch.delenv("OBSERVATORY_SCHEDULE_SECONDS", raising=False)
    return seen


def _start(tmp_path: Path, schedules: list[Schedule]) -> None:
    clients = EndpointClients(endpoint_url="https://127.0.0.1:4566", ca_bundle=None, region="us-east-1")
    deployment = Deployment("slo-measurements", {"ext": "slo-ext"}, "slo-collector", "")
    dashboard_server.start_dashboard(clients, deployment, LabConfig(state_dir=tmp_path), schedules)


def test_the_dashboard_is_given_the_labs_schedule_interval(tmp_path: Path, started: dict[str, Any]) -> None:
    _start(tmp_path, [_schedule("slo-ext", "rate(5 minutes)"), _schedule("slo-dict", "rate(5 minutes)")])
    env = started["env"]
    assert env["OBSERVATORY_SCHEDULE_SECONDS"] == "300"
    assert env["OBSERVATORY_TABLE_NAME"] == "slo-measurements"


def test_schedule_interval_is_the_rate_the_lab_fires() -> None:
    interval = dashboard_server.schedule_interval_seconds
    assert interval([_schedule("a", "rate(1 hour)")]) == 3600
    # probes on different rates: the longest, so no probe is called stale before its own next run is due
    assert interval([_schedule("a", "rate(5 minutes)"), _schedule("b", "rate(15 minutes)")]) == 900
    # no rate() among them (a cron): unknown, and the dashboard infers it and says so
    assert interval([_schedule("a", "cron(0 12 * * ? *)")]) is None
    assert interval([]) is None


def test_without_a_rate_the_dashboard_is_left_to_infer(tmp_path: Path, started: dict[str, Any]) -> None:
    _start(tmp_path, [_schedule("slo-ext", "cron(0 12 * * ? *)")])
    assert "OBSERVATORY_SCHEDULE_SECONDS" not in started["env"]
