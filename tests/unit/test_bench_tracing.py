"""`python -m bench tracing`'s figures from the table's rows (the lab run itself is the bench's, not a
test's): INIT medians of cold starts, warm-hit p50s per tier, rows not ok left out, the one RESULT line."""

from __future__ import annotations

from typing import Any

from bench import bench_tracing
from tests.unit.dashboard.frames import frame, row

INIT = {"off": [190.0, 200.0, 210.0], "subsegments": [300.0] * 3, "patch_all": [400.0] * 3,
        "otel": [700.0, 800.0, 900.0], "adot": [1100.0, 1200.0, 5000.0]}  # fmt: skip
HIT = {"off": 1.0, "subsegments": 1.0, "patch_all": 1.5, "otel": 2.0, "adot": 2.5}


def _rows(modes: dict[str, list[float]] = INIT, **extra: Any) -> list[dict[str, Any]]:
    out = []
    for mode, inits in modes.items():
        for memory, scale in ((128, 1.0), (1769, 0.1)):
            for i, init in enumerate(inits):
                fields = {"cold_start": True, "cold_cause": "forced", "init_ms": init * scale}
                fields.update(extra)
                warm = [HIT[mode] * scale] * 9 + [HIT[mode] * scale * 10]
                out.append(row(f"2026-11-27T00:0{i}", memory_mb=memory, tracing=mode,
                               cold_miss_ms=50.0 * scale, warm_ms=warm, **fields))  # fmt: skip
    return out


def test_the_result_line_holds_init_medians_at_128_mb_and_hit_p50s_per_tier() -> None:
    found = bench_tracing.cells(frame(_rows()))
    values = bench_tracing.result_values(found)
    line = bench_tracing.result_line(values)
    assert line.startswith("RESULT init_ms_off=200.0 init_ms_subsegments=300.0 init_ms_patch_all=400.0 ")
    assert "init_ms_otel=800.0 init_ms_adot=1200.0 " in line  # the median: one slow start does not move it
    assert "hit128_p50_ms_off=1 hit128_p50_ms_otel=2 hit128_p50_ms_adot=2.5 " in line
    assert line.endswith("hit1769_p50_ms_off=0.1 hit1769_p50_ms_otel=0.2 hit1769_p50_ms_adot=0.25")
    assert "\n" not in line and bench_tracing.missing(values) == []
    cell = found[("adot", 128)]
    assert (cell.cold_starts, cell.hits, cell.not_ok) == (3, 30, 0)
    assert cell.hit_p90_ms > cell.hit_p50_ms  # the slow tenth of the hits
    adot128 = next(t for t in bench_tracing.table_lines(found) if t.startswith("adot "))  # 128 MB first
    assert adot128.split()[1:4] == ["3", "1200.0", "6.00×"] and adot128.split()[6:9] == [
        "30",
        "2.5",
        "2.50×",
    ]  # INIT and hit p50 against off


def test_rows_not_ok_other_stores_and_warm_rows_are_not_in_the_figures() -> None:
    rows = _rows()
    rows += [
        {**r, "status": "error", "init_ms": 99_999.0, "warm_ms": [500.0] * 10} for r in _rows({"otel": [1.0]})
    ]
    rows += [{**r, "store": "ssm", "init_ms": 99_999.0} for r in _rows({"otel": [1.0]})]
    rows += [{**r, "cold_start": False, "init_ms": None} for r in _rows({"otel": [1.0]})]
    found = bench_tracing.cells(frame(rows))
    otel = found[("otel", 128)]
    assert otel.init_ms == 800.0 and otel.cold_starts == 3 and otel.not_ok == 1
    assert otel.hit_p50_ms == 2.0  # the warm row's hits count (every hit), the error row's do not


def test_a_mode_not_measured_is_nan_and_named() -> None:
    modes = {m: v for m, v in INIT.items() if m != "adot"}
    values = bench_tracing.result_values(bench_tracing.cells(frame(_rows(modes))))
    assert "init_ms_adot=nan" in bench_tracing.result_line(values)
    assert bench_tracing.missing(values) == ["init_ms_adot", "hit128_p50_ms_adot", "hit1769_p50_ms_adot"]
