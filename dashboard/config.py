"""Dashboard settings, read from the environment once into a frozen dataclass."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "docs" / "reference"
SEED_PATH = REFERENCE_DIR / "seed-2022-measurements.json"
PRICES_PATH = REFERENCE_DIR / "prices-us-east-1.json"

DEFAULT_TABLE = "slo-measurements"  # terraform: "${name_prefix}-measurements", default prefix "slo"


class ConfigError(ValueError):
    """A dashboard setting in the environment is not usable."""


@dataclass(frozen=True)
class Settings:
    """Where the dashboard reads rows from and how long it keeps them."""

    table_name: str
    endpoint_url: str | None
    region: str
    ca_bundle: str | None
    profile: str | None
    cache_ttl_seconds: int
    load_days: int
    schedule_seconds: int | None
    cache_ttl_fleet_seconds: int

    @property
    def where(self) -> str:
        """Human description of the data source, for messages (never a credential)."""
        place = self.endpoint_url or f"AWS {self.region}" + (
            f" (profile {self.profile})" if self.profile else ""
        )
        return f"table `{self.table_name}` at {place}"


def _int(env: Mapping[str, str], name: str, default: int | None, minimum: int = 1) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from `env` (default: the process environment).

    OBSERVATORY_TABLE_NAME, AWS_ENDPOINT_URL (the lab's endpoint; unset on AWS), AWS_REGION /
    AWS_DEFAULT_REGION, AWS_CA_BUNDLE (the lab's TLS certificate), AWS_PROFILE,
    OBSERVATORY_DASHBOARD_TTL_SECONDS (how long loaded rows are reused), OBSERVATORY_DASHBOARD_DAYS (how
    many days are loaded),
    OBSERVATORY_SCHEDULE_SECONDS (probe schedule interval; inferred from the rows when unset),
    OBSERVATORY_CACHE_TTL_SECONDS (the fleet's cache TTL, the cost page's default).
    """
    env = os.environ if env is None else env
    ttl = _int(env, "OBSERVATORY_DASHBOARD_TTL_SECONDS", 60)
    days = _int(env, "OBSERVATORY_DASHBOARD_DAYS", 90)
    fleet_ttl = _int(env, "OBSERVATORY_CACHE_TTL_SECONDS", 60)
    assert ttl is not None and days is not None and fleet_ttl is not None
    return Settings(
        table_name=env.get("OBSERVATORY_TABLE_NAME", "").strip() or DEFAULT_TABLE,
        endpoint_url=env.get("AWS_ENDPOINT_URL", "").strip() or None,
        region=(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1").strip(),
        ca_bundle=env.get("AWS_CA_BUNDLE", "").strip() or None,
        profile=env.get("AWS_PROFILE", "").strip() or None,
        cache_ttl_seconds=ttl,
        load_days=days,
        schedule_seconds=_int(env, "OBSERVATORY_SCHEDULE_SECONDS", None),
        cache_ttl_fleet_seconds=fleet_ttl,
    )
