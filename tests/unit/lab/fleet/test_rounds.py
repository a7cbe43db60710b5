"""`lab up --rounds N` / `lab run --rounds N`: later rounds wait out the probes' cache TTL (issue 21,
finding 1), so every round's first fetches are misses, and the lab says so; a single round never waits."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pytest

from lab.cli.console import Console
from lab.fleet import rounds
from lab.scheduler import Schedule
from lab.scheduler.expressions import parse_expression

TTL_ENV = {
    "OBSERVATORY_STRATEGY": "extension",
    "OBSERVATORY_CACHE_TTL_SECONDS": "60",
    "SECRETS_MANAGER_TTL": "60",
    "SSM_PARAMETER_STORE_TTL": "60",
}


class FakeService:
    """Async invocations that finish at once; each function's environment as deployed."""

    def __init__(self, events: list[Any], environments: dict[str, dict[str, str]]) -> None:
        self.events = events
        self.environments = environments
        self.outcomes: list[Any] = []
        self.count = 0

    def invoke_async(self, function_name: str, payload: Any = None, *, force_cold: bool = False) -> str:
        self.count += 1
        self.events.append(("invoke", function_name))
        return f"req-{self.count}"

    def wait_idle(self, timeout_s: float) -> bool:
        return True

    def function_environment(self, function_name: str) -> dict[str, str]:
        return self.environments[function_name]


class FakeClients:
    def client(self, name: str) -> Any:
        return object()


class FakeDeployment:
    table_name = "t"
    collector_function_name = "collector"

    def __init__(self, names: list[str]) -> None:
        self.probe_function_names = {name: name for name in names}


class Config:
    round_timeout_s = 60.0


def _schedule(name: str) -> Schedule:
    rate = "rate(5 minutes)"
    return Schedule(name, rate, parse_expression(rate, "UTC"), name, None, "scheduler")


@contextmanager
def _no_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    frame = pd.DataFrame({"probe_key": ["p1", "p2"], "status": ["ok", "ok"], "store": ["s", "s"],
                          "error_types": ["", ""], "invocation_id": ["a", "b"]})
    monkeypatch.setattr(rounds, "count_rows", lambda *_: (len(frame), frame))
    yield


def _run(
    monkeypatch: pytest.MonkeyPatch, n: int, environments: dict[str, dict[str, str]]
) -> tuple[list, str]:
    events: list[Any] = []
    clock = [1000.0]

    def sleep(seconds: float) -> None:
        events.append(("sleep", seconds))
        clock[0] += seconds

    out = io.StringIO()
    service = FakeService(events, environments)
    with _no_table(monkeypatch):
        rounds.run_rounds(service, FakeClients(), [_schedule(k) for k in environments],  # type: ignore[arg-type]
                          FakeDeployment(list(environments)), n, Config(), Console(out),  # type: ignore[arg-type]
                          sleep=sleep, clock=lambda: clock[0])
    return events, out.getvalue()


def test_a_later_round_waits_out_the_longest_cache_ttl_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    longer = {**TTL_ENV, "SECRETS_MANAGER_TTL": "90"}
    events, said = _run(monkeypatch, 2, {"p1": TTL_ENV, "p2": longer})
    invokes = [i for i, e in enumerate(events) if e[0] == "invoke"]
    assert len(invokes) == 4
    between = [e[1] for e in events[invokes[1] + 1 : invokes[2]] if e[0] == "sleep"]
    assert sum(between) >= 90  # the longest TTL of any probe: the extension's own 90 s
    assert "cache TTL" in said and "90 s" in said


def test_one_round_never_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    events, said = _run(monkeypatch, 1, {"p1": TTL_ENV})
    assert not [e for e in events if e[0] == "sleep" and e[1] >= 1]
    assert "cache TTL" not in said
