"""rate(), cron() and at() parsing and next-fire computation, as EventBridge defines them."""

from __future__ import annotations

import datetime as dt

import pytest

from lab.scheduler.expressions import At, Cron, ExpressionError, Rate, parse_expression

UTC = dt.UTC
FRIDAY = dt.datetime(2026, 11, 27, 5, 30, 12, tzinfo=UTC)  # a Friday


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(2 hours)", 7200), ("rate(1 day)", 86400)],
)
def test_rate_interval(text: str, seconds: int) -> None:
    expression = parse_expression(text)
    assert isinstance(expression, Rate)
    assert expression.interval == dt.timedelta(seconds=seconds)


def test_rate_counts_from_its_anchor_and_fires_at_it() -> None:
    rate = Rate(dt.timedelta(minutes=5))
    anchor = at(2026, 11, 27, 5, 0)
    assert rate.next_after(anchor - dt.timedelta(seconds=1), anchor) == anchor
    assert rate.next_after(anchor, anchor) == at(2026, 11, 27, 5, 5)
    assert rate.next_after(at(2026, 11, 27, 5, 7, 30), anchor) == at(2026, 11, 27, 5, 10)
    assert rate.next_after(at(2026, 11, 27, 5, 10), anchor) == at(2026, 11, 27, 5, 15)


@pytest.mark.parametrize(
    ("text", "after", "expected"),
    [
        ("cron(0/15 * * * ? *)", FRIDAY, at(2026, 11, 27, 5, 45)),
        ("cron(30 5 * * ? *)", FRIDAY, at(2026, 11, 28, 5, 30)),  # strictly after
        ("cron(15 10 ? * MON-FRI *)", at(2026, 11, 28, 0, 0), at(2026, 11, 30, 10, 15)),  # Sat → Mon
        ("cron(0 0 L * ? *)", FRIDAY, at(2026, 11, 30, 0, 0)),
        ("cron(0 0 L 2 ? 2028)", FRIDAY, at(2028, 2, 29, 0, 0)),  # leap year
        ("cron(0 10 ? * 6L *)", FRIDAY, at(2026, 11, 27, 10, 0)),  # last Friday of November
        ("cron(0 9 ? * 3#2 *)", FRIDAY, at(2026, 12, 8, 9, 0)),  # second Tuesday of December
        ("cron(0 8 1W * ? *)", FRIDAY, at(2026, 12, 1, 8, 0)),  # 1 Dec 2026 is a Tuesday
        ("cron(0 8 15W * ? *)", at(2026, 11, 1, 0, 0), at(2026, 11, 16, 8, 0)),  # 15 Nov is a Sunday
        ("cron(0 8 1W * ? *)", at(2026, 8, 1, 0, 0), at(2026, 8, 3, 8, 0)),  # 1 Aug is a Saturday
        ("cron(0 12 1,15 JAN-MAR ? *)", FRIDAY, at(2027, 1, 1, 12, 0)),
        ("cron(*/20 8-9 ? * SUN *)", FRIDAY, at(2026, 11, 29, 8, 0)),
    ],
)
def test_cron_next_fire(text: str, after: dt.datetime, expected: dt.datetime) -> None:
    expression = parse_expression(text)
    assert isinstance(expression, Cron)
    assert expression.next_after(after) == expected


def test_cron_successive_fires_walk_forward() -> None:
    expression = parse_expression("cron(0/20 5-6 * * ? *)")
    times = []
    moment = FRIDAY
    for _ in range(5):
        nxt = expression.next_after(moment)
        assert nxt is not None
        times.append((nxt.hour, nxt.minute))
        moment = nxt
    assert times == [(5, 40), (6, 0), (6, 20), (6, 40), (5, 0)]


def test_cron_in_a_time_zone_fires_at_local_time() -> None:
    expression = parse_expression("cron(0 9 * * ? *)", timezone="Asia/Tokyo")
    assert expression.next_after(FRIDAY) == at(2026, 11, 28, 0, 0)  # 09:00 JST is 00:00 UTC


def test_cron_that_never_fires_again_says_so() -> None:
    assert parse_expression("cron(0 12 * * ? 2020)").next_after(FRIDAY) is None


def test_at_fires_once() -> None:
    expression = parse_expression("at(2026-12-01T00:00:00)")
    assert isinstance(expression, At)
    assert expression.next_after(FRIDAY) == at(2026, 12, 1)
    assert expression.next_after(at(2026, 12, 1)) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("every 5 minutes", "is not rate"),
        ("rate(5)", "expected 'rate(<number> <unit>)'"),
        ("rate(0 minutes)", "positive"),
        ("rate(5 seconds)", "unit must be"),
        ("cron(0 12 * * *)", "needs 6 fields"),
        ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(60 12 * * ? *)", "minutes: 60 is outside 0-59"),
        ("cron(0 24 * * ? *)", "hours: 24 is outside 0-23"),
        ("cron(0 12 * FOO ? *)", "month: 'FOO' is not a number"),
        ("cron(0 12 ? * 8 *)", "day-of-week: 8 is outside 1-7"),
        ("cron(0 12 * 5-2 ? *)", "runs backwards"),
        ("cron(0/0 12 * * ? *)", "step"),
        ("cron(0,,5 12 * * ? *)", "empty item"),
        ("at(tomorrow)", "at(yyyy-mm-ddThh:mm:ss)"),
    ],
)
def test_bad_expressions_are_rejected_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_expression(text)


def test_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(ExpressionError, match="unknown time zone"):
        parse_expression("cron(0 9 * * ? *)", timezone="Mars/Olympus")
