"""One UTC day of the table as open data files: rows/DAY.parquet, digests/DAY.parquet, digests-csv/DAY.csv.

The rows stream from the table into the Parquet file in row groups (a day of a large fleet is never held in
memory); the digests are the compactor's stored ones, or, for a closed day it has not digested, made from the
same rows the same way (`datastore.digesting`). Each file is written under a hidden temporary name and renamed
when complete, so a file with its final name is always whole. Also `schema.json` and the README.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from datastore.digest import ProbeDigest
from datastore.digesting import digest_rows
from datastore.reads import iter_day_rows
from datastore.schema import Row

from .columns import DIGEST_COLUMNS, ROW_COLUMNS, digest_records, schema_document
from .parquet import ParquetWriter
from .readme import readme_text

ROW_GROUP = 5_000  # rows per Parquet row group: a few MB of warm samples at most
ROWS_DIR, DIGESTS_DIR, CSV_DIR = "rows", "digests", "digests-csv"  # apart, so a folder reads as one table
DigestSource = Literal["stored", "computed from rows", "none"]


@dataclass(frozen=True)
class DayExport:
    """What was written for one day: counts, where the digests came from, the files (relative path: bytes)."""

    day: date
    rows: int
    probes: int
    digest_records: int
    digest_source: DigestSource
    files: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.files


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _finish(tmp: Path, path: Path) -> int:
    """Rename a complete temporary file to its name; its size."""
    os.replace(tmp, path)
    return path.stat().st_size


class _RowFile:
    """The day's rows into `rows/DAY.parquet`, one row group per ROW_GROUP rows; nothing when no row came."""

    def __init__(self, path: Path, day: date) -> None:
        self.path, self.tmp = path, _temporary(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.tmp, "wb")  # noqa: SIM115 - closed in finish / discard
        self.writer = ParquetWriter(
            self.handle,
            [c.column for c in ROW_COLUMNS],
            metadata={"observatory.table": "rows", "observatory.day": day.isoformat()},
        )
        self.batch: list[Row] = []

    def add(self, row: Row) -> None:
        self.batch.append(row)
        if len(self.batch) >= ROW_GROUP:
            self.writer.write_rows(self.batch)
            self.batch = []

    def finish(self) -> int | None:
        """Close; the file's size, or None (and no file) when it holds no row."""
        self.writer.write_rows(self.batch)
        self.batch = []
        self.writer.close()
        self.handle.close()
        if not self.writer.rows:
            self.tmp.unlink()
            return None
        return _finish(self.tmp, self.path)

    def discard(self) -> None:
        self.handle.close()
        self.tmp.unlink(missing_ok=True)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def write_digest_files(out: Path, day: date, records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """`digests/DAY.parquet` and `digests-csv/DAY.csv` of a day's digest records; {} when there are none."""
    if not records:
        return {}
    parquet, table = (
        out / DIGESTS_DIR / f"{day.isoformat()}.parquet",
        out / CSV_DIR / f"{day.isoformat()}.csv",
    )
    for folder in (parquet.parent, table.parent):
        folder.mkdir(parents=True, exist_ok=True)
    names = [c.column.name for c in DIGEST_COLUMNS]
    with open(_temporary(parquet), "wb") as handle:
        writer = ParquetWriter(
            handle,
            [c.column for c in DIGEST_COLUMNS],
            metadata={"observatory.table": "digests", "observatory.day": day.isoformat()},
        )
        writer.write_rows(records)
        writer.close()
    with open(_temporary(table), "w", newline="", encoding="utf-8") as handle:
        out_csv = csv.writer(handle)
        out_csv.writerow(names)
        for record in records:
            out_csv.writerow([_csv_value(record.get(name)) for name in names])
    return {
        f"{DIGESTS_DIR}/{parquet.name}": _finish(_temporary(parquet), parquet),
        f"{CSV_DIR}/{table.name}": _finish(_temporary(table), table),
    }


def export_day(
    day: date,
    out: Path,
    *,
    client: Any,
    table_name: str,
    stored: Sequence[ProbeDigest] | None,
    with_rows: bool = True,
    read_rows: Callable[..., Iterator[Row]] | None = None,
) -> DayExport:
    """Write one day's files into `out`. `stored`: the day's digests from the table, or None when the day
    has none (then they are made from its rows). Rows are read (`read_rows`, default `iter_day_rows`) only
    when written or needed for the digests."""
    rows = 0
    files: dict[str, int] = {}
    digests: Sequence[ProbeDigest] = stored or []
    if with_rows or stored is None:
        sink = _RowFile(out / ROWS_DIR / f"{day.isoformat()}.parquet", day) if with_rows else None

        def stream() -> Iterator[Row]:
            nonlocal rows
            for row in (read_rows or iter_day_rows)(day, client=client, table_name=table_name):
                rows += 1
                if sink is not None:
                    sink.add(row)
                yield row

        try:
            if stored is None:
                digests = digest_rows(stream(), "day")
            else:
                for _ in stream():
                    pass
            size = sink.finish() if sink is not None else None
        except BaseException:
            if sink is not None:
                sink.discard()
            raise
        if size is not None:
            files[f"{ROWS_DIR}/{day.isoformat()}.parquet"] = size
    records = [record for digest in digests for record in digest_records(digest)]
    files.update(write_digest_files(out, day, records))
    source: DigestSource = "none" if not records else ("stored" if stored else "computed from rows")
    return DayExport(day, rows, len(digests), len(records), source, files)


def write_text(path: Path, text: str) -> None:
    """A text file written whole, then renamed to its name."""
    tmp = _temporary(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_description(
    out: Path, *, first: date | None, last: date | None, source: str, days: Sequence[DayExport]
) -> None:
    """schema.json and README.md of an export ([first, last]; None, None: the deployment's bucket)."""
    write_text(out / "schema.json", json.dumps(schema_document(), indent=2) + "\n")
    write_text(out / "README.md", readme_text(first=first, last=last, source=source, days=days))
