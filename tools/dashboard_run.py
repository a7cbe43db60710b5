"""`make dashboard`: the Streamlit dashboard on this machine's loopback address unless asked otherwise.

    python -m tools.dashboard_run [--address ADDRESS] [--port PORT] [-- STREAMLIT OPTIONS ...]

The dashboard reads the table with the credentials of whoever started it, and has no login of its own: on
127.0.0.1 (the default) only this machine reaches it. Another address (`DASHBOARD_ADDRESS=0.0.0.0 make
dashboard`) is served as asked, after saying what that exposes and how to put authentication in front.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tools import cli

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "dashboard" / "streamlit_app.py"
LOOPBACK = "127.0.0.1"
EXPOSED_NOTE = """\
NOTE: the dashboard will listen on {address}:{port}, not only on this machine's loopback address.
  Anyone who can reach that address ({reach}) can open it, with no login, and read the measurements table
  with YOUR AWS credentials (those this process runs with).
  To share it, keep it on 127.0.0.1 and put authentication in front: a reverse proxy with a login (nginx or
  Caddy with basic auth or an OAuth2 proxy) forwarding to 127.0.0.1:{port}, or an SSH tunnel
  (`ssh -L {port}:127.0.0.1:{port} this-host`); give it credentials that may only read the table
  (terraform/policies/dashboard-reader.json)."""


def is_loopback(address: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # a host name: whatever it resolves to, it was asked for explicitly
        return False


def exposure_note(address: str, port: int) -> str | None:
    """What serving on `address` exposes and how to guard it; None on loopback."""
    if is_loopback(address):
        return None
    everywhere = address in ("0.0.0.0", "::", "")
    reach = "every network this machine is on" if everywhere else f"the network of {address}"
    return EXPOSED_NOTE.format(address=address or "*", port=port, reach=reach)


def command(address: str, port: int, extra: Sequence[str] = ()) -> list[str]:
    """`streamlit run` of the dashboard bound to `address`:`port`."""
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", address,
            "--server.port", str(port), *extra]


def main(argv: list[str] | None = None) -> int:
    """Say what a non-loopback address exposes, then replace this process with streamlit."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.dashboard_run", description="The dashboard, on 127.0.0.1 unless asked."
    )
    parser.add_argument("--address", default=LOOPBACK, help=f"address to listen on (default {LOOPBACK})")
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    parser.add_argument("streamlit", nargs="*", help="more `streamlit run` options, after --")
    args = parser.parse_args(argv)
    return cli.run("dashboard_run", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    address = args.address.strip() or LOOPBACK
    note = exposure_note(address, args.port)
    if note:
        print(note, file=sys.stderr, flush=True)
    argv = command(address, args.port, args.streamlit)
    os.execv(argv[0], argv)  # Ctrl-C and the exit status are streamlit's own
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
