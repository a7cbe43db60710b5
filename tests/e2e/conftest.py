"""Fixtures of the e2e tests: the clean clone's `make up`, started once, in the background.

The clean-clone test (test_make_up_lab.py) and the Ctrl-C test (test_make_up_interrupt.py) each bring a whole
lab up, and most of a bring-up is waiting: Terraform's provider waits for each SQS queue to settle, and a
round's probes run one at a time under their tiers' CPU quotas. So when both tests are in a session, the clean
clone's `make up` starts as the Ctrl-C test starts and runs beside it; the clean-clone test then waits for it
and asserts what it always has. The two labs share nothing: each has its own ports, state directory, checkout
and processes, and each test looks only for its own leftovers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from tests.conftest import REPO_ROOT, free_port

MAKE_UP_TIMEOUT_S = 1700  # from the start of `make up`


@dataclass
class CleanCloneMakeUp:
    """`make up` in a clean clone, non-interactive (one round, then exit), its output going to `log`."""

    clone: Path
    venv: Path
    env: dict[str, str]
    dashboard_port: int
    process: subprocess.Popen[str]
    log: Path
    started: float = field(default_factory=time.monotonic)

    def finish(self) -> str:
        """Wait for `make up` to end by itself (at most MAKE_UP_TIMEOUT_S after it started; past that, stop
        the lab the way a user would, then make itself); its whole output."""
        try:
            self.process.wait(timeout=max(0.0, self.started + MAKE_UP_TIMEOUT_S - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        finally:
            self.stop()
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """If `make up` still runs: `lab down` in the clone, then SIGKILL to its process group."""
        if self.process.poll() is None:
            subprocess.run([str(self.venv / "bin" / "python"), "-m", "lab", "down"], cwd=self.clone,
                           env=self.env, timeout=180, check=False, capture_output=True)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture(scope="session")
def clean_clone_make_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CleanCloneMakeUp]:
    """A clean clone of this checkout, and `make up` started in it with one round then exit.

    Time: the clone reuses this checkout's virtualenv (`make VENV=<repo>/.venv`, with `-o <venv>/.installed`
    so make does not reinstall into it); everything else — build, endpoint, terraform apply, round,
    dashboard — is done from scratch inside the clone.
    """
    root = tmp_path_factory.mktemp("make-up")
    clone = root / "observatory"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
    venv = REPO_ROOT / ".venv"
    endpoint_port, dashboard_port = free_port(), free_port()
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("AWS_", "OBSERVATORY_"))
    } | {
        "OBSERVATORY_LAB_PORT": str(endpoint_port),
        "OBSERVATORY_DASHBOARD_PORT": str(dashboard_port),
        "OBSERVATORY_LAB_ROUNDS": "1",
        "OBSERVATORY_LAB_EXIT": "1",
    }
    log = root / "make-up.log"
    output: IO[str]
    with log.open("w") as output:
        process = subprocess.Popen(
            ["make", "up", f"VENV={venv}", "-o", f"{venv}/.installed"],
            cwd=clone, env=env, stdout=output, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
    made = CleanCloneMakeUp(clone, venv, env, dashboard_port, process, log)
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture()
def clean_clone_make_up_alongside(request: pytest.FixtureRequest) -> None:
    """Start the clean clone's `make up` now if a test of this session reads it, so it runs beside the
    requesting test; nothing if none does."""
    if any("clean_clone_make_up" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("clean_clone_make_up")
