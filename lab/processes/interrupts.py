"""How a long-running lab command (`lab up`, `lab replay`) is interrupted: Ctrl-C and `lab down` alike.

Inside `interruptible()`, SIGINT (Ctrl-C, a CI timeout's `-s INT`) and SIGTERM (what `lab down` and `timeout`
send) both raise `Interrupted` (a KeyboardInterrupt that knows its signal) in the main thread, so the command
unwinds through its ExitStack and stops everything it started, then exits 128 + the signal's number (130 for
SIGINT, 143 for SIGTERM), the shell's convention for work a signal cut short. SIGINT's handler is installed
explicitly: a process started with SIGINT ignored (any command run as a background job of a non-interactive
shell inherits that, and Python then installs no handler of its own) would otherwise print "Ctrl-C stops
everything" and then ignore Ctrl-C. The previous handlers come back on the way out.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

SIGNAL_NAMES = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}


class Interrupted(KeyboardInterrupt):
    """A signal asked the command to stop; `signum` says which."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(describe_signal(signum))
        self.signum = signum


def describe_signal(signum: int) -> str:
    """`SIGINT (Ctrl-C)`, `SIGTERM`, `SIGHUP`."""
    try:
        return SIGNAL_NAMES.get(signal.Signals(signum), signal.Signals(signum).name)
    except ValueError:
        return f"signal {signum}"


def signal_of(interrupt: KeyboardInterrupt) -> int:
    """The signal behind an interrupt (a plain KeyboardInterrupt is Python's own SIGINT)."""
    return getattr(interrupt, "signum", signal.SIGINT)


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """128 + the signal's number: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + int(signal_of(interrupt))


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM raise Interrupted while inside; the handlers before are restored after."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
