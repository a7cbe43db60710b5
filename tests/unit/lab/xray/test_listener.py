"""Unit tests of lab.xray: the UDP listener that keeps the segments functions send."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from lab.xray import XRayListener, parse_datagram


def test_xray_listener_keeps_segments_and_rejects_garbage(tmp_path: Path) -> None:
    doc = {"name": "probe", "id": "a1", "trace_id": "1-x-y", "start_time": 1.0, "end_time": 2.0}
    assert parse_datagram(b'{"format": "json", "version": 1}\n' + json.dumps(doc).encode()) == doc
    with XRayListener(path=tmp_path / "seg.jsonl") as listener:
        host, port = listener.address.split(":")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b'{"format": "json", "version": 1}\n' + json.dumps(doc).encode(), (host, int(port)))
            sock.sendto(b"not a segment", (host, int(port)))
        for _ in range(100):
            if listener.segments() and listener.rejected:
                break
            time.sleep(0.01)
        assert listener.segments(trace_id="1-x-y") == [doc]
        assert listener.segments(name="other") == []
        assert listener.rejected == 1
    assert json.loads((tmp_path / "seg.jsonl").read_text()) == doc
