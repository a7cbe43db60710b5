"""Background processes the lab starts and stops: the endpoint, the dashboard, and `lab up` itself.

One way to do each step: start a command in its own session with its output in a log file, wait until it is
healthy, record its pid in a JSON file under `.lab/`, check that a recorded pid is still ours (alive, and its
command line says what it is) before acting on it, and stop it TERM → wait → KILL.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from lab.errors import LabError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

STOP_TIMEOUT_S = 10.0
KILL_TIMEOUT_S = 5.0
EXEC_SETTLE_S = 1.0


class ProcessError(LabError):
    """A background process did not come up healthy."""


class ProcessExitedError(ProcessError):
    """The process exited while we waited for it to become healthy."""

    def __init__(self, returncode: int) -> None:
        super().__init__(f"exited with status {returncode}")
        self.returncode = returncode


class NotHealthyError(ProcessError):
    """The process did not become healthy in time (it has been stopped)."""


class PidRecord(Protocol):
    """A record of a background process, as kept in a JSON file: it has at least the pid."""

    @property
    def pid(self) -> int: ...


R = TypeVar("R", bound=PidRecord)


def pid_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def is_ours(pid: int, marker: str | None = None) -> bool:
    """True if `pid` is alive and, with a `marker`, one of its command-line arguments contains it.

    A pid read from a file may have been reused by an unrelated process since; the marker tells ours apart.
    """
    if not pid_alive(pid):
        return False
    if marker is None:
        return True
    command_line = _command_line(pid)
    return command_line is not None and marker.encode() in command_line


def _command_line(pid: int, settle_s: float = EXEC_SETTLE_S) -> bytes | None:
    """The NUL-separated arguments of `pid`, or None if it cannot be read.

    A process caught inside `execve` (Popen returns as soon as the child has left the parent's memory, before
    the kernel has written the new program's arguments) reads as empty for a moment, so an empty command line
    is read again for up to `settle_s`.
    """
    deadline = time.monotonic() + settle_s
    while True:
        try:
            command_line = _read_command_line(pid)
        except OSError:
            return None
        if command_line or time.monotonic() > deadline:
            return command_line
        time.sleep(0.01)


def _read_command_line(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def load_record(path: Path, kind: Callable[..., R]) -> R | None:
    """The record in `path` as `kind`, or None if there is none (or it is unreadable)."""
    try:
        return kind(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def running_record(path: Path, kind: Callable[..., R], marker: str | None = None) -> R | None:
    """The record in `path` if its process is still ours (see `is_ours`); a stale record is removed."""
    record = load_record(path, kind)
    if record is None:
        return None
    if is_ours(record.pid, marker):
        return record
    path.unlink(missing_ok=True)
    return None


def save_record(path: Path, record: DataclassInstance) -> None:
    """Write `record` (a dataclass with a pid) to `path` as JSON."""
    path.write_text(json.dumps(asdict(record), indent=2))


def start(
    argv: Sequence[str], *, log: Path, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `argv` in the background in a session of its own (so its group can be signalled), output
    appended to `log`, no stdin; `env` replaces this process's environment when given."""
    with log.open("ab") as log_handle:
        return subprocess.Popen(
            list(argv), cwd=cwd, env=None if env is None else dict(env), stdin=subprocess.DEVNULL,
            stdout=log_handle, stderr=subprocess.STDOUT, start_new_session=True,
        )


def wait_healthy(
    process: subprocess.Popen[bytes], healthy: Callable[[], bool], *, timeout_s: float, poll_s: float
) -> None:
    """Return once `healthy()` is true; raise ProcessExitedError if the process exits first, or stop it and
    raise NotHealthyError if `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        code = process.poll()
        if code is not None:
            raise ProcessExitedError(code)
        if healthy():
            return
        if time.monotonic() > deadline:
            stop(process.pid, group=True, process=process)
            raise NotHealthyError(f"not healthy within {timeout_s:.0f} s")
        time.sleep(poll_s)


def _gone(pid: int, process: subprocess.Popen[bytes] | None, timeout_s: float) -> bool:
    """Wait up to `timeout_s` for the process to end; True if it did."""
    if process is not None:
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def stop(
    pid: int,
    *,
    group: bool = False,
    timeout_s: float = STOP_TIMEOUT_S,
    process: subprocess.Popen[bytes] | None = None,
) -> bool:
    """SIGTERM `pid` (its whole process group with `group`), wait up to `timeout_s`, then SIGKILL; reap it.

    `process` is the Popen when we started it. Returns True if it had to be killed. Check `is_ours` before
    stopping a pid read from a file.
    """
    if process is not None and process.poll() is not None:
        return False
    send = os.killpg if group else os.kill
    with contextlib.suppress(ProcessLookupError):
        send(pid, signal.SIGTERM)
    killed = not _gone(pid, process, timeout_s)
    if killed:
        with contextlib.suppress(ProcessLookupError):
            send(pid, signal.SIGKILL)
        _gone(pid, process, KILL_TIMEOUT_S)
    if process is None:  # reap it if we are its parent after all, so it does not linger as a zombie
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
    return killed
