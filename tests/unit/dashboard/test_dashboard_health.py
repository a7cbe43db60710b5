"""dashboard.health: the Overview's fleet-health strip — counts over the selected range, "stale" against the
schedule (given, or inferred and said so), and retired probes hidden after a set time (issue 21, findings 5
and 6)."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import health
from dashboard.config import load_settings

from .frames import digests_of, frame, row

T = pd.Timestamp


def _every(start: str, minutes: int, count: int, **fields: object) -> list[dict]:
    """`count` invocations of one probe, `minutes` apart from `start`."""
    first = T(start, tz="UTC")
    return [
        row(
            (first + pd.Timedelta(minutes=minutes * i)).isoformat(),
            invocation_id=f"{start}-{i}-{fields}",
            **fields,
        )  # type: ignore[arg-type]
        for i in range(count)
    ]


def _days(frames: object, start: str, end: str) -> pd.DataFrame:
    probes = frames.probes  # type: ignore[attr-defined]
    return probes[(probes["bucket"] >= T(start, tz="UTC")) & (probes["bucket"] < T(end, tz="UTC"))]


# ------------------------------------------------------------------------------ finding 5: the window
def test_fleet_health_flags_stale_and_failing_probes() -> None:
    df = frame(
        [
            row("2026-11-27T04:00", invocation_id="a0"),
            row("2026-11-27T04:20", invocation_id="a01"),
            row("2026-11-27T04:40", invocation_id="a02"),
            row("2026-11-27T05:00", invocation_id="a1"),
            row("2026-11-27T05:05", invocation_id="a2"),
            row("2026-11-27T05:10", invocation_id="a3", status="failed", store="none", cold_miss_ms=None),
            row("2026-11-27T04:00", strategy="dict", invocation_id="d1"),
            row("2026-11-27T04:20", strategy="dict", invocation_id="d2"),
            row("2026-11-27T04:40", strategy="dict", invocation_id="d3"),
        ]
    )
    digests = digests_of(df)
    assert health.infer_interval_seconds(digests.probes) == 1200.0  # an hour over 3 invocations
    now = pd.Timestamp("2026-11-27T05:12", tz="UTC")
    table = health.fleet_health(digests.probes, digests.probes, now, 300.0).probes.set_index("probe_key")
    ext = table.loc["extension-128-x86_64"]
    assert ext["failing"] and not ext["stale"] and ext["last_status"] == "failed"
    assert ext["failure_rate"] == pytest.approx(1 / 6) and ext["last_error_types"] == "Timeout"
    d = table.loc["dict-128-x86_64"]
    assert d["stale"] and not d["failing"]
    assert health.failure_rate(digests.probes) == pytest.approx(1 / 9)


def test_an_old_failure_does_not_count_in_the_selected_range() -> None:
    """Two months ago the probe failed; in the last 7 days every invocation was ok: its row in the strip
    says 0 not ok of the range's invocations, not the 90 loaded days'."""
    rows = [
        *_every("2026-09-28T10:00", 60, 4, status="failed", store="none", cold_miss_ms=None),
        *_every("2026-11-21T00:00", 24 * 60, 7),
    ]
    loaded = digests_of(frame(rows), "day")
    in_range = _days(loaded, "2026-11-21", "2026-11-28")
    now = T("2026-11-27T00:30", tz="UTC")
    fleet = health.fleet_health(loaded.probes, in_range, now, 24 * 3600.0)
    (probe,) = fleet.probes.itertuples()
    assert (probe.invocations, probe.not_ok, probe.failure_rate) == (7, 0, 0.0)
    assert not probe.failing and not probe.stale
    assert health.failure_rate(in_range) == 0.0


def test_a_fresh_failure_is_not_diluted_by_the_loaded_days() -> None:
    """Today 1 of 12 invocations failed, after 30 ok days: today's failure rate is 1/12, not 1/42."""
    rows = [
        *_every("2026-10-28T00:00", 24 * 60, 30),
        *_every("2026-11-27T00:00", 5, 11),
        row("2026-11-27T00:55", invocation_id="fresh", status="failed", store="none", cold_miss_ms=None),
    ]
    loaded = digests_of(frame(rows), "day")
    in_range = _days(loaded, "2026-11-27", "2026-11-28")
    fleet = health.fleet_health(loaded.probes, in_range, T("2026-11-27T01:00", tz="UTC"), 300.0)
    (probe,) = fleet.probes.itertuples()
    assert (probe.invocations, probe.not_ok) == (12, 1)
    assert probe.failure_rate == pytest.approx(1 / 12) and probe.failing
    assert health.failure_rate(in_range) == pytest.approx(1 / 12)


def test_a_probe_silent_through_the_range_is_still_listed_stale_with_nothing_in_range() -> None:
    """Its last row is from before the range (but within the retirement period): stale, 0 invocations in
    range, no failure rate (unknown, not 0 %)."""
    rows = [*_every("2026-11-26T20:00", 60, 3, strategy="dict"), *_every("2026-11-27T00:00", 15, 4)]
    loaded = digests_of(frame(rows), "hour")
    in_range = _days(loaded, "2026-11-27", "2026-11-28")
    fleet = health.fleet_health(loaded.probes, in_range, T("2026-11-27T01:00", tz="UTC"), 900.0)
    d = fleet.probes.set_index("probe_key").loc["dict-128-x86_64"]
    assert d["stale"] and d["invocations"] == 0 and pd.isna(d["failure_rate"])
    assert fleet.retired.empty


# ------------------------------------------------------------------------------ finding 5: retired probes
def test_a_retired_probe_leaves_the_strip_after_the_retirement_period() -> None:
    """The fleet kept reporting; one probe stopped 3 days ago (removed from the catalogue): with the default
    2-day period it is hidden and counted as retired; one silent for a day is still stale and shown."""
    now = T("2026-11-27T12:00", tz="UTC")
    rows = [
        *_every("2026-11-23T00:00", 60, 36, strategy="sdk"),  # last row 2026-11-24T11:00: 3 days ago
        *_every("2026-11-25T12:00", 60, 12, strategy="dict"),  # last row 2026-11-25T23:00: 36.5 h ago
        *_every("2026-11-26T00:00", 60, 36),  # the extension probe reports up to now
    ]
    loaded = digests_of(frame(rows), "day")
    in_range = _days(loaded, "2026-11-21", "2026-11-28")
    fleet = health.fleet_health(loaded.probes, in_range, now, 3600.0)
    assert pd.Timedelta(days=2) == health.DEFAULT_RETIRE_AFTER
    assert list(fleet.probes["probe_key"]) == ["dict-128-x86_64", "extension-128-x86_64"]
    assert list(fleet.retired["probe_key"]) == ["sdk-128-x86_64"]
    assert fleet.probes.set_index("probe_key").loc["dict-128-x86_64", "stale"]
    note = health.retired_note(fleet, 2, "last 7 days")
    assert note is not None and note.startswith("1 retired probe hidden: no row for more than 2 days")
    assert "sdk-128-x86_64 (last row 2026-11-24 11:00 UTC)" in note
    # the period is a setting: at 1 day the dict probe is retired too; at 7 days neither is
    shorter = health.fleet_health(loaded.probes, in_range, now, 3600.0, retire_after=pd.Timedelta(days=1))
    assert list(shorter.retired["probe_key"]) == ["dict-128-x86_64", "sdk-128-x86_64"]
    longer = health.fleet_health(loaded.probes, in_range, now, 3600.0, retire_after=pd.Timedelta(days=7))
    assert longer.retired.empty and len(longer.probes) == 3
    setting = {"OBSERVATORY_RETIRE_AFTER_DAYS": "7", "AWS_REGION": "us-east-1"}
    assert load_settings(setting).retire_after_days == 7
    assert load_settings({"AWS_ENDPOINT_URL": "https://x"}).retire_after_days == 2


def test_a_whole_fleet_gone_silent_is_stale_never_retired() -> None:
    """Retirement is measured against the fleet's latest row: when every probe stopped (a broken schedule,
    a lab not running) they are all stale, none hidden."""
    rows = [*_every("2026-11-20T00:00", 60, 24, strategy="dict"), *_every("2026-11-20T00:00", 60, 24)]
    loaded = digests_of(frame(rows), "day")
    fleet = health.fleet_health(loaded.probes, loaded.probes, T("2026-11-27T12:00", tz="UTC"), 3600.0)
    assert fleet.retired.empty and fleet.probes["stale"].all() and len(fleet.probes) == 2


# ------------------------------------------------------------------------------ finding 6: the schedule
def _three_hour_lab_session() -> tuple[object, pd.Timestamp]:
    """Yesterday's 3-hour lab session at rate(5 minutes) (36 invocations, a closed day's digest); now is 95
    minutes after its last invocation."""
    rows = _every("2026-11-26T20:30", 5, 36)  # last row 23:25
    return digests_of(frame(rows), "day"), T("2026-11-27T01:00", tz="UTC")


def test_a_probe_silent_for_95_minutes_at_rate_5_minutes_is_stale_when_the_interval_is_given() -> None:
    loaded, now = _three_hour_lab_session()
    given = health.schedule_interval(300, loaded.probes)  # type: ignore[attr-defined]
    assert (given.seconds, given.inferred) == (300.0, False)
    fleet = health.fleet_health(loaded.probes, loaded.probes, now, given.seconds)  # type: ignore[attr-defined]
    assert fleet.probes["stale"].all()


def test_an_inferred_interval_says_it_is_inferred() -> None:
    """Without the interval the page infers it from the digests — a day over 36 invocations, 40 minutes —
    and says so: it is a guess, and it calls this probe fresh."""
    loaded, now = _three_hour_lab_session()
    guessed = health.schedule_interval(None, loaded.probes)  # type: ignore[attr-defined]
    assert (guessed.seconds, guessed.inferred) == (2400.0, True)
    assert "inferred" in guessed.describe() and "OBSERVATORY_SCHEDULE_SECONDS" in guessed.describe()
    assert "inferred" not in health.schedule_interval(300, loaded.probes).describe()  # type: ignore[attr-defined]
    fleet = health.fleet_health(loaded.probes, loaded.probes, now, guessed.seconds)  # type: ignore[attr-defined]
    assert not fleet.probes["stale"].any()
