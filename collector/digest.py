"""Re-export module, kept so `collector.digest` stays importable: digests now live in the `datastore` package
(`datastore.digest` the parts and merge, `datastore.digesting` rows to digests, `datastore.digest_wire` their
wire form). New code imports those modules; nothing is defined here."""

from __future__ import annotations

from datastore.digest import (
    METRIC_COLUMNS,
    METRICS,
    SEEN_FIELDS,
    STATUSES,
    Bucket,
    DigestError,
    MetricDigest,
    ProbeDigest,
    StoreDigest,
    bucket_start,
    merge_digests,
    ts_text,
)
from datastore.digest_wire import WIRE_FORMAT
from datastore.digesting import digest_rows

__all__ = [
    "METRICS", "METRIC_COLUMNS", "SEEN_FIELDS", "STATUSES", "WIRE_FORMAT", "Bucket", "DigestError",
    "MetricDigest", "ProbeDigest", "StoreDigest", "bucket_start", "digest_rows", "merge_digests", "ts_text",
]  # fmt: skip
