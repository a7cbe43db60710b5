"""Fixtures for the extension emulator's integration suite.

- `aws_proxy`: an HTTP proxy in front of the `aws_endpoint` moto server that records every AWS call (so a test
  can tell a hit from a miss by counting calls) and can hold calls for chosen names (a slow AWS call).
- `emulator`: starts `python -m lab.extension` as a real subprocess on a free port; stops it at teardown.
- `extensions_api`: a test double of the Lambda Extensions API (register, event/next, exit/error).
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
import requests

from tests.conftest import REPO_ROOT, free_port

TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"


def wait_for(predicate: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    """Poll `predicate` until it holds; fail the test with `what` if it never does."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


# --- a recording, gating proxy in front of the AWS endpoint
@dataclass
class AwsCall:
    """One call that went through the proxy toward AWS."""

    operation: str  # e.g. GetSecretValue
    params: dict


@dataclass
class AwsProxy:
    """Forwards to the AWS endpoint, records calls, holds calls whose body mentions a gated name."""

    target: str
    url: str = ""
    calls: list[AwsCall] = field(default_factory=list)
    gates: dict[str, threading.Event] = field(default_factory=dict)
    arrived: dict[str, threading.Event] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def gate(self, name: str) -> threading.Event:
        """Hold calls mentioning `name` until the returned event is set."""
        self.arrived[name] = threading.Event()
        self.gates[name] = threading.Event()
        return self.gates[name]

    def count(self, operation: str, **params: object) -> int:
        """How many calls of `operation` carried these parameters."""
        with self.lock:
            return sum(
                1
                for c in self.calls
                if c.operation == operation and all(c.params.get(k) == v for k, v in params.items())
            )


@pytest.fixture
def aws_proxy(aws_endpoint: str) -> Iterator[AwsProxy]:
    """A recording proxy toward the moto server; point AWS_ENDPOINT_URL at `aws_proxy.url`."""
    proxy = AwsProxy(target=aws_endpoint)
    target = urlsplit(aws_endpoint)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = {}
            with proxy.lock:
                proxy.calls.append(AwsCall(operation, params))
            text = body.decode(errors="replace")
            for name, gate in list(proxy.gates.items()):
                if name in text:
                    proxy.arrived[name].set()
                    gate.wait(30)
            upstream = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
            try:
                upstream.request("POST", self.path, body=body, headers=dict(self.headers.items()))
                response = upstream.getresponse()
                payload = response.read()
            finally:
                upstream.close()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in (
                    "transfer-encoding",
                    "connection",
                    "content-length",
                    "server",
                    "date",
                ):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        for gate in proxy.gates.values():
            gate.set()
        server.shutdown()
        server.server_close()


# --- seeding
@pytest.fixture
def aws(aws_endpoint: str) -> dict[str, object]:
    """boto3 clients on the AWS endpoint, for seeding fixtures."""
    return {
        "secretsmanager": boto3.client("secretsmanager", endpoint_url=aws_endpoint, region_name="us-east-1"),
        "ssm": boto3.client("ssm", endpoint_url=aws_endpoint, region_name="us-east-1"),
    }


def unique(prefix: str) -> str:
    """A name no other test uses (the moto server is shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --- the emulator as a subprocess
@dataclass
class Emulator:
    """One running emulator process."""

    process: subprocess.Popen
    port: int
    log_path: Path
    token: str
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(
        self, path: str, token: str | None = None, params: dict | None = None, **headers: str
    ) -> requests.Response:
        """GET with the right token (or `token`), on a keep-alive session."""
        sent = {TOKEN_HEADER: self.token if token is None else token, **headers}
        return self.session.get(self.url + path, params=params, headers=sent, timeout=30)

    def secret(self, secret_id: str, **params: str) -> requests.Response:
        """GET /secretsmanager/get with these parameters."""
        return self.get("/secretsmanager/get", params={"secretId": secret_id, **params})

    def parameter(self, name: str, **params: str) -> requests.Response:
        """GET /systemsmanager/parameters/get with these parameters."""
        return self.get("/systemsmanager/parameters/get", params={"name": name, **params})

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.session.close()
        return int(self.process.returncode)


def _starter(log_dir: Path, started: list[Emulator]) -> Callable[..., Emulator]:
    """A function that starts emulators logging into `log_dir`, remembering them in `started`."""

    def start(
        aws_url: str | None,
        wait: bool = True,
        command: list[str] | None = None,
        unset: tuple[str, ...] = (),
        **env: str,
    ) -> Emulator:
        port = free_port()
        token = uuid.uuid4().hex
        full_env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
        full_env.update(
            PYTHONPATH=str(REPO_ROOT),
            AWS_SESSION_TOKEN=token,
            PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port),
        )
        if aws_url:
            full_env["AWS_ENDPOINT_URL"] = aws_url
        full_env.update(env)
        for name in unset:
            full_env.pop(name, None)
        log_path = log_dir / f"emulator-{port}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                command or [sys.executable, "-m", "lab.extension"],
                cwd=REPO_ROOT,
                env=full_env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        instance = Emulator(process, port, log_path, token)
        started.append(instance)
        if wait:
            wait_for(lambda: _answers_ping(instance), f"emulator answers /ping on {port}")
        return instance

    return start


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Callable[..., Emulator]]:
    """Factory: start(aws_url, **env) -> a running Emulator (answering /ping); all stopped at teardown."""
    started: list[Emulator] = []
    yield _starter(tmp_path, started)
    for instance in started:
        instance.stop()


@pytest.fixture(scope="module")
def shared_emulator(aws_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One emulator with default settings, shared by a module's tests (each uses its own names)."""
    started: list[Emulator] = []
    instance = _starter(tmp_path_factory.mktemp("emulator"), started)(aws_endpoint)
    try:
        yield instance
    finally:
        instance.stop()


def _answers_ping(instance: Emulator) -> bool:
    if instance.process.poll() is not None:
        raise AssertionError(f"emulator exited with {instance.process.returncode}: {instance.log()}")
    try:
        return requests.get(instance.url + "/ping", timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or busy starting on a loaded machine
        return False


# --- a test double of the Lambda Extensions API
@dataclass
class ExtensionsApiDouble:
    """Records registrations and polls; hands out the events a test pushes."""

    address: str = ""
    identifier: str = field(default_factory=lambda: str(uuid.uuid4()))
    registrations: list[dict] = field(default_factory=list)
    polls: int = 0
    errors: list[dict] = field(default_factory=list)
    bad_identifier: int = 0
    events: queue.Queue = field(default_factory=queue.Queue)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self) -> None:
        self.events.put(
            {
                "eventType": "INVOKE",
                "deadlineMs": int(time.time() * 1000) + 60_000,
                "requestId": str(uuid.uuid4()),
                "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:probe",
                "tracing": {"type": "X-Amzn-Trace-Id", "value": "Root=1-00000000-000000000000000000000000"},
            }
        )

    def shutdown(self) -> None:
        self.events.put(
            {
                "eventType": "SHUTDOWN",
                "shutdownReason": "spindown",
                "deadlineMs": int(time.time() * 1000) + 2000,
            }
        )


@pytest.fixture
def extensions_api() -> Iterator[ExtensionsApiDouble]:
    """A Lambda Extensions API double on a free loopback port; AWS_LAMBDA_RUNTIME_API = `.address`."""
    double = ExtensionsApiDouble()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            if self.path == "/2020-01-01/extension/register":
                with double.lock:
                    double.registrations.append(
                        {"name": self.headers.get("Lambda-Extension-Name"), "body": body}
                    )
                self._answer(
                    200,
                    {
                        "functionName": "probe",
                        "functionVersion": "$LATEST",
                        "handler": "probe.handler.handler",
                    },
                    {"Lambda-Extension-Identifier": double.identifier},
                )
            elif self.path in ("/2020-01-01/extension/exit/error", "/2020-01-01/extension/init/error"):
                with double.lock:
                    double.errors.append({"path": self.path, "body": body})
                self._answer(202, {"status": "OK"})
            else:
                self._answer(404, {"errorType": "NotFound"})

        def do_GET(self) -> None:
            if self.path != "/2020-01-01/extension/event/next":
                self._answer(404, {"errorType": "NotFound"})
                return
            if self.headers.get("Lambda-Extension-Identifier") != double.identifier:
                with double.lock:
                    double.bad_identifier += 1
                self._answer(403, {"errorType": "Extension.InvalidExtensionIdentifier"})
                return
            with double.lock:
                double.polls += 1
            event = double.events.get()
            if event is None:  # teardown
                self._answer(500, {"errorType": "Shutdown"})
                return
            self._answer(200, event, {"Lambda-Extension-Event-Identifier": str(uuid.uuid4())})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    double.address = f"127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield double
    finally:
        for _ in range(4):
            double.events.put(None)
        server.shutdown()
        server.server_close()


# --- endpoints that misbehave
@pytest.fixture
def black_hole() -> Iterator[str]:
    """An endpoint that accepts connections and never answers (an AWS call that hangs)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()
