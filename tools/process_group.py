"""Run a command to its end as a process group of its own, and leave nothing of it running.

Terraform starts each provider as a child process (the AWS provider: ~220 MB). Killed alone, as
`subprocess.run` kills it on an interrupt, terraform cannot stop them: they outlive it, adopted by init. So a
command runs here in a session of its own (its group: it and everything it starts), and on any way out that is
not the command's own end (an interrupt, an exception) its whole group is stopped SIGTERM → wait → SIGKILL and
waited for; after any end, whatever is left of its group is killed. Signals that come while the group is being
stopped wait until it is. A SIGTERM that would have ended this process on the spot (its default action) first
stops the group, then ends this process as it would have.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

STOP_TIMEOUT_S = 10.0  # a command's group gets this long to end on SIGTERM before SIGKILL
GONE_TIMEOUT_S = 5.0  # how long to wait for a killed group to be gone
POLL_S = 0.05
PROC = Path("/proc")


def run(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    input: str | None = None,
    capture: bool = True,
    stdout: int | IO[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `command` to its end in a session of its own: `capture` its output (text), else send its stdout to
    `stdout` and let its stderr through. Nothing it started is left running when this returns or raises."""
    with _sigterm_stops_the_group_first():
        process = subprocess.Popen(
            list(command), env=dict(env), text=True, start_new_session=True,
            stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
            stdout=subprocess.PIPE if capture else stdout, stderr=subprocess.PIPE if capture else None,
        )
        try:
            out, err = process.communicate(input)
        except BaseException:
            stop_group(process)
            raise
        finally:
            _kill_leftovers(process.pid)
    return subprocess.CompletedProcess(list(command), process.returncode, out, err)


def stop_group(process: subprocess.Popen[str], timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM the process's group, wait up to `timeout_s` for the process, then SIGKILL the group; reap it.
    Signals arriving meanwhile are held until the group is stopped."""
    with _signals_held():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        _kill_leftovers(process.pid)


def _kill_leftovers(group: int) -> None:
    """SIGKILL what is left of `group` (children that outlived their leader); wait until none of it runs."""
    deadline = time.monotonic() + GONE_TIMEOUT_S
    while True:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        if not PROC.is_dir() or not _running_members(group) or time.monotonic() > deadline:
            return  # what is left are zombies, for their new parent to reap
        time.sleep(POLL_S)


def _running_members(group: int) -> list[int]:
    """The pids of `group` that still run (not zombies), from /proc."""
    members = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            members.append(int(entry.name))
    return members


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM are noted, not acted on, while inside (main thread only); the first is raised
    after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: held.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        if held:
            signal.raise_signal(held[0])


class _Terminated(BaseException):
    """SIGTERM arrived where its default action would have ended this process."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated


@contextlib.contextmanager
def _sigterm_stops_the_group_first() -> Iterator[None]:
    """Where SIGTERM would end this process on the spot (main thread, default action), it raises inside
    instead, so the command's group is stopped first; then this process ends by SIGTERM all the same."""
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGTERM) != signal.SIG_DFL
    ):
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)
        raise
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
