"""`python -m lab up` as a person runs it: it comes up, says where the dashboard is, `lab status` sees it,
`lab invoke` and `lab run` work against it, rows land from the scheduler's first round, and Ctrl-C (SIGINT
to its process group, as a terminal sends it) stops everything it started — endpoint, environments,
dashboard — leaving no process and no pid file.

When the clean-clone test runs in the same session, its `make up` runs beside this test (see
tests/e2e/conftest.py): another lab, with its own ports, state and checkout, so the two bring-ups' waits
overlap."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, free_port

pytestmark = pytest.mark.slow
FLEET = {"strategies": ["dict", "sdk"], "memory_sizes": [1769]}
PROBE = "dict-1769-x86_64"


def _pids_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if text in cmdline or text.encode() in environ:
            found.append(f"{proc.name}: {cmdline.strip()[:200]}")
    return found


class Reader:
    """Collects a process's output on a thread, so the test can wait for a line without blocking."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout_s: float, process: subprocess.Popen[str]) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(text in line for line in self.lines):
            assert process.poll() is None, "".join(self.lines)[-6000:]
            tail = "".join(self.lines)[-6000:]
            assert time.monotonic() < deadline, f"no {text!r} within {timeout_s} s:\n{tail}"
            time.sleep(1)

    @property
    def text(self) -> str:
        return "".join(self.lines)


@pytest.mark.timeout(1500)
@pytest.mark.usefixtures("clean_clone_make_up_alongside")
def test_up_serves_measures_and_ctrl_c_leaves_nothing_running(tmp_path: Path) -> None:
    state = tmp_path / "lab-state"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OBSERVATORY_"))}
    env["OBSERVATORY_LAB_DIR"] = str(state)
    # A fleet of two quick probes (the default fleet's round is the clean clone's, run beside this test):
    # what is under test here is the commands and Ctrl-C, not the probes.
    env["TF_VAR_fleet"] = json.dumps(FLEET)
    env["TF_VAR_tracing_comparison"] = "{}"
    dashboard_port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lab", "up", "--port", str(free_port()),
         "--dashboard-port", str(dashboard_port)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    reader = Reader(process)
    try:
        reader.wait_for("Ctrl-C stops everything", 900, process)
        assert f"dashboard: http://127.0.0.1:{dashboard_port}" in reader.text
        status = subprocess.run([sys.executable, "-m", "lab", "status"], cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True, timeout=120, check=False)
        assert status.returncode == 0, status.stdout + status.stderr
        assert f"pid {process.pid}" in status.stdout and "functions: " in status.stdout
        # `lab invoke` and `lab run` work against the running lab, each with its own service.
        invoke = subprocess.run(
            [sys.executable, "-m", "lab", "--quiet", "invoke", PROBE],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )
        assert invoke.returncode == 0, invoke.stdout + invoke.stderr
        assert '"schema_version": 1' in invoke.stdout and f'"probe_key": "{PROBE}"' in invoke.stdout
        run = subprocess.run([sys.executable, "-m", "lab", "--quiet", "run", "--rounds", "1"],
                             cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
        assert run.returncode == 0, run.stdout + run.stderr
        # every probe of the fleet given (as many as `lab status` counts) fired once and landed
        probes = re.search(r"\((\d+) probes\)", status.stdout)
        assert probes, status.stdout
        fleet = int(probes.group(1))
        assert fleet == len(FLEET["strategies"]) * len(FLEET["memory_sizes"])
        assert f"{fleet}/{fleet} invocations" in run.stdout and f"{fleet} invocations → " in run.stdout
        # The scheduler's first round fires at start; its rows land in the table.
        deadline = time.monotonic() + 600
        while "rows since start" not in reader.text or all(
            " 0 rows since start" in line for line in reader.lines if "rows since start" in line
        ):
            assert time.monotonic() < deadline, reader.text[-6000:]
            assert process.poll() is None, reader.text[-6000:]
            time.sleep(2)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        try:
            process.wait(timeout=180)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`lab up` still running 180 s after Ctrl-C:\n{reader.text[-6000:]}")
    finally:
        if process.poll() is None:  # the test failed half-way: stop the lab the way a user would
            subprocess.run([sys.executable, "-m", "lab", "down"], cwd=REPO_ROOT, env=env, timeout=180,
                           check=False, capture_output=True)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    time.sleep(1)
    assert "everything the lab started is stopped" in reader.text, reader.text[-6000:]
    assert process.returncode == 0
    assert _pids_mentioning(str(state)) == []
    assert not (state / "endpoint.json").exists() and not (state / "up.json").exists()
