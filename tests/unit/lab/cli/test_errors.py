"""Every error that reaches `python -m lab` is one clear line and a non-zero status, never a traceback, and a
command's temporary folder goes with it (issue 22, finding 3). The lab's steps are stand-ins; the table is
moto's, in process."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lab.cli import commands
from lab.runtime.lambda_errors import CgroupError, CodeMismatchError, FunctionNotFoundError
from lab.state import Deployment

from .test_parser import run_main


class Lab:
    """A running lab as `run` and `invoke` see it, whose service fails with `error` when it invokes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, state_dir: Path, error: BaseException) -> None:
        self.state_dir = state_dir
        self.error = error
        probes = {"dict-128-x86_64": "slo-probe-dict"}
        deployment = Deployment("slo-measurements", probes, "slo-collector", "")
        schedule = SimpleNamespace(function_name="slo-probe-dict", input={}, expression_text="rate(1 hour)")
        monkeypatch.setattr(commands, "require_endpoint", lambda state_dir: SimpleNamespace())
        monkeypatch.setattr(commands.EndpointClients, "for_endpoint", staticmethod(lambda info: None))
        monkeypatch.setattr(commands, "require_deployment", lambda state_dir: deployment)
        monkeypatch.setattr(commands, "load_schedules", lambda clients, log: [schedule])
        monkeypatch.setattr(commands, "read_fleet_schedules", lambda *args: [schedule])
        monkeypatch.setattr(commands, "prepare_runtimes", lambda *args: None)
        monkeypatch.setattr(commands, "open_service", self.open_service)
        monkeypatch.setattr(commands, "run_rounds", self.fail)

    def open_service(self, clients: Any, config: Any, console: Any, tag: str, **kwargs: Any) -> Any:
        (config.state_dir / tag).mkdir(parents=True)  # as the service makes its work dir
        service = SimpleNamespace(invoke=self.fail, close=lambda: None)
        return service, SimpleNamespace(close=lambda: None)

    def fail(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


ERRORS = [
    FunctionNotFoundError("Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"),
    CodeMismatchError("no built artifact has CodeSha256 abc= (rebuilt while the lab is up?)"),
    CgroupError("cannot create /sys/fs/cgroup/cpu/slo-lab/env-1: Permission denied"),
]


@pytest.mark.parametrize("command", [["invoke", "nope"], ["run"]])
@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_a_runtime_error_is_one_line_and_leaves_no_work_dir(
    command: list[str], error: Exception, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Lab(monkeypatch, tmp_path, error)
    code, output = run_main(["--state-dir", str(tmp_path), *command], capsys)
    assert code == 1
    assert f"error: {error}" in output and "Traceback" not in output
    assert [p.name for p in tmp_path.iterdir()] == []  # no invoke-<pid>/ or run-<pid>/ left behind


def test_an_unexpected_error_is_one_line_naming_how_to_see_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Lab(monkeypatch, tmp_path, ZeroDivisionError("division by zero"))
    code, output = run_main(["--state-dir", str(tmp_path), "invoke", "dict-128-x86_64"], capsys)
    assert code == 1 and "Traceback" not in output
    assert "error: unexpected ZeroDivisionError: division by zero" in output
    assert "OBSERVATORY_LAB_DEBUG=1" in output
    assert [p.name for p in tmp_path.iterdir()] == []


def test_status_says_when_the_recorded_table_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    (tmp_path / "deployment.json").write_text(json.dumps({
        "table_name": "slo-gone", "probe_function_names": {}, "collector_function_name": "slo-collector",
        "dead_letter_queue_url": ""}))
    endpoint = SimpleNamespace(url="https://127.0.0.1:1", pid=1, host="127.0.0.1", port=1, ca_bundle="ca")
    monkeypatch.setattr(commands, "endpoint_status", lambda state_dir: endpoint)
    monkeypatch.setattr(commands, "probe_endpoint", lambda *args: True)
    monkeypatch.setattr(commands, "read_up", lambda state_dir: None)
    with mock_aws():
        import boto3

        clients = SimpleNamespace(client=lambda name, **kwargs: boto3.client(name, region_name="us-east-1"))
        monkeypatch.setattr(commands.EndpointClients, "for_endpoint", staticmethod(lambda info: clients))
        code, output = run_main(["--state-dir", str(tmp_path), "status"], capsys)
    assert code == 1 and "Traceback" not in output
    assert "slo-gone" in output and "not at the endpoint" in output


def test_every_lab_error_family_has_the_lab_error_as_its_root() -> None:
    """So the one handler in `python -m lab` catches each of them."""
    from lab.endpoint import EndpointError
    from lab.errors import LabError
    from lab.processes.supervisor import ProcessError
    from lab.runtime.lambda_errors import LabRuntimeError
    from lab.scheduler import ScheduleSourceError

    for family in (EndpointError, ProcessError, LabRuntimeError, ScheduleSourceError):
        assert issubclass(family, LabError), family

