"""EventBridge schedule expressions — `rate()`, `cron()` and `at()` — parsed, and their next fire time.

Pure: no clock, no AWS. Follows the EventBridge syntax: cron has six fields (minutes hours day-of-month month
day-of-week year), exactly one of day-of-month and day-of-week is `?`, day-of-week counts 1-7 from Sunday, and
`L`, `W` and `#` work as EventBridge documents them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC
MONTHS = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
WEEKDAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
SEARCH_YEARS = 8  # a cron with no fire time within this horizon is reported as never firing again


class ExpressionError(ValueError):
    """A schedule expression that EventBridge would reject (the message says which part and why)."""


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ExpressionError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True)
class Rate:
    """`rate(N unit)`: fires every `interval`, counted from an anchor (the lab fires at the anchor itself)."""

    interval: dt.timedelta

    def next_after(self, after: dt.datetime, anchor: dt.datetime) -> dt.datetime:
        """The first time anchor + k·interval (k ≥ 0) strictly after `after`."""
        if after < anchor:
            return anchor
        periods = int((after - anchor) / self.interval) + 1
        return anchor + periods * self.interval


@dataclass(frozen=True)
class At:
    """`at(yyyy-mm-ddThh:mm:ss)`: fires once."""

    when: dt.datetime

    def next_after(self, after: dt.datetime, anchor: dt.datetime | None = None) -> dt.datetime | None:
        """`when` if it is still ahead of `after`, else None."""
        return self.when if self.when > after else None


@dataclass(frozen=True)
class Cron:
    """`cron(minutes hours day-of-month month day-of-week year)` in a time zone."""

    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int] | None  # None: every year
    days: frozenset[int] | None  # None: day-of-month is `?`
    last_day: bool  # `L` in day-of-month
    weekday_nearest: frozenset[int]  # `15W`; 0 stands for `LW`
    weekdays: frozenset[int] | None  # None: day-of-week is `?`; 1 = Sunday
    last_weekday: frozenset[int]  # `5L`: the last Thursday of the month
    nth_weekday: frozenset[tuple[int, int]]  # `3#2`: the second Tuesday
    tz: dt.tzinfo

    def _day_matches(self, day: dt.date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if self.weekdays is None and not self.last_weekday and not self.nth_weekday:
            if self.days is not None and day.day in self.days:
                return True
            if self.last_day and day.day == last:
                return True
            nearest = (_nearest_weekday(day.year, day.month, n or last) for n in self.weekday_nearest)
            return day.day in nearest
        weekday = day.isoweekday() % 7 + 1  # Sunday = 1
        if self.weekdays is not None and weekday in self.weekdays:
            return True
        if weekday in self.last_weekday and day.day + 7 > last:
            return True
        return (weekday, (day.day - 1) // 7 + 1) in self.nth_weekday

    def next_after(self, after: dt.datetime, anchor: dt.datetime | None = None) -> dt.datetime | None:
        """The first matching minute strictly after `after` (aware), in UTC; None if it never fires again."""
        local = after.astimezone(self.tz).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = local.date()
        end = day.replace(year=day.year + SEARCH_YEARS) if not (day.month == 2 and day.day == 29) else (
            dt.date(day.year + SEARCH_YEARS, 3, 1))
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        while day < end:
            year_ok = self.years is None or day.year in self.years
            if year_ok and day.month in self.months and self._day_matches(day):
                for hour in hours:
                    for minute in minutes:
                        candidate = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)
                        if candidate >= local:
                            return candidate.astimezone(UTC)
            day += dt.timedelta(days=1)
        return None


# Each has `next_after(after, anchor)`: the first fire time after `after`; only a rate counts from `anchor`.
Expression = Rate | Cron | At


def _nearest_weekday(year: int, month: int, day: int) -> int | None:
    """EventBridge `nW`: the weekday nearest to day n, without leaving the month."""
    last = calendar.monthrange(year, month)[1]
    if day > last:
        return None
    weekday = dt.date(year, month, day).weekday()  # Monday = 0
    if weekday < 5:
        return day
    if weekday == 5:  # Saturday: Friday before, or Monday after when the 1st
        return day - 1 if day > 1 else day + 2
    return day + 1 if day < last else day - 2  # Sunday


def _value(token: str, low: int, high: int, names: dict[str, int], field: str) -> int:
    upper = token.upper()
    if upper in names:
        return names[upper]
    if not token.isdigit():
        raise ExpressionError(f"{field}: {token!r} is not a number" + (" or a name" if names else ""))
    value = int(token)
    if not low <= value <= high:
        raise ExpressionError(f"{field}: {value} is outside {low}-{high}")
    return value


def _field(text: str, low: int, high: int, field: str, names: dict[str, int] | None = None) -> frozenset[int]:
    """A cron field (`*`, numbers, names, ranges `a-b`, steps `x/n`, lists `a,b`) as the set it allows."""
    names = names or {}
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ExpressionError(f"{field}: empty item in {text!r}")
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ExpressionError(f"{field}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            start, stop = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, stop = _value(first, low, high, names, field), _value(last, low, high, names, field)
            if stop < start:
                raise ExpressionError(f"{field}: range {base!r} runs backwards")
        else:
            start = _value(base, low, high, names, field)
            stop = high if step_text else start
        values.update(range(start, stop + 1, step))
    return frozenset(values)


def _parse_cron(body: str, tz: dt.tzinfo) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise ExpressionError(
            f"cron() needs 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
        )
    minute_f, hour_f, dom_f, month_f, dow_f, year_f = fields
    if (dom_f == "?") == (dow_f == "?"):
        raise ExpressionError("cron(): exactly one of day-of-month and day-of-week must be '?'")
    days: frozenset[int] | None = None
    last_day = False
    nearest: set[int] = set()
    if dom_f != "?":
        plain: list[str] = []
        for item in dom_f.split(","):
            upper = item.upper()
            if upper == "L":
                last_day = True
            elif upper == "LW":
                nearest.add(0)
            elif upper.endswith("W"):
                nearest.add(_value(upper[:-1], 1, 31, {}, "day-of-month"))
            else:
                plain.append(item)
        days = _field(",".join(plain), 1, 31, "day-of-month") if plain else frozenset()
    weekdays: frozenset[int] | None = None
    last_weekday: set[int] = set()
    nth: set[tuple[int, int]] = set()
    if dow_f != "?":
        plain = []
        for item in dow_f.split(","):
            upper = item.upper()
            if upper == "L":
                last_weekday.add(7)
            elif upper.endswith("L"):
                last_weekday.add(_value(upper[:-1], 1, 7, WEEKDAYS, "day-of-week"))
            elif "#" in upper:
                day_text, _, n_text = upper.partition("#")
                n = _value(n_text, 1, 5, {}, "day-of-week")
                nth.add((_value(day_text, 1, 7, WEEKDAYS, "day-of-week"), n))
            else:
                plain.append(item)
        weekdays = _field(",".join(plain), 1, 7, "day-of-week", WEEKDAYS) if plain else frozenset()
    return Cron(
        minutes=_field(minute_f, 0, 59, "minutes"),
        hours=_field(hour_f, 0, 23, "hours"),
        months=_field(month_f, 1, 12, "month", MONTHS),
        years=None if year_f == "*" else _field(year_f, 1970, 2199, "year"),
        days=days, last_day=last_day, weekday_nearest=frozenset(nearest),
        weekdays=weekdays, last_weekday=frozenset(last_weekday), nth_weekday=frozenset(nth), tz=tz,
    )


_RATE = re.compile(r"^\s*(\d+)\s+([a-z]+)\s*$")


def parse_expression(text: str, timezone: str = "UTC") -> Expression:
    """Parse an EventBridge schedule expression; raise ExpressionError saying what is wrong."""
    match = re.fullmatch(r"\s*(rate|cron|at)\((.*)\)\s*", text)
    if not match:
        raise ExpressionError(f"{text!r} is not rate(...), cron(...) or at(...)")
    kind, body = match.groups()
    tz = _zone(timezone)
    if kind == "rate":
        rate = _RATE.match(body)
        if not rate:
            raise ExpressionError(f"rate({body}): expected 'rate(<number> <unit>)', e.g. 'rate(5 minutes)'")
        value, unit = int(rate.group(1)), rate.group(2)
        if unit not in RATE_UNITS:
            raise ExpressionError(f"rate({body}): unit must be minute(s), hour(s) or day(s), not {unit!r}")
        if value <= 0:
            raise ExpressionError(f"rate({body}): the value must be a positive number")
        if (value == 1) != (not unit.endswith("s")):  # EventBridge: rate(1 minute), rate(5 minutes)
            wanted = unit.rstrip("s") if value == 1 else unit + "s"
            raise ExpressionError(
                f"rate({body}): the unit is singular for 1 and plural above, as EventBridge requires: "
                f"'rate({value} {wanted})'"
            )
        return Rate(dt.timedelta(seconds=value * RATE_UNITS[unit]))
    if kind == "cron":
        return _parse_cron(body, tz)
    try:
        when = dt.datetime.strptime(body.strip(), "%Y-%m-%dT%H:%M:%S")
    except ValueError as exc:
        raise ExpressionError(f"at({body}): expected 'at(yyyy-mm-ddThh:mm:ss)'") from exc
    return At(when.replace(tzinfo=tz).astimezone(UTC))
