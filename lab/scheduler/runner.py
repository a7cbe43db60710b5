"""Fire the schedules on time: each due schedule becomes one asynchronous invocation of its function.

Plays EventBridge in the lab. A missed fire time (the machine was busy) is not replayed as a burst: the
schedule fires once and moves to its next time, as EventBridge does after an outage.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lab.scheduler.expressions import Rate
from lab.scheduler.source import Schedule

InvokeAsync = Callable[[str, dict[str, Any] | None], str]
MAX_WAIT_S = 30.0
MAX_LAB_RETRIES = 3  # the lab caps a schedule's RetryPolicy: a local invocation that fails, fails fast
RETRY_DELAY_S = 1.0


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Fired:
    """One asynchronous invocation the scheduler made (or failed to make)."""

    schedule: str
    function_name: str
    at: dt.datetime
    request_id: str | None
    error: str | None


class Scheduler:
    """Fires `invoke_async(function, input)` for each schedule when it is due, on a background thread."""

    def __init__(
        self,
        schedules: Sequence[Schedule],
        invoke_async: InvokeAsync,
        log: Callable[[str], None] = print,
        clock: Callable[[], dt.datetime] = utc_now,
        fire_at_start: bool = True,
    ) -> None:
        self.schedules = list(schedules)
        self._invoke_async = invoke_async
        self._log = log
        self._clock = clock
        self._fire_at_start = fire_at_start
        self._stop = threading.Event()
        self.retry_delay_s = RETRY_DELAY_S
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.fired: list[Fired] = []
        self.next_times: dict[str, dt.datetime | None] = {}
        self.anchor = clock()
        self._reset(self.anchor)

    def _reset(self, anchor: dt.datetime) -> None:
        self.anchor = anchor
        before = anchor - dt.timedelta(microseconds=1)
        for schedule in self.schedules:
            first = schedule.expression.next_after(before if self._fire_at_start else anchor, anchor)
            if not self._fire_at_start and isinstance(schedule.expression, Rate):
                first = anchor + schedule.expression.interval
            self.next_times[schedule.name] = first

    def _fire(self, schedule: Schedule, now: dt.datetime) -> Fired:
        attempts = 1 + min(schedule.max_retries, MAX_LAB_RETRIES)
        for attempt in range(1, attempts + 1):
            try:
                request_id = self._invoke_async(schedule.function_name, schedule.input)
            except Exception as exc:  # every failure is reported, and the schedule keeps its next time
                error = f"{type(exc).__name__}: {exc}"
                self._log(f"scheduler: {schedule.name} → {schedule.function_name} failed "
                          f"(attempt {attempt} of {attempts}): {error}")
                fired = Fired(schedule.name, schedule.function_name, now, None, error)
                if attempt < attempts and self._stop.wait(self.retry_delay_s):
                    break
            else:
                fired = Fired(schedule.name, schedule.function_name, now, request_id, None)
                break
        with self._lock:
            self.fired.append(fired)
        return fired

    def fire_round(self) -> list[Fired]:
        """Invoke every schedule's function once, now (`lab run`, and `lab up --rounds`)."""
        now = self._clock()
        return [self._fire(schedule, now) for schedule in self.schedules]

    def run_due(self, now: dt.datetime | None = None) -> list[Fired]:
        """Fire the schedules due at `now` and move each to its next time; returns what was fired."""
        now = now or self._clock()
        fired = []
        for schedule in self.schedules:
            due = self.next_times.get(schedule.name)
            if due is not None and due <= now:
                fired.append(self._fire(schedule, now))
                self.next_times[schedule.name] = schedule.expression.next_after(now, self.anchor)
        return fired

    def seconds_until_next(self, now: dt.datetime | None = None) -> float | None:
        """Seconds until the earliest pending fire time; None if nothing will fire again."""
        now = now or self._clock()
        pending = [t for t in self.next_times.values() if t is not None]
        if not pending:
            return None
        return max(0.0, (min(pending) - now).total_seconds())

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            wait = self.seconds_until_next()
            self._stop.wait(MAX_WAIT_S if wait is None else min(wait, MAX_WAIT_S))

    def start(self) -> None:
        """Start firing on a daemon thread, counting rate schedules from now."""
        if self._thread is not None:
            raise RuntimeError("the scheduler is already running")
        self._reset(self._clock())
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="lab-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop firing; an invocation already handed to the service is not recalled."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
