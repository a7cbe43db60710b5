"""Runtimes and tracing as dimensions (issue 13): the comparisons, the host, the 2022 configuration's rows,
and digests and rows written before either existed."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from dashboard import charts, compare, compare_charts, data, labels, stats, ui
from dashboard.digests import wires_to_frames
from datastore.digesting import digest_rows

from .frames import digests_of, frame, row

XEON = "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"


def _fleet(modes: dict[str, float], runtimes: dict[str, float], hours: int = 3, **extra: Any) -> pd.DataFrame:
    """Extension probes at 128 MB: a warm hit of base × mode factor × runtime factor ms."""
    rows = []
    for h in range(hours):
        for tracing, t in modes.items():
            for runtime, r in runtimes.items():
                rows.append(
                    row(
                        f"2026-11-27T0{h}:00",
                        warm_ms=[2.0 * t * r] * 20,
                        cold_miss_ms=100.0 * t * r,
                        tracing=tracing,
                        runtime=runtime,
                        **extra,
                    )
                )
    return frame(rows)


def _near(a: float, b: float) -> bool:
    return abs(a - b) <= 0.011 * abs(b)  # the sketches' 1 %


def test_tracing_cost_is_compared_with_tracing_off_on_the_same_probe() -> None:
    df = _fleet({"off": 1.0, "subsegments": 1.25, "patch_all": 2.0}, {"python3.11": 1.0, "python3.9": 1.5})
    table = compare.compare(digests_of(df), "tracing")
    assert set(table["held"]) == {"python3.9", "python3.11"}  # one group per runtime, tracing compared
    warm = table[(table["metric"] == "warm_hit") & (table["held"] == "python3.9")]
    assert list(warm["value"]) == ["off", "subsegments", "patch_all"]  # reading order: more tracing right
    assert set(warm["baseline"]) == {"off"}
    patch_all = warm.set_index("value").loc["patch_all"]
    assert _near(patch_all["p50"], 6.0) and _near(patch_all["p50_ratio"], 2.0)
    assert _near(patch_all["p50_diff"], 3.0)
    cold = table[(table["metric"] == "cold_miss") & (table["held"] == "python3.11")].set_index("value")
    assert _near(cold.loc["subsegments", "p90_ratio"], 1.25) and cold.loc["off", "p50_ratio"] == 1.0


def test_without_tracing_off_the_least_tracing_is_the_baseline() -> None:
    table = compare.compare(
        digests_of(_fleet({"subsegments": 1.0, "patch_all": 3.0}, {"python3.11": 1})), "tracing"
    )
    assert set(table["baseline"]) == {"subsegments"}
    assert _near(table.set_index(["metric", "value"]).loc[("warm_hit", "patch_all"), "p50_ratio"], 3.0)


def test_runtime_upgrade_orders_runtimes_by_version_and_compares_with_the_oldest() -> None:
    df = _fleet({"subsegments": 1.0}, {"python3.13": 0.8, "python3.9": 1.6, "python3.11": 1.0})
    table = compare.compare(digests_of(df), "runtime")
    warm = table[table["metric"] == "warm_hit"]
    assert list(warm["value"]) == ["python3.9", "python3.11", "python3.13"]  # not text order (3.11 < 3.9)
    assert set(warm["baseline"]) == {"python3.9"}
    assert _near(warm.set_index("value").loc["python3.13", "p50_ratio"], 0.5)
    readable = compare.readable(table, "runtime")
    assert {"Runtime", "Tracing", "p50 ratio (×)", "Compared with"} <= set(readable.columns)
    assert set(readable["Tracing"]) == {"Subsegments (default)"}


def test_one_mode_or_one_runtime_gives_nothing_to_compare() -> None:
    frames = digests_of(_fleet({"subsegments": 1.0}, {"python3.11": 1.0}))
    assert compare.compare(frames, "tracing").empty and compare.compare(frames, "runtime").empty
    assert compare.modes(frames, "tracing") == ["subsegments"]
    assert compare.modes(frames, "runtime") == ["python3.11"]


def test_modes_on_different_probes_are_not_compared() -> None:
    # patch_all only at 1769 MB, subsegments only at 128 MB: two modes, but never on equal probes
    rows = [
        row("2026-11-27T00:00", warm_ms=[1.0] * 5, tracing="subsegments"),
        row("2026-11-27T00:00", memory_mb=1769, warm_ms=[1.0] * 5, tracing="patch_all"),
    ]
    frames = digests_of(frame(rows))
    assert compare.modes(frames, "tracing") == ["subsegments", "patch_all"]
    assert compare.compare(frames, "tracing").empty


def test_digests_from_before_runtime_and_tracing_were_identity_still_load() -> None:
    rows = [
        row("2026-11-27T00:00", warm_ms=[1.0] * 5),
        row("2026-11-27T01:00", memory_mb=1769, warm_ms=[2.0]),
    ]
    rows.append(row("2026-11-27T00:30", memory_mb=1769, warm_ms=[2.0], runtime="python3.12"))
    for r in rows:  # the older collector's probe key, whatever the runtime
        r["probe_key"] = f"{r['strategy']}-{r['memory_mb']}-{r['architecture']}"
    wires = [d.to_wire() for d in digest_rows(frame(rows).to_dict("records"), "day")]  # type: ignore[arg-type]
    for w in wires:
        w.pop("rt", None), w.pop("tr", None)
        w["seen"].pop("host_cpu", None), w["seen"].pop("host_ref_ms", None)
    frames = wires_to_frames(wires)
    probes = frames.probes.set_index("probe_key")
    assert probes.loc["extension-128-x86_64", "runtime"] == "python3.11"  # the one runtime its rows recorded
    assert pd.isna(probes.loc["extension-1769-x86_64", "runtime"])  # two runtimes that day: not known
    assert set(frames.stores["tracing"]) == {"subsegments"}  # the only mode there was
    assert frames.probes["seen_host_cpu"].isna().all() and frames.probes["seen_host_ref_ms"].isna().all()


def test_python_versions_seen_per_runtime() -> None:
    rows = [
        row("2026-11-27T00:00", warm_ms=[1.0], runtime="python3.9", python_version="3.9.20"),
        row("2026-11-27T01:00", warm_ms=[1.0], runtime="python3.9", python_version="3.9.21"),
        row("2026-11-27T00:00", warm_ms=[1.0], python_version="3.11.9"),
    ]
    versions = compare.python_versions(digests_of(frame(rows), "day").probes)
    assert versions == {"python3.9": ["3.9.20", "3.9.21"], "python3.11": ["3.11.9"]}


def test_host_speed_names_the_lab_hosts_and_says_what_recorded_none() -> None:
    rows = [
        row("2026-11-27T00:00", warm_ms=[1.0], host_cpu=XEON, host_ref_ms=412.3),
        row("2026-11-27T01:00", warm_ms=[1.0], host_cpu=XEON, host_ref_ms=420.0),
        row("2026-11-26T01:00", memory_mb=1769, warm_ms=[1.0]),  # an older lab row: no host
        row("2026-11-27T01:00", memory_mb=1769, warm_ms=[1.0], environment="aws", throttled_periods=None),
    ]
    rows[-1]["probe_key"] = "dict-1769-x86_64"  # another probe, on AWS
    host = compare.host_speed(digests_of(frame(rows)).probes)
    (h,) = host.hosts.itertuples(index=False)
    assert h.host_cpu == XEON and (h.reference_ms_min, h.reference_ms_max, h.starts) == (412.3, 420.0, 2)
    assert host.lab_unrecorded == 1 and host.aws == 1
    lines = compare.host_lines(host)
    assert XEON in lines[0] and "412.3–420.0 ms" in lines[0]
    assert "not recorded" in lines[-1] and "AWS" in lines[-1]


def test_host_reference_times_that_do_not_parse_are_left_out() -> None:
    probes = pd.DataFrame(
        {
            "probe_key": ["a", "b"],
            "environment": ["lab", None],  # b: a bucket of failed invocations only
            "seen_host_cpu": [XEON, None],
            "seen_host_ref_ms": ["412.3|n/a", None],
            "last_ts": pd.to_datetime(["2026-11-27T00:00Z", "2026-11-27T00:00Z"]),
        }
    )
    host = compare.host_speed(probes)
    assert list(host.hosts["reference_ms_min"]) == [412.3] and host.lab_unrecorded == 0


def test_host_not_recorded_anywhere() -> None:
    host = compare.host_speed(digests_of(frame([row("2026-11-27T00:00", warm_ms=[1.0])])).probes)
    assert host.hosts.empty
    assert any("**not recorded**" in line for line in compare.host_lines(host))


def test_reference_prefers_the_probes_in_the_2022_configuration() -> None:
    today = _fleet({"subsegments": 1.0}, {"python3.11": 1.0})
    replay = _fleet({"patch_all": 1.0}, {"python3.9": 2.0})
    both = compare.reference_rows(digests_of(pd.concat([today, replay], ignore_index=True)))
    assert both.replay
    assert set(both.frames.stores["probe_key"]) == {"extension-128-x86_64-py39-patch_all"}
    summary = stats.group_summary(both.frames, ["strategy"], "warm_hit", (50.0,))
    assert _near(summary["p50"].iloc[0], 4.0)  # only the 2022 configuration's hits
    alone = compare.reference_rows(digests_of(today))
    assert not alone.replay and len(alone.frames.stores) == len(digests_of(today).stores)


def test_host_ref_ms_is_no_change_but_a_new_host_cpu_is() -> None:
    assert "host_cpu" in stats.CHANGE_FIELDS and "host_ref_ms" not in stats.CHANGE_FIELDS
    assert set(stats.CHANGE_FIELDS) <= set(charts.CHANGE_NAMES)
    rows = [
        row("2026-11-27T00:00", warm_ms=[1.0], host_cpu=XEON, host_ref_ms=412.3),
        row("2026-11-27T01:00", warm_ms=[1.0], host_cpu=XEON, host_ref_ms=431.9),  # the lab restarted
        row("2026-11-27T02:00", warm_ms=[1.0], host_cpu="AMD EPYC 7R13", host_ref_ms=380.0),  # another host
    ]
    changes = stats.change_points(digests_of(frame(rows)).probes)
    assert list(changes["field"]) == ["host_cpu"]
    assert (changes["before"].iloc[0], changes["after"].iloc[0]) == (XEON, "AMD EPYC 7R13")


def test_rows_without_tracing_or_host_columns_load_as_subsegments_and_none() -> None:
    old = frame([row("2026-11-27T00:00", warm_ms=[1.0])]).drop(columns=["tracing", "host_cpu", "host_ref_ms"])
    rows = data.with_new_columns(old)
    assert list(rows["tracing"]) == ["subsegments"]
    assert rows["host_cpu"].isna().all() and rows["host_ref_ms"].isna().all()
    gaps = frame([row("2026-11-27T00:00", warm_ms=[1.0]), row("2026-11-27T01:00", tracing="off")])
    gaps.loc[0, "tracing"] = None  # an old row read by the new collector
    assert list(data.with_new_columns(gaps)["tracing"]) == ["subsegments", "off"]


@pytest.mark.parametrize("column", ["runtime", "tracing"])
def test_runtime_and_tracing_filters_keep_rows_that_do_not_say(column: str) -> None:
    table = pd.DataFrame({column: ["python3.9" if column == "runtime" else "off", None, "other"]})
    chosen = ["python3.9"] if column == "runtime" else ["off"]
    assert list(ui.dimension_mask(table, {column: chosen})) == [True, True, False]
    assert (column, labels.COLUMNS[column]) in [(c, t) for c, t, _ in ui.FILTERS]


def test_comparison_figure_names_modes_and_groups_with_units() -> None:
    df = _fleet({"off": 1.0, "patch_all": 2.0}, {"python3.11": 1.0, "python3.9": 1.5})
    fig = compare_charts.comparison_figure(compare.compare(digests_of(df), "tracing"), "tracing")
    names = {t.name for t in fig.data}
    assert names == {"Off (no tracing)", "patch_all() (2022 run)"}
    assert set(fig.data[0].x) == {
        "Extension (localhost:2773) · 128 MB · python3.9",
        "Extension (localhost:2773) · 128 MB · python3.11",
    }
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.title.text == "Warm-hit latency (ms)"
    assert fig.layout.yaxis2.title.text == "Cold-miss latency (ms)"
    assert "×" in fig.data[1].hovertemplate


def test_labels_name_tracing_modes_and_order_runtimes() -> None:
    assert list(labels.TRACING) == ["off", "subsegments", "patch_all", "otel", "adot"]
    assert labels.tracing("patch_all") == "patch_all() (2022 run)" and labels.tracing("new") == "new"
    assert sorted(["python3.13", "python3.9", "python3.10"], key=labels.runtime_order) == [
        "python3.9",
        "python3.10",
        "python3.13",
    ]
