"""The emulator's settings: the profile's extension settings (JSON) and the process environment.

On AWS the runtime loads its profile from the service (`AWS_CLOUDEXTENSIONS_PROFILE`); the lab passes the
profile's settings in `OBSERVATORY_LAB_CLOUD_EXTENSIONS_PROFILE` instead (lab-only). Keys AWS documents keep
AWS's names (`cache`, `region`, `ignoreTransientErrors`, `ttlSeconds`, the `Authentication` union); the others
are the lab's, listed in README.md. As AWS documents, unknown keys are refused, and so is a value out of range
(except Parameter Store's, which AWS clamps to the range).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PROFILE_VARIABLE = "OBSERVATORY_LAB_CLOUD_EXTENSIONS_PROFILE"
PORT_VARIABLE = "OBSERVATORY_LAB_CLOUD_EXTENSIONS_PORT"
LOG_VARIABLE = "AWS_CLOUDEXTENSIONS_LOG_LEVEL"
DEFAULT_PORT = 5333
LOG_LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
DEFAULT_SSRF_HEADERS = ("X-Aws-Parameters-Secrets-Token",)
MAX_IN_FLIGHT = 100  # AWS: "The limit is 100, or fewer under memory pressure"
ROLE_ARN = re.compile(r"arn:[a-z0-9-]+:iam:[a-z0-9-]*:[0-9]{0,12}:role/[a-zA-Z0-9/_+=,.@-]+")
HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,128}")

VARIABLES = {
    PROFILE_VARIABLE: "lab-only: the profile's extension settings as JSON (README.md); unset = all defaults",
    PORT_VARIABLE: f"lab-only: port on 127.0.0.1 (AWS serves {DEFAULT_PORT}) [default {DEFAULT_PORT}]",
    LOG_VARIABLE: f"log level, {'|'.join(LOG_LEVELS)} [INFO]",
    "AWS_ACCESS_KEY_ID": "credentials clients sign with (runtimeCredentials) and the emulator fetches with",
    "AWS_SECRET_ACCESS_KEY": "(with AWS_ACCESS_KEY_ID)",
    "AWS_SESSION_TOKEN": "must match the signed X-Amz-Security-Token; also the SSRF token (lab)",
    "AWS_REGION": "region of the signature scope and of the AWS clients (or AWS_DEFAULT_REGION)",
    "AWS_ENDPOINT_URL": "where Secrets Manager and SSM are (the lab's endpoint); unset = AWS",
    "AWS_LAMBDA_RUNTIME_API": "set by Lambda (the lab): register with the Extensions API (not --standalone)",
}


class SettingsError(ValueError):
    """A missing or malformed setting; the message says what to fix."""


@dataclass(frozen=True)
class SecretsSettings:
    """The Secrets Manager extension's settings."""

    region: str | None = None
    ignore_transient_errors: bool = True
    ttl_seconds: int = 300
    max_entries: int = 1000
    ssrf_check: bool = True
    ssrf_headers: tuple[str, ...] = DEFAULT_SSRF_HEADERS
    prefetch: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParameterSettings:
    """The Parameter Store extension's settings."""

    ttl_seconds: int = 120
    cache_size: int = 1000


@dataclass(frozen=True)
class Profile:
    """What the lab's profile says: authentication and both extensions' settings."""

    authentication: str = "runtimeCredentials"  # or "none"
    secrets: SecretsSettings = field(default_factory=SecretsSettings)
    parameters: ParameterSettings = field(default_factory=ParameterSettings)


@dataclass(frozen=True)
class Settings:
    """Everything the emulator reads at start."""

    profile: Profile
    port: int
    region: str
    access_key: str | None
    secret_key: str | None
    session_token: str | None
    endpoint_url: str | None
    log_level: str
    runtime_api: str | None
    max_in_flight: int = MAX_IN_FLIGHT
    max_inbound_connections: int = 1000  # the shared server's connection cap; the 429 is the in-flight one


def _object(value: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SettingsError(f"{where} must be a JSON object, not {type(value).__name__}")
    unknown = [key for key in value if key not in allowed]
    if unknown:
        raise SettingsError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(allowed)})")
    return value


def _int(value: Any, where: str, low: int, high: int, clamp: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{where} must be a whole number, not {json.dumps(value)}")
    if clamp:
        return min(max(value, low), high)
    if not low <= value <= high:
        raise SettingsError(f"{where} must be {low}..{high}, not {value}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{where} must be true or false, not {json.dumps(value)}")
    return value


def _secrets(raw: Any) -> SecretsSettings:
    keys = (
        "region",
        "ignoreTransientErrors",
        "cache",
        "ssrfTokenHeaderCheck",
        "ssrfTokenHeaders",
        "prefetch",
    )
    data = _object(raw, "secretsmanager", keys)
    options: dict[str, Any] = {}
    if data.get("region") is not None:
        if not isinstance(data["region"], str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", data["region"]):
            raise SettingsError(
                f"secretsmanager.region must be a region name, not {json.dumps(data['region'])}"
            )
        options["region"] = data["region"]
    if "ignoreTransientErrors" in data:
        options["ignore_transient_errors"] = _bool(
            data["ignoreTransientErrors"], "secretsmanager.ignoreTransientErrors"
        )
    if "cache" in data:
        cache = _object(data["cache"], "secretsmanager.cache", ("ttlSeconds", "maxEntries"))
        if "ttlSeconds" in cache:
            options["ttl_seconds"] = _int(cache["ttlSeconds"], "secretsmanager.cache.ttlSeconds", 0, 3600)
        if "maxEntries" in cache:
            options["max_entries"] = _int(cache["maxEntries"], "secretsmanager.cache.maxEntries", 1, 10000)
    if "ssrfTokenHeaderCheck" in data:
        options["ssrf_check"] = _bool(data["ssrfTokenHeaderCheck"], "secretsmanager.ssrfTokenHeaderCheck")
    if "ssrfTokenHeaders" in data:
        headers = data["ssrfTokenHeaders"]
        if (
            not isinstance(headers, list)
            or not 1 <= len(headers) <= 10
            or not all(isinstance(h, str) and HEADER_NAME.fullmatch(h) for h in headers)
        ):
            raise SettingsError("secretsmanager.ssrfTokenHeaders must be a list of 1..10 HTTP header names")
        options["ssrf_headers"] = tuple(headers)
    if "prefetch" in data:
        options["prefetch"] = _prefetch(data["prefetch"])
    return SecretsSettings(**options)


def _prefetch(raw: Any) -> tuple[str, ...]:
    prefetch = _object(raw, "secretsmanager.prefetch", ("secrets",))
    secrets = prefetch.get("secrets", [])
    if not isinstance(secrets, list) or len(secrets) > 100:
        raise SettingsError("secretsmanager.prefetch.secrets must be a list of at most 100 objects")
    ids: list[str] = []
    for index, item in enumerate(secrets):
        where = f"secretsmanager.prefetch.secrets[{index}]"
        entry = _object(item, where, ("secretId", "roleArn"))
        secret_id = entry.get("secretId")
        if not isinstance(secret_id, str) or not 1 <= len(secret_id) <= 2048:
            raise SettingsError(f"{where}.secretId must be a secret name or ARN (1..2048 characters)")
        if "roleArn" in entry:
            raise SettingsError(f"{where}.roleArn: role chaining is not emulated by the lab; remove it")
        ids.append(secret_id)
    return tuple(dict.fromkeys(ids))


def _parameters(raw: Any) -> ParameterSettings:
    data = _object(raw, "parameterstore", ("ttlSeconds", "cacheSize"))
    options: dict[str, Any] = {}
    if "ttlSeconds" in data:  # AWS: out of range takes the nearest value in range
        options["ttl_seconds"] = _int(data["ttlSeconds"], "parameterstore.ttlSeconds", 0, 3600, clamp=True)
    if "cacheSize" in data:
        options["cache_size"] = _int(data["cacheSize"], "parameterstore.cacheSize", 1, 10000, clamp=True)
    return ParameterSettings(**options)


def _authentication(raw: Any) -> str:
    data = _object(raw, "authentication", ("runtimeCredentials", "none", "extensionKey"))
    if len(data) != 1:
        raise SettingsError("authentication must set exactly one of runtimeCredentials, none (a union)")
    if "extensionKey" in data:
        raise SettingsError("authentication.extensionKey is not emulated by the lab; use runtimeCredentials")
    if "none" in data:
        if data["none"] is not True:
            raise SettingsError("authentication.none must be true")
        return "none"
    _object(data["runtimeCredentials"], "authentication.runtimeCredentials", ())
    return "runtimeCredentials"


def parse_profile(text: str | None) -> Profile:
    """The profile from its JSON text (None or blank: every default)."""
    if text is None or not text.strip():
        return Profile()
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise SettingsError(f"{PROFILE_VARIABLE} is not valid JSON: {error}") from None
    data = _object(raw, PROFILE_VARIABLE, ("authentication", "secretsmanager", "parameterstore"))
    return Profile(
        authentication=_authentication(data["authentication"])
        if "authentication" in data
        else "runtimeCredentials",
        secrets=_secrets(data.get("secretsmanager", {})),
        parameters=_parameters(data.get("parameterstore", {})),
    )


def load_settings(environ: Mapping[str, str], port: int | None = None, standalone: bool = False) -> Settings:
    """Settings from the environment (and the command line's port); SettingsError says what to fix."""
    profile = parse_profile(environ.get(PROFILE_VARIABLE))
    if port is None:
        raw_port = environ.get(PORT_VARIABLE, str(DEFAULT_PORT))
        if not raw_port.isdigit() or not 1 <= int(raw_port) <= 65535:
            raise SettingsError(f"{PORT_VARIABLE} must be a port number 1..65535, not {raw_port!r}")
        port = int(raw_port)
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise SettingsError("set AWS_REGION (or AWS_DEFAULT_REGION): signatures are scoped to a region")
    access_key, secret_key = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
    if profile.authentication == "runtimeCredentials" and not (access_key and secret_key):
        raise SettingsError(
            "runtimeCredentials authentication needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(clients sign with them)"
        )
    level = environ.get(LOG_VARIABLE, "INFO").upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"{LOG_VARIABLE} must be one of {', '.join(LOG_LEVELS)}, not {level!r}")
    return Settings(
        profile=profile,
        port=port,
        region=region,
        access_key=access_key,
        secret_key=secret_key,
        session_token=environ.get("AWS_SESSION_TOKEN") or None,
        endpoint_url=environ.get("AWS_ENDPOINT_URL") or None,
        log_level=level,
        runtime_api=None if standalone else (environ.get("AWS_LAMBDA_RUNTIME_API") or None),
    )
