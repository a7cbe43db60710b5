"""The wire formats of the emulator's answers: one builder per format, as AWS documents them.

- the Secrets Manager extension's own errors: `{"message": ...}`; the runtime's errors: `{"Message": ...}`;
  the type always in `X-Amzn-Errortype`; 500 `InternalFailure` with an empty body;
- the Parameter Store extension: AWS JSON 1.1, `{"__type", "message"}` (`Message` for the four types AWS
  lists), the type in `X-Amzn-Errortype` too.
"""

from __future__ import annotations

import json

from lab.extension.aws import JSON, Reply

AMZ_JSON = "application/x-amz-json-1.1"
ERROR_TYPE = "X-Amzn-Errortype"
CAPITAL_MESSAGE = (
    "AccessDeniedException",
    "InternalServerError",
    "ThrottlingException",
    "ValidationException",
)


def secrets_error(
    status: int, error_type: str, message: str, runtime: bool = False, extra: tuple[tuple[str, str], ...] = ()
) -> Reply:
    """An error of the Secrets Manager routes (`runtime`: raised by the runtime, e.g. authentication)."""
    if status == 500:
        return Reply(500, b"", JSON, ((ERROR_TYPE, error_type),))
    body = json.dumps({"Message" if runtime else "message": message}).encode()
    return Reply(status, body, JSON, ((ERROR_TYPE, error_type), *extra))


def json11_error(
    status: int, error_type: str, message: str, extra: tuple[tuple[str, str], ...] = ()
) -> Reply:
    """An error of the Parameter Store extension, in the AWS JSON 1.1 protocol."""
    key = "Message" if error_type in CAPITAL_MESSAGE else "message"
    body = json.dumps({"__type": error_type, key: message}).encode()
    return Reply(status, body, AMZ_JSON, ((ERROR_TYPE, error_type), *extra))


def json11_ok(payload: dict) -> Reply:
    """A successful AWS JSON 1.1 answer."""
    return Reply(200, json.dumps(payload).encode(), AMZ_JSON)
