"""`python -m lab.extension`: run the Parameters and Secrets extension emulator.

Standalone (no AWS_LAMBDA_RUNTIME_API) it serves at once; as a Lambda extension it registers with the
Extensions API, answers 400 "not ready" until the first INVOKE, and exits cleanly on SHUTDOWN.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence

from . import EXTENSION_NAME
from .app import Extension
from .config import (
    DOCUMENTED_VARIABLES,
    EMULATOR_VARIABLES,
    STANDARD_VARIABLES,
    ConfigError,
    Settings,
    load_settings,
)
from .lifecycle import ExtensionsApiClient, ExtensionsApiError, follow_events
from .server import ExtensionServer

log = logging.getLogger("lab.extension")

PYTHON_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
}


def _epilog() -> str:
    lines = ["environment variables of the managed extension (default in brackets):"]
    lines += [
        f"  {name} [{default}]\n      {meaning}" for name, (default, meaning) in DOCUMENTED_VARIABLES.items()
    ]
    lines.append("\nthe emulator's own variables:")
    lines += [
        f"  {name} [{default}]\n      {meaning}" for name, (default, meaning) in EMULATOR_VARIABLES.items()
    ]
    lines.append("\nstandard variables it reads:")
    lines += [f"  {name}\n      {meaning}" for name, meaning in STANDARD_VARIABLES.items()]
    lines.append(
        "\nroutes: GET /secretsmanager/get?secretId=ID[&versionId=V|&versionStage=S]\n"
        "        GET /systemsmanager/parameters/get?name=NAME[&version=N|&label=L][&withDecryption=true]\n"
        "        GET /ping\n"
        "every request but /ping carries X-Aws-Parameters-Secrets-Token: $AWS_SESSION_TOKEN"
    )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; every option and variable is described in --help."""
    parser = argparse.ArgumentParser(
        prog="python -m lab.extension",
        description="Local emulator of the AWS Parameters and Secrets Lambda Extension: serves its HTTP API "
        "on 127.0.0.1, fetching from Secrets Manager and SSM with boto3 (AWS_ENDPOINT_URL, credentials and "
        "region work as for any AWS client).",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, help="port to serve on (overrides PARAMETERS_SECRETS_EXTENSION_HTTP_PORT)"
    )
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARN", "ERROR", "NONE"],
        help="log level (overrides PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL)",
    )
    parser.add_argument(
        "--standalone",
        action="store_true",
        help="serve at once and ignore AWS_LAMBDA_RUNTIME_API (no Extensions API registration)",
    )
    parser.add_argument(
        "--extension-name",
        default=EXTENSION_NAME,
        help=f"Lambda-Extension-Name to register with (default {EXTENSION_NAME}; "
        "launcher.sh passes its own file name)",
    )
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the effective configuration as JSON (the token only as set/unset) and exit",
    )
    return parser.parse_args(argv)


def configure_logging(level: str) -> None:
    """Log lines to stderr, which Lambda forwards to CloudWatch; NONE disables logging."""
    logging.addLevelName(logging.WARNING, "WARN")  # the extension's own level names
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[slo-parameters-secrets] %(levelname)s %(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    if level == "NONE":
        log.disabled = True
    else:
        log.disabled = False
        log.setLevel(PYTHON_LEVELS[level])


def settings_from(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[Settings, list[str]]:
    """Settings from the environment with the command line's overrides applied."""
    merged = dict(environ)
    if args.port is not None:
        merged["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"] = str(args.port)
    if args.log_level:
        merged["PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL"] = args.log_level
    if args.standalone:
        merged.pop("AWS_LAMBDA_RUNTIME_API", None)
    return load_settings(merged, extension_name=args.extension_name)


def run(settings: Settings) -> int:
    """Serve until SHUTDOWN (extension mode) or a signal (standalone); the process exit code."""
    extension = Extension(settings, ready=settings.runtime_api is None)
    try:
        server = ExtensionServer(extension, settings.http_port)
    except OSError as error:
        log.error("cannot listen on 127.0.0.1:%s: %s", settings.http_port, error)
        return 1
    mode = "Lambda extension mode" if settings.runtime_api else "standalone"
    if settings.runtime_api is None:
        extension.fetcher.warm()  # the first miss pays no client creation
        log.info("listening on 127.0.0.1:%s (%s)", server.port, mode)
        try:
            server.serve_forever()
        finally:
            server.server_close()
        return 0

    # Extension mode: answer at once (400 "not ready" until the first INVOKE), set up the clients during INIT.
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    log.info("listening on 127.0.0.1:%s (%s)", server.port, mode)
    extension.fetcher.warm()
    client = ExtensionsApiClient(settings.runtime_api, settings.extension_name)
    try:
        identifier = client.register()
        log.info("registered with the Extensions API as %s", settings.extension_name)
        log.debug("extension identifier %s", identifier)
        follow_events(client, extension.ready.set)
    except ExtensionsApiError as error:
        log.error("Extensions API: %s", error)
        if client.identifier:
            client.exit_error("Extension.EventLoopFailed")
        return 1
    finally:
        server.shutdown()
        server.server_close()
    return 0


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point: parse, configure, serve."""
    args = parse_args(argv)
    try:
        settings, warnings = settings_from(args, os.environ if environ is None else environ)
    except ConfigError as error:
        print(f"[slo-parameters-secrets] ERROR invalid configuration: {error}", file=sys.stderr)
        return 2
    if args.print_config:
        for warning in warnings:
            print(f"[slo-parameters-secrets] WARN {warning}", file=sys.stderr)
        print(settings.describe())
        return 0
    configure_logging(settings.log_level)
    for warning in warnings:
        log.warning("%s", warning)
    log.debug("effective configuration: %s", settings.describe())
    if not settings.token:
        log.warning("neither AWS_SESSION_TOKEN nor SLO_EXTENSION_TOKEN is set: every request will get 403")
    if not settings.caching:
        log.info("cache bypassed (disabled or size 0): every request goes to AWS")
    signal.signal(signal.SIGTERM, _stop)
    try:
        return run(settings)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
