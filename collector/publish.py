"""The compactor's publication of open data: each settled day's files in an S3 bucket, when one is configured.

After a run has digested what it had to, every closed day of the catch-up window that has settled and has its
final digest (computed after it settled) is published if the bucket does not hold it yet, or holds files older
than that digest (a backfill recomputed it; each object's `digest-computed-at` metadata says which digest):
`rows/DAY.parquet`, `digests/DAY.parquet`, `digests-csv/DAY.csv`
(the files `python -m collector.export` writes, made by the same code), plus `README.md` and `schema.json` at
the top. The day's digest Parquet is uploaded last and is the mark of a published day, so a day whose upload
was cut short is published again by the next run. Publishing waits for a day to settle, so the files are final
and never change under a reader; yesterday appears about `settle_seconds` after midnight.

Settings from `OBSERVATORY_PUBLISH_BUCKET` (unset: nothing is published) and `OBSERVATORY_PUBLISH_PREFIX`.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from datastore.clients import ConfigError, get_client
from datastore.codec import format_ts, parse_ts
from datastore.digest_table import digested_days, read_digests

from .compactor import RESERVE_S, settles_at
from .config import CompactorSettings
from .export.files import DIGESTS_DIR, export_day, write_description

LOG = logging.getLogger("collector.publish")
COMPUTED_AT = "digest-computed-at"  # object metadata: the digest the files were made from
CONTENT_TYPES = {
    ".parquet": "application/vnd.apache.parquet",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
}


class PublishError(Exception):
    """A day's files could not be published (the bucket refused, or could not be reached)."""


@dataclass(frozen=True)
class PublishSettings:
    """Where the compactor publishes: a bucket (None: nowhere) and a key prefix ("" or ending in '/')."""

    bucket: str | None = None
    prefix: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PublishSettings:
        """From `OBSERVATORY_PUBLISH_BUCKET` and `OBSERVATORY_PUBLISH_PREFIX` (Terraform sets both when the
        module's `publish` is enabled)."""
        env = os.environ if environ is None else environ
        bucket = env.get("OBSERVATORY_PUBLISH_BUCKET", "").strip() or None
        prefix = env.get("OBSERVATORY_PUBLISH_PREFIX", "").strip().strip("/")
        if bucket is not None and ("/" in bucket or " " in bucket):
            raise ConfigError(f"OBSERVATORY_PUBLISH_BUCKET must be a bucket name, got {bucket!r}")
        return cls(bucket, f"{prefix}/" if prefix else "")


def marker_key(prefix: str, day: date) -> str:
    """The key whose presence says a day is published: its digests' Parquet file, uploaded last."""
    return f"{prefix}{DIGESTS_DIR}/{day.isoformat()}.parquet"


def final_days(now: datetime, digested: Mapping[date, datetime], settle_seconds: int) -> list[date]:
    """The days whose digest is final: the day has settled and was digested after it did; oldest first."""
    return [
        day
        for day, computed in sorted(digested.items())
        if now >= settles_at(day, settle_seconds) and computed >= settles_at(day, settle_seconds)
    ]


def days_to_publish(
    now: datetime,
    digested: Mapping[date, datetime],
    published: Mapping[date, datetime | None],
    settle_seconds: int,
) -> list[date]:
    """Days with a final digest that the bucket lacks, or holds made from an earlier digest (a backfill
    recomputed the day since), oldest first. `published`: per day, the computed_at of the digest its files
    were made from (None: not published)."""
    todo = []
    for day in final_days(now, digested, settle_seconds):
        made_from = published.get(day)
        if made_from is None or made_from < digested[day]:
            todo.append(day)
    return todo


def published_digest(s3: Any, bucket: str, key: str) -> datetime | None:
    """When the digest a published day was made from was computed (the marker's `digest-computed-at`
    metadata; its upload time if it has none), or None when the day is not published."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    stamp = head.get("Metadata", {}).get(COMPUTED_AT)
    return parse_ts(stamp) if stamp else head["LastModified"]


def _upload(s3: Any, folder: Path, relative: str, bucket: str, prefix: str, computed: datetime) -> None:
    path = folder / relative
    kind = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
    extra = {"ContentType": kind, "Metadata": {COMPUTED_AT: format_ts(computed)}}
    s3.upload_file(str(path), bucket, f"{prefix}{relative}", ExtraArgs=extra)


def publish_day(
    day: date, *, client: Any, table_name: str, s3: Any, settings: PublishSettings
) -> dict[str, Any]:
    """Write one day's files into a temporary folder with the export's code, then upload them, the digests'
    Parquet last. Returns what was published (rows, digest records, keys and bytes)."""
    assert settings.bucket is not None
    found = read_digests(day, day, client=client, table_name=table_name)
    if not found:
        raise PublishError(f"{day} has no complete digest: only digested days are published")
    with tempfile.TemporaryDirectory(prefix="observatory-publish-") as tmp:
        folder = Path(tmp)
        result = export_day(day, folder, client=client, table_name=table_name, stored=found[0].digests)
        if result.empty:  # no rows and no digest: nothing to publish (an empty day is re-checked, cheaply)
            return {"day": day.isoformat(), "rows": 0, "digest_records": 0, "bytes": 0, "keys": []}
        write_description(folder, first=None, last=None, source="the observatory's deployment", days=[])
        marker = marker_key("", day)
        for relative in sorted(result.files, key=lambda name: name == marker):
            _upload(s3, folder, relative, settings.bucket, settings.prefix, found[0].computed_at)
        for relative in ("schema.json", "README.md"):
            _upload(s3, folder, relative, settings.bucket, settings.prefix, found[0].computed_at)
    return {
        "day": day.isoformat(),
        "rows": result.rows,
        "digest_records": result.digest_records,
        "bytes": sum(result.files.values()),
        "keys": [f"{settings.prefix}{k}" for k in sorted(result.files)],
    }


def publish_pending(
    settings: PublishSettings,
    compactor: CompactorSettings,
    *,
    client: Any,
    now: datetime,
    s3: Any = None,
    remaining_s: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """Publish every settled, finally digested day of the catch-up window the bucket lacks; until time runs
    short (the next run continues). PublishError when the bucket refuses."""
    if settings.bucket is None:
        return {"published": [], "left_to_publish": []}
    s3 = s3 if s3 is not None else get_client("s3")
    today = now.astimezone(UTC).date()
    digested = digested_days(
        today - timedelta(days=compactor.catch_up_days), today - timedelta(days=1),
        client=client, table_name=compactor.table_name,
    )  # fmt: skip
    done: list[dict[str, Any]] = []
    left: list[str] = []
    try:
        published = {
            day: published_digest(s3, settings.bucket, marker_key(settings.prefix, day))
            for day in final_days(now, digested, compactor.settle_seconds)
        }  # one HEAD per day of the catch-up window
        for day in days_to_publish(now, digested, published, compactor.settle_seconds):
            if remaining_s is not None and remaining_s() < RESERVE_S:
                left.append(day.isoformat())
                continue
            outcome = publish_day(
                day, client=client, table_name=compactor.table_name, s3=s3, settings=settings
            )
            if not outcome["keys"]:
                continue
            LOG.info(json.dumps({"event": "compactor.publish", "bucket": settings.bucket, **outcome}))
            done.append(outcome)
    except (ClientError, BotoCoreError) as exc:
        raise PublishError(f"publishing to s3://{settings.bucket}/{settings.prefix} failed: {exc}") from exc
    return {"published": done, "left_to_publish": left}
