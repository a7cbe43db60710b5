"""What the README promises: `make up` on a clean clone brings the lab up, measures, and (in the
non-interactive mode: one round, then exit) ends with rows in the table, exit status 0 and nothing running.
It is the suite's one round of the default fleet: every probe fires once and lands.

The clone and its `make up` are the `clean_clone_make_up` fixture's (tests/e2e/conftest.py): started beside
the Ctrl-C test when both run, so the two bring-ups overlap; this test waits for it to end.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import CleanCloneMakeUp

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
def test_make_up_from_a_clean_clone_ends_with_rows_and_nothing_running(
    clean_clone_make_up: CleanCloneMakeUp,
) -> None:
    made = clean_clone_make_up
    output = made.finish()
    process, clone, dashboard_port = made.process, made.clone, made.dashboard_port
    leftovers = _processes_mentioning(str(clone))
    assert process.returncode == 0, output[-8000:]
    assert f"dashboard: http://127.0.0.1:{dashboard_port}" in output
    landed = re.search(r"(\d+) invocations → (\d+) rows in the table", output)
    assert landed, output[-8000:]
    assert int(landed.group(1)) > 0 and int(landed.group(2)) >= int(landed.group(1))
    # every probe of the default fleet fired once and landed
    fleet = re.search(r"running 1 round\(s\) of (\d+) probes", output)
    assert fleet, output[-8000:]
    probes = int(fleet.group(1))
    assert probes >= 12  # at least every strategy at 128 and 1,769 MB
    assert f"{probes}/{probes} invocations" in output and int(landed.group(1)) == probes
    assert "everything the lab started is stopped" in output
    assert leftovers == []
    assert not (clone / ".lab" / "endpoint.json").exists() and not (clone / ".lab" / "up.json").exists()
