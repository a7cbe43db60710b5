"""The lab's trace store: a UDP listener standing in for the X-Ray daemon, and an OTLP/HTTP receiver beside
it; keeps the segments and the spans functions send, in memory and in JSONL files.

The X-Ray SDKs send each (sub)segment as one datagram: a header line `{"format": "json", "version": 1}`, a
newline, then the segment document. ADOT on Lambda sends OTLP spans to the same address, the header line then
`T1S`/`T1U` and base64 protobuf (`otlp.py`). Environments get `AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:<port>` and
`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<port>` (`otlp_server.py`).
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from pathlib import Path
from typing import Any

from .otlp import OtlpError, decode_udp
from .otlp_server import OtlpHttpReceiver

__all__ = ["XRayListener", "parse_datagram", "parse_message"]

HEADER = {"format": "json", "version": 1}


class XRayError(Exception):
    """A datagram that is not an X-Ray daemon message."""


def parse_message(data: bytes) -> tuple[str, Any]:
    """One daemon datagram: ("segment", document) for X-Ray, ("spans", [span, ...]) for ADOT's OTLP."""
    text = data.decode("utf-8", "replace")
    header, sep, body = text.partition("\n")
    if not sep:
        raise XRayError("no header line")
    try:
        parsed_header = json.loads(header)
    except ValueError as exc:
        raise XRayError(f"header not JSON: {exc}") from exc
    if not isinstance(parsed_header, dict) or parsed_header.get("format") != "json":
        raise XRayError(f"unexpected header {header!r}")
    if body[:3] in ("T1S", "T1U"):
        try:
            return "spans", decode_udp(body)
        except OtlpError as exc:
            raise XRayError(str(exc)) from exc
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise XRayError(f"not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise XRayError("segment is not a JSON object")
    return "segment", document


def parse_datagram(data: bytes) -> dict[str, Any]:
    """The segment document of one daemon datagram (header line, newline, JSON document)."""
    kind, document = parse_message(data)
    if kind != "segment":
        raise XRayError("not a segment")
    return dict(document)


class XRayListener:
    """Listens on a free UDP port of 127.0.0.1 (or `port`) and serves OTLP/HTTP on another (`otlp=True`);
    keeps the last `keep` segments (and spans) in memory, segments in `path` and spans in `spans_path`
    (default: `otlp-spans.jsonl` beside `path`)."""

    def __init__(
        self,
        path: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        keep: int = 10_000,
        *,
        spans_path: Path | None = None,
        otlp: bool = True,
    ) -> None:
        self.path = Path(path) if path else None
        if spans_path is None and self.path is not None:
            spans_path = self.path.with_name("otlp-spans.jsonl")
        self.spans_path = Path(spans_path) if spans_path else None
        self._segments: deque[dict[str, Any]] = deque(maxlen=keep)
        self._spans: deque[dict[str, Any]] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self.rejected = 0
        self._spans_file = None
        if self.spans_path is not None:
            self.spans_path.parent.mkdir(parents=True, exist_ok=True)
            self._spans_file = self.spans_path.open("a", encoding="utf-8")
        self._otlp = OtlpHttpReceiver(self.add_spans, host) if otlp else None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, port))
        self._sock.settimeout(0.2)
        self._closed = threading.Event()
        self._file = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        self._thread = threading.Thread(target=self._loop, name="xray-listener", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        """host:port, the value of AWS_XRAY_DAEMON_ADDRESS."""
        host, port = self._sock.getsockname()[:2]
        return f"{host}:{port}"

    @property
    def otlp_endpoint(self) -> str | None:
        """The OTLP/HTTP receiver's base URL (OTEL_EXPORTER_OTLP_ENDPOINT), None without one."""
        return self._otlp.endpoint if self._otlp is not None else None

    def _loop(self) -> None:
        while not self._closed.is_set():
            try:
                data = self._sock.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                kind, document = parse_message(data)
                if kind == "spans":
                    self.add_spans(document)
                else:
                    self.add(document)
            except XRayError:
                with self._lock:
                    self.rejected += 1

    def add(self, document: dict[str, Any]) -> None:
        """Keep one segment document (also used by the lab's Lambda service for its own function segments)."""
        with self._lock:
            self._segments.append(document)
            if self._file is not None:
                self._file.write(json.dumps(document, sort_keys=True) + "\n")
                self._file.flush()

    def add_spans(self, spans: list[dict[str, Any]]) -> None:
        """Keep OTLP spans (flattened by `otlp.flatten`), from the HTTP receiver or a UDP datagram."""
        with self._lock:
            self._spans.extend(spans)
            if self._spans_file is not None:
                for span in spans:
                    self._spans_file.write(json.dumps(span, sort_keys=True) + "\n")
                self._spans_file.flush()

    def spans(self, trace_id: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
        """The kept OTLP spans, optionally only one trace's (hex id) or one name's."""
        with self._lock:
            kept = list(self._spans)
        return [
            s
            for s in kept
            if (trace_id is None or s.get("trace_id") == trace_id) and (name is None or s.get("name") == name)
        ]

    def segments(self, trace_id: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
        """The kept segments, optionally only one trace's or one name's."""
        with self._lock:
            docs = list(self._segments)
        return [
            d
            for d in docs
            if (trace_id is None or d.get("trace_id") == trace_id) and (name is None or d.get("name") == name)
        ]

    def close(self) -> None:
        if self._otlp is not None:
            self._otlp.close()
        self._closed.set()
        self._thread.join(timeout=2)
        self._sock.close()
        with self._lock:
            for file in (self._file, self._spans_file):
                if file is not None:
                    file.close()
            self._file = self._spans_file = None

    def __enter__(self) -> XRayListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
