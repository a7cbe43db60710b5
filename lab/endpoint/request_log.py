"""What the endpoint's log says about requests: each one an SDK sent again, each 5xx answer, each slow one.

An SDK sends a request again (the same `amz-sdk-invocation-id`, `amz-sdk-request: attempt=2; …`) when it got
no usable answer to the first: a retried *create* then fails with "already exists" although the first attempt
did create it. The line for a retry says what became of the first attempt (answered with which status, how
fast, and whether the whole answer was handed to the connection), which tells a lost answer (the transport)
from one the endpoint never saw. Nothing of a request's body is logged: only its operation.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

SLOW_S = 5.0  # an answer slower than this is logged
LINE_PREFIX = "lab endpoint: ["  # how each of this log's lines starts, time first
REMEMBERED = 4096  # the most recent invocations whose first attempt a retry can be matched with

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass
class Attempt:
    """One request as the endpoint handled it."""

    operation: str
    attempt: int
    started: float  # time.time()
    connection: str = ""  # the client's address and port: which connection the request came on
    status: int = 0  # 0 until the application answered
    answered_s: float = 0.0
    declared: int | None = None  # the answer's Content-Length
    sent: int = 0  # the bytes of body the application produced
    written: bool = False  # the whole answer was handed to the connection
    previous: Attempt | None = None  # the request before this one on the same connection


def operation_of(environ: dict[str, Any]) -> str:
    """`X-Amz-Target`'s operation for JSON services (`DynamoDB_20120810.Query`), else `METHOD /path`."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target)
    return f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '')}"


def attempt_of(environ: dict[str, Any]) -> int:
    """The SDK's attempt number from `amz-sdk-request: attempt=N; max=M` (1 when the header is absent)."""
    for part in str(environ.get("HTTP_AMZ_SDK_REQUEST", "")).split(";"):
        name, _, value = part.strip().partition("=")
        if name == "attempt" and value.isdigit():
            return int(value)
    return 1


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1000):03d}"


def describe_first(first: Attempt | None) -> str:
    """What became of an invocation's earlier attempt, for the line about its retry."""
    if first is None:
        return "no earlier attempt reached the endpoint"
    if not first.status:
        return f"attempt {first.attempt} (at {_clock(first.started)}) is still being answered"
    handed = "handed to the connection whole" if first.written else "NOT handed to the connection whole"
    before = first.previous
    on_connection = (
        f"; before it on {first.connection}: {before.operation} answered {before.status}, "
        f"Content-Length {before.declared}, {before.sent} bytes of body"
        if before is not None else f"; the first request on {first.connection}"
    )
    return (
        f"attempt {first.attempt} (at {_clock(first.started)}) was answered {first.status} in "
        f"{first.answered_s:.2f} s, {handed}{on_connection}"
    )


class RequestLog:
    """WSGI middleware writing one line to `out` for each retried request, 5xx answer and slow answer."""

    def __init__(self, app: WsgiApp, out: TextIO, slow_s: float = SLOW_S) -> None:
        self._app = app
        self._out = out
        self._slow_s = slow_s
        self._seen: OrderedDict[str, Attempt] = OrderedDict()
        self._last_on: OrderedDict[str, Attempt] = OrderedDict()
        self._lock = threading.Lock()

    def _say(self, line: str) -> None:
        with self._lock:
            self._out.write(f"{LINE_PREFIX}{_clock(time.time())}] {line}\n")
            self._out.flush()

    def _remember(self, invocation: str, attempt: Attempt) -> Attempt | None:
        with self._lock:
            attempt.previous = self._last_on.get(attempt.connection)
            if attempt.previous is not None:
                attempt.previous.previous = None  # keep one request of history per connection, not a chain
            first = self._seen.get(invocation) if invocation else None
            for remembered, key in ((self._last_on, attempt.connection), (self._seen, invocation)):
                if key:
                    remembered[key] = attempt
                    remembered.move_to_end(key)
                    while len(remembered) > REMEMBERED:
                        remembered.popitem(last=False)
        return first

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        attempt = Attempt(operation_of(environ), attempt_of(environ), time.time())
        attempt.connection = f"{environ.get('REMOTE_ADDR', '?')}:{environ.get('REMOTE_PORT', '?')}"
        invocation = str(environ.get("HTTP_AMZ_SDK_INVOCATION_ID", ""))
        earlier = self._remember(invocation, attempt)
        if attempt.attempt > 1:
            self._say(f"retry: {attempt.operation} attempt {attempt.attempt}; {describe_first(earlier)}")

        def record_status(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            attempt.status = int(status.split(" ", 1)[0])
            for name, value in headers:
                if name.lower() == "content-length" and value.strip().isdigit():
                    attempt.declared = int(value)
            return start_response(status, headers, *args)

        body = self._app(environ, record_status)
        attempt.answered_s = time.time() - attempt.started
        if attempt.status >= 500:
            self._say(f"answered {attempt.status}: {attempt.operation} (attempt {attempt.attempt})")
        if attempt.answered_s > self._slow_s:
            self._say(f"slow: {attempt.operation} answered {attempt.status} in {attempt.answered_s:.1f} s")
        return _Written(body, attempt, environ.get("REQUEST_METHOD") == "HEAD", self._say)


class _Written:
    """The answer's body, marking its attempt written once the server asked for more after the last chunk."""

    def __init__(
        self, body: Iterable[bytes], attempt: Attempt, head: bool, say: Callable[[str], None]
    ) -> None:
        self._body = body
        self._attempt = attempt
        self._head = head
        self._say = say

    def __iter__(self) -> Iterator[bytes]:
        attempt = self._attempt
        for chunk in self._body:
            attempt.sent += len(chunk)
            yield chunk
        attempt.written = True  # the server came back for more: every chunk was written
        no_body = self._head or attempt.status in (204, 304) or 100 <= attempt.status < 200
        if (attempt.declared is not None and not no_body and attempt.sent != attempt.declared) or (
            no_body and attempt.sent
        ):
            self._say(
                f"malformed answer: {attempt.operation} answered {attempt.status} with Content-Length "
                f"{attempt.declared} and {attempt.sent} bytes of body"
            )

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()
