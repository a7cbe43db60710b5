"""What the Overview says its figures rest on, and the download of its summary tables."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd

from dashboard.evidence import Basis, basis_sentence, export_command, rests_on, tables_csv


def stores(*records: tuple[str, str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"bucket": pd.Timestamp(b, tz="UTC"), "probe_key": p, "store": "ssm", "rows": n}
            for b, p, n in records
        ]
    )


def test_days_with_rows_rows_and_probes_from_day_and_hour_buckets() -> None:
    frame = stores(
        ("2026-11-20", "sdk-128-x86_64", 288),
        ("2026-11-20", "dict-128-x86_64", 288),
        ("2026-11-21", "sdk-128-x86_64", 0),  # digested, empty: a day, but no rows rest on it
        ("2026-11-22T05:00", "sdk-128-x86_64", 12),  # today's hours
        ("2026-11-22T06:00", "sdk-128-x86_64", 12),
    )
    assert rests_on(frame) == Basis(2, 600, 2, date(2026, 11, 20), date(2026, 11, 22))
    assert basis_sentence(rests_on(frame)) == (
        "These figures rest on 2 days and 600 rows of 2 probes (2026-11-20 to 2026-11-22 UTC; a row is one "
        "store measured in one invocation)."
    )


def test_nothing_in_view_says_so() -> None:
    assert rests_on(stores()) == Basis(0, 0, 0, None, None)
    assert basis_sentence(rests_on(stores(("2026-11-21", "sdk-128-x86_64", 0)))).startswith("No rows in this")
    one = Basis(1, 1, 1, date(2026, 11, 20), date(2026, 11, 20))
    assert "1 day and 1 row of 1 probe (2026-11-20 UTC" in basis_sentence(one)


def test_the_download_holds_every_table_in_view_named() -> None:
    warm = pd.DataFrame({"Strategy": ["SDK"], "Median (ms)": [20.5]})
    cold = pd.DataFrame({"Strategy": ["SDK", "Dict"], "Median (ms)": [61.0, 0.4]})
    back = pd.read_csv(io.StringIO(tables_csv({"Warm hits": warm, "Cold misses": cold})))
    assert back.to_dict("list") == {
        "table": ["Warm hits", "Cold misses", "Cold misses"],
        "Strategy": ["SDK", "SDK", "Dict"],
        "Median (ms)": [20.5, 61.0, 0.4],
    }


def test_the_export_command_covers_the_closed_days_only() -> None:
    today = date(2026, 11, 22)
    assert export_command("slo", date(2026, 11, 1), date(2026, 11, 22), today) == (
        "python -m collector.export --table slo --from 2026-11-01 --to 2026-11-21 --out observatory-open-data"
    )
    assert export_command("slo", date(2026, 11, 22), date(2026, 11, 22), today) is None
