"""dashboard.breakdown: signing inside a Cloud Extensions fetch, what prefetch moves out of the handler."""

from __future__ import annotations

import pytest

from dashboard import breakdown, data

from .frames import digests_of, frame, row

CX = "cloud_extensions"
PREFETCH_KEY = "cloud_extensions-128-x86_64-prefetch"


def test_the_signing_table_takes_the_rows_that_timed_their_signing_and_gives_its_share() -> None:
    rows = frame(
        [
            row("2026-11-27T05:00", strategy=CX, cold_miss_ms=40.0, warm_ms=[4.0, 4.0, 4.0]),
            row("2026-11-27T05:15", strategy=CX, cold_miss_ms=60.0, warm_ms=[6.0, 6.0, 6.0]),
            row("2026-11-27T05:00", strategy="extension", cold_miss_ms=30.0, warm_ms=[3.0]),
        ]
    )
    rows["sign_cold_ms"] = [4.0, 3.0, None]
    rows["sign_warm_p50_ms"] = [1.0, 1.5, None]
    table = breakdown.signing_table(data.with_new_columns(rows))
    assert list(table["strategy"]) == [CX]  # the extension signs nothing: not in the table
    (r,) = table.itertuples()
    assert r.rows == 2 and r.cold_miss_ms == 50.0 and r.sign_cold_ms == 3.5
    assert r.sign_cold_share == pytest.approx((0.1 + 0.05) / 2)
    assert r.sign_warm_p50_ms == 1.25 and r.sign_warm_share == pytest.approx(0.25)


def test_rows_without_signing_times_give_an_empty_table() -> None:
    old = data.with_new_columns(frame([row("2026-11-27T05:00", strategy=CX)]))  # before the columns existed
    assert breakdown.signing_table(old).empty
    assert list(breakdown.signing_table(old).columns) == list(breakdown.SIGN_TABLE_COLUMNS)


def test_the_prefetch_note_sets_the_first_hit_against_the_cold_miss_without_prefetch() -> None:
    df = frame(
        [
            row("2026-11-27T05:00", strategy=CX, cold_miss_ms=130.0, warm_ms=[4.0]),
            row(
                "2026-11-27T05:00",
                strategy=CX,
                probe_key=PREFETCH_KEY,
                cold_miss_ms=None,
                first_hit_ms=5.0,
                miss_guarantee="none",
                warm_ms=[4.0],
            ),
        ]
    )
    note = breakdown.prefetch_note(digests_of(df))
    assert note is not None and note.startswith("Cloud Extensions, prefetch: the extension loads the secret")
    assert "outside the handler" in note
    assert note.endswith("first fetch p50 5 ms at 128 MB against a 130 ms cold miss without prefetch.")


def test_no_prefetch_probe_no_note() -> None:
    assert breakdown.prefetch_note(digests_of(frame([row("2026-11-27T05:00", strategy=CX)]))) is None
