"""The Regions page's pure functions: region against region within one environment and configuration, the
lab's regions labelled as the lab's, the 2022 run's region marked and its figure set beside it, old rows
without a region still loading."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dashboard import regions
from dashboard.config import SEED_PATH

from .frames import digests_of, frame, row

TOKYO, VIRGINIA = "ap-northeast-1", "us-east-1"


def rows_in(
    region: str, environment: str, warm: list[float], strategy: str = "sdk", **extra: Any
) -> list[dict[str, Any]]:
    """Two hours of one probe at 128 MB in `region`, its key as Terraform makes it outside the home region."""
    out = []
    for hour in ("01", "02"):
        r = row(f"2026-11-27T{hour}:00:00Z", strategy=strategy, warm_ms=warm, **extra)
        r.update(region=region, environment=environment, probe_key=f"{r['probe_key']}@{region}")
        out.append(r)
    return out


def test_two_aws_regions_compare_same_strategy_same_tier_and_the_2022_region_is_marked() -> None:
    frames = digests_of(frame(rows_in(VIRGINIA, "aws", [10.0] * 20) + rows_in(TOKYO, "aws", [15.0] * 20)))
    assert regions.comparable(frames.stores)
    table = regions.comparison(frames, "warm_hit", reference_region=TOKYO)
    assert table["region"].tolist() == [VIRGINIA, TOKYO]  # fastest first
    assert table["median"].round(1).tolist() == [10.0, 15.0]
    assert table["vs_fastest"].round(2).tolist() == [1.0, 1.5]
    assert table["place"].tolist() == [f"{VIRGINIA} (AWS)", f"{TOKYO} (AWS; the 2022 run's region)"]
    assert regions.lab_note(table["environment"]) is None


def test_the_labs_regions_are_labelled_the_labs_and_never_mixed_with_aws() -> None:
    rows = rows_in(VIRGINIA, "lab", [1.0] * 20) + rows_in(TOKYO, "lab", [1.1] * 20)
    rows += rows_in(TOKYO, "aws", [15.0] * 20)  # one AWS region: nothing to compare it with
    frames = digests_of(frame(rows))
    table = regions.comparison(frames, "warm_hit", reference_region=TOKYO)
    assert set(table["environment"]) == {"lab"}
    assert all(p.endswith("(lab: this machine, not AWS's region)") for p in table["place"])
    note = regions.lab_note(table["environment"])
    assert note is not None and "never a difference between AWS's regions" in note


def test_one_region_or_another_configuration_is_nothing_to_compare() -> None:
    one = digests_of(frame(rows_in(VIRGINIA, "aws", [10.0] * 20)))
    assert not regions.comparable(one.stores)
    assert regions.comparison(one, "warm_hit", TOKYO).empty
    # Tokyo's probe runs another runtime: only the region may differ, so no comparison
    other = rows_in(VIRGINIA, "aws", [10.0] * 20) + rows_in(TOKYO, "aws", [15.0] * 20, runtime="python3.12")
    assert regions.comparison(digests_of(frame(other)), "warm_hit", TOKYO).empty


def test_rows_from_before_regions_still_load_and_are_left_out_of_the_comparison() -> None:
    old = rows_in(VIRGINIA, "aws", [10.0] * 20)
    for r in old:
        r["region"] = None
    frames = digests_of(frame(old + rows_in(TOKYO, "aws", [15.0] * 20)))
    assert regions.places(frames.stores)["region"].tolist() == [TOKYO]
    assert regions.comparison(frames, "warm_hit", TOKYO).empty


@pytest.mark.parametrize(("metric", "strategy"), [("warm_hit", "extension"), ("cold_miss", "sdk")])
def test_the_2022_runs_figures_sit_beside_the_strategies_compared(metric: str, strategy: str) -> None:
    reference = json.loads(SEED_PATH.read_text())
    rows = rows_in(VIRGINIA, "aws", [10.0] * 20, strategy) + rows_in(TOKYO, "aws", [15.0] * 20, strategy)
    shown = regions.comparison(digests_of(frame(rows)), metric, reference["environment"]["region"])
    ref = regions.reference_rows(reference, metric, shown)
    assert ref[["strategy", "memory_mb", "region"]].values.tolist() == [[strategy, 128, TOKYO]]
    assert ref["place"].tolist() == [f"{TOKYO} (the 2022 reference run: one run)"]
    assert int(ref["n"].iloc[0]) == (1 if metric == "cold_miss" else 100)
