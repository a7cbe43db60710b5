"""Collector settings (contract §5), read from the environment once into a frozen dataclass."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from datastore.clients import ConfigError, endpoint_from_env, table_name_from_env
from datastore.schema import DEFAULT_DIGEST_RETENTION_DAYS, DEFAULT_RETENTION_DAYS

__all__ = [
    "DEFAULT_DIGEST_RETENTION_DAYS", "DEFAULT_RETENTION_DAYS", "CompactorSettings", "ConfigError", "Settings",
    "endpoint_from_env", "get_settings",
]  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """Where rows and dead letters go, and how long rows live."""

    table_name: str
    dlq_url: str | None = None
    retention_days: int = DEFAULT_RETENTION_DAYS
    endpoint_url: str | None = None
    table_region: str | None = None  # None: the function's own region

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `OBSERVATORY_TABLE_NAME`, `OBSERVATORY_TABLE_REGION` (the home table's region, when
        this collector runs in another: Terraform's home_table), `OBSERVATORY_DLQ_URL`,
        `OBSERVATORY_RETENTION_DAYS`."""
        env = os.environ if environ is None else environ
        table = table_name_from_env(env, "the collector")
        raw_days = env.get("OBSERVATORY_RETENTION_DAYS", "").strip() or str(DEFAULT_RETENTION_DAYS)
        try:
            days = int(raw_days)
        except ValueError:
            raise ConfigError(f"OBSERVATORY_RETENTION_DAYS must be whole days, got {raw_days!r}") from None
        if not 1 <= days <= 3650:
            raise ConfigError(f"OBSERVATORY_RETENTION_DAYS must be between 1 and 3650, got {days}")
        return cls(
            table_name=table,
            dlq_url=env.get("OBSERVATORY_DLQ_URL", "").strip() or None,
            retention_days=days,
            endpoint_url=env.get("AWS_ENDPOINT_URL", "").strip() or None,
            table_region=env.get("OBSERVATORY_TABLE_REGION", "").strip() or None,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (a Lambda execution environment reads them at first use)."""
    return Settings.from_env()


DEFAULT_SETTLE_SECONDS = 6 * 3600 + 900  # Lambda's longest event age (6 h) + the collector's own retries
DEFAULT_CATCH_UP_DAYS = 14


def _whole(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


@dataclass(frozen=True)
class CompactorSettings:
    """Which table the compactor digests, how long digests live, when a closed day stops changing."""

    table_name: str
    digest_retention_days: int = DEFAULT_DIGEST_RETENTION_DAYS
    settle_seconds: int = DEFAULT_SETTLE_SECONDS
    catch_up_days: int = DEFAULT_CATCH_UP_DAYS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CompactorSettings:
        """From `OBSERVATORY_TABLE_NAME`, `OBSERVATORY_DIGEST_RETENTION_DAYS` (default 3650),
        `OBSERVATORY_DIGEST_SETTLE_SECONDS` (default 6 h 15 min: how long after midnight a day can still
        receive rows) and `OBSERVATORY_DIGEST_CATCH_UP_DAYS` (default 14: how far back a missed day is
        found)."""
        env = os.environ if environ is None else environ
        table = table_name_from_env(env, "the compactor")
        return cls(
            table_name=table,
            digest_retention_days=_whole(
                env, "OBSERVATORY_DIGEST_RETENTION_DAYS", DEFAULT_DIGEST_RETENTION_DAYS, 1, 36500
            ),
            settle_seconds=_whole(
                env, "OBSERVATORY_DIGEST_SETTLE_SECONDS", DEFAULT_SETTLE_SECONDS, 0, 7 * 86400
            ),
            catch_up_days=_whole(env, "OBSERVATORY_DIGEST_CATCH_UP_DAYS", DEFAULT_CATCH_UP_DAYS, 1, 366),
        )
