"""An interrupted `python -m lab up --rounds N --exit` exits 130 (SIGINT) or 143 (SIGTERM), not 0, and says
what it interrupted (issue 22, finding 1): a real `python -m lab` process whose steps are stand-ins, the
rounds a long wait, interrupted the way a CI timeout or `lab down` does it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

# `python -m lab up` with every step a stand-in: nothing starts, and the rounds wait until interrupted.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from types import SimpleNamespace
    from lab import up
    from lab.cli.parser import main
    from lab.fleet.hostspeed import HostSpeed
    from lab.state import Deployment

    marker = Path(sys.argv[1])
    envs = SimpleNamespace(ensure=lambda runtime: None)
    up.check_prerequisites = lambda *a, **k: up.Prerequisites(["python3.11"], envs, HostSpeed("CPU", 1.0))
    up.start_endpoint = lambda state_dir, port: SimpleNamespace(url="https://127.0.0.1:1", ca_bundle="ca",
                                                                 pid=1)
    up.stop_endpoint = lambda state_dir: print("stand-in endpoint stopped", flush=True)
    up.terraform_apply = lambda *a, **k: Deployment("table", {"k": "f"}, "collector", "")
    closes = SimpleNamespace(close=lambda: None)
    up.open_service = lambda *a, **k: (closes, closes)
    up.read_fleet_schedules = lambda *a, **k: [SimpleNamespace(expression_text="rate(1 hour)")]
    up.read_job_schedules = lambda *a, **k: []

    def rounds(*args, **kwargs):
        marker.write_text("rounds started")
        time.sleep(120)
        raise SystemExit("the rounds were not interrupted")

    up.run_rounds = rounds
    sys.exit(main(["--state-dir", sys.argv[2], "up", "--rounds", "1", "--exit", "--no-dashboard",
                   "--artifacts-dir", sys.argv[2]]))
    """
)


@pytest.mark.parametrize(("sig", "status", "name"), [
    (signal.SIGINT, 130, "SIGINT (Ctrl-C)"),
    (signal.SIGTERM, 143, "SIGTERM"),
])
def test_an_interrupted_up_exits_with_the_signals_status(
    sig: signal.Signals, status: int, name: str, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(marker), str(tmp_path / "state")],
                             cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()[0]
            assert time.monotonic() < deadline, "the stand-in rounds never started"
            time.sleep(0.05)
        os.kill(child.pid, sig)
        output, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == status, output
    assert f"interrupted by {name} during [5/5] running 1 round(s)" in output
    assert "stand-in endpoint stopped" in output and "everything the lab started is stopped" in output
    assert "Traceback" not in output
