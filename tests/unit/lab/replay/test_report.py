"""The 2022 replay's comparison from hand-made rows: figures, tables, the RESULT line, missing data."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from lab.replay import report
from tests.conftest import REPO_ROOT

CPU = "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"


@pytest.fixture(scope="module")
def reference() -> report.Reference:
    return report.Reference.from_json(
        json.loads((REPO_ROOT / "docs" / "reference" / "seed-2022-measurements.json").read_text()))


def flat(lines: list[str]) -> str:
    """The report as one line of words (explanations wrap at any width)."""
    return " ".join(line.strip() for line in lines)


def row(strategy: str, memory: int, warm: list[float], cold_miss: float | None = 100.0, *,
        cold_start: bool = True, status: str = "ok", store: str = "secretsmanager",
        **extra: Any) -> dict[str, Any]:
    return {
        "probe_key": f"{strategy}-{memory}-x86_64-py39-patch_all", "strategy": strategy, "memory_mb": memory,
        "store": store, "status": status, "error_types": "", "warm_ms": warm, "cold_start": cold_start,
        "cold_miss_ms": cold_miss, "runtime": "python3.9", "python_version": "3.9.18", "tracing": "patch_all",
        "host_cpu": CPU, "host_ref_ms": 412.3, **extra,
    }


def fleet(ext128: list[float], ext1769: list[float], dict128: float = 0.0004, dict1769: float = 0.0005,
          sdk_miss: tuple[float, float] = (150.0, 40.0)) -> list[dict[str, Any]]:
    """Six probes of the 2022 configuration, one row each."""
    return [
        row("extension", 128, ext128, 300.0),
        row("extension", 1769, ext1769, 60.0),
        row("sdk", 128, [2.0] * 100, sdk_miss[0]),
        row("sdk", 1769, [1.0] * 100, sdk_miss[1]),
        row("dict", 128, [dict128] * 100, 120.0),
        row("dict", 1769, [dict1769] * 100, 30.0),
    ]


def test_the_reference_file_holds_the_2022_tables(reference: report.Reference) -> None:
    assert reference.warm[("extension", 128)].median == pytest.approx(39.947521)
    assert reference.warm[("extension", 1769)].p90 == pytest.approx(2.0196445)
    assert reference.cold_miss == {("extension", 128): 698, ("extension", 1769): 119, ("sdk", 128): 358,
                                   ("sdk", 1769): 83.4}
    assert reference.environment["runtime"] == "python3.9"


def test_malformed_reference_data_is_a_clear_error() -> None:
    with pytest.raises(report.ReferenceError, match="not as expected"):
        report.Reference.from_json({"warm_hit_ms": [{"strategy": "extension"}], "cold_miss_ms": []})


def test_warm_figures_are_the_2022_columns_with_numpys_linear_percentiles() -> None:
    figures = report.WarmFigures.of([float(v) for v in range(10, 0, -1)])
    assert figures is not None
    assert (figures.n, figures.min, figures.max, figures.mean, figures.median) == (10, 1.0, 10.0, 5.5, 5.5)
    assert figures.p90 == pytest.approx(9.1)
    assert report.WarmFigures.of([]) is None


def test_near20_counts_hits_within_2_ms_of_a_whole_number_of_periods_from_one_up() -> None:
    # near: 19.0 (20), 40.5 (40), 58.0 (60, exactly 2 ms off); not: 0.5 (fitted in its slice), 22.5, 37.9
    assert report.near_period_share([19.0, 40.5, 58.0, 0.5, 22.5, 37.9]) == 0.5
    assert report.near_period_share([10.0, 30.0]) == 0.0
    assert math.isnan(report.near_period_share([]))


def test_measure_takes_ok_secretsmanager_rows_and_the_cold_start_miss() -> None:
    rows = [
        row("extension", 128, [20.0, 40.0], 300.0),
        row("extension", 128, [19.0], 5.0, cold_start=False),  # a later warm invocation: hits count, miss not
        row("extension", 128, [99.0], store="ssm"),  # not the 2022 store
        row("extension", 128, [], None, status="error", error_types="TimeoutError"),
        row("caching_lib", 128, [1.0]),  # not in the 2022 run
    ]
    measured = report.measure(rows, "lab, 2022 config", strategies=["extension"], memory_sizes=[128])
    assert measured.warm == {("extension", 128): [20.0, 40.0, 19.0]}
    assert measured.cold_miss == {("extension", 128): 300.0}
    assert measured.runtimes == ["python3.9 (3.9.18)"] and measured.tracing == ["patch_all"]
    assert measured.host_cpu == [CPU] and measured.host_ref_ms == [412.3]
    assert measured.problems == ["extension-128-x86_64-py39-patch_all/secretsmanager: error (TimeoutError)"]


def test_rows_from_before_the_tracing_column_say_it_was_not_recorded() -> None:
    old = row("dict", 128, [0.1])
    del old["tracing"], old["host_cpu"], old["host_ref_ms"]
    measured = report.measure([old], "x", strategies=["dict"], memory_sizes=[128])
    assert measured.tracing == [report.NOT_RECORDED] and measured.host_ref_ms == []


def test_result_line_from_the_2022_configuration_probes() -> None:
    ext128 = [20.0] * 60 + [40.0] * 40  # p50 20, all near a step
    ext1769 = [0.5] * 100
    measured = report.measure(fleet(ext128, ext1769), "lab, 2022 config")
    line = report.result_line(report.result_figures(measured))
    assert line == ("RESULT ext128_p50_ms=20.00 ext1769_p50_ms=0.50 ext_ratio=40.00 near20=1.00 "
                    "dict_ratio=0.80 sdk_miss128_ms=150.00 sdk_miss1769_ms=40.00")


def test_render_ends_with_the_result_line_and_shows_the_three_configurations(
    reference: report.Reference,
) -> None:
    replayed = report.measure(fleet([39.9] * 100, [1.7] * 100), "lab, 2022 config")
    today_rows = [dict(r, runtime="python3.11", python_version="3.11.7", tracing="subsegments")
                  for r in fleet([19.9] * 100, [0.5] * 100)]
    today = report.measure(today_rows, "lab, today")
    lines = report.render(reference, replayed, today, CPU)
    text = "\n".join(lines)
    assert lines[-1].startswith("RESULT ext128_p50_ms=39.90 ext1769_p50_ms=1.70 ")
    assert CPU in text and "reference workload 412.3 ms (lab, 2022 config)" in text
    assert "python3.9 (3.9.18), tracing patch_all" in text
    assert "python3.11 (3.11.7), tracing subsegments" in text
    # the 2022 warm table, the lab's beside it, their ratio, and today's
    ext128 = text[text.index(" extension 128 MB"):text.index(" extension 1769 MB")]
    assert "19.52" in ext128 and "79.06" in ext128 and "36.68" in ext128 and "39.95" in ext128
    assert "40.40" in ext128 and "lab / 2022" in ext128 and "0.999×" in ext128 and "19.90" in ext128
    assert "(not in the 2022 run)" in text[text.index(" sdk 128 MB"):]
    cold = text[text.index("Cold misses"):text.index("Why the figures differ")]
    assert "698.00" in cold and "83.40" in cold and "300.00" in cold and "0.430×" in cold
    words = flat(lines)
    assert "two CFS steps (≈40 ms), as in 2022" in words
    assert "emulated in Python" in words and "No network" in words and "not Python" in words
    assert "Missing or failed" not in text


def test_a_p50_off_two_steps_is_said_with_the_measured_figure(reference: report.Reference) -> None:
    replayed = report.measure(fleet([19.87] * 100, [0.51] * 100), "lab, 2022 config")
    text = flat(report.render(reference, replayed, None, CPU))
    assert "The 128 MB extension p50 is 19.87 ms (2022: 39.95 ms): NOT two CFS steps (≈40 ms) but 0.99 " \
           "periods" in text
    assert "Consistent with a hit's CPU cost: less here" in text
    assert "lab, today" not in text


def test_a_p50_off_two_steps_that_cpu_cost_does_not_explain_is_said_so(reference: report.Reference) -> None:
    replayed = report.measure(fleet([19.9] * 100, [2.5] * 100), "lab, 2022 config")
    text = flat(report.render(reference, replayed, None, CPU))
    assert "does not explain this by a hit's CPU cost alone" in text


def test_missing_strategies_and_rows_are_named_not_a_crash(reference: report.Reference) -> None:
    rows = [r for r in fleet([40.0] * 100, [1.6] * 100) if r["strategy"] != "dict"]
    rows.append(row("sdk", 1769, [], None, status="failed", error_types="RetriesExhausted", store="none"))
    replayed = report.measure(rows, "lab, 2022 config")
    lines = report.render(reference, replayed, None, CPU, today_error="terraform apply failed")
    text = "\n".join(lines)
    assert "no warm hits from dict 128 MB" in text and "no cold-start cold miss from dict 1769 MB" in text
    assert "sdk-1769-x86_64-py39-patch_all/none: failed (RetriesExhausted)" in text
    assert "lab, today: not run: terraform apply failed" in text
    assert "dict_ratio=nan" in lines[-1] and "ext128_p50_ms=40.00" in lines[-1]


def test_no_rows_at_all_still_renders(reference: report.Reference) -> None:
    empty = report.measure([], "lab, 2022 config")
    lines = report.render(reference, empty, report.measure([], "lab, today"), CPU)
    assert lines[-1] == ("RESULT ext128_p50_ms=nan ext1769_p50_ms=nan ext_ratio=nan near20=nan "
                         "dict_ratio=nan sdk_miss128_ms=nan sdk_miss1769_ms=nan")
    assert any("was not measured" in line for line in lines)
    assert "no rows" in "\n".join(lines)


@pytest.mark.parametrize(("value", "shown"), [(39.947521, "39.95"), (698.0, "698.00"), (0.51, "0.510"),
                                              (0.000399, "0.000399"), (0.0, "0"), (None, "—"),
                                              (math.nan, "—")])
def test_figures_keep_about_three_significant_digits(value: float | None, shown: str) -> None:
    assert report.fmt(value) == shown


def test_rows_of_another_configuration_are_flagged_not_passed_off_as_2022() -> None:
    rows = [dict(r, runtime="python3.11", python_version="3.11.7", tracing="subsegments")
            for r in fleet([20.0] * 100, [0.5] * 100)]
    measured = report.measure(rows, "lab, 2022 config")
    assert report.configuration_problems(measured, "python3.9", "patch_all") == [
        "rows say runtime python3.11, not python3.9: these are not its figures",
        "rows say tracing subsegments, not patch_all: these are not its figures",
    ]
    right = report.measure(fleet([40.0] * 100, [1.6] * 100), "lab, 2022 config")
    assert report.configuration_problems(right, "python3.9", "patch_all") == []


def test_the_cold_miss_is_the_median_of_the_cold_starts_as_on_the_reference_page() -> None:
    """Issue 21, finding 7: one label, one number — the Reference page's "ours" is the median of the cold
    starts' first fetches (its sketch within 1 %), so the replay's is that median too; warm misses are not."""
    rows = [row("sdk", 128, [1.0], ms, invocation_id=str(ms)) for ms in (100.0, 300.0, 200.0)]
    rows.append(row("sdk", 128, [1.0], 5.0, cold_start=False))
    measured = report.measure(rows, "lab", strategies=("sdk",), memory_sizes=(128,))
    assert measured.cold_miss[("sdk", 128)] == 200.0
    assert measured.cold_starts[("sdk", 128)] == 3
