"""`lab up` stops what it started in reverse order — after Ctrl-C, an error half-way, or its rounds — and
goes on stopping the rest when one stop fails. Each step is replaced by a stand-in that records calls."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lab import up as lab_up
from lab.cli.console import Console
from lab.errors import LabError
from lab.fleet.hostspeed import HostSpeed
from lab.fleet.rounds import RoundsResult
from lab.settings import LabConfig
from lab.state import UP_FILE, Deployment


class Steps:
    """Stand-ins for everything `up` starts; `calls` lists what was started and stopped, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        self.prepared: list[str] = []
        self.fail_at: str | None = None
        self.interrupt_rounds = False
        self.output = io.StringIO()  # what `up` said, for a test in which it raises
        for name in ("check_prerequisites", "start_endpoint", "stop_endpoint", "terraform_apply",
                     "open_service", "read_fleet_schedules", "run_rounds"):
            monkeypatch.setattr(lab_up, name, getattr(self, name))
        monkeypatch.setattr(lab_up.lab_dashboard, "start_dashboard", self.start_dashboard)
        monkeypatch.setattr(lab_up.lab_dashboard, "stop_dashboard", self.stop_dashboard)

    def _step(self, name: str) -> None:
        self.calls.append(name)
        if self.fail_at == name:
            raise LabError(f"{name} failed")

    def check_prerequisites(self, config: LabConfig, console: Console, dashboard: bool,
                            variables: Any = None) -> lab_up.Prerequisites:
        self.calls.append("check")
        environments = SimpleNamespace(ensure=self.prepared.append)  # in a thread, beside the next steps
        return lab_up.Prerequisites(["python3.11"], environments, HostSpeed("Test CPU", 100.0))  # type: ignore[arg-type]

    def start_endpoint(self, state_dir: Path, port: int) -> Any:
        self._step("start endpoint")
        return SimpleNamespace(url=f"https://127.0.0.1:{port}", ca_bundle="ca.pem", pid=1)

    def stop_endpoint(self, state_dir: Path) -> None:
        self.calls.append("stop endpoint")

    def terraform_apply(self, clients: Any, config: LabConfig, console: Console, variables: Any = None
                        ) -> Deployment:
        self._step("apply")
        return Deployment("table", {"k": "f"}, "collector", "")

    def open_service(self, clients: Any, config: LabConfig, console: Console, tag: str, host: Any = None,
                     environments: Any = None) -> tuple[Any, Any]:
        self._step("open service")
        service = SimpleNamespace(close=lambda: self.calls.append("close service"), invoke_async=None)
        xray = SimpleNamespace(close=lambda: self.calls.append("close x-ray"))
        return service, xray

    def read_fleet_schedules(self, clients: Any, deployment: Deployment, console: Console) -> list[Any]:
        self.fleet_schedules = [SimpleNamespace(expression_text="rate(1 hour)")]
        return self.fleet_schedules

    def start_dashboard(self, clients: Any, deployment: Deployment, config: LabConfig,
                        schedules: Any = None) -> Any:
        self.dashboard_schedules = schedules
        self._step("start dashboard")
        return SimpleNamespace(pid=2)

    def stop_dashboard(self, started: Any) -> None:
        self.calls.append("stop dashboard")
        if self.fail_at == "stop dashboard":
            raise OSError("it would not go")

    def run_rounds(self, *args: Any, **kwargs: Any) -> RoundsResult:
        self.round_schedules = args[2]
        self._step("rounds")
        if self.interrupt_rounds:
            raise KeyboardInterrupt
        return RoundsResult(fired=1, failed_to_fire=0, rows=1, probes_without_rows=[], statuses={"ok": 1})


STOPS = ["stop dashboard", "close service", "close x-ray", "stop endpoint"]


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> Steps:
    return Steps(monkeypatch)


def _up(tmp_path: Path, stream: io.StringIO | None = None, **options: Any) -> tuple[int, str]:
    stream = stream or io.StringIO()
    options = {"rounds": 1, "exit_after_rounds": True, "dashboard": True} | options
    config = LabConfig(state_dir=tmp_path, artifacts_dir=tmp_path / "build")  # nothing to unpack ahead
    status = lab_up.up(config, Console(stream), **options)
    return status, stream.getvalue()


def test_after_its_rounds_up_stops_everything_in_reverse_order(steps: Steps, tmp_path: Path) -> None:
    status, output = _up(tmp_path)
    assert status == 0
    assert steps.calls == ["check", "start endpoint", "apply", "open service",
                           "start dashboard", "rounds", *STOPS]
    assert not (tmp_path / UP_FILE).exists()  # the record of the running lab goes with it
    assert output.rstrip().endswith("everything the lab started is stopped")
    assert steps.prepared == ["python3.11"]  # the runtimes' environments, made before the service opened
    for step in ("[0/5]", "[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"):  # each step says how long it took
        assert re.search(rf"{re.escape(step)} done in \d+\.\d s", output), step
    assert "first row" not in output  # the stand-in service has no collector outcome
    assert re.search(r"1 round\(s\) done [\d.]+ s after `lab up` started", output)


def test_the_dashboard_is_started_with_the_fleets_schedules(steps: Steps, tmp_path: Path) -> None:
    """So it is told the schedule interval instead of guessing it from the rows (issue 21, finding 6)."""
    _up(tmp_path)
    assert steps.dashboard_schedules is steps.fleet_schedules


def test_ctrl_c_during_the_rounds_stops_everything_and_exits_130(steps: Steps, tmp_path: Path) -> None:
    """An interrupted `up --rounds N --exit` must not read as success (issue 22, finding 1)."""
    steps.interrupt_rounds = True
    status, output = _up(tmp_path)
    assert status == 130
    assert re.search(r"interrupted by SIGINT \(Ctrl-C\) during \[5/5\] running 1 round\(s\) of 1 probes now: "
                     r"stopping everything the lab started", output), output
    assert steps.calls[-len(STOPS):] == STOPS
    assert output.rstrip().endswith("everything the lab started is stopped")


def test_ctrl_c_while_the_lab_serves_after_its_rounds_is_its_normal_end(
    steps: Steps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --exit the lab serves until Ctrl-C: that ends it with the rounds' status, not 130."""
    monkeypatch.setattr(lab_up, "Scheduler", lambda *args, **kwargs: SimpleNamespace(
        start=lambda: None, stop=lambda: None))

    def watch(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(lab_up, "watch", watch)
    status, output = _up(tmp_path, rounds=1, exit_after_rounds=False)
    assert status == 0 and "stopping (Ctrl-C) …" in output


def test_an_error_half_way_stops_only_what_was_started(steps: Steps, tmp_path: Path) -> None:
    steps.fail_at = "open service"
    with pytest.raises(LabError, match="open service failed"):  # said by `python -m lab`, once stopped
        _up(tmp_path, steps.output)
    output = steps.output.getvalue()
    assert steps.calls == ["check", "start endpoint", "apply", "open service",
                           "stop endpoint"]
    assert "everything the lab started is stopped" in output


def test_nothing_started_nothing_to_stop(steps: Steps, tmp_path: Path) -> None:
    steps.fail_at = "start endpoint"
    with pytest.raises(LabError, match="start endpoint failed"):
        _up(tmp_path, steps.output)
    output = steps.output.getvalue()
    assert steps.calls == ["check", "start endpoint"]
    assert "everything the lab started is stopped" not in output


def test_a_stop_that_fails_is_reported_and_the_rest_still_stop(steps: Steps, tmp_path: Path) -> None:
    steps.fail_at = "stop dashboard"
    status, output = _up(tmp_path)
    assert status == 0
    assert "could not stop the dashboard: OSError: it would not go" in output
    assert steps.calls[-len(STOPS):] == STOPS


def test_the_scheduler_fires_the_compactor_with_the_probes_but_rounds_never_do(
    steps: Steps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = SimpleNamespace(function_name="slo-compactor", expression_text="rate(1 hour)")
    monkeypatch.setattr(lab_up, "read_job_schedules", lambda *args: [job])
    scheduled: list[Any] = []

    class Scheduler:
        def __init__(self, schedules: list[Any], *args: Any, **kwargs: Any) -> None:
            scheduled.extend(schedules)

        def start(self) -> None:
            steps.calls.append("start scheduler")

        def stop(self) -> None:
            steps.calls.append("stop scheduler")

    def watch(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(lab_up, "Scheduler", Scheduler)
    monkeypatch.setattr(lab_up, "watch", watch)
    status, output = _up(tmp_path, rounds=1, exit_after_rounds=False)
    assert status == 0 and job not in steps.round_schedules  # `--rounds` counts rows per fired probe only
    assert job in scheduled and len(scheduled) == 2
    assert "slo-compactor (rate(1 hour)): digests of closed days and of today's closed hours" in output
    assert steps.calls[-len(STOPS) - 1 :] == ["stop scheduler", *STOPS]


def test_a_runtime_without_an_interpreter_is_refused_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import free_port

    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "manifest.json").write_text("{}")
    monkeypatch.setattr(lab_up.tf, "binary", lambda: "terraform")
    monkeypatch.setattr(lab_up, "measure", lambda: HostSpeed("Test CPU", 100.0))
    monkeypatch.setattr(lab_up, "fleet_runtimes", lambda *args, **kwargs: ["python3.11", "python3.9"])
    monkeypatch.setattr(lab_up, "start_endpoint", lambda *args, **kwargs: pytest.fail("started"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no python3.X anywhere, and no pyenv
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    config = LabConfig(state_dir=tmp_path / "state", port=free_port(), dashboard_port=free_port(),
                       artifacts_dir=tmp_path / "build")
    with pytest.raises(LabError) as raised:
        lab_up.up(config, Console(io.StringIO()), rounds=1, exit_after_rounds=True, dashboard=False)
    message = str(raised.value)
    assert "the lab needs python3.9 for the python3.9 runtime" in message
    assert "`apt install python3.9`" in message and "`pyenv install 3.9`" in message
    assert "python3.11" in message  # every missing one is named at once


def test_a_fleet_passed_drops_the_default_tracing_comparison_unless_one_is_passed(tmp_path: Path) -> None:
    config = LabConfig(state_dir=tmp_path)
    assert "tracing_comparison" not in lab_up.local_workspace(config, None).variables  # envs/local's default
    fleet = {"strategies": ["extension"]}
    assert lab_up.local_workspace(config, None, {"fleet": fleet}).variables["tracing_comparison"] == {}
    comparison = {"strategies": ["sdk"], "memory_sizes": [128], "tracing": ["otel"]}
    passed = {"fleet": fleet, "tracing_comparison": comparison}
    assert lab_up.local_workspace(config, None, passed).variables["tracing_comparison"] == comparison


def test_a_failed_apply_shows_what_the_endpoint_noted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lab.endpoint.background import LOG_FILE
    from tools import terraform as tf

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise tf.TerraformError("Error: creating Schedule (probe): ConflictException: already exists")

    monkeypatch.setattr(lab_up.tf, "init", lambda workspace: None)
    monkeypatch.setattr(lab_up.tf, "apply", refuse)
    (tmp_path / LOG_FILE).write_text(
        "lab endpoint: serving https://127.0.0.1:4566 (pid 1)\n"
        "lab endpoint: [03:19:51.181] retry: POST /schedules/probe attempt 2; attempt 1 was answered 200\n"
    )
    with pytest.raises(LabError) as raised:
        lab_up.terraform_apply(None, LabConfig(state_dir=tmp_path), Console(io.StringIO()))  # type: ignore[arg-type]
    message = str(raised.value)
    assert "ConflictException" in message
    noted = "the lab endpoint noted:\nlab endpoint: [03:19:51.181] retry: POST /schedules/probe attempt 2"
    assert noted in message

    (tmp_path / LOG_FILE).write_text("lab endpoint: serving https://127.0.0.1:4566 (pid 2)\n")
    with pytest.raises(LabError) as quiet:
        lab_up.terraform_apply(None, LabConfig(state_dir=tmp_path), Console(io.StringIO()))  # type: ignore[arg-type]
    assert "noted" not in str(quiet.value)
