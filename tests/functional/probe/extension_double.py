"""A small test double of the Parameters and Secrets extension: real HTTP on a free loopback port.

It answers 400 "not ready" to its first `not_ready` requests, checks the token (403 otherwise), serves the
two routes from a dict, and passes AWS-style errors through for unknown names, as the extension does;
`fault` (status, body, content type), when set, is its answer to every request with the right token.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


@dataclass
class DoubleState:
    """What the double serves and what it saw."""

    token: str
    secrets: dict[str, str]
    parameters: dict[str, str]
    not_ready: int = 0
    fault: tuple[int, str, str] | None = None
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, token header)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler_class(state: DoubleState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real extension

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def setup(self) -> None:
            super().setup()
            import socket

            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _send(self, status: int, body: str, content_type: str = "application/json") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            token = self.headers.get("X-Aws-Parameters-Secrets-Token")
            with state.lock:
                state.requests.append((self.path, token))
                if state.not_ready > 0:
                    state.not_ready -= 1
                    self._send(400, "not ready to serve traffic, please wait", "text/plain")
                    return
            if token != state.token:
                self._send(403, "Bad Token", "text/plain")
                return
            if state.fault is not None:
                self._send(*state.fault)
                return
            url = urlparse(self.path)
            query = parse_qs(url.query)
            if url.path == "/secretsmanager/get":
                name = query.get("secretId", [""])[0]
                if name not in state.secrets:
                    self._send(
                        400,
                        json.dumps(
                            {
                                "__type": "ResourceNotFoundException",
                                "message": "Secrets Manager can't find the specified secret.",
                            }
                        ),
                    )
                    return
                self._send(
                    200,
                    json.dumps(
                        {
                            "Name": name,
                            "SecretString": state.secrets[name],
                            "VersionId": "v1",
                            "VersionStages": ["AWSCURRENT"],
                        }
                    ),
                )
            elif url.path.rstrip("/") == "/systemsmanager/parameters/get":
                name = query.get("name", [""])[0]
                if query.get("withDecryption") != ["true"]:
                    self._send(400, json.dumps({"__type": "ValidationException", "message": "encrypted"}))
                elif name not in state.parameters:
                    self._send(400, json.dumps({"__type": "ParameterNotFound", "message": ""}))
                else:
                    self._send(
                        200,
                        json.dumps(
                            {
                                "Parameter": {
                                    "Name": name,
                                    "Type": "SecureString",
                                    "Value": state.parameters[name],
                                    "Version": 1,
                                }
                            }
                        ),
                    )
            else:
                self._send(404, "not found", "text/plain")

    return Handler


@contextmanager
def extension_double(state: DoubleState) -> Iterator[int]:
    """Serve `state` on 127.0.0.1 on a free port for the duration; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="extension-double", daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
