"""The variables of every process in an execution environment: the function's own, then Lambda's, then the
lab's (its endpoint, its X-Ray daemon, its OTLP trace store, the ports of per-environment emulators)."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .environment import ExecutionEnvironment

EXTENSION_PORT_VARIABLE = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"
CLOUD_EXTENSIONS_PORT_VARIABLE = "OBSERVATORY_LAB_CLOUD_EXTENSIONS_PORT"  # lab-only: AWS serves 5333
OTLP_ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"
OTLP_TRACES_ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"


def environment_variables(environment: ExecutionEnvironment) -> dict[str, str]:
    """The variables of every process in `environment` (Lambda's, the function's, the lab's)."""
    spec, settings = environment.spec, environment.settings
    task_dir, opt_dir = environment.task_dir, environment.opt_dir
    major, minor = environment.python.version[:2]
    bin_dir = environment.directory / "bin"
    env: dict[str, str] = dict(spec.environment)
    env.update(
        {
            "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LD_LIBRARY_PATH": f"{opt_dir}/lib",
            "PYTHONPATH": ":".join(
                [
                    str(task_dir),
                    f"{opt_dir}/python",
                    f"{opt_dir}/python/lib/python{major}.{minor}/site-packages",
                ]
            ),
            "AWS_LAMBDA_RUNTIME_API": environment.api_address,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/", time.gmtime())
            + f"[$LATEST]{environment.env_id}",
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(task_dir),
            "LAMBDA_RUNTIME_DIR": str(Path(environment.python.executable).parent),
            "_HANDLER": spec.handler,
            "AWS_ACCESS_KEY_ID": "ASIA" + secrets.token_hex(8).upper(),
            "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
            "AWS_SESSION_TOKEN": secrets.token_urlsafe(96),
            # a function never reads this machine's AWS files: the lab's fake keys are its only ones
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "OBSERVATORY_CPU_EMULATION": environment.group.mode,
            "OBSERVATORY_COLD_CAUSE": environment.cold_cause,
        }
    )
    if spec.layers:
        # Lambda gives every environment its own network namespace, so each extension can listen on
        # 127.0.0.1:2773; here all environments share this machine's loopback, so each one gets a port of
        # its own (the probe reads it from this variable, contract §1)
        env[EXTENSION_PORT_VARIABLE] = str(environment.extension_port)
        # the same for the Cloud Extensions emulator (AWS: 127.0.0.1:5333), whichever layer it has
        env[CLOUD_EXTENSIONS_PORT_VARIABLE] = str(environment.cloud_extensions_port)
    if settings.host_cpu is not None:
        env["OBSERVATORY_LAB_HOST_CPU"] = settings.host_cpu
    if settings.host_ref_ms is not None:
        env["OBSERVATORY_LAB_HOST_REF_MS"] = f"{settings.host_ref_ms:.1f}"
    if settings.endpoint_url:
        env["AWS_ENDPOINT_URL"] = settings.endpoint_url
    if settings.ca_bundle:
        env["AWS_CA_BUNDLE"] = settings.ca_bundle
    if settings.xray_address:
        host, _, port = settings.xray_address.rpartition(":")
        env.update(
            {
                "AWS_XRAY_DAEMON_ADDRESS": settings.xray_address,
                "_AWS_XRAY_DAEMON_ADDRESS": host,
                "_AWS_XRAY_DAEMON_PORT": port,
                "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            }
        )
    env.update(otlp_variables(spec.environment, settings.otlp_endpoint))
    return env


def otlp_variables(function_env: dict[str, str], otlp_endpoint: str | None) -> dict[str, str]:
    """The OTLP exporter's destination: the lab's trace store, as AWS_XRAY_DAEMON_ADDRESS is its daemon.

    `OTEL_EXPORTER_OTLP_ENDPOINT` is always the store's base URL (an SDK adds `/v1/traces`).
    `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` replaces the function's only where the function sets one: without
    it ADOT on Lambda sends its spans over UDP to the X-Ray daemon address (which the lab also keeps), and
    setting it would change what ADOT does. Nothing when the lab runs no store.
    """
    if not otlp_endpoint:
        return {}
    base = otlp_endpoint.rstrip("/")
    found = {OTLP_ENDPOINT_VARIABLE: base}
    if OTLP_TRACES_ENDPOINT_VARIABLE in function_env:
        found[OTLP_TRACES_ENDPOINT_VARIABLE] = f"{base}/v1/traces"
    return found
