"""The README an export carries: what a row and a digest are, how percentiles were made, how to read it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from datastore.sketch import RELATIVE_ACCURACY

from .columns import DIGEST_COLUMNS, LEFT_OUT_OF_ROWS, ROW_COLUMNS, Described

if TYPE_CHECKING:
    from .files import DayExport


def describe_columns(columns: Sequence[Described]) -> str:
    """A Markdown table of columns: name, unit, meaning."""
    lines = ["| column | unit | meaning |", "|---|---|---|"]
    lines += [f"| `{c.column.name}` | {c.unit} | {c.meaning} |" for c in columns]
    return "\n".join(lines)


def _coverage(days: Sequence[DayExport]) -> str:
    if not days:
        return "Files are added day by day, each once its day has settled and been digested."
    with_data = [d for d in days if not d.empty]
    rows = sum(d.rows for d in with_data)
    records = sum(d.digest_records for d in with_data)
    return (
        f"{len(with_data)} day(s) with data: {rows:,} rows, {records:,} digest records. Days with neither "
        "rows nor a digest have no files."
    )


def readme_text(*, first: date | None, last: date | None, source: str, days: Sequence[DayExport]) -> str:
    """The README of an export of [first, last] (None, None: the deployment's published bucket)."""
    span = f"UTC days {first} to {last}" if first and last else "each UTC day, published after it settled"
    accuracy = f"{RELATIVE_ACCURACY:.0%}"
    return f"""# Secret Latency Observatory: open data

Measurements of how fast an AWS Lambda function reads a secret (Secrets Manager) or a parameter (SSM
Parameter Store) with each way of reading it: the AWS SDK every time, a dict cache, the caching libraries,
the Parameters and Secrets Lambda extension, Cloud Extensions. {span}, from {source}.
{_coverage(days)}

## Files

| file | one record is |
|---|---|
| `rows/YYYY-MM-DD.parquet` | one **row**: one store (secretsmanager or ssm) measured in one invocation |
| `digests/YYYY-MM-DD.parquet` | one **digest**: one store of one probe over that UTC day |
| `digests-csv/YYYY-MM-DD.csv` | the same digests as CSV (UTF-8, header line, empty cell = null) |
| `schema.json` | every column of both with its type, unit and meaning |

All times are UTC; all durations are milliseconds. Null means "not measured", never 0: the CFS throttling
counters are null on AWS (Lambda limits CPU outside the function's sight) and measured only in the lab.

## A row

A *probe* is one Lambda function of the fleet: one strategy, memory size, architecture, runtime and tracing
mode (its `probe_key`). Each scheduled invocation measures each store: the first fetch (`cold_miss_ms` when it
was certainly a cache miss, `first_hit_ms` when it may have been a hit; `miss_guarantee` says which), then
`warm_n` more fetches, each a warm cache hit, all in `warm_ms` and summarised in `warm_*_ms` (exact, per row).
An invocation that failed is one row with store `none` and status `failed`. Free-text error messages are
never stored; {", ".join(f"`{c}`" for c in LEFT_OUT_OF_ROWS)} (a digest of the test secret's value, used to
check each fetch returned it) is left out.

## A digest, and how its percentiles were made

The observatory's compactor folds each closed day's rows into one digest per probe (the same digests its
dashboard reads). A digest record here is one store of one probe that day: counts (rows by status, error
types, warm samples, API calls) and, for each latency metric (`cold_miss`, `cold_miss_cold_start`,
`first_hit`, `warm_hit`, `client_init`, `ready_wait`, `init`), its exact `_n`, `_min_ms`, `_max_ms` and
`_mean_ms` and its `_p50_ms`, `_p90_ms`, `_p99_ms`.

The percentiles come from a **DDSketch** (Masson, Rim and Lee, VLDB 2019; the `ddsketch` library's logarithmic
mapping) at **{accuracy} relative accuracy**: every value is counted in a bin whose width is about
{2 * RELATIVE_ACCURACY:.0%} of its value (0.4 ms at 20 ms), and a quantile interpolates linearly between the
two adjacent ranks as `numpy.percentile` does by default, clamped to the exact min and max. So each percentile
is within {accuracy} of `numpy.percentile` of the day's raw samples. Sketches merge exactly (add bins), so
the observatory's weeks are merges of its days; percentiles cannot be merged, so for a week from these files
use the rows, which also give any percentile exactly (`warm_ms` holds every warm sample).

A probe's invocation counts (`invocations`, `not_ok`, `cold_starts`, CPU and throttling) are per probe, so
they repeat on each of its stores' records: sum them over probes, not over stores. Older rows whose first
fetch may have been a hit are left out of `cold_miss` and counted in `cold_unknown`.

## Reading it (no code from this project needed)

```python
import pandas as pd
digests = pd.read_parquet("digests/")                 # every day's digests (pyarrow or fastparquet)
rows = pd.read_parquet("rows/2026-11-27.parquet")
```

```sql
-- DuckDB
SELECT strategy, store, memory_mb, median(warm_hit_p50_ms) FROM 'digests/*.parquet' GROUP BY ALL;
SELECT probe_key, unnest(warm_ms) AS ms FROM 'rows/*.parquet';
```

## Columns of a row

{describe_columns(ROW_COLUMNS)}

## Columns of a digest

{describe_columns(DIGEST_COLUMNS)}
"""
