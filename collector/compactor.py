"""The compactor (a scheduled Lambda): digests every closed UTC day that can still change or has none yet.

A closed day can still receive rows until Lambda gives up on its last asynchronous events (the maximum event
age, 6 hours at most) and the collector's own retries have run: its *settle time*, `settle_seconds` after
midnight. Each run (hourly by default) looks at the last `catch_up_days` closed days and recomputes those
whose digest is missing or was computed before the day settled; so yesterday is recomputed until one run
after it settled, a late row is counted, and a failed or missed run is caught up by the next. Once settled
and digested, a day is never read again (unless `python -m collector.backfill` is asked to).

Digests are written with plain puts (`datastore.digest_table.write_digests`): recomputing a day replaces it.

A scheduled run then digests today's closed hours (`compactor_hours.digest_hours`: the same settle rule per
hour), so the dashboard reads today as hours plus the open hour's rows. A `{"days": [...]}` run: days only.
With a publish bucket (`OBSERVATORY_PUBLISH_BUCKET`), each run then uploads the settled days the bucket
lacks as open data files (`collector.publish`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from datastore.clients import READ_TIMEOUT_S, get_client
from datastore.digest_table import digested_days, write_digests
from datastore.digesting import digest_rows
from datastore.reads import iter_day_rows

from .compactor_hours import digest_hours
from .config import CompactorSettings

if TYPE_CHECKING:
    from .publish import PublishSettings

LOG = logging.getLogger("collector.compactor")
RESERVE_S = 60.0  # a run starts no new day when less than this remains before its timeout


class CompactorError(Exception):
    """The compactor was asked for something it cannot do (an open day, a malformed event)."""


@dataclass(frozen=True)
class DayResult:
    """One day digested: rows read, probes digested, items and bytes written, seconds taken."""

    day: str
    rows: int
    probes: int
    items: int
    bytes: int
    largest_item: int
    seconds: float


def settles_at(day: date, settle_seconds: int) -> datetime:
    """When `day` (UTC) can receive no more rows: its end plus the settle time."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1, seconds=settle_seconds)


def days_to_compact(
    now: datetime, digested: dict[date, datetime], catch_up_days: int, settle_seconds: int
) -> list[date]:
    """The closed days of the last `catch_up_days` to digest now, newest first: those with no digest, and
    those whose digest was computed before the day settled."""
    today = now.astimezone(UTC).date()
    todo = []
    for back in range(1, catch_up_days + 1):
        day = today - timedelta(days=back)
        computed = digested.get(day)
        if computed is None or computed < settles_at(day, settle_seconds):
            todo.append(day)
    return todo


def compact_day(
    day: date, *, client: Any, table_name: str, retention_days: int, now: datetime | None = None
) -> DayResult:
    """Digest the rows of one closed day and store the digests (replacing any earlier ones).

    Rows past their `expires_at` at `now` are left out, as every read leaves them out: a digest counts what
    the dashboard would show of the day's rows at that instant. A day is digested within `catch_up_days` (14
    by default), long before its rows expire (`retention_days`, 90 by default), and the digest then outlives
    them on purpose (`digest_retention_days`); recomputing a day whose rows have begun to expire (backfill)
    digests only those still there."""
    now = now or datetime.now(UTC)
    if day >= now.astimezone(UTC).date():
        raise CompactorError(f"{day} is not closed yet (UTC): only past days are digested")
    started = time.monotonic()
    counted = 0

    def rows() -> Iterable[Any]:
        nonlocal counted
        for row in iter_day_rows(day, client=client, table_name=table_name, now=now):
            counted += 1
            yield row

    digests = digest_rows(rows(), "day")
    written = write_digests(
        day, digests, client=client, table_name=table_name, retention_days=retention_days, computed_at=now
    )
    return DayResult(
        day.isoformat(),
        counted,
        written.probes,
        written.items,
        written.bytes,
        written.largest_item,
        round(time.monotonic() - started, 3),
    )


def run(
    settings: CompactorSettings,
    *,
    client: Any = None,
    now: datetime | None = None,
    days: list[date] | None = None,
    remaining_s: Callable[[], float] | None = None,
    publish: PublishSettings | None = None,
) -> dict[str, Any]:
    """One compactor run: the days that need it (or `days`), newest first, until time runs short; then, with
    a `publish` bucket, the settled days not published yet (`collector.publish`); then, when planned (no
    `days`), today's closed hours that need it (`digested_hours` in the answer)."""
    now = now or datetime.now(UTC)
    if client is None:
        client = get_client("dynamodb", read_timeout=READ_TIMEOUT_S)
    planned = days is None
    if days is None:
        today = now.astimezone(UTC).date()
        digested = digested_days(
            today - timedelta(days=settings.catch_up_days),
            today - timedelta(days=1),
            client=client,
            table_name=settings.table_name,
        )
        days = days_to_compact(now, digested, settings.catch_up_days, settings.settle_seconds)
    done: list[DayResult] = []
    left: list[str] = []
    for day in days:
        if remaining_s is not None and remaining_s() < RESERVE_S:
            left.append(day.isoformat())
            continue
        result = compact_day(
            day,
            client=client,
            table_name=settings.table_name,
            retention_days=settings.digest_retention_days,
            now=now,
        )
        LOG.info(json.dumps({"event": "compactor.day", **asdict(result)}))
        done.append(result)
    out: dict[str, Any] = {"digested": [asdict(r) for r in done], "left_for_next_run": left}
    if publish is not None and publish.bucket:
        from .publish import publish_pending  # imports this module: only here, when a bucket is set

        out.update(publish_pending(publish, settings, client=client, now=now, remaining_s=remaining_s))
    if planned:  # the schedule's run: today's closed hours too
        hours, hours_left = digest_hours(
            client=client,
            table_name=settings.table_name,
            settle_seconds=settings.settle_seconds,
            now=now,
            remaining_s=remaining_s,
            reserve_s=RESERVE_S,
        )
        out["digested_hours"] = [asdict(h) for h in hours]
        out["left_for_next_run"] += hours_left
    return out


def _days_from(event: Any) -> list[date] | None:
    """`{"days": ["YYYY-MM-DD", ...]}` recomputes those days; anything else (the schedule's event) plans."""
    if not isinstance(event, dict) or "days" not in event:
        return None
    raw = event["days"]
    if not isinstance(raw, list) or not all(isinstance(d, str) for d in raw):
        raise CompactorError('"days" must be a list of YYYY-MM-DD strings')
    try:
        return sorted({date.fromisoformat(d) for d in raw}, reverse=True)
    except ValueError as exc:
        raise CompactorError(f'"days": {exc}') from None


logging.getLogger("collector").setLevel(logging.INFO)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry (`collector.compactor.handler`): settings from the environment, then one run."""
    from .publish import PublishSettings

    settings = CompactorSettings.from_env()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return run(
        settings,
        days=_days_from(event),
        remaining_s=(lambda: remaining() / 1000.0) if callable(remaining) else None,
        publish=PublishSettings.from_env(),
    )
