"""`python -m lab.cloud_extensions`: run the Cloud Extensions emulator.

Standalone it loads and serves at once; as a Lambda extension (AWS_LAMBDA_RUNTIME_API set) it serves at once
with 503 until it has registered with the Extensions API (its load), prefetches in the background, and exits
on SHUTDOWN. A missing or malformed setting stops it at start (exit 2) with what to fix.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence

from lab.extension.lifecycle import ExtensionsApiClient, ExtensionsApiError, follow_events
from lab.extension.server import ExtensionServer

from . import EXTENSION_NAME
from .app import Runtime
from .settings import VARIABLES, Settings, SettingsError, load_settings

log = logging.getLogger("lab.cloud_extensions")
LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING, "ERROR": logging.ERROR}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; --help names every variable."""
    epilog = "environment variables:\n" + "\n".join(
        f"  {name}\n      {text}" for name, text in VARIABLES.items()
    )
    epilog += (
        "\n\nroutes: GET /secretsmanager/get?secretId=ID | GET /secretsmanager/ID "
        "[&versionId=V][&versionStage=S][&refreshNow=true]\n"
        "        POST /parameterstore (SSM JSON 1.1: GetParameter, GetParameters; a boto3 SSM client with "
        "endpoint_url=http://127.0.0.1:PORT/parameterstore)\n"
        "requests are SigV4-signed with the environment's credentials (service secretsmanager or ssm); the "
        "Secrets Manager routes also carry X-Aws-Parameters-Secrets-Token: $AWS_SESSION_TOKEN unless the "
        "profile turns the SSRF check off"
    )
    parser = argparse.ArgumentParser(
        prog="python -m lab.cloud_extensions",
        description="Local emulator of the AWS Systems Manager Cloud Extensions runtime with its Secrets "
        "Manager and Parameter Store extensions, on 127.0.0.1 (docs/reference/cloud-extensions.md).",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, help="port to serve on (overrides OBSERVATORY_LAB_CLOUD_EXTENSIONS_PORT)"
    )
    parser.add_argument(
        "--standalone",
        action="store_true",
        help="serve at once and ignore AWS_LAMBDA_RUNTIME_API (no registration)",
    )
    parser.add_argument(
        "--extension-name", default=EXTENSION_NAME, help=f"Lambda-Extension-Name (default {EXTENSION_NAME})"
    )
    parser.add_argument(
        "--print-config", action="store_true", help="print the effective settings as JSON and exit"
    )
    return parser.parse_args(argv)


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"[{EXTENSION_NAME}] %(levelname)s %(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(LEVELS[level])


def _describe(settings: Settings) -> str:
    profile = settings.profile
    return json.dumps(
        {
            "port": settings.port,
            "region": settings.region,
            "endpoint_url": settings.endpoint_url,
            "authentication": profile.authentication,
            "credentials": "set" if settings.access_key else "unset",
            "session_token": "set" if settings.session_token else "unset",
            "secretsmanager": {**profile.secrets.__dict__, "prefetch": len(profile.secrets.prefetch)},
            "parameterstore": profile.parameters.__dict__,
        }
    )


def run(settings: Settings, extension_name: str) -> int:
    """Serve until SHUTDOWN (extension mode) or a signal (standalone); the exit code."""
    runtime = Runtime(settings)
    try:
        server = ExtensionServer(runtime, settings.port)
    except OSError as error:
        log.error("cannot listen on 127.0.0.1:%s: %s", settings.port, error)
        return 1
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    log.info(
        "listening on 127.0.0.1:%s (%s)",
        server.port,
        "Lambda extension" if settings.runtime_api else "standalone",
    )
    try:
        runtime.clients.warm()
        client = None
        if settings.runtime_api:
            client = ExtensionsApiClient(settings.runtime_api, extension_name)
            client.register()
            log.info("registered with the Extensions API as %s", extension_name)
        runtime.ready.set()  # loaded: serve; prefetch runs in the background, as AWS documents
        threading.Thread(target=runtime.secrets.prefetch, name="prefetch", daemon=True).start()
        if client is None:
            threading.Event().wait()  # until a signal
        else:
            follow_events(client, lambda: None)
    except ExtensionsApiError as error:
        log.error("Extensions API: %s", error)
        return 1
    finally:
        log.info("metrics: %s", json.dumps(runtime.metrics()))
        server.shutdown()
        server.server_close()
    return 0


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point: parse, validate the settings, serve."""
    args = parse_args(argv)
    try:
        settings = load_settings(os.environ if environ is None else environ, args.port, args.standalone)
    except SettingsError as error:
        print(f"[{EXTENSION_NAME}] ERROR invalid settings: {error}", file=sys.stderr)
        return 2
    if args.print_config:
        print(_describe(settings))
        return 0
    _configure_logging(settings.log_level)
    if settings.profile.secrets.ssrf_check and not settings.session_token:
        log.warning(
            "the SSRF check is on and AWS_SESSION_TOKEN is unset: every Secrets Manager request gets 403"
        )
    signal.signal(signal.SIGTERM, _stop)
    try:
        return run(settings, args.extension_name)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
