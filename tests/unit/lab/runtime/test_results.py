"""Unit tests of lab.runtime.results: the shape of an invocation's result."""

from __future__ import annotations

from pathlib import Path

from lab.runtime.lambda_errors import LambdaServiceError
from lab.runtime.results import InvocationResult, decode_payload


def test_a_refused_attempt_is_an_unhandled_function_error() -> None:
    result = InvocationResult.refused("r1", "f", LambdaServiceError("closed"))
    assert not result.ok
    assert (result.status_code, result.function_error, result.error_type) == (
        200,
        "Unhandled",
        "Lab.LambdaServiceError",
    )
    assert result.payload == {"errorType": "Lab.LambdaServiceError", "errorMessage": "closed"}
    assert result.environment_id is None and result.log_path is None


def test_to_dict_is_json_ready() -> None:
    result = InvocationResult("r", "f", 200, {"a": 1}, None, None, True, "forced", "e1", 1.0, 2.0, Path("/x"))
    data = result.to_dict()
    assert data["log_path"] == "/x" and data["executed_version"] == "$LATEST" and result.ok


def test_payloads_decode_as_invoke_returns_them() -> None:
    assert decode_payload(b'{"a": 1}') == {"a": 1}
    assert decode_payload(b"") is None
    assert decode_payload(b"not json") == "not json"
