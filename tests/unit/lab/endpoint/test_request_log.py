"""The endpoint's request log: retried requests, 5xx, slow and malformed answers get a line; nothing else."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import pytest

from lab.endpoint.request_log import RequestLog, attempt_of, operation_of

SECRET = "s3cr3t-value-never-logged"


def _environ(attempt: str | None = "attempt=1; max=25", invocation: str | None = "inv-1", port: str = "40001",
             target: str | None = "AWSEvents.CreateThing", method: str = "POST") -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": "/schedules/probe", "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": port, "wsgi.input": io.BytesIO(SECRET.encode()),
    }
    if attempt is not None:
        environ["HTTP_AMZ_SDK_REQUEST"] = attempt
    if invocation is not None:
        environ["HTTP_AMZ_SDK_INVOCATION_ID"] = invocation
    if target is not None:
        environ["HTTP_X_AMZ_TARGET"] = target
    return environ


def _app(status: str = "200 OK", body: bytes = b'{"ok": true}', declared: int | None = None) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["wsgi.input"].read()
        length = len(body) if declared is None else declared
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(length))])
        return [body]
    return app


def _serve(log: RequestLog, environ: dict[str, Any]) -> bytes:
    """What a server does: call the app, write every chunk, ask for more, close."""
    body = log(environ, lambda status, headers, *args: None)
    try:
        return b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()


def test_a_retry_of_an_answered_request_says_how_the_first_attempt_was_answered() -> None:
    out = io.StringIO()
    log = RequestLog(_app(), out)
    _serve(log, _environ(port="40001"))
    _serve(log, _environ(attempt="attempt=2; max=25", port="40002"))
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert "retry: AWSEvents.CreateThing attempt 2" in lines[0]
    assert "attempt 1" in lines[0] and "was answered 200" in lines[0]
    assert "handed to the connection whole" in lines[0]
    assert "the first request on 127.0.0.1:40001" in lines[0]


def test_a_retry_names_the_request_before_the_first_attempt_on_its_connection() -> None:
    out = io.StringIO()
    log = RequestLog(_app(), out)
    _serve(log, _environ(invocation="earlier", target="AWSEvents.ListThings", port="40001"))
    _serve(log, _environ(invocation="inv-1", port="40001"))
    _serve(log, _environ(attempt="attempt=2; max=25", port="40003"))
    assert "before it on 127.0.0.1:40001: AWSEvents.ListThings answered 200" in out.getvalue()


def test_a_retry_whose_first_attempt_never_arrived_says_so() -> None:
    out = io.StringIO()
    _serve(RequestLog(_app(), out), _environ(attempt="attempt=3; max=25"))
    assert "attempt 3; no earlier attempt reached the endpoint" in out.getvalue()


def test_ordinary_requests_write_nothing_and_no_body_is_ever_logged() -> None:
    out = io.StringIO()
    log = RequestLog(_app(body=SECRET.encode()), out)
    for n in range(5):
        assert _serve(log, _environ(invocation=f"inv-{n}")) == SECRET.encode()
    assert out.getvalue() == ""
    _serve(log, _environ(attempt="attempt=2", invocation="inv-4"))
    assert out.getvalue() and SECRET not in out.getvalue()


def test_a_5xx_answer_is_logged() -> None:
    out = io.StringIO()
    _serve(RequestLog(_app("500 Internal Server Error"), out), _environ())
    assert "answered 500: AWSEvents.CreateThing (attempt 1)" in out.getvalue()


def test_a_body_that_disagrees_with_its_content_length_is_logged() -> None:
    out = io.StringIO()
    _serve(RequestLog(_app(body=b"12345", declared=3), out), _environ())
    assert "malformed answer" in out.getvalue() and "Content-Length 3 and 5 bytes" in out.getvalue()


def test_a_head_answer_with_a_body_is_logged_and_one_without_is_not() -> None:
    out = io.StringIO()
    log = RequestLog(_app(body=b"oops"), out)
    _serve(log, _environ(method="HEAD"))
    assert "malformed answer" in out.getvalue()
    quiet = io.StringIO()
    _serve(RequestLog(_app(body=b"", declared=10), quiet), _environ(method="HEAD"))
    assert quiet.getvalue() == ""


def test_a_slow_answer_is_logged() -> None:
    out = io.StringIO()
    _serve(RequestLog(_app(), out, slow_s=-1.0), _environ())
    assert "slow: AWSEvents.CreateThing answered 200" in out.getvalue()


@pytest.mark.parametrize(
    ("header", "attempt"),
    [("attempt=1; max=25", 1), ("attempt=4; max=25", 4), ("max=3; attempt=2", 2), (None, 1),
     ("attempt=x", 1)],
)
def test_attempt_of_reads_the_sdk_header(header: str | None, attempt: int) -> None:
    assert attempt_of(_environ(attempt=header)) == attempt


def test_operation_of_is_the_target_or_the_method_and_path() -> None:
    assert operation_of(_environ()) == "AWSEvents.CreateThing"
    assert operation_of(_environ(target=None, method="PUT")) == "PUT /schedules/probe"


def test_noted_requests_are_the_latest_endpoints_request_log_lines(tmp_path: Any) -> None:
    from lab.endpoint import noted_requests
    from lab.endpoint.background import LOG_FILE

    assert noted_requests(tmp_path) == []
    (tmp_path / LOG_FILE).write_text(
        "lab endpoint: serving https://127.0.0.1:1 (pid 1)\n"
        "lab endpoint: [01:00:00.000] retry: from an earlier endpoint\n"
        "lab endpoint: stopped\n"
        "lab endpoint: serving https://127.0.0.1:2 (pid 2)\n"
        "some traceback line\n"
        + "".join(f"lab endpoint: [02:00:00.000] retry: number {n}\n" for n in range(12))
    )
    noted = noted_requests(tmp_path, limit=10)
    assert len(noted) == 10
    assert noted[0].endswith("retry: number 2") and noted[-1].endswith("retry: number 11")
    assert not any("earlier endpoint" in line for line in noted)


def test_only_the_most_recent_invocations_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    import lab.endpoint.request_log as request_log

    monkeypatch.setattr(request_log, "REMEMBERED", 3)
    out = io.StringIO()
    log = RequestLog(_app(), out)
    for n in range(5):
        _serve(log, _environ(invocation=f"inv-{n}", port=str(40000 + n)))
    _serve(log, _environ(attempt="attempt=2", invocation="inv-0"))
    _serve(log, _environ(attempt="attempt=2", invocation="inv-4"))
    first, last = out.getvalue().splitlines()
    assert "no earlier attempt reached the endpoint" in first
    assert "attempt 1" in last and "was answered 200" in last
