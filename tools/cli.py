"""How every `python -m tools.X` command line ends: its errors in one place, as a line on stderr and a
non-zero status, never a traceback.

    def main(argv=None) -> int:
        args = parser.parse_args(argv)
        return cli.run("cost", lambda: _main(args), failures=(CostError, terraform.TerraformError))

- a `UsageError` (what the person must change: a flag, a path, a setting): its message, exit 2, as argparse;
- one of the tool's own errors (`failures`, the roots of its error families) or an `OSError` (a file it
  could not read or write): its message, exit 1;
- Ctrl-C: "interrupted", exit 130.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

USAGE = 2
FAILED = 1
INTERRUPTED = 130


class UsageError(Exception):
    """Input the person must change (a flag, a path, a setting); mixed into each tool's own error family."""


def run(
    prog: str,
    body: Callable[[], int | None],
    failures: tuple[type[Exception], ...] = (),
) -> int:
    """`body()`'s status (None is 0), or the status of the error that ended it, its message on stderr."""
    try:
        return body() or 0
    except caught(*failures) as exc:
        return failed(prog, exc)


def caught(*failures: type[Exception]) -> tuple[type[BaseException], ...]:
    """What a tool's one `except` catches: usage errors, its own failures, OSError, Ctrl-C (see `failed`)."""
    return (UsageError, OSError, KeyboardInterrupt, *failures)


def failed(prog: str, exc: BaseException) -> int:
    """Say why `prog` stopped, in one line on stderr; its exit status (see the module's docstring)."""
    if isinstance(exc, KeyboardInterrupt):
        print(f"{prog}: interrupted", file=sys.stderr)
        return INTERRUPTED
    print(f"{prog}: {str(exc) or type(exc).__name__}", file=sys.stderr)
    return USAGE if isinstance(exc, UsageError) else FAILED


def writable_folder(path: Path, flag: str) -> Path:
    """`path`, made if missing, when this process can write into it; else UsageError naming `flag`."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag} {path} cannot be written: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path} cannot be written: permission denied")
    return path


def environment_help(variables: dict[str, str]) -> str:
    """An argparse epilog paragraph naming the environment variables a tool reads and what each does."""
    return "environment: " + "; ".join(f"{name}: {what}" for name, what in variables.items()) + "."
