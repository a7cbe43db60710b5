"""A day read per hour: the compactor's hourly digests, and the rows of the hours that have none.

Today is read this way (late in the evening: 23 hourly digests and the open hour's few hundred rows, not the
day's tens of thousands), and so is a closed day the compactor has not digested yet but whose hours it has
(the first hour after midnight). Rows of hours without a digest — the open hour, an hour the compactor has
not reached — are read in spans of consecutive hours and digested here per hour
(`datastore.digesting.digest_rows`), the same way the compactor does, so every hour is one kind of data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from datastore import digest_hours, digest_wire, reads
from datastore.digesting import digest_rows

HOUR = timedelta(hours=1)


def day_hours(day: date, end: datetime) -> list[datetime]:
    """The hours of `day` (UTC) that start before `end`: all 24 for a closed day, up to the open one today."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return [midnight + i * HOUR for i in range(24) if midnight + i * HOUR < end]


def spans(hours: list[datetime], end: datetime) -> list[tuple[datetime, datetime]]:
    """Consecutive hours as [start, stop) spans, none past `end` (one row read each)."""
    out: list[tuple[datetime, datetime]] = []
    for hour in sorted(hours):
        stop = min(hour + HOUR, end)
        if out and out[-1][1] == hour:
            out[-1] = (out[-1][0], stop)
        else:
            out.append((hour, stop))
    return out


@dataclass(frozen=True)
class Hourly:
    """A day read per hour: the digests' wire forms, how many hours came from digests, how many rows were
    read for the others, and whether any hour was read from rows."""

    wires: list[dict[str, Any]]
    digested_hours: int
    rows_read: int
    from_rows: bool


def read_day(
    day: date,
    end: datetime,
    *,
    client: Any,
    table_name: str,
    hours: list[digest_hours.HourWires] | None = None,
    now: datetime | None = None,
) -> Hourly:
    """`day` up to `end` per hour: its digested hours (`hours`, or read here: one Query) and the rows of the
    others (not past their expires_at at `now`, default the clock), digested here per hour."""
    if hours is None:
        hours = digest_hours.read_hour_wires(day, client=client, table_name=table_name)
    wanted = day_hours(day, end)
    found = [h for h in hours if h.hour in set(wanted)]
    wires = [w for h in found for w in h.wires]
    digested = {h.hour for h in found}
    rows_read = 0
    todo = spans([h for h in wanted if h not in digested], end)
    for lo, hi in todo:
        frame = reads.read_rows(lo, hi, client=client, table_name=table_name, now=now)
        rows_read += len(frame)
        wires += [digest_wire.encode(d) for d in digest_rows(frame.to_dict("records"), "hour")]
    return Hourly(wires, len(found), rows_read, bool(todo))
