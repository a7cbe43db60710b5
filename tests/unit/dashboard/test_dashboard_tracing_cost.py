"""What tracing costs (issue 17): five modes, INIT among the metrics, difference and ratio to `off`, the
sentence on the move from the X-Ray SDK to OpenTelemetry, and samples that cannot be what their label says."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard import stats, tracing_cost
from datastore.vocabulary import TRACING

from .frames import digests_of, frame, row

# INIT, cold miss and warm hit per mode (ms): what each probe of the fleet below measures
INIT = {"off": 200.0, "subsegments": 300.0, "patch_all": 450.0, "otel": 800.0, "adot": 1200.0}
COLD = {"off": 40.0, "subsegments": 42.0, "patch_all": 50.0, "otel": 55.0, "adot": 60.0}
WARM = {"off": 2.0, "subsegments": 2.0, "patch_all": 3.0, "otel": 3.5, "adot": 4.0}


def _near(a: float, b: float) -> bool:
    return abs(a - b) <= 0.011 * abs(b)  # the sketches' 1 %


def _rows(tracing: str, memory_mb: int = 128, scale: float = 1.0, hours: int = 3, **extra: Any) -> list[dict]:
    """A cold start per hour (INIT recorded), both stores; INIT, cold miss and warm hit × `scale`."""
    out = []
    for h in range(hours):
        for store in ("secretsmanager", "ssm"):
            fields: dict[str, Any] = {
                "cold_start": True,
                "cold_cause": "first_start",
                "init_ms": INIT[tracing] * scale,
                "miss_guarantee": "fresh_environment",
            }
            fields.update(extra)
            out.append(
                row(
                    f"2026-11-27T0{h}:00",
                    memory_mb=memory_mb,
                    store=store,
                    tracing=tracing,
                    cold_miss_ms=COLD[tracing] * scale,
                    warm_ms=[WARM[tracing] * scale] * 10,
                    invocation_id=f"{tracing}-{memory_mb}-{h}",
                    **fields,
                )
            )
    return out


def _fleet(modes: tuple[str, ...] = TRACING, tiers: tuple[int, ...] = (128, 1769)) -> pd.DataFrame:
    return frame([r for m in modes for t in tiers for r in _rows(m, t, 1.0 if t == 128 else 0.25)])


def test_every_mode_is_compared_with_off_on_init_cold_miss_and_warm_hit() -> None:
    cost = tracing_cost.table(digests_of(_fleet()))
    at128 = cost[(cost["memory_mb"] == 128) & (cost["store"] == "secretsmanager")]
    for metric, values in (("init", INIT), ("cold_miss", COLD), ("warm_hit", WARM)):
        part = at128[at128["metric"] == metric].set_index("value")
        assert list(part.index) == list(TRACING)  # off → subsegments → patch_all → otel → adot
        assert set(part["baseline"]) == {"off"}
        for mode, expected in values.items():
            assert _near(part.loc[mode, "p50"], expected), (metric, mode)
            assert _near(part.loc[mode, "p50_ratio"], expected / values["off"]), (metric, mode)
            assert abs(part.loc[mode, "p50_diff"] - (expected - values["off"])) <= 0.011 * expected
    init = at128[at128["metric"] == "init"].set_index("value")
    assert set(init["n"]) == {3}  # one INIT per cold start in each store's group
    at1769 = cost[(cost["memory_mb"] == 1769) & (cost["metric"] == "init") & (cost["store"] == "ssm")]
    at1769 = at1769.set_index("value")
    assert _near(at1769.loc["adot", "p50"], 300.0)  # each tier its own group


def test_the_sentence_answers_the_move_from_the_xray_sdk_to_opentelemetry_at_128_mb() -> None:
    sentence = tracing_cost.headline(tracing_cost.table(digests_of(_fleet())))
    assert sentence is not None
    assert sentence.startswith("At 128 MB, moving from the X-Ray SDK (Subsegments (default))")
    # median over the two store groups, each INIT otel - subsegments = +500 ms, adot +900 ms
    otel, adot = sentence.split("; ")
    assert "OpenTelemetry SDK" in otel and "INIT by **+500 ms** (median of 2 probe groups" in otel
    assert "a warm hit's p50 by **+1.5 ms**" in otel
    assert "ADOT layer" in adot and "INIT by **+900 ms**" in adot and "**+2 ms**" in adot


def test_the_sentence_falls_back_to_patch_all_and_is_none_without_opentelemetry_at_the_tier() -> None:
    table = tracing_cost.table(digests_of(_fleet(("off", "patch_all", "otel"))))
    sentence = tracing_cost.headline(table)
    assert sentence is not None and "(patch_all() (2022 run))" in sentence and "+350 ms" in sentence
    assert "ADOT" not in sentence  # not measured: not said
    only_xray = tracing_cost.table(digests_of(_fleet(("off", "subsegments", "otel"), tiers=(1769,))))
    assert tracing_cost.headline(only_xray) is None  # OpenTelemetry measured at 1,769 MB only
    assert tracing_cost.headline(tracing_cost.table(digests_of(_fleet(("off", "subsegments"))))) is None


def test_off_samples_from_before_off_was_really_off_are_left_out_and_counted() -> None:
    # An older `off` probe's day: cold starts with no INIT recorded (it ran under Active tracing), slower.
    older = [
        {**r, "ts": r["ts"] - pd.Timedelta(days=1), "init_ms": None, "cold_miss_ms": 400.0,
         "warm_ms": [20.0] * 10, "invocation_id": r["invocation_id"] + "-old"}
        for r in _rows("off")
    ]  # fmt: skip
    frames = digests_of(frame(older + _rows("off") + _rows("otel")))
    kept, left = tracing_cost.trusted(frames)
    assert left.off_before_fix == 3 * 2 * (1 + 10)  # 3 invocations × 2 stores × (cold miss + 10 hits)
    assert left.off_before_fix_probes == 1
    line = tracing_cost.left_out_line(left)
    assert line is not None and "66 samples of 1 `off` probe(s)" in line
    warm = tracing_cost.table(kept)
    warm = warm[warm["metric"] == "warm_hit"].set_index(["store", "value"])
    assert _near(warm.loc[("ssm", "off"), "p50"], 2.0)  # the older 20 ms hits are not pooled into off
    # Without the rule, the baseline would have been the older probe's: the test can tell.
    pooled = tracing_cost.table(frames)
    pooled = pooled[pooled["metric"] == "warm_hit"].set_index(["store", "value"])
    assert pooled.loc[("ssm", "off"), "p50"] > 10


def test_a_warm_off_bucket_without_cold_starts_is_kept() -> None:
    warm_only = [{**r, "cold_start": False, "cold_cause": None, "init_ms": None} for r in _rows("off")]
    kept, left = tracing_cost.trusted(digests_of(frame(warm_only)))
    assert left.total == 0 and len(kept.stores) == len(digests_of(frame(warm_only)).stores)


def _elsewhere(rows: list[dict], **fields: Any) -> list[dict]:
    """The same rows from probes elsewhere (their own probe keys, as another deployment's)."""
    return [{**r, **fields, "probe_key": f"{r['probe_key']}-{'-'.join(fields.values())}"} for r in rows]


def test_probes_of_another_environment_or_region_are_never_compared() -> None:
    rows = (
        _rows("off")
        + _elsewhere(_rows("otel"), environment="aws")
        + _elsewhere(_rows("otel"), region="eu-west-1")
    )
    assert tracing_cost.table(digests_of(frame(rows))).empty
    rows += _rows("otel")
    cost = tracing_cost.table(digests_of(frame(rows)))
    assert set(zip(cost["environment"], cost["region"], strict=True)) == {("lab", "us-east-1")}
    shown = tracing_cost.readable(cost)
    assert shown["Environment"].unique().tolist() == ["Lab"] and shown["Region"].unique().tolist() == [
        "us-east-1"
    ]


def test_rows_and_digests_without_init_still_load_and_compare() -> None:
    old = _fleet(("subsegments", "patch_all")).drop(columns=["init_ms"])
    frames = digests_of(old)
    assert int(frames.stores["init_n"].sum()) == 0
    cost = tracing_cost.table(frames)
    assert set(cost["metric"]) == {"cold_miss", "warm_hit"}  # no INIT to compare, the rest as before


def test_init_is_counted_once_per_cold_start_when_stores_are_pooled() -> None:
    frames = digests_of(_fleet(("otel",), tiers=(128,)))
    pooled = stats.latency_over_time(frames, "init", 50.0, "hour")
    assert set(pooled["n"]) == {2}  # each store's row carries the same INIT
    once = stats.latency_over_time(stats.one_store_each(frames), "init", 50.0, "hour")
    assert set(once["n"]) == {1} and len(once) == 3
    assert all(_near(v, 800.0) for v in once["value"])
