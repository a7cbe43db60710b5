"""A small threaded HTTP/1.1 server: keep-alive, Nagle off, 127.0.0.1 only, a cap on inbound connections.

Shared by lab/extension and lab/cloud_extensions.

The stdlib's `http.server` parses headers with the email package, which costs more than a warm cache hit;
this server reads the request line and headers itself and writes each answer with a single `sendall`.
`TCP_NODELAY` is set on every accepted socket: with Nagle's algorithm on, a keep-alive client waits for a
~40 ms delayed ACK on every request, which would swamp the latency the lab measures.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from http import HTTPStatus
from typing import Any, Protocol

from .aws import Reply

log = logging.getLogger("lab.extension")

HOST = "127.0.0.1"
MAX_LINE = 65536
MAX_HEADERS = 100
MAX_BODY = 1 << 20
PING_EXTRA_CONNECTIONS = 2  # health checks may exceed the cap by this much (the Agent allows the same)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def render(reply: Reply, close: bool) -> bytes:
    """The bytes of one HTTP/1.1 response."""
    head = (
        f"HTTP/1.1 {reply.status} {_reason(reply.status)}\r\n"
        f"Content-Type: {reply.content_type}\r\n"
        f"Content-Length: {len(reply.body)}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in reply.headers)
        + ("Connection: close\r\n" if close else "")
        + "\r\n"
    )
    return head.encode("latin-1") + reply.body


class _Settings(Protocol):
    @property
    def max_inbound_connections(self) -> int: ...


class Handler(Protocol):
    """What the server serves: the Parameters and Secrets emulator, or the Cloud Extensions one."""

    @property
    def settings(self) -> _Settings: ...

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply: ...


class _Handler(socketserver.StreamRequestHandler):
    """Serves every request of one client connection, until it closes or asks to close."""

    server: ExtensionServer

    def handle(self) -> None:
        over_cap = self.server.enter()
        try:
            while self._one_request(over_cap):
                pass
        except OSError:  # the client went away
            pass
        finally:
            self.server.leave()

    def _one_request(self, over_cap: int) -> bool:
        """Serve one request; False when the connection should close."""
        line = self.rfile.readline(MAX_LINE + 1)
        while line in (b"\r\n", b"\n"):  # tolerate blank lines between requests (RFC 9112 2.2)
            line = self.rfile.readline(MAX_LINE + 1)
        if not line:
            return False
        parts = line.decode("latin-1").split()
        if len(line) > MAX_LINE or len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return self._send(Reply.text(400, "Bad request"), close=True)
        method, target, version = parts
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            raw = self.rfile.readline(MAX_LINE + 1)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep or len(raw) > MAX_LINE:
                return self._send(Reply.text(400, "Bad header"), close=True)
            headers[name.strip().lower()] = value.strip()
        else:
            return self._send(Reply.text(431, "Too many headers"), close=True)
        if "transfer-encoding" in headers:
            return self._send(Reply.text(400, "Chunked request bodies are not supported"), close=True)
        length_raw = headers.get("content-length", "0")
        if not length_raw.isdigit() or int(length_raw) > MAX_BODY:
            return self._send(Reply.text(400, "Bad Content-Length"), close=True)
        body = self.rfile.read(int(length_raw)) if int(length_raw) else b""
        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        if over_cap and not (target == "/ping" and over_cap <= PING_EXTRA_CONNECTIONS):
            log.warning("inbound connection cap reached: answered 429")
            return self._send(Reply.text(429, "Connection limit exceeded"), close=True)
        try:
            reply = self.server.extension.handle(method, target, headers, body)
        except Exception:  # a bug must be visible, and must not kill the connection thread silently
            log.exception("internal error")
            reply = Reply(500, b'{"__type":"InternalFailure"}')
        return self._send(reply, close, head_only=method == "HEAD")

    def _send(self, reply: Reply, close: bool, head_only: bool = False) -> bool:
        data = render(reply, close)
        self.wfile.write(data[: len(data) - len(reply.body)] if head_only else data)
        return not close


class ExtensionServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """The listening socket on 127.0.0.1; one daemon thread per client connection."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, extension: Handler, port: int) -> None:
        self.extension = extension
        self._count_lock = threading.Lock()
        self.active = 0
        super().__init__((HOST, port), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection and turn Nagle's algorithm off on it."""
        conn, address = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, address

    def enter(self) -> int:
        """Count a new connection; how far it is over the inbound cap (0 when within)."""
        with self._count_lock:
            self.active += 1
            return max(0, self.active - self.extension.settings.max_inbound_connections)

    def leave(self) -> None:
        """Uncount a closed connection."""
        with self._count_lock:
            self.active -= 1

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self.server_address[1])
