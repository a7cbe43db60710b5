"""The scheduler fires each due schedule once, moves it on, and reports failed invocations."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from lab.scheduler import Schedule, Scheduler, parse_expression

START = dt.datetime(2026, 11, 27, 5, 0, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> dt.datetime:
        self.now += dt.timedelta(**kwargs)
        return self.now


def schedule(name: str, expression: str, function: str) -> Schedule:
    payload = {"probe_key": name}
    return Schedule(name, expression, parse_expression(expression), function, payload, "scheduler")


def test_rate_schedules_fire_at_start_then_every_interval() -> None:
    clock = Clock()
    calls: list[tuple[str, Any]] = []
    scheduler = Scheduler(
        [schedule("a", "rate(5 minutes)", "fa"), schedule("b", "rate(10 minutes)", "fb")],
        lambda fn, payload: calls.append((fn, payload)) or f"req-{len(calls)}",
        clock=clock,
    )
    assert [f.function_name for f in scheduler.run_due()] == ["fa", "fb"]
    assert calls[0] == ("fa", {"probe_key": "a"})
    assert scheduler.run_due() == []  # nothing more is due at the same instant
    assert scheduler.seconds_until_next() == 300
    clock.advance(minutes=5)
    assert [f.function_name for f in scheduler.run_due()] == ["fa"]
    clock.advance(minutes=5)
    assert [f.function_name for f in scheduler.run_due()] == ["fa", "fb"]
    assert [f.request_id for f in scheduler.fired] == ["req-1", "req-2", "req-3", "req-4", "req-5"]


def test_missed_fire_times_fire_once_not_as_a_burst() -> None:
    clock = Clock()
    calls: list[str] = []
    scheduler = Scheduler([schedule("a", "rate(1 minute)", "fa")], lambda fn, p: calls.append(fn) or "r",
                          clock=clock)
    scheduler.run_due()
    clock.advance(minutes=10, seconds=30)
    scheduler.run_due()
    assert calls == ["fa", "fa"]
    assert scheduler.next_times["a"] == START + dt.timedelta(minutes=11)


def test_cron_schedule_waits_for_its_minute() -> None:
    clock = Clock()
    calls: list[str] = []
    scheduler = Scheduler(
        [schedule("c", "cron(0/15 * * * ? *)", "fc")], lambda fn, p: calls.append(fn) or "r", clock=clock
    )
    # 05:00:00 itself matches: a cron fires at its minute, including the start minute.
    assert scheduler.run_due() and calls == ["fc"]
    clock.advance(minutes=14)
    assert scheduler.run_due() == []
    clock.advance(minutes=1)
    assert len(scheduler.run_due()) == 1


def test_without_fire_at_start_a_rate_waits_one_interval() -> None:
    clock = Clock()
    scheduler = Scheduler([schedule("a", "rate(5 minutes)", "fa")], lambda fn, p: "r", clock=clock,
                          fire_at_start=False)
    assert scheduler.run_due() == []
    clock.advance(minutes=5)
    assert len(scheduler.run_due()) == 1


def test_a_failed_invocation_is_reported_and_the_schedule_keeps_going() -> None:
    clock = Clock()
    logged: list[str] = []

    def invoke(fn: str, payload: Any) -> str:
        raise ConnectionError("endpoint down")

    scheduler = Scheduler([schedule("a", "rate(1 minute)", "fa")], invoke, log=logged.append, clock=clock)
    fired = scheduler.run_due()
    assert fired[0].error == "ConnectionError: endpoint down" and fired[0].request_id is None
    assert "endpoint down" in logged[0]
    clock.advance(minutes=1)
    assert len(scheduler.run_due()) == 1


def test_a_failed_invocation_is_retried_as_the_schedule_says() -> None:
    attempts: list[str] = []

    def invoke(fn: str, payload: Any) -> str:
        attempts.append(fn)
        if len(attempts) < 3:
            raise ConnectionError("busy")
        return "req-ok"

    flaky = Schedule("a", "rate(1 minute)", parse_expression("rate(1 minute)"), "fa", None, "scheduler", 2)
    scheduler = Scheduler([flaky], invoke, log=lambda _: None, clock=Clock())
    scheduler.retry_delay_s = 0.0
    fired = scheduler.run_due()
    assert attempts == ["fa", "fa", "fa"]
    assert fired[0].request_id == "req-ok" and fired[0].error is None


def test_retries_give_up_after_the_policy() -> None:
    attempts: list[str] = []

    def invoke(fn: str, payload: Any) -> str:
        attempts.append(fn)
        raise ConnectionError("down")

    flaky = Schedule("a", "rate(1 minute)", parse_expression("rate(1 minute)"), "fa", None, "scheduler", 1)
    scheduler = Scheduler([flaky], invoke, log=lambda _: None, clock=Clock())
    scheduler.retry_delay_s = 0.0
    assert scheduler.run_due()[0].error == "ConnectionError: down"
    assert len(attempts) == 2


def test_fire_round_invokes_every_schedule_now() -> None:
    calls: list[str] = []
    scheduler = Scheduler(
        [schedule("a", "rate(1 hour)", "fa"), schedule("b", "cron(0 3 * * ? *)", "fb")],
        lambda fn, p: calls.append(fn) or "r", clock=Clock(),
    )
    assert [f.function_name for f in scheduler.fire_round()] == ["fa", "fb"]
    assert calls == ["fa", "fb"]


def test_background_thread_fires_and_stops() -> None:
    fired = threading.Event()
    scheduler = Scheduler([schedule("a", "rate(1 hour)", "fa")], lambda fn, p: fired.set() or "r")
    scheduler.start()
    try:
        assert fired.wait(10)
    finally:
        scheduler.stop()
    assert scheduler._thread is None

