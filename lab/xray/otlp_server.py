"""The trace store's OTLP/HTTP receiver: `POST /v1/traces` on a free loopback port, as a collector serves it.

Protobuf (`application/x-protobuf`) and JSON (`application/json`), gzip or not. A request is answered once its
spans are kept (so an exporter whose flush returned has its spans in the store): 200 with an empty
ExportTraceServiceResponse in the request's encoding; 400 for a body that is not OTLP traces, 415 for another
media type, 404 for another path, 405 for another method.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .otlp import JSON, OtlpError, decode_http

TRACES_PATH = "/v1/traces"
MAX_BODY = 16 * 1024 * 1024

SpanSink = Callable[[list[dict[str, Any]]], None]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as an OTLP exporter's session expects

    def log_message(self, format: str, *args: Any) -> None:
        return  # the lab's console is not the place for one line per export

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _refuse(self, status: int, message: str) -> None:
        self.server.refused += 1
        self._reply(status, message.encode() + b"\n", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            return self._refuse(413, f"body over {MAX_BODY} bytes")
        body = self.rfile.read(length)
        if self.path.split("?", 1)[0] != TRACES_PATH:
            return self._refuse(404, f"only {TRACES_PATH} is served")
        content_type = self.headers.get("Content-Type", "")
        try:
            spans = decode_http(body, content_type, self.headers.get("Content-Encoding", ""))
        except OtlpError as exc:
            return self._refuse(400, str(exc))
        except ValueError as exc:
            return self._refuse(415, str(exc))
        self.server.sink(spans)
        if content_type.split(";", 1)[0].strip().lower() == JSON:
            self._reply(200, b"{}", JSON)
        else:
            self._reply(200, b"", "application/x-protobuf")  # an empty ExportTraceServiceResponse

    def do_GET(self) -> None:
        self._refuse(405, "POST only")

    do_PUT = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sink: SpanSink) -> None:
        super().__init__(address, _Handler)
        self.sink = sink
        self.refused = 0


class OtlpHttpReceiver:
    """Serves OTLP/HTTP traces on `host:port` (0: a free port), handing each request's spans to `sink`."""

    def __init__(self, sink: SpanSink, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), sink)
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp-http", daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        """The base URL (OTEL_EXPORTER_OTLP_ENDPOINT); exporters post to `{endpoint}/v1/traces`."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def refused(self) -> int:
        """Requests answered with an error (not OTLP traces, wrong path, method or media type)."""
        return self._server.refused

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)
