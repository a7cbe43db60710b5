"""The lab runtime's errors: the exceptions it raises, and the error bodies Lambda returns, built here only.

Exceptions (raised to the caller):

    LabRuntimeError            anything the lab runtime raises (a `lab.errors.LabError`)
    ├── LambdaServiceError     the lab could not run an invocation (bad configuration, closed service, …)
    │   ├── FunctionNotFoundError   the endpoint has no function of that name
    │   ├── CodeMismatchError       no built zip has the CodeSha256 the endpoint reports
    │   └── RuntimeEnvironmentError a runtime's interpreter or environment is missing or cannot be made
    │       └── InterpreterNotFoundError   no python3.X for the runtime here (says how to install it)
    └── CgroupError            a cgroup could not be created, filled or removed

Error bodies (returned as an invocation's payload, or by the Runtime / Extensions API): the JSON object
`{"errorType", "errorMessage"}` Lambda uses everywhere. An invocation's message starts with
`RequestId: <id> Error: `; an INIT error happens before any request, so its message carries no request id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lab.errors import LabError


class LabRuntimeError(LabError):
    """Base of every error the lab runtime raises (one of the lab's: `python -m lab` says it in one line)."""


class LambdaServiceError(LabRuntimeError):
    """The lab could not run an invocation (bad configuration, missing function, closed service)."""


class FunctionNotFoundError(LambdaServiceError):
    """The endpoint has no function of that name."""


class CodeMismatchError(LambdaServiceError):
    """No built artifact has the SHA-256 the endpoint reports for a function or layer."""


class CgroupError(LabRuntimeError):
    """A cgroup could not be created, filled or removed."""


class RuntimeEnvironmentError(LambdaServiceError):
    """A runtime's interpreter or its environment (`.lab/runtimes/python3.X`) is missing or cannot be made."""


class InterpreterNotFoundError(RuntimeEnvironmentError):
    """No working python3.X for a runtime on this machine; the message names the command that installs it."""


@dataclass(frozen=True)
class ErrorBody:
    """One of Lambda's error objects: `{"errorType", "errorMessage"}`, the shape of every error body."""

    error_type: str
    message: str

    def document(self) -> dict[str, str]:
        """The JSON object (a payload, or a Runtime / Extensions API error response)."""
        return {"errorType": self.error_type, "errorMessage": self.message}

    def encode(self) -> bytes:
        """The JSON bytes, as the runtime would have posted them."""
        return json.dumps(self.document()).encode()


def _in_request(request_id: str, message: str) -> str:
    return f"RequestId: {request_id} Error: {message}"


def runtime_exit(exit_code: int, request_id: str | None = None) -> ErrorBody:
    """`Runtime.ExitError`: the runtime process exited, during an invocation or (no request id) INIT."""
    message = f"Runtime exited with error: exit status {exit_code}"
    return ErrorBody("Runtime.ExitError", message if request_id is None else _in_request(request_id, message))


def task_timed_out(request_id: str, timeout_s: float, detail: str = "") -> ErrorBody:
    """`Sandbox.Timedout`: the invocation ran past the function's timeout (`detail`: why, if not obvious)."""
    message = f"Task timed out after {timeout_s:.2f} seconds" + (f" ({detail})" if detail else "")
    return ErrorBody("Sandbox.Timedout", _in_request(request_id, message))


def init_timed_out(timeout_s: float) -> ErrorBody:
    """`Sandbox.Timedout` during INIT: the runtime or an extension was not ready within the INIT timeout."""
    return ErrorBody("Sandbox.Timedout", f"INIT timed out after {timeout_s:.2f} seconds")


def extension_crash(request_id: str, exit_code: int) -> ErrorBody:
    """`Extension.Crash`: an extension that was running after INIT exited during an invocation."""
    return ErrorBody(
        "Extension.Crash", _in_request(request_id, f"an extension exited (exit status {exit_code})")
    )


def lab_refusal(exc: Exception) -> ErrorBody:
    """`Lab.<error class>`: an async attempt the lab could not run (its payload; retried like a failure)."""
    return ErrorBody(f"Lab.{type(exc).__name__}", str(exc))
