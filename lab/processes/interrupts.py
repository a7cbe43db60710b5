"""How a long-running lab command (`lab up`, `lab replay`) is interrupted: Ctrl-C and `lab down` alike.

Inside `interruptible()`, SIGINT (Ctrl-C) and SIGTERM (what `lab down` sends) both raise KeyboardInterrupt in
the main thread, so the command unwinds through its ExitStack and stops everything it started. SIGINT's
handler is installed explicitly: a process started with SIGINT ignored (any command run as a background job of
a non-interactive shell inherits that, and Python then installs no handler of its own) would otherwise print
"Ctrl-C stops everything" and then ignore Ctrl-C. The previous handlers come back on the way out.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt while inside; the handlers before are restored after."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
