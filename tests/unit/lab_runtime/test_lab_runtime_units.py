"""Unit tests of the lab runtime's pure parts: quotas, cgroups, artifacts, destination records, APIs."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

from lab.runtime.api import ApiServer, ApiState, Invocation
from lab.runtime.artifacts import ArtifactIndex, CodeMismatchError, unpack
from lab.runtime.cgroups import CgroupManager, CpuGroup, parse_cpu_stat, quota_us, vcpus
from lab.runtime.service import InvocationResult, destination_record
from lab.xray import XRayListener, parse_datagram


@pytest.mark.parametrize(
    ("memory", "period", "expected"),
    [
        (128, 20_000, 1447),
        (1769, 20_000, 20_000),
        (3008, 20_000, 34_008),
        (512, 100_000, 28_943),
        (128, 100_000, 7236),
    ],
)
def test_quota_is_memory_over_1769_of_a_cpu_per_period(memory: int, period: int, expected: int) -> None:
    assert quota_us(memory, period) == expected


def test_quota_never_goes_below_the_cfs_minimum_and_rejects_nonsense() -> None:
    assert quota_us(16, 20_000) == 1000
    assert round(vcpus(3008), 2) == 1.70
    with pytest.raises(ValueError):
        quota_us(0, 20_000)


def test_cpu_stat_v1_and_v2() -> None:
    v1 = parse_cpu_stat("nr_periods 120\nnr_throttled 80\nthrottled_time 900100000\n")
    assert (v1.nr_periods, v1.nr_throttled, v1.throttled_time_ms) == (120, 80, 900.1)
    v2 = parse_cpu_stat("usage_usec 5\nnr_periods 10\nnr_throttled 4\nthrottled_usec 2500\n")
    assert (v2.nr_periods, v2.nr_throttled, v2.throttled_time_ms) == (10, 4, 2.5)


def test_manager_falls_back_to_none_when_the_root_is_not_a_cgroup_fs(tmp_path: Path) -> None:
    said: list[str] = []
    manager = CgroupManager(v1_root=tmp_path, v2_root=tmp_path / "missing", log=said.append)
    group = manager.create("env1", 128)
    assert manager.mode == "none" and group.mode == "none" and group.path is None
    assert group.wrap(["python3", "-V"]) == ["python3", "-V"]
    assert len(said) == 1 and "unthrottled" in said[0]
    assert list(tmp_path.iterdir()) == []  # nothing left behind
    manager.close()


def test_manager_mode_none_and_bad_settings() -> None:
    assert CgroupManager(mode="none", log=lambda _: None).mode == "none"
    with pytest.raises(ValueError):
        CgroupManager(mode="v3")
    with pytest.raises(ValueError):
        CgroupManager(period_ms=0.1)


def test_v2_group_writes_cpu_max(tmp_path: Path) -> None:
    manager = CgroupManager(mode="none", period_ms=20, log=lambda _: None)
    manager.mode = "cgroup-v2"
    (tmp_path / "cpu.max").write_text("max 20000")
    group = CpuGroup(manager, tmp_path, 128)
    assert group.read_limits() == (-1, 20_000)
    group.throttle()
    assert (tmp_path / "cpu.max").read_text() == "1447 20000"
    assert group.read_limits() == (1447, 20_000)
    wrapped = group.wrap(["python3"])
    assert wrapped[:2] == ["/bin/sh", "-c"] and wrapped[3] == str(tmp_path / "cgroup.procs")


def _zip(path: Path, files: dict[str, tuple[bytes, int]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return path


def _b64(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def test_artifact_found_by_manifest_or_hash_and_mismatch_refused(tmp_path: Path) -> None:
    a = _zip(tmp_path / "probe.zip", {"h.py": (b"x = 1\n", 0o644)})
    b = _zip(tmp_path / "layer.zip", {"extensions/e": (b"#!/bin/sh\n", 0o755)})
    (tmp_path / "manifest.json").write_text(
        json.dumps({"probe": {"path": "build/probe.zip", "sha256_hex": "", "sha256_b64": _b64(a)}})
    )
    index = ArtifactIndex(tmp_path)
    assert index.find(_b64(a), "function f") == a
    assert index.find(_b64(b), "layer l") == b  # not in the manifest: found by hashing
    with pytest.raises(CodeMismatchError, match=r"refusing to run function f: .*probe\.zip"):
        index.find(base64.b64encode(b"\0" * 32).decode(), "function f")


def test_stale_manifest_entry_is_refused(tmp_path: Path) -> None:
    a = _zip(tmp_path / "probe.zip", {"h.py": (b"x = 1\n", 0o644)})
    claimed = base64.b64encode(b"\1" * 32).decode()
    (tmp_path / "manifest.json").write_text(json.dumps({"probe": {"path": str(a), "sha256_b64": claimed}}))
    with pytest.raises(CodeMismatchError, match="stale"):
        ArtifactIndex(tmp_path).find(claimed, "function f")


def test_unpack_keeps_executable_bits_and_refuses_escapes(tmp_path: Path) -> None:
    layer = _zip(
        tmp_path / "layer.zip", {"extensions/ext": (b"#!/bin/sh\n", 0o755), "python/m.py": (b"", 0o644)}
    )
    unpack(layer, tmp_path / "opt")
    assert (tmp_path / "opt/extensions/ext").stat().st_mode & 0o111
    assert not (tmp_path / "opt/python/m.py").stat().st_mode & 0o111
    evil = _zip(tmp_path / "evil.zip", {"../escaped": (b"", 0o644)})
    with pytest.raises(CodeMismatchError, match="outside"):
        unpack(evil, tmp_path / "task")
    assert not (tmp_path / "escaped").exists()


def _result(error: str | None, payload: object) -> InvocationResult:
    return InvocationResult("r1", "f", 200, payload, error, None, False, None, None, 1.0, None, None)


def test_destination_record_matches_lambdas_shape() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    failure = destination_record(
        "r1",
        arn,
        "RetriesExhausted",
        3,
        {"a": 1},
        _result("Unhandled", {"errorType": "E", "errorMessage": "m"}),
    )
    assert set(failure) == {
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    }
    assert failure["version"] == "1.0"
    assert failure["requestContext"] == {
        "requestId": "r1",
        "functionArn": f"{arn}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert failure["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    success = destination_record("r2", arn, "Success", 1, {}, _result(None, {"ok": True}))
    assert "functionError" not in success["responseContext"] and success["responsePayload"] == {"ok": True}
    expired = destination_record("r3", arn, "EventAgeExceeded", 0, {}, None)
    assert "responseContext" not in expired and "responsePayload" not in expired


def _request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request(method, path, body, headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), data


def test_api_register_next_invoke_response_cycle() -> None:
    state = ApiState("fn", "h.handler", "123456789012")
    server = ApiServer(state)
    try:
        status, headers, body = _request(
            server.port,
            "POST",
            "/2020-01-01/extension/register",
            json.dumps({"events": ["INVOKE"]}).encode(),
            {"Lambda-Extension-Name": "ext"},
        )
        assert status == 200 and json.loads(body)["functionName"] == "fn"
        ext_id = headers["Lambda-Extension-Identifier"]
        assert (
            _request(
                server.port, "POST", "/2020-01-01/extension/register", b"{}", {"Lambda-Extension-Name": "ext"}
            )[0]
            == 409
        )
        assert _request(server.port, "GET", "/2020-01-01/extension/event/next")[0] == 403

        got: dict[str, object] = {}

        def extension_next() -> None:
            got["ext"] = _request(
                server.port,
                "GET",
                "/2020-01-01/extension/event/next",
                headers={"Lambda-Extension-Identifier": ext_id},
            )

        def runtime_next() -> None:
            got["runtime"] = _request(server.port, "GET", "/2018-06-01/runtime/invocation/next")

        threads = [threading.Thread(target=extension_next), threading.Thread(target=runtime_next)]
        for thread in threads:
            thread.start()
        for _ in range(100):
            if state.runtime_waiting and state.extensions_idle():
                break
            time.sleep(0.01)
        state.deliver(
            Invocation("req-1", b'{"x": 1}', 123, "arn:fn", "Root=1-a-b"),
            {"eventType": "INVOKE", "requestId": "req-1"},
        )
        for thread in threads:
            thread.join(5)
        status, headers, body = got["runtime"]  # type: ignore[misc]
        assert status == 200 and body == b'{"x": 1}'
        assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
        assert headers["Lambda-Runtime-Trace-Id"] == "Root=1-a-b"
        assert json.loads(got["ext"][2])["requestId"] == "req-1"  # type: ignore[index]
        assert _request(server.port, "POST", "/2018-06-01/runtime/invocation/other/response", b"1")[0] == 400
        assert _request(server.port, "POST", "/2018-06-01/runtime/invocation/req-1/response", b"42")[0] == 202
        assert state.outcomes["req-1"].body == b"42"
        state.registration_open = False
        assert (
            _request(
                server.port,
                "POST",
                "/2020-01-01/extension/register",
                b"{}",
                {"Lambda-Extension-Name": "late"},
            )[0]
            == 403
        )
    finally:
        server.close()


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


def test_api_accepts_a_chunked_response_body() -> None:
    state = ApiState("fn", "h.handler", "123456789012")
    server = ApiServer(state)
    try:
        state.current = Invocation("req-9", b"{}", 1, "arn:fn", "Root=1-a-b")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request(
            "POST",
            "/2018-06-01/runtime/invocation/req-9/response",
            iter([b'{"a":', b" 1}"]),
            encode_chunked=True,
        )
        assert conn.getresponse().status == 202
        conn.close()
        assert state.outcomes["req-9"].body == b'{"a": 1}'
    finally:
        server.close()
