"""A throttling AWS double: Secrets Manager and SSM's JSON protocol over real loopback HTTP.

The probe's own clients (made by the strategy, with the probe's retry configuration) are pointed at it with
`AWS_ENDPOINT_URL`, so the test sees every HTTP attempt botocore sends, retries included.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .conftest import CANARY, PARAMETER_NAME, SECRET_ID


@dataclass
class Fault:
    """What a failing request gets: HTTP status and AWS error code."""

    status: int
    code: str


@dataclass
class AwsDouble:
    """Answers the probe's reads; `fail(n, operation)` says whether the n-th request (from 1) gets `fault`."""

    fault: Fault
    fail: Callable[[int, str], bool]
    operations: list[str] = field(default_factory=list)  # every request received, in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, operation: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.operations.append(operation)
            n = len(self.operations)
        if self.fail(n, operation):
            return self.fault.status, {"__type": self.fault.code, "message": "Rate exceeded"}
        if operation == "DescribeSecret":
            return 200, {"ARN": "arn:x", "Name": SECRET_ID, "VersionIdsToStages": {"v1": ["AWSCURRENT"]}}
        if operation == "GetSecretValue":
            return 200, {
                "ARN": "arn:x",
                "Name": SECRET_ID,
                "SecretString": CANARY,
                "VersionId": "v1",
                "VersionStages": ["AWSCURRENT"],
            }
        return 200, {
            "Parameter": {"Name": PARAMETER_NAME, "Type": "SecureString", "Value": CANARY, "Version": 1}
        }


def _handler_class(double: AwsDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            operation = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
            status, body = double.answer(operation)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("x-amzn-RequestId", "test")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def aws_double(double: AwsDouble) -> Iterator[str]:
    """Serve `double` on 127.0.0.1 on a free port for the duration; yields the endpoint URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(double))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="aws-double", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
