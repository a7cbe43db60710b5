"""Background processes: started in their own session, recognised by their command line, stopped
TERM → wait → KILL, and their pid records dropped once stale. Uses harmless children (`sleep`, python)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.processes import supervisor

# Ignores SIGTERM, says so, then waits: only SIGKILL ends it.
STUBBORN = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
            "time.sleep(600)")


@dataclass(frozen=True)
class Record:
    pid: int
    name: str


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts; any still running afterwards are killed."""
    children: list[subprocess.Popen[bytes]] = []
    yield children
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def _start(
    argv: list[str], tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> subprocess.Popen[bytes]:
    child = supervisor.start(argv, log=tmp_path / "child.log", cwd=tmp_path)
    started.append(child)
    return child


def test_a_started_process_runs_in_its_own_session_and_is_recognised(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    child = _start(["sleep", "600"], tmp_path, started)
    assert os.getpgid(child.pid) == child.pid != os.getpgid(0)
    assert supervisor.pid_alive(child.pid)
    assert supervisor.is_ours(child.pid, "sleep") and supervisor.is_ours(child.pid)
    assert not supervisor.is_ours(child.pid, "streamlit")


def test_a_command_line_caught_inside_exec_is_read_again(
    tmp_path: Path, started: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Popen returns while the child is still inside execve, when its command line reads empty for a moment
    (seen once in CI): `is_ours` reads it again rather than call the process a stranger."""
    child = _start(["sleep", "600"], tmp_path, started)
    reads = iter([b"", b"", b"sleep\x00600\x00"])
    monkeypatch.setattr(supervisor, "_read_command_line", lambda pid: next(reads))
    assert supervisor.is_ours(child.pid, "sleep")


def test_a_process_whose_command_line_stays_empty_is_not_ours() -> None:
    """A kernel thread (kthreadd, pid 2 where /proc shows one) never has a command line."""
    if not Path("/proc/2/cmdline").exists() or Path("/proc/2/cmdline").read_bytes():
        pytest.skip("no kernel thread visible as pid 2 here")
    assert not supervisor.is_ours(2, "kthreadd")


def test_stop_ends_a_process_with_term(tmp_path: Path, started: list[subprocess.Popen[bytes]]) -> None:
    child = _start(["sleep", "600"], tmp_path, started)
    assert supervisor.stop(child.pid, group=True, process=child) is False  # TERM was enough
    assert child.returncode == -signal.SIGTERM
    assert not supervisor.pid_alive(child.pid)


def test_stop_kills_a_process_that_ignores_term(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    child = _start([sys.executable, "-c", STUBBORN], tmp_path, started)
    supervisor.wait_healthy(child, lambda: b"ready" in (tmp_path / "child.log").read_bytes(), timeout_s=60,
                         poll_s=0.05)
    assert supervisor.stop(child.pid, timeout_s=0.5, process=child) is True
    assert child.returncode == -signal.SIGKILL


def test_stop_by_pid_alone_ends_and_reaps_it(tmp_path: Path, started: list[subprocess.Popen[bytes]]) -> None:
    """As `lab down` does with a pid read from a file (here our own child, so it must be reaped too)."""
    child = _start(["sleep", "600"], tmp_path, started)
    assert supervisor.stop(child.pid) is False
    assert not supervisor.pid_alive(child.pid)
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # already reaped: no zombie left behind
    child.returncode = -signal.SIGTERM  # tell Popen, which did not see it go


def test_wait_healthy_reports_an_exit(tmp_path: Path, started: list[subprocess.Popen[bytes]]) -> None:
    child = _start([sys.executable, "-c", "raise SystemExit(3)"], tmp_path, started)
    with pytest.raises(supervisor.ProcessExitedError) as raised:
        supervisor.wait_healthy(child, lambda: False, timeout_s=60, poll_s=0.05)
    assert raised.value.returncode == 3


def test_wait_healthy_stops_a_process_that_never_becomes_healthy(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    child = _start(["sleep", "600"], tmp_path, started)
    with pytest.raises(supervisor.NotHealthyError):
        supervisor.wait_healthy(child, lambda: False, timeout_s=0.2, poll_s=0.05)
    assert child.poll() is not None


def test_a_record_is_kept_while_its_process_is_ours_and_dropped_when_stale(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    path = tmp_path / "thing.json"
    child = _start(["sleep", "600"], tmp_path, started)
    supervisor.save_record(path, Record(child.pid, "sleeper"))
    assert supervisor.running_record(path, Record, "sleep") == Record(child.pid, "sleeper")
    assert supervisor.running_record(path, Record, "streamlit") is None  # the pid is someone else's now
    assert not path.exists()
    supervisor.save_record(path, Record(child.pid, "sleeper"))
    supervisor.stop(child.pid, group=True, process=child)
    assert supervisor.load_record(path, Record) == Record(child.pid, "sleeper")  # what was recorded, as is
    assert supervisor.running_record(path, Record) is None
    assert not path.exists()
    path.write_text("{not json")
    assert supervisor.load_record(path, Record) is None
