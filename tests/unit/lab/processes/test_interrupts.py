"""`lab up` says "Ctrl-C stops everything": that must hold in a process started with SIGINT ignored, as every
command run as a background job of a non-interactive shell is (Python then installs no SIGINT handler)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import REPO_ROOT

CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    from lab.processes.interrupts import interruptible

    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN, "the test must start this with SIGINT ignored"
    try:
        with interruptible():
            os.kill(os.getpid(), signal.SIG{name})
            time.sleep(30)
        print("not interrupted")
    except KeyboardInterrupt:
        print("interrupted")
    print("restored" if signal.getsignal(signal.SIGINT) == signal.SIG_IGN else "not restored")
    """
)


def _run(name: str) -> list[str]:
    ignore_sigint = "import signal, subprocess, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    launcher = ignore_sigint + "sys.exit(subprocess.run([sys.executable, '-c', sys.argv[1]]).returncode)"
    done = subprocess.run(
        [sys.executable, "-c", launcher, CHILD.format(name=name)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_ctrl_c_interrupts_even_where_sigint_was_ignored_and_the_old_handler_comes_back() -> None:
    assert _run("INT") == ["interrupted", "restored"]


def test_lab_down_s_sigterm_interrupts_the_same_way() -> None:
    assert _run("TERM") == ["interrupted", "restored"]

