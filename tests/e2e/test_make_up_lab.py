"""What the README promises: `make up` on a clean clone brings the lab up, measures, and (in the
non-interactive mode: one round, then exit) ends with rows in the table, exit status 0 and nothing running.

Time: the clone reuses this checkout's virtualenv (`make VENV=<repo>/.venv`, with `-o <venv>/.installed` so
make does not reinstall into it); everything else — build, endpoint, terraform apply, round, dashboard — is
done from scratch inside the clone.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, free_port

pytestmark = pytest.mark.slow


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if text in cmdline or cwd.startswith(text):
            found.append(f"{proc.name}: {cmdline.strip()} (cwd {cwd})")
    return found


@pytest.mark.timeout(1800)
def test_make_up_from_a_clean_clone_ends_with_rows_and_nothing_running(tmp_path: Path) -> None:
    clone = tmp_path / "observatory"
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
    process = subprocess.Popen(
        ["make", "up", f"VENV={venv}", "-o", f"{venv}/.installed"],
        cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=1700)
    finally:
        if process.poll() is None:  # timed out: stop the lab the way a user would, then make itself
            subprocess.run([str(venv / "bin" / "python"), "-m", "lab", "down"], cwd=clone, env=env,
                           timeout=180, check=False, capture_output=True)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    leftovers = _processes_mentioning(str(clone))
    assert process.returncode == 0, output[-8000:]
    assert f"dashboard: http://127.0.0.1:{dashboard_port}" in output
    landed = re.search(r"(\d+) invocations → (\d+) rows in the table", output)
    assert landed, output[-8000:]
    assert int(landed.group(1)) > 0 and int(landed.group(2)) >= int(landed.group(1))
    assert "everything the lab started is stopped" in output
    assert leftovers == []
    assert not (clone / ".lab" / "endpoint.json").exists() and not (clone / ".lab" / "up.json").exists()
