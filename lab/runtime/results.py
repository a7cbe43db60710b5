"""What the service hands back: one invocation's result, and how an async event ended."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lambda_errors import lab_refusal


@dataclass(frozen=True)
class InvocationResult:
    """One invocation's outcome, shaped as Lambda's Invoke response plus what the lab knows about the run."""

    request_id: str
    function_name: str
    status_code: int
    payload: Any
    function_error: str | None  # "Unhandled" when the function failed (raised, timed out, crashed), else None
    error_type: str | None
    cold: bool
    cold_cause: str | None
    environment_id: str | None
    duration_ms: float
    init_ms: float | None
    log_path: Path | None
    executed_version: str = "$LATEST"

    @property
    def ok(self) -> bool:
        return self.function_error is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (for `lab invoke` and logs)."""
        data = dataclasses.asdict(self)
        data["log_path"] = str(self.log_path) if self.log_path else None
        return data

    @classmethod
    def refused(cls, request_id: str, function_name: str, exc: Exception) -> InvocationResult:
        """The result of an async attempt the lab could not run: a function error `Lab.<error class>`."""
        error = lab_refusal(exc)
        return cls(
            request_id=request_id,
            function_name=function_name,
            status_code=200,
            payload=error.document(),
            function_error="Unhandled",
            error_type=error.error_type,
            cold=False,
            cold_cause=None,
            environment_id=None,
            duration_ms=0.0,
            init_ms=None,
            log_path=None,
        )


@dataclass
class AsyncOutcome:
    """How an async event ended and where it went.

    `condition` is Success | RetriesExhausted | EventAgeExceeded (Lambda's), FunctionNotFound (the function
    is gone; dropped) or LabError (the lab could not handle the event at all).
    """

    request_id: str
    function_name: str
    condition: str
    attempts: int
    destination: str | None
    delivered: bool
    error: str | None = None
    record: dict[str, Any] | None = field(default=None, repr=False)


def decode_payload(body: bytes) -> Any:
    """A response body as Invoke returns it: decoded JSON, else the text, None when empty."""
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body.decode("utf-8", "replace")
