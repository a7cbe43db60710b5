"""`make dashboard` listens on loopback only: the command `make -n dashboard` prints is started for real and
the kernel's table of listening sockets (/proc/net/tcp, tcp6) says which addresses hold its port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import free_port

REPO_ROOT = Path(__file__).resolve().parents[3]
LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's `st` column
STARTS_WITHIN_S = 90

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp"),
]


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on `port`, from /proc/net/tcp and /proc/net/tcp6."""
    found: set[str] = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address_hex, port_hex = local.split(":")
            if state != LISTEN or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(address_hex)
            # the kernel prints each 32-bit word in host (little-endian) order
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, raw))
    return found


def make_dashboard_command(port: int) -> str:
    """The recipe of `make dashboard` as make would run it (dry run: nothing is started by make)."""
    completed = subprocess.run(
        ["make", "-n", "-s", "dashboard", f"DASHBOARD_PORT={port}"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )
    lines = [line for line in completed.stdout.splitlines() if "streamlit" in line or "dashboard" in line]
    assert lines, completed.stdout
    return lines[-1]


def test_make_dashboard_listens_on_loopback_only(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, STREAMLIT_SERVER_PORT=str(port), STREAMLIT_SERVER_HEADLESS="true",
               STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", OBSERVATORY_TABLE_NAME="not-read-before-a-visit")
    log = (tmp_path / "dashboard.log").open("w")
    process = subprocess.Popen(make_dashboard_command(port), shell=True, cwd=REPO_ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTS_WITHIN_S
        while not listening_addresses(port) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1)  # a server binding every interface binds its IPv4 and IPv6 sockets one after the other
        addresses = listening_addresses(port)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
    assert addresses, f"nothing listened on {port}: {(tmp_path / 'dashboard.log').read_text()[-2000:]}"
    assert addresses == {"127.0.0.1"}
