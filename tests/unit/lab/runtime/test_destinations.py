"""Unit tests of lab.runtime.destinations: Lambda's destination record."""

from __future__ import annotations

from lab.runtime.destinations import destination_record
from lab.runtime.results import InvocationResult


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
