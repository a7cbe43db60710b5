"""Collector settings (contract §5), read from the environment once into a frozen dataclass."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_RETENTION_DAYS = 90
DEFAULT_DIGEST_RETENTION_DAYS = 3650  # digests outlive rows: trends over years


class ConfigError(Exception):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """Where rows and dead letters go, and how long rows live."""

    table_name: str
    dlq_url: str | None = None
    retention_days: int = DEFAULT_RETENTION_DAYS
    endpoint_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `OBSERVATORY_TABLE_NAME`, `OBSERVATORY_DLQ_URL`, `OBSERVATORY_RETENTION_DAYS`."""
        env = os.environ if environ is None else environ
        table = env.get("OBSERVATORY_TABLE_NAME", "").strip()
        if not table:
            raise ConfigError("OBSERVATORY_TABLE_NAME is not set: the collector needs its DynamoDB table")
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
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (a Lambda execution environment reads them at first use)."""
    return Settings.from_env()


def endpoint_from_env() -> str | None:
    """`AWS_ENDPOINT_URL` if set (the lab's or a test's local endpoint), else None (real AWS)."""
    return os.environ.get("AWS_ENDPOINT_URL", "").strip() or None

