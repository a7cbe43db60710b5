"""An interrupted terraform command leaves nothing running: terraform and the provider processes it started
are stopped and waited for (issue 22, finding 1: an interrupt during `terraform apply` left the AWS provider
running, adopted by init). A real process tree: a stand-in terraform that starts a stand-in provider in its
own process group, as Terraform's plugins are, then works for minutes; the Python that drives it is sent the
signal a CI timeout (SIGINT) or `lab down` (SIGTERM) sends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lab.processes.supervisor import pid_alive
from tests.conftest import REPO_ROOT

FAKE_TERRAFORM = textwrap.dedent(
    """\
    #!{python}
    import os, subprocess, sys, time
    from pathlib import Path
    pids = Path(os.environ["FAKE_TF_PIDS"])
    provider = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    pids.write_text(f"{{os.getpid()}} {{provider.pid}}")
    time.sleep(300)
    """
)

# Drives the stand-in as the lab drives terraform: `apply`, interruptible as `lab up` and `lab replay` are.
DRIVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from lab.processes.interrupts import interruptible
    from tools import terraform
    with interruptible():
        terraform.apply(terraform.Workspace(Path(sys.argv[1])))
    """
)


def _wait_for(condition: object, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_apply_stops_terraform_and_its_providers(sig: signal.Signals, tmp_path: Path) -> None:
    fake = tmp_path / "terraform"
    fake.write_text(FAKE_TERRAFORM.format(python=sys.executable))
    fake.chmod(0o755)
    pid_file = tmp_path / "pids"
    env = {**os.environ, "TERRAFORM_BIN": str(fake), "FAKE_TF_PIDS": str(pid_file)}
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(tmp_path)], cwd=REPO_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pids: list[int] = []
    try:
        _wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "terraform never started")
        pids = [int(pid) for pid in pid_file.read_text().split()]
        os.kill(driver.pid, sig)
        output, _ = driver.communicate(timeout=60)
        assert driver.returncode != 0, output
        terraform_pid, provider_pid = pids
        _wait_for(lambda: not pid_alive(terraform_pid), "terraform still runs after the interrupt")
        _wait_for(lambda: not pid_alive(provider_pid), "terraform's provider still runs after the interrupt",
                  timeout_s=10)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
        for pid in pids:  # what the driver left behind, stopped by pid
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
