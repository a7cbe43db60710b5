"""The emulator's settings: read from the environment once, validated, into a frozen dataclass.

The variables, defaults and ranges are those AWS documents for the managed extension; `SLO_EXTENSION_*` are
the emulator's own. Out-of-range values other than a TTL above 300 (which AWS documents as "warn and clamp")
are refused with a `ConfigError` naming the variable, so a misconfiguration is never silent.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from . import EXTENSION_NAME
from .vocabulary import Store

MAX_TTL_SECONDS = 300
MAX_CACHE_SIZE = 1000
LOG_LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "NONE")
AGENT_DEFAULT_MAX_INBOUND = 800  # the Secrets Manager Agent's default cap on concurrent inbound connections

# Documented variables of the managed extension: name -> (default, meaning for --help).
DOCUMENTED_VARIABLES: dict[str, tuple[str, str]] = {
    "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED": ("TRUE", "TRUE or FALSE; FALSE bypasses the cache"),
    "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE": ("1000", "0-1000 items in the cache; 0 bypasses the cache"),
    "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": ("2773", "1-65535; the port on 127.0.0.1"),
    "PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS": (
        "3",
        ">= 1; connections of its own clients toward Secrets Manager / SSM",
    ),
    "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL": (
        "INFO",
        "DEBUG INFO WARN ERROR NONE; DEBUG logs the configuration",
    ),
    "SECRETS_MANAGER_TTL": ("300", "0-300 s; above 300 warns and clamps to 300; 0 bypasses the cache"),
    "SSM_PARAMETER_STORE_TTL": ("300", "0-300 s; above 300 warns and clamps to 300; 0 bypasses the cache"),
    "SECRETS_MANAGER_TIMEOUT_MILLIS": ("0", ">= 0 ms per Secrets Manager fetch, then 504; 0 = no timeout"),
    "SSM_PARAMETER_STORE_TIMEOUT_MILLIS": ("0", ">= 0 ms per SSM fetch, then 504; 0 = no timeout"),
}

# The emulator's own variables (not part of the managed extension).
EMULATOR_VARIABLES: dict[str, tuple[str, str]] = {
    "SLO_EXTENSION_TOKEN": (
        "",
        "token clients must send instead of AWS_SESSION_TOKEN (for long-term keys without a session token)",
    ),
    "SLO_EXTENSION_MAX_INBOUND_CONNECTIONS": (
        str(AGENT_DEFAULT_MAX_INBOUND),
        ">= 1; concurrent client connections before 429 (the Agent's cap; undocumented for the extension)",
    ),
    "SLO_EXTENSION_PYTHON": ("python3", "interpreter launcher.sh runs (read by launcher.sh only)"),
}

# Standard variables the emulator reads.
STANDARD_VARIABLES: dict[str, str] = {
    "AWS_SESSION_TOKEN": "the token every request must carry in X-Aws-Parameters-Secrets-Token",
    "AWS_LAMBDA_RUNTIME_API": "host:port of the Extensions API; when set, run as a Lambda extension",
    "AWS_ENDPOINT_URL": "endpoint of Secrets Manager and SSM (e.g. a local AWS endpoint)",
    "AWS_REGION / AWS_DEFAULT_REGION": "region of the clients",
    "AWS_CA_BUNDLE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_MAX_ATTEMPTS, ...": "as for boto3",
}

KNOWN_PREFIX = "PARAMETERS_SECRETS_"


class ConfigError(ValueError):
    """A configuration variable holds a value the extension does not accept."""


@dataclass(frozen=True)
class Settings:
    """The effective configuration of one emulator process."""

    cache_enabled: bool = True
    cache_size: int = MAX_CACHE_SIZE
    http_port: int = 2773
    max_connections: int = 3
    log_level: str = "INFO"
    secrets_manager_ttl: int = MAX_TTL_SECONDS
    ssm_parameter_store_ttl: int = MAX_TTL_SECONDS
    secrets_manager_timeout_millis: int = 0
    ssm_parameter_store_timeout_millis: int = 0
    max_inbound_connections: int = AGENT_DEFAULT_MAX_INBOUND
    token: str | None = field(default=None, repr=False)
    runtime_api: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    extension_name: str = EXTENSION_NAME

    @property
    def caching(self) -> bool:
        """Whether anything is cached at all (cache enabled and size above 0)."""
        return self.cache_enabled and self.cache_size > 0

    def ttl_for(self, store: Store) -> int:
        """The TTL in seconds of one store: `secretsmanager` or `ssm`."""
        return self.secrets_manager_ttl if store == "secretsmanager" else self.ssm_parameter_store_ttl

    def timeout_for(self, store: Store) -> float | None:
        """The fetch timeout in seconds of one store, or None for none."""
        millis = (
            self.secrets_manager_timeout_millis
            if store == "secretsmanager"
            else self.ssm_parameter_store_timeout_millis
        )
        return millis / 1000 if millis > 0 else None

    def describe(self) -> str:
        """The effective configuration as one JSON line, the token reduced to whether it is set."""
        shown = asdict(self)
        shown["token"] = "set" if self.token else "unset"
        return json.dumps(shown, sort_keys=True)


def _int(environ: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if value < low or (high is not None and value > high):
        bound = f"{low}-{high}" if high is not None else f">= {low}"
        raise ConfigError(f"{name}={value} is out of range ({bound})")
    return value


def _ttl(environ: Mapping[str, str], name: str, warnings: list[str]) -> int:
    value = _int(environ, name, MAX_TTL_SECONDS, 0, None)
    if value > MAX_TTL_SECONDS:
        warnings.append(
            f"{name}={value} is above the maximum of {MAX_TTL_SECONDS} s: clamped to {MAX_TTL_SECONDS}"
        )
        return MAX_TTL_SECONDS
    return value


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if raw.upper() in ("TRUE", "FALSE"):
        return raw.upper() == "TRUE"
    raise ConfigError(f"{name}={raw!r} must be TRUE or FALSE")


def _log_level(environ: Mapping[str, str], name: str) -> str:
    raw = environ.get(name, "").strip().upper() or "INFO"
    if raw == "WARNING":
        raw = "WARN"
    if raw not in LOG_LEVELS:
        raise ConfigError(f"{name}={raw!r} must be one of {' '.join(LOG_LEVELS)}")
    return raw


def unknown_variable_warnings(environ: Mapping[str, str]) -> list[str]:
    """Warnings for PARAMETERS_SECRETS_* variables the extension does not know (silently ignored by AWS)."""
    known = [name for name in DOCUMENTED_VARIABLES if name.startswith(KNOWN_PREFIX)]
    warnings = []
    for name in sorted(environ):
        if name.startswith(KNOWN_PREFIX) and name not in DOCUMENTED_VARIABLES:
            guess = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {guess[0]}?" if guess else f"; known: {', '.join(known)}"
            warnings.append(f"unknown variable {name} is ignored{hint}")
    return warnings


def load_settings(
    environ: Mapping[str, str], extension_name: str = EXTENSION_NAME
) -> tuple[Settings, list[str]]:
    """Parse the environment into Settings, with the warnings to log once logging is configured."""
    warnings = unknown_variable_warnings(environ)
    settings = Settings(
        cache_enabled=_bool(environ, "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED", True),
        cache_size=_int(
            environ, "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE", MAX_CACHE_SIZE, 0, MAX_CACHE_SIZE
        ),
        http_port=_int(environ, "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", 2773, 1, 65535),
        max_connections=_int(environ, "PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS", 3, 1, None),
        log_level=_log_level(environ, "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL"),
        secrets_manager_ttl=_ttl(environ, "SECRETS_MANAGER_TTL", warnings),
        ssm_parameter_store_ttl=_ttl(environ, "SSM_PARAMETER_STORE_TTL", warnings),
        secrets_manager_timeout_millis=_int(environ, "SECRETS_MANAGER_TIMEOUT_MILLIS", 0, 0, None),
        ssm_parameter_store_timeout_millis=_int(environ, "SSM_PARAMETER_STORE_TIMEOUT_MILLIS", 0, 0, None),
        max_inbound_connections=_int(
            environ, "SLO_EXTENSION_MAX_INBOUND_CONNECTIONS", AGENT_DEFAULT_MAX_INBOUND, 1, None
        ),
        token=environ.get("SLO_EXTENSION_TOKEN") or environ.get("AWS_SESSION_TOKEN") or None,
        runtime_api=environ.get("AWS_LAMBDA_RUNTIME_API") or None,
        endpoint_url=environ.get("AWS_ENDPOINT_URL") or None,
        region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None,
        extension_name=extension_name,
    )
    return settings, warnings
