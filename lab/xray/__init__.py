"""A UDP listener standing in for the X-Ray daemon: keeps the segments functions send, in memory and in JSONL.

The X-Ray SDKs send each (sub)segment as one datagram: a header line `{"format": "json", "version": 1}`, a
newline, then the segment document. Environments get `AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:<port>`.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from pathlib import Path
from typing import Any

__all__ = ["XRayListener", "parse_datagram"]

HEADER = {"format": "json", "version": 1}


class XRayError(Exception):
    """A datagram that is not an X-Ray daemon message."""


def parse_datagram(data: bytes) -> dict[str, Any]:
    """The segment document of one daemon datagram (header line, newline, JSON document)."""
    text = data.decode("utf-8", "replace")
    header, sep, body = text.partition("\n")
    if not sep:
        raise XRayError("no header line")
    try:
        parsed_header = json.loads(header)
        document = json.loads(body)
    except ValueError as exc:
        raise XRayError(f"not JSON: {exc}") from exc
    if parsed_header.get("format") != "json" or not isinstance(document, dict):
        raise XRayError(f"unexpected header {header!r}")
    return document


class XRayListener:
    """Listens on a free UDP port of 127.0.0.1 (or `port`), keeps the last `keep` segments, and `path`."""

    def __init__(
        self, path: Path | None = None, host: str = "127.0.0.1", port: int = 0, keep: int = 10_000
    ) -> None:
        self.path = Path(path) if path else None
        self._segments: deque[dict[str, Any]] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self.rejected = 0
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

    def _loop(self) -> None:
        while not self._closed.is_set():
            try:
                data = self._sock.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                self.add(parse_datagram(data))
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
        self._closed.set()
        self._thread.join(timeout=2)
        self._sock.close()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> XRayListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
