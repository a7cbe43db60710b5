"""Async (Event) invocation: the queue, its dispatcher, Lambda's retry and event-age rules, and the outcomes.

An event is queued and run on its own thread, one event of a function at a time (Lambda's async poller);
each attempt reads the function's settings once and passes them on. When the event ends, its record goes to
the OnSuccess / OnFailure destination (`destinations.py`), a failed one also to the function's DLQ.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .control_plane import ClientFactory, ControlPlane, EventInvokeConfig
from .destinations import Destinations, destination_record
from .lambda_errors import FunctionNotFoundError, LambdaServiceError
from .results import AsyncOutcome, InvocationResult
from .spec import FunctionSpec

LOG = logging.getLogger("lab.runtime")
KEEP_OUTCOMES = 1000

# run(spec, request_id, payload, force_cold): one invocation of a function as read for this attempt
Runner = Callable[[FunctionSpec, str, Any, bool], InvocationResult]


@dataclass(order=True)
class _Event:
    due: float
    seq: int
    request_id: str = field(compare=False)
    function_name: str = field(compare=False)
    payload: Any = field(compare=False)
    enqueued: float = field(compare=False)
    attempts: int = field(default=0, compare=False)
    force_cold: bool = field(default=False, compare=False)


class AsyncInvoker:
    """Runs Event invocations with Lambda's retries, event age, destinations and dead letters. `close()` it.

    `retry_delays_s[n-1]` is the wait before the n-th retry (the last one repeats): Lambda waits about 60 s
    and 120 s, the lab scales that down.
    """

    def __init__(
        self,
        control: ControlPlane,
        run: Runner,
        clients: ClientFactory,
        retry_delays_s: tuple[float, ...],
        log: Callable[[str], None],
    ) -> None:
        self.control = control
        self._run = run
        self.retry_delays_s = tuple(retry_delays_s) or (0.0,)
        self._emit = log
        self.destinations = Destinations(clients, self.enqueue)
        self.outcomes: list[AsyncOutcome] = []
        self._cond = threading.Condition()
        self._queue: list[_Event] = []
        self._seq = itertools.count()
        self._pending = 0
        self._closed = False
        self._function_locks: dict[str, threading.Lock] = {}
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="lab-async", daemon=True)
        self._dispatcher.start()

    def invoke_async(self, function_name: str, payload: Any, *, force_cold: bool = False) -> str:
        """Queue an event and return its request id; a missing function fails now, as Invoke does."""
        self.control.function_spec(function_name)
        return self.enqueue(function_name, payload, force_cold=force_cold)

    def enqueue(self, function_name: str, payload: Any, force_cold: bool = False) -> str:
        """Queue an event, due now, without checking the function (a Lambda destination is invoked so)."""
        request_id = str(uuid.uuid4())
        now = time.monotonic()
        with self._cond:
            if self._closed:
                raise LambdaServiceError("the lab's Lambda service is closed")
            event = _Event(
                now, next(self._seq), request_id, function_name, payload, now, force_cold=force_cold
            )
            heapq.heappush(self._queue, event)
            self._pending += 1
            self._cond.notify_all()
        return request_id

    def _dispatch_loop(self) -> None:
        """Start each event when it is due, on a thread of its own, until `close()`."""
        while True:
            with self._cond:
                while not self._closed and (not self._queue or self._queue[0].due > time.monotonic()):
                    timeout = None if not self._queue else max(0.0, self._queue[0].due - time.monotonic())
                    self._cond.wait(timeout)
                if self._closed:
                    return
                event = heapq.heappop(self._queue)
                lock = self._function_locks.setdefault(event.function_name, threading.Lock())
            threading.Thread(
                target=self._run_event,
                args=(event, lock),
                daemon=True,
                name=f"lab-event-{event.request_id[:8]}",
            ).start()

    def _run_event(self, event: _Event, lock: threading.Lock) -> None:
        """One attempt, holding the function's lock; an attempt the lab cannot handle ends as `LabError`."""
        try:
            with lock:
                if self._closed:
                    return
                self._attempt(event)
        except Exception as exc:  # never lose an event silently
            LOG.exception("async event %s of %s", event.request_id, event.function_name)
            self._emit(f"{event.function_name}: async event {event.request_id} could not be handled: {exc}")
            self._record(
                AsyncOutcome(
                    event.request_id, event.function_name, "LabError", event.attempts, None, False, str(exc)
                )
            )
        finally:
            with self._cond:
                self._pending -= 1
                self._cond.notify_all()

    def _attempt(self, event: _Event) -> None:
        """One attempt of `event`, with the function's event invoke config and configuration read once.

        The rule: an event older than MaximumEventAgeInSeconds is not run (EventAgeExceeded); a failed
        attempt — the function failed, or the lab could not run it — is retried after the next of
        `retry_delays_s` while at most MaximumRetryAttempts retries have run and the retry would start within
        the maximum age, else it ends as RetriesExhausted (or EventAgeExceeded); a success ends as Success.
        A function that no longer exists ends the event as FunctionNotFound.
        """
        config = self.control.event_invoke_config(event.function_name)
        age = time.monotonic() - event.enqueued
        if age > config.max_event_age_s:
            self._finish(event, config, None, "EventAgeExceeded", self._spec_if_any(event.function_name))
            return
        spec: FunctionSpec | None = None
        try:
            spec = self.control.function_spec(event.function_name)
            result = self._run(
                spec, event.request_id, event.payload, event.force_cold and event.attempts == 0
            )
        except FunctionNotFoundError as exc:
            self._record(self._outcome(event, "FunctionNotFound", error=str(exc)))
            return
        except LambdaServiceError as exc:  # CodeMismatchError included: a failed attempt, retried
            self._emit(f"{event.function_name}: async request {event.request_id} not run: {exc}")
            result = InvocationResult.refused(event.request_id, event.function_name, exc)
        event.attempts += 1
        if result.ok:
            self._finish(event, config, result, "Success", spec)
        elif event.attempts > config.max_retries:
            self._finish(event, config, result, "RetriesExhausted", spec)
        elif not self._retry(event, config, result, age):
            self._finish(event, config, result, "EventAgeExceeded", spec)

    def _retry(self, event: _Event, config: EventInvokeConfig, result: InvocationResult, age: float) -> bool:
        """Queue the next attempt after its delay, unless it would start past the maximum event age."""
        delay = self.retry_delays_s[min(event.attempts - 1, len(self.retry_delays_s) - 1)]
        if age + delay > config.max_event_age_s:
            return False
        self._emit(
            f"{event.function_name}: async request {event.request_id} failed ({result.error_type}), "
            f"retry {event.attempts} of {config.max_retries} in {delay:g} s"
        )
        with self._cond:
            event.due = time.monotonic() + delay
            event.seq = next(self._seq)
            heapq.heappush(self._queue, event)
            self._pending += 1
            self._cond.notify_all()
        return True

    def _spec_if_any(self, function_name: str) -> FunctionSpec | None:
        """The configuration of a function whose event will not run (its ARN and DLQ); None if unreadable."""
        try:
            return self.control.function_spec(function_name)
        except LambdaServiceError:
            return None

    def _finish(
        self,
        event: _Event,
        config: EventInvokeConfig,
        result: InvocationResult | None,
        condition: str,
        spec: FunctionSpec | None,
    ) -> None:
        """End `event` as `condition`: Lambda's record to the OnSuccess / OnFailure destination if one is set,
        the original event to the function's DLQ if it failed and one is set, and the outcome kept (a record
        that cannot be delivered is logged and marked undelivered, never retried)."""
        success = condition == "Success"
        destination = config.destination(success)
        dead_letter = None if success or spec is None else spec.dead_letter_arn
        delivered, error = True, None
        record: dict[str, Any] | None = None
        if destination:
            function_arn = spec.arn if spec else event.function_name
            record = destination_record(
                event.request_id, function_arn, condition, event.attempts, event.payload, result
            )
            try:
                self.destinations.deliver(destination, record)
            except Exception as exc:
                delivered, error = False, str(exc)
                self._emit(
                    f"{event.function_name}: could not deliver {event.request_id} to {destination}: {exc}"
                )
        if dead_letter:
            try:
                self.destinations.deliver_dead_letter(dead_letter, event.request_id, event.payload, result)
            except Exception as exc:
                delivered, error = False, str(exc)
                self._emit(f"{event.function_name}: could not send {event.request_id} to DLQ: {exc}")
        if not success and not destination and not dead_letter:
            self._emit(
                f"{event.function_name}: async request {event.request_id} dropped after {condition} "
                "(no OnFailure destination or DLQ configured, as on Lambda)"
            )
        self._record(
            self._outcome(event, condition, destination, delivered and bool(destination), error, record)
        )

    @staticmethod
    def _outcome(
        event: _Event,
        condition: str,
        destination: str | None = None,
        delivered: bool = False,
        error: str | None = None,
        record: dict[str, Any] | None = None,
    ) -> AsyncOutcome:
        """How `event` ended, as kept in `outcomes`."""
        return AsyncOutcome(
            event.request_id,
            event.function_name,
            condition,
            event.attempts,
            destination,
            delivered,
            error,
            record,
        )

    def _record(self, outcome: AsyncOutcome) -> None:
        """Keep an outcome; only the last KEEP_OUTCOMES are kept."""
        with self._cond:
            self.outcomes.append(outcome)
            del self.outcomes[:-KEEP_OUTCOMES]

    def redeliver(self, request_id: str) -> bool:
        """Deliver an event's destination record once more, as Lambda's at-least-once delivery may; False if
        the request has no delivered record (yet)."""
        with self._cond:
            found = [o for o in self.outcomes if o.request_id == request_id and o.record and o.destination]
        if not found:
            return False
        outcome = found[-1]
        assert outcome.destination is not None and outcome.record is not None
        self._emit(f"{outcome.function_name}: delivering {request_id} to {outcome.destination} again")
        self.destinations.deliver(outcome.destination, outcome.record)
        return True

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until every queued event (retries and destination deliveries included) is done."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._pending > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.5))
        return True

    def close(self) -> None:
        """Stop dispatching: queued events are dropped, an attempt under way ends with its environment."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._dispatcher.join(timeout=5)
