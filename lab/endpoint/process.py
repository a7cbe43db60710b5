"""Start, find and stop the endpoint as a background process recorded in `.lab/endpoint.json`.

`python -m lab up` starts it; `python -m lab down` stops it by the pid in that file, so nothing is left
running even when the process that started it is gone.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from lab.endpoint.server import SERVER_NAME
from lab.endpoint.tls import ensure_tls

DEFAULT_PORT = 4566
STATE_FILE = "endpoint.json"
LOG_FILE = "endpoint.log"
REPO_ROOT = Path(__file__).resolve().parents[2]


class EndpointError(Exception):
    """The endpoint could not be started, reached or stopped."""


class PortInUseError(EndpointError):
    """Something already listens on the endpoint's port."""


@dataclass(frozen=True)
class EndpointInfo:
    """A running endpoint: where it listens, which CA to trust, its pid and log."""

    url: str
    host: str
    port: int
    pid: int
    ca_bundle: str
    log: str

    def client_env(self) -> dict[str, str]:
        """Environment variables that point boto3 (and the AWS CLI) at this endpoint."""
        return {"AWS_ENDPOINT_URL": self.url, "AWS_CA_BUNDLE": self.ca_bundle}


def pid_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _is_endpoint_process(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid_alive(pid)
    return b"lab.endpoint" in cmdline


def check_port_free(host: str, port: int) -> None:
    """Raise PortInUseError, naming the port, if host:port cannot be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(
                    f"port {port} on {host} is already in use; stop what listens there "
                    f"(`ss -ltnp 'sport = :{port}'`) or choose another port with --port"
                ) from exc
            raise EndpointError(f"cannot bind {host}:{port}: {exc}") from exc


def probe_endpoint(url_host: str, port: int, ca_bundle: str, timeout_s: float = 2.0) -> bool:
    """True if a verified TLS request to host:port is answered by the lab endpoint (its Server header)."""
    import http.client

    context = ssl.create_default_context(cafile=ca_bundle)
    conn = http.client.HTTPSConnection(url_host, port, timeout=timeout_s, context=context)
    try:
        conn.request("GET", "/moto-api/")
        response = conn.getresponse()
        response.read()
        return response.getheader("Server", "") == SERVER_NAME
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def endpoint_status(state_dir: Path) -> EndpointInfo | None:
    """The endpoint recorded in state_dir if its process is alive; a stale record is removed."""
    path = state_dir / STATE_FILE
    try:
        info = EndpointInfo(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if pid_alive(info.pid) and _is_endpoint_process(info.pid):
        return info
    path.unlink(missing_ok=True)
    return None


def _log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_endpoint(
    state_dir: Path, port: int = DEFAULT_PORT, host: str = "127.0.0.1", timeout_s: float = 60.0
) -> EndpointInfo:
    """Start the endpoint in the background, wait until it answers over TLS, and record its pid.

    Raises EndpointError if one is already recorded as running, PortInUseError if the port is taken.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    running = endpoint_status(state_dir)
    if running is not None:
        raise EndpointError(
            f"the lab endpoint is already running at {running.url} (pid {running.pid}); "
            "stop it with `python -m lab down`"
        )
    check_port_free(host, port)
    tls = ensure_tls(state_dir / "tls")
    log = state_dir / LOG_FILE
    with log.open("ab") as log_handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "lab.endpoint", "--host", host, "--port", str(port),
             "--cert", str(tls.server_cert), "--key", str(tls.server_key)],
            stdin=subprocess.DEVNULL, stdout=log_handle, stderr=subprocess.STDOUT,
            cwd=REPO_ROOT, start_new_session=True,
        )
    info = EndpointInfo(
        url=f"https://{host}:{port}", host=host, port=port, pid=process.pid,
        ca_bundle=str(tls.ca_cert.resolve()), log=str(log.resolve()),
    )
    deadline = time.monotonic() + timeout_s
    while True:
        code = process.poll()
        if code is not None:
            if code == 2:
                raise PortInUseError(f"port {port} on {host} is already in use:\n{_log_tail(log)}")
            raise EndpointError(f"the lab endpoint exited with status {code}:\n{_log_tail(log)}")
        if probe_endpoint(host, port, info.ca_bundle):
            break
        if time.monotonic() > deadline:
            _terminate(process.pid, process)
            raise EndpointError(
                f"the lab endpoint did not answer within {timeout_s:.0f} s:\n{_log_tail(log)}"
            )
        time.sleep(0.2)
    (state_dir / STATE_FILE).write_text(json.dumps(asdict(info), indent=2))
    return info


def _terminate(pid: int, process: subprocess.Popen[bytes] | None = None, timeout_s: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return
        if process is None and not pid_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if process is not None:
        process.wait(timeout=5)


def stop_endpoint(state_dir: Path, timeout_s: float = 10.0) -> EndpointInfo | None:
    """Stop the recorded endpoint by its pid (SIGTERM, then SIGKILL); returns what was stopped, or None."""
    info = endpoint_status(state_dir)
    if info is None:
        return None
    _terminate(info.pid, timeout_s=timeout_s)
    # Reap it if we are its parent, so it does not linger as a zombie.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(info.pid, os.WNOHANG)
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    return info
