"""The dashboard as a background process of `lab up`: `streamlit run dashboard/streamlit_app.py` on the
lab's table, pointed at the lab's endpoint and told the interval of the schedules the lab fires (so "stale"
rests on the real schedule, not on one guessed from the rows); started once healthy, stopped by its pid."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lab.errors import LabError
from lab.processes import supervisor
from lab.scheduler.expressions import Rate
from lab.settings import DASHBOARD_APP, LOOPBACK, REPO_ROOT, LabConfig

if TYPE_CHECKING:
    from lab.endpoint.clients import EndpointClients
    from lab.scheduler.source import Schedule
    from lab.state import Deployment

LOG_FILE = "dashboard.log"
MARKER = "streamlit"  # in the command line of the dashboard process (`python -m streamlit run …`)
HEALTHY_WITHIN_S = 60.0


def dashboard_url(config: LabConfig) -> str:
    """Where the dashboard of this configuration is served."""
    return f"http://{LOOPBACK}:{config.dashboard_port}"


def _healthy(config: LabConfig) -> bool:
    with contextlib.suppress(urllib.error.URLError, OSError), urllib.request.urlopen(
        f"{dashboard_url(config)}/_stcore/health", timeout=2
    ) as response:
        return bool(response.status == 200)
    return False


def schedule_interval_seconds(schedules: Sequence[Schedule]) -> int | None:
    """The interval of the probes' rate() schedules (the longest, if they differ: no probe is then called
    stale before its own next run is due); None without a rate(), and the dashboard infers one and says so."""
    rates = [s.expression.interval.total_seconds() for s in schedules if isinstance(s.expression, Rate)]
    return round(max(rates)) if rates else None


def start_dashboard(
    clients: EndpointClients, deployment: Deployment, config: LabConfig, schedules: Sequence[Schedule]
) -> subprocess.Popen[bytes]:
    """Start the dashboard in the background on the deployment's table, told the interval of the probes'
    `schedules`; return once it is healthy."""
    log = config.state_dir / LOG_FILE
    env = clients.child_process_environment(os.environ) | {"OBSERVATORY_TABLE_NAME": deployment.table_name}
    interval = schedule_interval_seconds(schedules)
    if interval is not None:
        env["OBSERVATORY_SCHEDULE_SECONDS"] = str(interval)
    started = supervisor.start(
        [sys.executable, "-m", MARKER, "run", str(DASHBOARD_APP),
         "--server.headless", "true", "--server.address", LOOPBACK,
         "--server.port", str(config.dashboard_port), "--browser.gatherUsageStats", "false"],
        log=log, cwd=REPO_ROOT, env=env,
    )
    try:
        supervisor.wait_healthy(started, lambda: _healthy(config), timeout_s=HEALTHY_WITHIN_S, poll_s=0.5)
    except supervisor.ProcessExitedError as exc:
        raise LabError(f"the dashboard exited with status {exc.returncode}; see {log}") from exc
    except supervisor.NotHealthyError as exc:
        raise LabError(f"the dashboard did not become healthy within {HEALTHY_WITHIN_S:.0f} s; "
                       f"see {log}") from exc
    return started


def stop_dashboard(started: subprocess.Popen[bytes]) -> None:
    """Stop a dashboard this process started (its whole process group)."""
    supervisor.stop(started.pid, group=True, process=started)


def stop_recorded_dashboard(pid: int) -> bool:
    """Stop the dashboard `lab up` recorded, if that pid is still a dashboard; True if one was stopped."""
    if not supervisor.is_ours(pid, MARKER):
        return False
    supervisor.stop(pid, group=True)
    return True
