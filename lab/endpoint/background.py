"""Start, find and stop the endpoint as a background process recorded in `.lab/endpoint.json`.

`python -m lab up` starts it; `python -m lab down` stops it by the pid in that file, so nothing is left
running even when the process that started it is gone. The process mechanics are `lab.processes.supervisor`'s.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path

from lab.endpoint.moto_server import PORT_IN_USE_STATUS, SERVER_NAME, SERVING
from lab.endpoint.request_log import LINE_PREFIX
from lab.endpoint.tls import ensure_tls
from lab.errors import LabError
from lab.processes import supervisor

STATE_FILE = "endpoint.json"
LOG_FILE = "endpoint.log"
MARKER = "lab.endpoint"  # in the command line of every endpoint process (`python -m lab.endpoint`)
REPO_ROOT = Path(__file__).resolve().parents[2]


class EndpointError(LabError):
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
    """The endpoint recorded in state_dir if its process is still an endpoint; a stale record is removed."""
    return supervisor.running_record(state_dir / STATE_FILE, EndpointInfo, MARKER)


def _log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def noted_requests(state_dir: Path, limit: int = 10) -> list[str]:
    """The last `limit` lines the latest endpoint's request log wrote (retried requests, 5xx, slow or
    malformed answers) in state_dir's endpoint log, which every endpoint appends to: what to show beside a
    failed `terraform apply`."""
    try:
        text = (state_dir / LOG_FILE).read_text(errors="replace")
    except OSError:
        return []
    noted: list[str] = []
    for line in text.splitlines():
        if line.startswith(SERVING):
            noted = []
        elif line.startswith(LINE_PREFIX):
            noted.append(line)
    return noted[-limit:]


def _server_environment(port: int) -> dict[str, str]:
    """This process's environment for the endpoint: moto's own port set, and no `AWS_PROFILE` (moto's
    internal boto3 sessions fail on a profile that is not configured)."""
    return {k: v for k, v in os.environ.items() if k != "AWS_PROFILE"} | {"MOTO_PORT": str(port)}


def start_endpoint(
    state_dir: Path, port: int, host: str = "127.0.0.1", timeout_s: float = 60.0
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
    started = supervisor.start(
        [sys.executable, "-m", MARKER, "--host", host, "--port", str(port),
         "--cert", str(tls.server_cert), "--key", str(tls.server_key)],
        log=log, cwd=REPO_ROOT, env=_server_environment(port),
    )
    info = EndpointInfo(
        url=f"https://{host}:{port}", host=host, port=port, pid=started.pid,
        ca_bundle=str(tls.ca_cert.resolve()), log=str(log.resolve()),
    )
    try:
        supervisor.wait_healthy(started, lambda: probe_endpoint(host, port, info.ca_bundle),
                             timeout_s=timeout_s, poll_s=0.2)
    except supervisor.ProcessExitedError as exc:
        if exc.returncode == PORT_IN_USE_STATUS:
            raise PortInUseError(f"port {port} on {host} is already in use:\n{_log_tail(log)}") from exc
        raise EndpointError(
            f"the lab endpoint exited with status {exc.returncode}:\n{_log_tail(log)}"
        ) from exc
    except supervisor.NotHealthyError as exc:
        raise EndpointError(
            f"the lab endpoint did not answer within {timeout_s:.0f} s:\n{_log_tail(log)}"
        ) from exc
    supervisor.save_record(state_dir / STATE_FILE, info)
    return info


def stop_endpoint(state_dir: Path, timeout_s: float = supervisor.STOP_TIMEOUT_S) -> EndpointInfo | None:
    """Stop the recorded endpoint by its pid (SIGTERM, then SIGKILL); returns what was stopped, or None."""
    info = endpoint_status(state_dir)
    if info is None:
        return None
    supervisor.stop(info.pid, timeout_s=timeout_s)
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    return info
