"""How every `python -m lab` command ends: its status, or what went wrong in one line on stderr.

The one place the lab's command line turns errors into words. A `LabError` — the root of every lab package's
errors: the endpoint's, the processes', the scheduler's, the runtime's — is what the user must change, said as
its message. Terraform's and the endpoint's own errors (botocore) are said the same way. An interrupt ends the
command with 128 + its signal (130 for SIGINT, 143 for SIGTERM) once what it started is stopped. Anything
else is a bug of the lab: one line, status 1, and `OBSERVATORY_LAB_DEBUG=1` shows its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from lab.errors import LabError
from lab.processes.interrupts import describe_signal, exit_status, interruptible, signal_of

DEBUG_VARIABLE = "OBSERVATORY_LAB_DEBUG"


def reported(command: Callable[[], int], *, debug: bool = False, stream: TextIO | None = None) -> int:
    """Run `command` (interruptible: SIGINT and SIGTERM unwind it); its status, or its failure said in one
    line on `stream` (stderr) and a non-zero status. `debug` lets an unexpected error's traceback through."""
    from botocore.exceptions import BotoCoreError, ClientError

    from datastore.schema import TableError
    from tools.terraform import TerraformError

    out = stream or sys.stderr
    try:
        with interruptible():
            return command()
    except (LabError, TerraformError, TableError) as exc:
        print(f"error: {exc}", file=out)
    except (BotoCoreError, ClientError) as exc:
        print(f"error: the lab's endpoint answered: {exc}", file=out)
    except KeyboardInterrupt as exc:
        print(f"interrupted by {describe_signal(signal_of(exc))}; what the command started is stopped",
              file=out)
        return exit_status(exc)
    except Exception as exc:
        if debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (a bug in the lab; {DEBUG_VARIABLE}=1 shows "
              "its traceback)", file=out)
    return 1
