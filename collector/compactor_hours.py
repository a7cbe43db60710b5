"""The compactor's hours step: digests each closed hour of the current UTC day (`datastore.digest_hours`).

Today is read by the dashboard as these hours plus the rows of the open hour, so a late-evening first load
reads a few hundred rows instead of the whole day's. An hour settles as a day does: it can receive rows until
`settle_seconds` after its end (Lambda's maximum event age, the collector's retries), so each run recomputes
the hours digested before they settled (at most settle_seconds / 3600 + 1 of them: a few hundred rows each
for a 40-probe fleet) and those without a digest, newest first. Only today's hours: a closed day gets its
own digest, built from its rows, in the same run (`compactor.days_to_compact`), and readers prefer the day.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from datastore.digest_hours import digested_hours, hour_start, write_hour_digests
from datastore.digesting import digest_rows
from datastore.reads import iter_hour_rows

LOG = logging.getLogger("collector.compactor")


@dataclass(frozen=True)
class HourResult:
    """One hour digested: rows read, probes digested, items and bytes written, seconds taken."""

    hour: str  # YYYY-MM-DDTHH
    rows: int
    probes: int
    items: int
    bytes: int
    seconds: float


def hours_to_compact(
    now: datetime, digested: dict[datetime, datetime], settle_seconds: int
) -> list[datetime]:
    """The closed hours of today (UTC) to digest now, newest first: those with no digest, and those whose
    digest was computed before the hour settled (its end + settle_seconds)."""
    open_hour = hour_start(now)
    midnight = open_hour.replace(hour=0)
    todo = []
    hour = open_hour - timedelta(hours=1)
    while hour >= midnight:
        computed = digested.get(hour)
        if computed is None or computed < hour + timedelta(hours=1, seconds=settle_seconds):
            todo.append(hour)
        hour -= timedelta(hours=1)
    return todo


def compact_hour(hour: datetime, *, client: Any, table_name: str, now: datetime) -> HourResult:
    """Digest the rows of one closed hour and store its digests (replacing any earlier ones)."""
    hour = hour_start(hour)
    if hour + timedelta(hours=1) > now:
        from .compactor import CompactorError  # the compactor's error family (it imports this module)

        raise CompactorError(f"{hour:%Y-%m-%dT%H}h is not closed yet at {now:%H:%M} UTC: only past hours")
    started = time.monotonic()
    counted = 0

    def rows() -> Iterable[Any]:
        nonlocal counted
        for row in iter_hour_rows(hour, client=client, table_name=table_name, now=now):
            counted += 1
            yield row

    written = write_hour_digests(
        hour, digest_rows(rows(), "hour"), client=client, table_name=table_name, computed_at=now
    )
    return HourResult(
        f"{hour:%Y-%m-%dT%H}",
        counted,
        written.probes,
        written.items,
        written.bytes,
        round(time.monotonic() - started, 3),
    )


def digest_hours(
    *,
    client: Any,
    table_name: str,
    settle_seconds: int,
    now: datetime,
    remaining_s: Callable[[], float] | None = None,
    reserve_s: float = 60.0,
) -> tuple[list[HourResult], list[str]]:
    """The hours step of a compactor run: today's closed hours that need it, newest first, until time runs
    short. Returns the hours digested and those left for the next run (`YYYY-MM-DDTHH`)."""
    now = now.astimezone(UTC)
    digested = digested_hours(now.date(), client=client, table_name=table_name)
    done: list[HourResult] = []
    left: list[str] = []
    for hour in hours_to_compact(now, digested, settle_seconds):
        if remaining_s is not None and remaining_s() < reserve_s:
            left.append(f"{hour:%Y-%m-%dT%H}")
            continue
        result = compact_hour(hour, client=client, table_name=table_name, now=now)
        LOG.info(json.dumps({"event": "compactor.hour", **asdict(result)}))
        done.append(result)
    return done, left
