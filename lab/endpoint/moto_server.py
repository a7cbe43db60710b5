"""The endpoint process: moto's WSGI application served by cheroot over TLS with HTTP/1.1 keep-alive.

moto's own development server (werkzeug) closes every connection after one response; AWS does not, and a
probe's warm SDK call is only honest if it reuses its connection. cheroot keeps connections open, disables
Nagle's algorithm and serves from a thread pool. Its DynamoDB Query starts from the items the key condition
selects, as DynamoDB's does, not from the whole table sorted (`dynamodb_query`: same answers, page for page),
and its answer is written as JSON straight from the items (`dynamodb_json`), not walked through moto's shapes.
Each answer goes out in one write, headers and body together (`whole_answer`: a gap between them made the
Terraform provider retry requests that had succeeded), and the log names every request an SDK retried, every
5xx answer and every slow one (`request_log`).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from types import FrameType

SERVER_NAME = "slo-lab-endpoint"
SERVING = "lab endpoint: serving "  # the first line each endpoint process writes to its log
PORT_IN_USE_STATUS = 2  # the exit status when the port cannot be bound (`start_endpoint` says so)
IDLE_TIMEOUT_S = 60
THREADS = 16


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def build_server(host: str, port: int, cert: Path, key: Path) -> object:
    """A cheroot server for moto's every-service application on host:port, over TLS."""
    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter
    from moto.server import DomainDispatcherApplication, create_backend_app

    from . import dynamodb_json, dynamodb_query
    from .request_log import RequestLog
    from .whole_answer import WholeAnswerConnection

    dynamodb_query.install()
    dynamodb_json.install()
    app = RequestLog(DomainDispatcherApplication(create_backend_app), sys.stdout)
    server = wsgi.Server(
        (host, port), app, numthreads=THREADS, server_name=SERVER_NAME, timeout=IDLE_TIMEOUT_S,
        request_queue_size=64,
    )
    server.ConnectionClass = WholeAnswerConnection
    server.ssl_adapter = BuiltinSSLAdapter(str(cert), str(key))
    return server


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; exit PORT_IN_USE_STATUS with a clear message when the port is taken.

    moto reads its own port from `MOTO_PORT`; `start_endpoint` puts it in this process's environment.
    """
    parser = argparse.ArgumentParser(
        prog="python -m lab.endpoint", description="Serve the lab's local AWS endpoint (moto) over TLS."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, required=True, help="TCP port to bind")
    parser.add_argument("--cert", type=Path, required=True, help="server certificate (PEM)")
    parser.add_argument("--key", type=Path, required=True, help="server private key (PEM)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    server = build_server(args.host, args.port, args.cert, args.key)
    try:
        server.prepare()  # type: ignore[attr-defined]
    except OSError as exc:
        print(f"lab endpoint: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr, flush=True)
        return PORT_IN_USE_STATUS
    print(f"{SERVING}https://{args.host}:{args.port} (pid {os.getpid()})", flush=True)
    try:
        server.serve()  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()  # type: ignore[attr-defined]
    print("lab endpoint: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
