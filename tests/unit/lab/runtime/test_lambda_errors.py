"""Unit tests of lab.runtime.lambda_errors: one family of exceptions; Lambda's error bodies, built in one
place."""

from __future__ import annotations

import json

from lab.runtime import artifacts, cgroups
from lab.runtime import lambda_errors as errors


def test_every_error_of_the_runtime_is_one_family() -> None:
    assert issubclass(errors.FunctionNotFoundError, errors.LambdaServiceError)
    assert issubclass(errors.CodeMismatchError, errors.LambdaServiceError)
    assert issubclass(errors.LambdaServiceError, errors.LabRuntimeError)
    assert issubclass(errors.CgroupError, errors.LabRuntimeError)
    assert artifacts.CodeMismatchError is errors.CodeMismatchError  # still importable where it is raised
    assert cgroups.CgroupError is errors.CgroupError


def test_an_invocation_error_names_its_request_and_an_init_error_does_not() -> None:
    invoke = json.loads(errors.runtime_exit(3, "req-1").encode())
    init = json.loads(errors.runtime_exit(3).encode())
    assert invoke == {
        "errorType": "Runtime.ExitError",
        "errorMessage": "RequestId: req-1 Error: Runtime exited with error: exit status 3",
    }
    assert init == {
        "errorType": "Runtime.ExitError",
        "errorMessage": "Runtime exited with error: exit status 3",
    }
    assert "RequestId" not in errors.init_timed_out(10).message


def test_timeouts_and_crashes_read_as_lambdas() -> None:
    assert errors.task_timed_out("r", 1).message == "RequestId: r Error: Task timed out after 1.00 seconds"
    late = errors.task_timed_out("r", 2.5, "extensions did not finish")
    assert (late.error_type, late.message) == (
        "Sandbox.Timedout",
        "RequestId: r Error: Task timed out after 2.50 seconds (extensions did not finish)",
    )
    assert errors.init_timed_out(10).document() == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "INIT timed out after 10.00 seconds",
    }
    crash = errors.extension_crash("r", 1)
    assert (crash.error_type, crash.message) == (
        "Extension.Crash",
        "RequestId: r Error: an extension exited (exit status 1)",
    )


def test_a_lab_refusal_is_typed_after_the_lab_error() -> None:
    refusal = errors.lab_refusal(errors.CodeMismatchError("no zip"))
    assert refusal.document() == {"errorType": "Lab.CodeMismatchError", "errorMessage": "no zip"}
