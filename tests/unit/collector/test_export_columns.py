"""What an export's columns say: every row column described with a unit, digests with sketch percentiles."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from collector.export.columns import (
    DIGEST_COLUMNS,
    ROW_COLUMNS,
    ROW_MEANINGS,
    digest_records,
    schema_document,
)
from collector.export.readme import readme_text
from datastore.digest import METRICS
from datastore.digesting import digest_rows
from datastore.schema import COLUMNS


def test_every_row_column_but_the_fixture_digest_is_exported_with_a_unit() -> None:
    assert [c.column.name for c in ROW_COLUMNS] == [c for c in COLUMNS if c != "value_sha256"]
    assert set(ROW_MEANINGS) == set(COLUMNS) - {"value_sha256"}  # a new column must be described here
    assert all(c.unit and c.meaning for c in ROW_COLUMNS + DIGEST_COLUMNS)
    assert all(c.unit == "ms" for c in ROW_COLUMNS + DIGEST_COLUMNS if c.column.name.endswith("_ms"))


def row(ts: datetime, inv: str, store: str, warm: list[float], **extra: object) -> dict[str, object]:
    base = {"ts": ts, "probe_key": "sdk-128-x86_64", "invocation_id": inv, "strategy": "sdk", "store": store,
            "memory_mb": 128, "architecture": "x86_64", "status": "ok", "warm_ms": warm, "cold_start": False,
            "cold_miss_ms": 30.0, "miss_guarantee": "no_cache"}  # fmt: skip
    return {**base, **extra}


def test_a_digest_record_per_store_with_exact_counts_and_percentiles_within_one_percent() -> None:
    rng = np.random.default_rng(7)
    t0 = datetime(2026, 11, 27, 1, tzinfo=UTC)
    rows = []
    for i in range(40):
        samples = list(rng.lognormal(3.0, 0.5, size=25))
        rows.append(row(t0.replace(minute=i), f"i{i}", "ssm", samples))
        rows.append(
            row(t0.replace(minute=i), f"i{i}", "secretsmanager", [], status="error", error_types="X,Y")
        )
    (digest,) = digest_rows(rows)
    records = list(digest_records(digest))
    assert [r["store"] for r in records] == ["secretsmanager", "ssm"]
    assert set(records[0]) == {c.column.name for c in DIGEST_COLUMNS}
    ssm = records[1]
    warm = [v for r in rows if r["store"] == "ssm" for v in r["warm_ms"]]  # type: ignore[attr-defined]
    assert ssm["warm_hit_n"] == len(warm) == ssm["warm_n"]
    assert ssm["warm_hit_min_ms"] == min(warm) and ssm["warm_hit_max_ms"] == max(warm)
    assert ssm["warm_hit_mean_ms"] == pytest.approx(np.mean(warm))
    for label, q in (("p50", 50), ("p90", 90), ("p99", 99)):
        assert ssm[f"warm_hit_{label}_ms"] == pytest.approx(np.percentile(warm, q), rel=0.01)
    errors = records[0]
    assert (errors["rows_error"], errors["error_types"], errors["warm_hit_n"]) == (40, "X:40;Y:40", 0)
    assert errors["warm_hit_p50_ms"] is None  # no samples: null, never 0
    assert errors["invocations"] == ssm["invocations"] == 40  # per probe, repeated on each store


def test_schema_json_and_readme_name_every_metric_and_the_accuracy() -> None:
    doc = schema_document()
    names = [c["name"] for c in doc["tables"]["digests"]["columns"]]
    assert all(f"{m}_p99_ms" in names for m in METRICS)
    text = readme_text(first=None, last=None, source="the deployment", days=[])
    assert "1% relative accuracy" in text and "numpy.percentile" in text
    assert all(f"`{c.column.name}`" in text for c in ROW_COLUMNS + DIGEST_COLUMNS)
