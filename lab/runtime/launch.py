"""How an environment starts its runtime, as Lambda does: the runtime's bootstrap, which reads the handler
from `_HANDLER`, run through the function's wrapper script when `AWS_LAMBDA_EXEC_WRAPPER` names one; and how
an idle environment is frozen between invocations.

Lambda ("Modifying the runtime environment", *Wrapper scripts*): "Lambda starts the runtime using your script.
Lambda sends your script the path to the interpreter and all of the original arguments for the standard
runtime startup." The script may set variables (such as `_HANDLER`) and must exec the runtime. Here the
original command is `<the runtime's python> <env>/runtime/bootstrap.py`; the bootstrap reads `_HANDLER` at
start, as Lambda's `bootstrap.py` does, so a wrapper that rewrites `_HANDLER` (ADOT's does) is honoured. The
wrapper runs inside the environment's cgroup (the whole command is), so its set-up is part of INIT.

Lambda freezes an environment between invocations: nothing in it runs until the next event (or SHUTDOWN).
The lab does the same with SIGSTOP / SIGCONT to each process group of the environment (runtime, extensions,
and whatever they started in their groups), so work a function leaves for "later" (a span batch waiting for
its timer) does not happen while it is idle, exactly as on Lambda.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterable
from pathlib import Path

WRAPPER_VARIABLE = "AWS_LAMBDA_EXEC_WRAPPER"

# Lambda's bootstrap reads the handler from _HANDLER (awslambdaric takes it as its first argument)
BOOTSTRAP_SOURCE = """\
# The lab's runtime bootstrap: what Lambda's bootstrap does, awslambdaric with the handler from _HANDLER.
import os
import runpy
import sys

sys.argv = ["awslambdaric", os.environ["_HANDLER"]]
sys.path[0] = os.getcwd()  # as `python -m awslambdaric` in the task directory
runpy.run_module("awslambdaric", run_name="__main__", alter_sys=True)
"""


def write_bootstrap(directory: Path) -> Path:
    """The bootstrap script of one environment (`<directory>/runtime/bootstrap.py`), written now."""
    path = directory / "runtime" / "bootstrap.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BOOTSTRAP_SOURCE)
    return path


def lab_path(value: str, task_dir: Path, opt_dir: Path) -> Path:
    """A Lambda path (`/opt/...`, `/var/task/...`) as it is in this environment's directories."""
    for prefix, local in (("/opt/", opt_dir), ("/var/task/", task_dir)):
        if value.startswith(prefix):
            return local / value[len(prefix) :]
    return Path(value)


def runtime_command(
    python: str, bootstrap: Path, variables: dict[str, str], task_dir: Path, opt_dir: Path
) -> list[str]:
    """The runtime's start command: `python bootstrap.py`, prefixed by the wrapper script if the function's
    `AWS_LAMBDA_EXEC_WRAPPER` names one (an empty value names none)."""
    command = [python, str(bootstrap)]
    wrapper = variables.get(WRAPPER_VARIABLE, "").strip()
    if not wrapper:
        return command
    return [str(lab_path(wrapper, task_dir, opt_dir)), *command]


def _signal_groups(processes: Iterable[subprocess.Popen[bytes]], signum: int) -> None:
    for proc in processes:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signum)


def freeze(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """Stop every process group of these (live) processes: the environment is frozen."""
    _signal_groups(processes, signal.SIGSTOP)


def thaw(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """Let every process group of these processes run again."""
    _signal_groups(processes, signal.SIGCONT)
