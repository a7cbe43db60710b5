"""Unit tests of lab.runtime.api: the Runtime and Extensions API of one environment, over HTTP."""

from __future__ import annotations

import http.client
import json
import threading
import time

from lab.runtime.api import ApiServer, ApiState, Invocation


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
