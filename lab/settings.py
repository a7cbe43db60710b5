"""Where the lab keeps its state and how it emulates Lambda: each default of the lab, written once.

`LabConfig`'s field defaults are the defaults of the command-line options too (`lab/cli/parser.py` reads them
from here); the CFS period is the runtime's own (`lab.runtime.cgroups.CFS_PERIOD_MS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.runtime.cgroups import CFS_PERIOD_MS

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = REPO_ROOT / ".lab"
LOCAL_ENV = REPO_ROOT / "terraform" / "envs" / "local"
DASHBOARD_APP = REPO_ROOT / "dashboard" / "streamlit_app.py"
LOOPBACK = "127.0.0.1"  # the endpoint and the dashboard listen here only


@dataclass(frozen=True)
class LabConfig:
    """Where the lab keeps its state, its ports, and how it emulates Lambda; from the command line."""

    state_dir: Path
    port: int = 4566
    dashboard_port: int = 8501
    artifacts_dir: Path = REPO_ROOT / "build"
    cpu_period_ms: float = CFS_PERIOD_MS
    idle_timeout_s: float = 300.0
    max_concurrent_probes: int = 1
    round_timeout_s: float = 900.0
