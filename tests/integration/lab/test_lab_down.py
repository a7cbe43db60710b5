"""`python -m lab down` stops what the lab recorded, by pid: a running `lab up` and the endpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lab.endpoint import endpoint_status, start_endpoint, stop_endpoint
from lab.processes.supervisor import pid_alive
from tests.conftest import REPO_ROOT, free_port

# Stands in for a `lab up` process: it must leave on SIGTERM, as `lab up` does after cleaning up.
UP_STAND_IN = (
    "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); time.sleep(600)"
)


def test_down_stops_lab_up_and_the_endpoint_by_pid(tmp_path: Path) -> None:
    endpoint = start_endpoint(tmp_path, port=free_port())
    up = subprocess.Popen([sys.executable, "-c", UP_STAND_IN])
    try:
        (tmp_path / "up.json").write_text(json.dumps({
            "pid": up.pid, "started_at": "2026-11-27T05:00:00+00:00", "endpoint_url": endpoint.url,
            "dashboard_url": None, "dashboard_pid": None}))
        status = subprocess.run([sys.executable, "-m", "lab", "--state-dir", str(tmp_path), "status"],
                                cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=60)
        assert f"pid {endpoint.pid}" in status.stdout and f"lab up:    pid {up.pid}" in status.stdout
        down = subprocess.run([sys.executable, "-m", "lab", "--state-dir", str(tmp_path), "down"],
                              cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=120)
        assert down.returncode == 0, down.stdout + down.stderr
        assert f"stopping lab up (pid {up.pid})" in down.stdout
        assert f"stopped the endpoint (pid {endpoint.pid})" in down.stdout
        assert up.wait(timeout=10) == 0
        deadline = time.monotonic() + 10
        while pid_alive(endpoint.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not pid_alive(endpoint.pid)
        assert endpoint_status(tmp_path) is None and not (tmp_path / "up.json").exists()
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
        stop_endpoint(tmp_path)


def test_commands_say_when_the_endpoint_is_not_answering(tmp_path: Path) -> None:
    endpoint = start_endpoint(tmp_path, port=free_port())
    try:
        # Freeze the endpoint: its pid lives, but nothing answers.
        os.kill(endpoint.pid, signal.SIGSTOP)
        run = subprocess.run([sys.executable, "-m", "lab", "--state-dir", str(tmp_path), "run"],
                             cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=60)
        assert run.returncode == 1
        assert f"the lab's endpoint (pid {endpoint.pid}) does not answer at {endpoint.url}" in run.stderr
    finally:
        os.kill(endpoint.pid, signal.SIGCONT)
        stop_endpoint(tmp_path)


def test_down_cleans_up_after_a_killed_lab_up(tmp_path: Path) -> None:
    """`lab up` died without cleaning up (SIGKILL): down still stops its dashboard and the endpoint."""
    endpoint = start_endpoint(tmp_path, port=free_port())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    dashboard = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "streamlit-stand-in"],
                                 start_new_session=True)
    try:
        (tmp_path / "up.json").write_text(json.dumps({
            "pid": dead.pid, "started_at": "2026-11-27T05:00:00+00:00", "endpoint_url": endpoint.url,
            "dashboard_url": "http://127.0.0.1:1", "dashboard_pid": dashboard.pid}))
        down = subprocess.run([sys.executable, "-m", "lab", "--state-dir", str(tmp_path), "down"],
                              cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=120)
        assert down.returncode == 0, down.stdout + down.stderr
        assert f"stopped the dashboard (pid {dashboard.pid})" in down.stdout
        assert f"stopped the endpoint (pid {endpoint.pid})" in down.stdout
        assert dashboard.wait(timeout=10) != 0  # ended by the signal
        assert not (tmp_path / "up.json").exists()
    finally:
        if dashboard.poll() is None:
            dashboard.kill()
            dashboard.wait()
        stop_endpoint(tmp_path)
