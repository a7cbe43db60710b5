"""The sidebar's account of which days came from rows: runs of consecutive days, not one date per day."""

from __future__ import annotations

from datetime import date, timedelta

from dashboard import labels


def test_days_read_from_rows_are_shown_as_runs_of_consecutive_days() -> None:
    """A fresh table has every day of the range undigested: one run, not 90 dates."""
    start = date(2026, 9, 3)
    ninety = [start + timedelta(days=n) for n in range(90)]
    assert labels.day_spans(ninety) == "09-03 to 12-01"
    gaps = [date(2026, 11, 24), date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30)]
    gaps.append(date(2026, 11, 26))  # a day twice counts once
    assert labels.day_spans(gaps) == "11-24, 11-26 to 11-27, 11-30"
    assert labels.day_spans([date(2026, 12, 31), date(2027, 1, 1)]) == "12-31 to 01-01"
    assert labels.day_spans([]) == ""


def test_the_rows_note_names_the_days_that_held_rows_apart_from_the_empty_ones() -> None:
    today = date(2026, 12, 6)
    fresh_lab = [date(2026, 9, 8) + timedelta(days=i) for i in range(75)] + [today]
    assert labels.rows_read_note(fresh_lab, [today], 34) == (
        "76 days (at least in part) from 34 rows (12-06; the other 75 held none)"
    )
    note = labels.rows_read_note
    assert note([today], [today], 1_234) == "1 day (at least in part) from 1,234 rows (12-06)"
    assert note([], [today], 0) == "0 days (at least in part) from 0 rows (none)"
    assert note([today], [], 0) == "1 day (at least in part) from 0 rows (none of them held any)"
