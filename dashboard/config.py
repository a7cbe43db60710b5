"""Dashboard settings, read from the environment once into a frozen dataclass."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "docs" / "reference"
SEED_PATH = REFERENCE_DIR / "seed-2022-measurements.json"
PRICES_PATH = REFERENCE_DIR / "prices-us-east-1.json"

DEFAULT_TABLE = "slo-measurements"  # terraform: "${name_prefix}-measurements", default prefix "slo"
LOCAL_ENDPOINT_REGION = "us-east-1"  # the lab's region, for an endpoint given without a region
DEFAULT_CONFIG_FILE = "~/.aws/config"
DEFAULT_RETIRE_AFTER_DAYS = 2  # beyond the stale mark of the longest schedule Terraform allows (12 h × 2.5)

RegionLookup = Callable[[str | None, str | None], str | None]
"""(profile or None for `default`, config file or None for ~/.aws/config) -> that profile's region."""


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
    retire_after_days: int = DEFAULT_RETIRE_AFTER_DAYS  # the health strip leaves out probes silent this long

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


def profile_region(profile: str | None, config_file: str | None) -> str | None:
    """The region boto3 takes from the shared config file for `profile` (`default` when None), or None."""
    import botocore.session
    from botocore.exceptions import BotoCoreError

    session = botocore.session.Session()
    session.set_config_variable("config_file", config_file or DEFAULT_CONFIG_FILE)
    session.set_config_variable("profile", profile or "default")
    try:
        region = session.get_scoped_config().get("region")
    except BotoCoreError:  # the profile is not in the file, or the file does not parse
        return None
    if not isinstance(region, str):
        return None
    return region.strip() or None


def _region(env: Mapping[str, str], endpoint_url: str | None, lookup: RegionLookup) -> str:
    """AWS_REGION, AWS_DEFAULT_REGION, then the profile's region, as boto3 resolves it.

    A local endpoint (the lab) without a region is the lab's region: its test credentials use no profile.
    On AWS a table lives in one region, so with none set the dashboard says what to set rather than guess.
    """
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if env.get(name, "").strip():
            return env[name].strip()
    if endpoint_url:
        return LOCAL_ENDPOINT_REGION
    profile = env.get("AWS_PROFILE", "").strip() or None
    config_file = env.get("AWS_CONFIG_FILE", "").strip() or None
    region = lookup(profile, config_file)
    if region:
        return region
    where = f"profile {profile!r}" if profile else "the default profile"
    raise ConfigError(
        f"no AWS region: AWS_REGION is not set and {where} in {config_file or DEFAULT_CONFIG_FILE} has no "
        "`region`. Set AWS_REGION to the region you deployed to (`make deploy`), or add `region = ...` "
        "to that profile."
    )


def load_settings(
    env: Mapping[str, str] | None = None, region_lookup: RegionLookup = profile_region
) -> Settings:
    """Read the settings from `env` (default: the process environment).

    OBSERVATORY_TABLE_NAME, AWS_ENDPOINT_URL (the lab's endpoint; unset on AWS), AWS_REGION /
    AWS_DEFAULT_REGION (else the region of AWS_PROFILE, or of the default profile, in AWS_CONFIG_FILE or
    ~/.aws/config, as boto3 resolves it; a local endpoint defaults to the lab's us-east-1), AWS_CA_BUNDLE (the
    lab's TLS certificate), AWS_PROFILE,
    OBSERVATORY_DASHBOARD_TTL_SECONDS (how long loaded rows are reused), OBSERVATORY_DASHBOARD_DAYS (how
    many days are loaded),
    OBSERVATORY_SCHEDULE_SECONDS (probe schedule interval; inferred from the rows when unset),
    OBSERVATORY_CACHE_TTL_SECONDS (the fleet's cache TTL, the cost page's default),
    OBSERVATORY_RETIRE_AFTER_DAYS (a probe silent this many days longer than the rest of the fleet is retired:
    left out of the health strip, and counted there).
    """
    env = os.environ if env is None else env
    ttl = _int(env, "OBSERVATORY_DASHBOARD_TTL_SECONDS", 60)
    days = _int(env, "OBSERVATORY_DASHBOARD_DAYS", 90)
    fleet_ttl = _int(env, "OBSERVATORY_CACHE_TTL_SECONDS", 60)
    retire = _int(env, "OBSERVATORY_RETIRE_AFTER_DAYS", DEFAULT_RETIRE_AFTER_DAYS)
    assert ttl is not None and days is not None and fleet_ttl is not None and retire is not None
    endpoint_url = env.get("AWS_ENDPOINT_URL", "").strip() or None
    return Settings(
        table_name=env.get("OBSERVATORY_TABLE_NAME", "").strip() or DEFAULT_TABLE,
        endpoint_url=endpoint_url,
        region=_region(env, endpoint_url, region_lookup),
        ca_bundle=env.get("AWS_CA_BUNDLE", "").strip() or None,
        profile=env.get("AWS_PROFILE", "").strip() or None,
        cache_ttl_seconds=ttl,
        load_days=days,
        schedule_seconds=_int(env, "OBSERVATORY_SCHEDULE_SECONDS", None),
        cache_ttl_fleet_seconds=fleet_ttl,
        retire_after_days=retire,
    )
