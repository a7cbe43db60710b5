"""`make test`'s suite as two pytest processes side by side: the tests marked `slow` and the rest.

Most of a slow test's time is waiting — on the AWS provider's settle checks, on probes throttled to their
tier's share of a CPU — while the rest (about 1,350 tests) keep a CPU busy; run one after the other they
took 18 minutes on a 2-core machine. Side by side:

- the slow stream runs integration before e2e and prints as it goes: e2e's two `make up`s, the heaviest part,
  come when the quick stream is done, not beside other terraform applies (run beside the slow integration
  tests, a lab apply once failed on a create the AWS provider retried into a 409 "already exists");
- the quick stream writes to `test-output/quick-tests.log`; its last line is printed when it ends, and its
  whole output at the end if it failed.

Both get the same pytest options (`make test PYTEST_ARGS=...`). Exit status: 0 when both passed, else the
first non-zero of slow, quick. Ctrl-C (or SIGTERM) stops both, each with everything it started (each runs in
a session of its own), and nothing is left running.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools import cli

REPO_ROOT = Path(__file__).resolve().parents[1]
TIERS = ("tests/unit", "tests/functional", "tests/integration", "tests/e2e")  # the order each stream runs
QUICK_LOG = Path("test-output") / "quick-tests.log"
STOP_TIMEOUT_S = 20.0
POLL_S = 0.5


@dataclass(frozen=True)
class Stream:
    """One pytest process: which tests (a `-m` expression) and where its output goes (None: this terminal)."""

    name: str
    marker: str
    log: Path | None


STREAMS = (Stream("slow", "slow", None), Stream("quick", "not slow", QUICK_LOG))


def command(stream: Stream, pytest_args: Sequence[str], python: str = sys.executable) -> list[str]:
    """The stream's pytest command line: its marker, the tiers in order, the options given."""
    return [python, "-m", "pytest", "-m", stream.marker, *TIERS, *pytest_args]


def last_line(text: str) -> str:
    """The last non-empty line of a pytest run's output (its summary: "N passed in T s")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1].strip("= ") if lines else "(no output)"


def status(codes: dict[str, int]) -> int:
    """0 when every stream passed; else the first non-zero status, slow before quick."""
    return next((codes[s.name] for s in STREAMS if codes.get(s.name)), 0)


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each running stream's process group, then SIGKILL to whatever is left; waited for."""
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    for process in processes.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the group's leftovers too, if its leader has ended
        process.wait()


def run(pytest_args: Sequence[str], root: Path = REPO_ROOT) -> int:
    """Both streams to their end; their combined status (see `status`)."""
    (root / QUICK_LOG).parent.mkdir(parents=True, exist_ok=True)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    codes: dict[str, int] = {}
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        for stream in STREAMS:
            output = (root / stream.log).open("wb") if stream.log else None
            print(f"test_streams: {stream.name} tests ({stream.marker!r}) "
                  f"{'here' if output is None else f'→ {stream.log}'}", flush=True)
            processes[stream.name] = subprocess.Popen(
                command(stream, pytest_args), cwd=root, stdout=output,
                stderr=subprocess.STDOUT if output else None, start_new_session=True,
            )  # fmt: skip
            if output is not None:
                output.close()  # the child holds its own copy
        while len(codes) < len(processes):
            for stream in STREAMS:
                process = processes[stream.name]
                if stream.name not in codes and process.poll() is not None:
                    codes[stream.name] = process.returncode
                    _ended(stream, process.returncode, root)
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        _stop(processes)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(processes)  # already ended: reaps; never leaves a group running
    for stream in STREAMS:
        if stream.log and codes[stream.name]:
            print(f"\n{'=' * 30} {stream.name} tests: whole output ({stream.log}) {'=' * 30}", flush=True)
            sys.stdout.write((root / stream.log).read_text(errors="replace"))
    said = (f"{s.name}: {f'exit {codes[s.name]}' if codes[s.name] else 'passed'}" for s in STREAMS)
    print(f"test_streams: {', '.join(said)}", flush=True)
    return status(codes)


def _ended(stream: Stream, code: int, root: Path) -> None:
    said = last_line((root / stream.log).read_text(errors="replace")) if stream.log else f"exit {code}"
    print(f"\ntest_streams: {stream.name} tests ended (exit {code}): {said}", flush=True)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.test_streams",
        description="Run the test suite as two pytest processes side by side: the tests marked slow "
        f"(printed here) and the rest (into {QUICK_LOG}). Options after -- go to both pytest runs.",
    )
    parser.add_argument("pytest_args", nargs="*", help="options for both pytest runs, e.g. --durations=25 -x")
    args = parser.parse_args(argv)
    return cli.run("test_streams", lambda: run(args.pytest_args))


if __name__ == "__main__":
    sys.exit(main())
