"""What the figures in view rest on, and the view's summary tables as a download. Pure: no Streamlit, no AWS.

`rests_on` counts the UTC days that hold at least one row and the table rows (one per invocation and store,
any status) behind the digests in view, whether a bucket is a closed day's digest, an hour's, or made from
rows; `basis_sentence` says it. `tables_csv` is what the Overview's download holds; `export_command` the
command for everything else (`python -m collector.export`, closed days only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd


@dataclass(frozen=True)
class Basis:
    """Days with rows, rows, probes with rows, and the first and last such day (None when there are none)."""

    days: int
    rows: int
    probes: int
    first: date | None
    last: date | None


def rests_on(stores: pd.DataFrame) -> Basis:
    """What a stores frame (`dashboard.digests`: one record per bucket, probe and store) rests on."""
    if stores.empty or "rows" not in stores:
        return Basis(0, 0, 0, None, None)
    held = stores[stores["rows"] > 0]
    if held.empty:
        return Basis(0, 0, 0, None, None)
    days = pd.to_datetime(held["bucket"], utc=True).dt.date
    return Basis(int(days.nunique()), int(held["rows"].sum()), int(held["probe_key"].nunique()),
                 days.min(), days.max())  # fmt: skip


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def basis_sentence(basis: Basis) -> str:
    """The Overview's line: "These figures rest on 12 days and 34,567 rows of 28 probes (… to … UTC)."."""
    if not basis.rows:
        return "No rows in this range and selection: the figures below rest on nothing yet."
    span = f"{basis.first}" if basis.first == basis.last else f"{basis.first} to {basis.last}"
    return (
        f"These figures rest on {_plural(basis.days, 'day')} and {_plural(basis.rows, 'row')} "
        f"of {_plural(basis.probes, 'probe')} ({span} UTC; a row is one store measured in one invocation)."
    )


def tables_csv(tables: Mapping[str, pd.DataFrame]) -> str:
    """Summary tables as one CSV: a first column `table` naming each, then their columns as shown."""
    frames = [frame.assign(**{"table": name})[["table", *frame.columns]] for name, frame in tables.items()]
    if not frames:
        return "table\n"
    return pd.concat(frames, ignore_index=True).to_csv(index=False)


def export_command(table: str, first: date, last: date, today: date) -> str | None:
    """`python -m collector.export` for the closed days of [first, last]; None when none is closed yet."""
    last = min(last, today - timedelta(days=1))
    if last < first:
        return None
    return (
        f"python -m collector.export --table {table} --from {first} --to {last} --out observatory-open-data"
    )
