"""rate() units as EventBridge accepts them: singular for 1, plural above (`rate(1 minutes)` is rejected)."""

from __future__ import annotations

import datetime as dt

import pytest

from lab.scheduler.expressions import ExpressionError, Rate, parse_expression


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(2 minutes)", 120),
        ("rate(1 hour)", 3600),
        ("rate(12 hours)", 43200),
        ("rate(1 day)", 86400),
        ("rate(10 days)", 864000),
    ],
)
def test_singular_for_one_plural_above_is_accepted(text: str, seconds: int) -> None:
    assert parse_expression(text) == Rate(dt.timedelta(seconds=seconds))


@pytest.mark.parametrize(
    ("text", "suggested"),
    [
        ("rate(1 minutes)", "rate(1 minute)"),
        ("rate(5 minute)", "rate(5 minutes)"),
        ("rate(1 hours)", "rate(1 hour)"),
        ("rate(2 hour)", "rate(2 hours)"),
        ("rate(1 days)", "rate(1 day)"),
        ("rate(7 day)", "rate(7 days)"),
    ],
)
def test_wrong_number_is_rejected_as_eventbridge_does(text: str, suggested: str) -> None:
    with pytest.raises(ExpressionError, match="singular for 1 and plural above") as caught:
        parse_expression(text)
    assert suggested in str(caught.value)
