"""dashboard.variants: a prefetch probe is its own variant, told apart from its rows, never pooled."""

from __future__ import annotations

import math

import pandas as pd

from dashboard import data, labels, variants

from .frames import digests_of, frame, row

CX = "cloud_extensions"


def test_the_prefetch_field_decides_and_the_key_suffix_speaks_only_where_the_field_is_silent() -> None:
    assert variants.is_prefetch(CX, True, "cloud_extensions-128-x86_64-prefetch")
    assert variants.is_prefetch(CX, True, "cloud_extensions-128-x86_64")  # the field says so
    assert not variants.is_prefetch(CX, False, "cloud_extensions-128-x86_64-prefetch")
    for silent in (None, math.nan, pd.NA):
        assert variants.is_prefetch(CX, silent, "cloud_extensions-128-x86_64-off-prefetch")
        assert not variants.is_prefetch(CX, silent, "cloud_extensions-128-x86_64")
    # only cloud_extensions prefetches: another strategy's key or flag never makes a variant
    assert not variants.is_prefetch("extension", True, "extension-128-x86_64-prefetch")
    assert variants.shown_strategy(CX, True, "k") == variants.PREFETCH_VARIANT
    assert variants.shown_strategy("dict", None, "dict-128-x86_64") == "dict"
    assert variants.base_strategy(variants.PREFETCH_VARIANT) == CX
    assert variants.base_strategy("sdk") == "sdk"
    assert labels.strategy(variants.PREFETCH_VARIANT) == "Cloud Extensions, prefetch"
    assert labels.strategy(CX) == "Cloud Extensions (localhost:5333)"


def test_rows_from_before_the_column_load_as_not_prefetch() -> None:
    old = frame([row("2026-11-27T05:00", strategy=CX), row("2026-11-27T05:00", strategy="extension")])
    # rows read before the fields existed
    old = old.drop(columns=["prefetch", "sign_cold_ms", "sign_warm_p50_ms"], errors="ignore")
    loaded = data.with_new_columns(old)
    assert list(loaded["strategy"]) == [CX, "extension"]
    assert list(loaded["prefetch"]) == [None, None]
    assert loaded["sign_cold_ms"].isna().all() and loaded["sign_warm_p50_ms"].isna().all()


def test_rows_that_carry_the_column_are_shown_as_their_variant() -> None:
    rows = frame([row("2026-11-27T05:00", strategy=CX), row("2026-11-27T05:01", strategy=CX)])
    rows["prefetch"] = [False, True]
    rows["sign_cold_ms"] = [0.4, None]
    loaded = data.with_new_columns(rows)
    assert list(loaded["strategy"]) == [CX, variants.PREFETCH_VARIANT]
    assert list(loaded["prefetch"]) == [False, True]
    assert loaded["sign_cold_ms"].iloc[0] == 0.4  # kept as the row has it


def test_digests_keep_the_prefetch_probe_apart_in_every_grouping() -> None:
    df = frame(
        [
            row("2026-11-27T05:00", strategy=CX, warm_ms=[4.0]),
            row(
                "2026-11-27T05:00",
                strategy=CX,
                probe_key="cloud_extensions-128-x86_64-prefetch",
                warm_ms=[9.0],
            ),
        ]
    )
    frames = digests_of(df)
    by = frames.stores.set_index("probe_key")
    assert by.loc["cloud_extensions-128-x86_64", "strategy"] == CX
    assert not by.loc["cloud_extensions-128-x86_64", "prefetch"]
    assert by.loc["cloud_extensions-128-x86_64-prefetch", "strategy"] == variants.PREFETCH_VARIANT
    assert by.loc["cloud_extensions-128-x86_64-prefetch", "prefetch"]
    assert set(frames.probes["strategy"]) == {CX, variants.PREFETCH_VARIANT}
