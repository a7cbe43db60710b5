"""The Runtime API and Extensions API of one execution environment, served over HTTP on a free loopback port.

Implements what awslambdaric and an external extension use:
- Runtime API `2018-06-01`: `GET /runtime/invocation/next`, `POST /runtime/invocation/{id}/response`,
  `POST /runtime/invocation/{id}/error`, `POST /runtime/init/error`.
- Extensions API `2020-01-01`: `POST /extension/register`, `GET /extension/event/next`,
  `POST /extension/init/error`, `POST /extension/exit/error`.
The environment (`environment.py`) drives it: it queues invocations and events and waits on the state here.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .lambda_errors import ErrorBody

RUNTIME = "/2018-06-01/runtime"
EXTENSION = "/2020-01-01/extension"


@dataclass
class Invocation:
    """One event for the runtime, with the headers Lambda sends alongside it."""

    request_id: str
    body: bytes
    deadline_ms: int
    function_arn: str
    trace_id: str


@dataclass
class Outcome:
    """What the runtime posted for one invocation."""

    kind: str  # "response" | "error"
    body: bytes
    error_type: str | None = None


@dataclass
class Extension:
    """A registered external extension and its pending events."""

    name: str
    ext_id: str
    events: list[str]
    queue: deque[dict[str, Any]] = field(default_factory=deque)
    waiting: bool = False
    next_calls: int = 0
    errors: list[str] = field(default_factory=list)


class ApiState:
    """Shared state between the HTTP handlers and the environment, guarded by one condition variable."""

    def __init__(self, function_name: str, handler: str, account_id: str) -> None:
        self.cond = threading.Condition()
        self.function_name = function_name
        self.handler = handler
        self.account_id = account_id
        self.registration_open = True
        self.closed = False
        self.extensions: dict[str, Extension] = {}
        self.runtime_queue: deque[Invocation] = deque()
        self.runtime_waiting = False
        self.runtime_next_calls = 0
        self.outcomes: dict[str, Outcome] = {}
        self.init_error: Outcome | None = None
        self.current: Invocation | None = None

    # --- driven by the environment -------------------------------------------------------------
    def deliver(self, invocation: Invocation, extension_event: dict[str, Any]) -> None:
        """Queue the INVOKE event for every subscribed extension and the invocation for the runtime."""
        with self.cond:
            for ext in self.extensions.values():
                if "INVOKE" in ext.events:
                    ext.queue.append(extension_event)
            self.current = invocation
            self.runtime_queue.append(invocation)
            self.cond.notify_all()

    def shutdown_event(self, event: dict[str, Any]) -> list[str]:
        """Queue SHUTDOWN for the extensions subscribed to it; returns their names."""
        with self.cond:
            names = []
            for ext in self.extensions.values():
                if "SHUTDOWN" in ext.events:
                    ext.queue.append(event)
                    names.append(ext.name)
            self.cond.notify_all()
            return names

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def extensions_idle(self) -> bool:
        """True when every registered extension is parked in /event/next with nothing queued."""
        return all(ext.waiting and not ext.queue for ext in self.extensions.values())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # --- helpers -----------------------------------------------------------------------------------
    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers, then the blank line
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF after each chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, body: bytes | dict[str, Any] = b"", headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Type" not in (headers or {}):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, error_type: str, message: str) -> None:
        self._send(status, ErrorBody(error_type, message).document())

    # --- routes ------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        state = self.server.state
        if self.path == f"{RUNTIME}/invocation/next":
            self._runtime_next(state)
        elif self.path == f"{EXTENSION}/event/next":
            self._extension_next(state)
        else:
            self._error(404, "InvalidRequest", f"no route GET {self.path}")

    def do_POST(self) -> None:
        state = self.server.state
        body = self._body()
        path = self.path
        if path.startswith(f"{RUNTIME}/invocation/") and path.endswith(("/response", "/error")):
            request_id = path[len(f"{RUNTIME}/invocation/") :].rsplit("/", 1)[0]
            kind = "response" if path.endswith("/response") else "error"
            error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
            with state.cond:
                if state.current is None or state.current.request_id != request_id:
                    self._error(400, "InvalidRequestID", f"no invocation {request_id} in progress")
                    return
                state.outcomes[request_id] = Outcome(kind, body, error_type)
                state.current = None
                state.cond.notify_all()
            self._send(202, {"status": "OK"})
        elif path == f"{RUNTIME}/init/error":
            with state.cond:
                state.init_error = Outcome(
                    "error", body, self.headers.get("Lambda-Runtime-Function-Error-Type")
                )
                state.cond.notify_all()
            self._send(202, {"status": "OK"})
        elif path == f"{EXTENSION}/register":
            self._register(state, body)
        elif path in (f"{EXTENSION}/init/error", f"{EXTENSION}/exit/error"):
            ext = state.extensions.get(self.headers.get("Lambda-Extension-Identifier", ""))
            if ext is None:
                self._error(403, "Extension.Unregistered", "unknown Lambda-Extension-Identifier")
                return
            with state.cond:
                ext.errors.append(
                    f"{path.rsplit('/', 2)[-2]}: {self.headers.get('Lambda-Extension-Function-Error-Type')}"
                )
                state.cond.notify_all()
            self._send(202, {"status": "OK"})
        else:
            self._error(404, "InvalidRequest", f"no route POST {path}")

    def _runtime_next(self, state: ApiState) -> None:
        with state.cond:
            state.runtime_waiting = True
            state.runtime_next_calls += 1
            state.cond.notify_all()
            while not state.runtime_queue and not state.closed:
                state.cond.wait()
            if state.closed:
                state.runtime_waiting = False
                self._error(410, "Environment.Closed", "the execution environment is shutting down")
                return
            invocation = state.runtime_queue.popleft()
            state.runtime_waiting = False
        self._send(
            200,
            invocation.body,
            {
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
                "Lambda-Runtime-Trace-Id": invocation.trace_id,
                "Content-Type": "application/json",
            },
        )

    def _register(self, state: ApiState, body: bytes) -> None:
        name = self.headers.get("Lambda-Extension-Name", "")
        try:
            events = json.loads(body or b"{}").get("events", [])
        except (ValueError, AttributeError):
            self._error(400, "InvalidRequest", 'register body must be JSON {"events": [...]}')
            return
        if not name:
            self._error(400, "InvalidRequest", "missing Lambda-Extension-Name header")
            return
        bad = [e for e in events if e not in ("INVOKE", "SHUTDOWN")]
        if bad or not isinstance(events, list):
            self._error(
                400, "InvalidRequest", f"unknown events {bad}; external extensions may use INVOKE, SHUTDOWN"
            )
            return
        with state.cond:
            if not state.registration_open:
                self._error(403, "Extension.RegistrationClosed", "registration is only allowed during INIT")
                return
            if any(ext.name == name for ext in state.extensions.values()):
                self._error(409, "Extension.AlreadyRegistered", f"extension {name} is already registered")
                return
            ext = Extension(name=name, ext_id=str(uuid.uuid4()), events=list(events))
            state.extensions[ext.ext_id] = ext
            state.cond.notify_all()
        self._send(
            200,
            {
                "functionName": state.function_name,
                "functionVersion": "$LATEST",
                "handler": state.handler,
                "accountId": state.account_id,
            },
            {"Lambda-Extension-Identifier": ext.ext_id},
        )

    def _extension_next(self, state: ApiState) -> None:
        ext = state.extensions.get(self.headers.get("Lambda-Extension-Identifier", ""))
        if ext is None:
            self._error(403, "Extension.Unregistered", "unknown or missing Lambda-Extension-Identifier")
            return
        with state.cond:
            ext.waiting = True
            ext.next_calls += 1
            state.cond.notify_all()
            while not ext.queue and not state.closed:
                state.cond.wait()
            if not ext.queue:
                ext.waiting = False
                self._error(410, "Environment.Closed", "the execution environment is shutting down")
                return
            event = ext.queue.popleft()
            ext.waiting = False
            state.cond.notify_all()
        self._send(200, event, {"Lambda-Extension-Event-Identifier": str(uuid.uuid4())})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: ApiState) -> None:
        self.state = state
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A process killed mid-request (timeout, shutdown) resets its connection: expected, not an error."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class ApiServer:
    """Runs the Runtime + Extensions API for one environment in a background thread."""

    def __init__(self, state: ApiState) -> None:
        self.state = state
        self._server = _Server(state)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"runtime-api-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        """What AWS_LAMBDA_RUNTIME_API holds: host:port."""
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self.state.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
