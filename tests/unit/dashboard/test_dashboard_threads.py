"""dashboard.threads: today and the closed days read side by side, today's error first."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard import data, threads


def _part(rows_read: int) -> data.Part:
    return data.Part(data.to_frames([]), (), rows_read, 0)


def test_today_and_the_closed_days_are_read_at_the_same_time() -> None:
    import threading

    # Each read waits until the other has started: read one after the other, the barrier would time out.
    both_started = threading.Barrier(2, timeout=30)

    def recent() -> data.Part:
        both_started.wait()
        return _part(1)

    def closed() -> data.Part:
        both_started.wait()
        return _part(2)

    recent_part, closed_part = threads.side_by_side(recent, closed)
    assert (recent_part.rows_read, closed_part.rows_read) == (1, 2)


def test_todays_error_is_the_one_raised_and_the_closed_days_error_otherwise() -> None:
    def failing(message: str) -> Any:
        def read() -> data.Part:
            raise RuntimeError(message)
        return read

    with pytest.raises(RuntimeError, match="today"):
        threads.side_by_side(failing("today"), failing("closed"))
    with pytest.raises(RuntimeError, match="closed"):
        threads.side_by_side(lambda: _part(1), failing("closed"))
