"""The 2022 replay's comparison, from rows: the 2022 run's tables beside the lab's, the gaps explained, and
the machine-readable RESULT line. Pure: rows, the reference and the host come in; text goes out.

Every figure is shown as measured. Nothing here scales, shifts or otherwise corrects a lab figure towards the
2022 one; the only CPU parameters used to explain a gap are the ones Lambda documents (a 20 ms period,
memory/1,769 of one vCPU).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lab.runtime.cgroups import CFS_PERIOD_MS, MB_PER_VCPU

STORE = "secretsmanager"  # the only store the 2022 run measured
STRATEGIES = ("extension", "sdk", "dict")
MEMORY_SIZES = (128, 1769)
NEAR_WINDOW_MS = 2.0  # near20: within ±2 ms of k × the period, k ≥ 1
TWO_STEPS_WINDOW_MS = 2.0 * NEAR_WINDOW_MS  # "lands on two CFS steps": p50 within ±4 ms of 2 × the period
RESULT_KEYS = ("ext128_p50_ms", "ext1769_p50_ms", "ext_ratio", "near20", "dict_ratio", "sdk_miss128_ms",
               "sdk_miss1769_ms")
NOT_RECORDED = "not recorded"

Key = tuple[str, int]  # (strategy, memory_mb)


class ReferenceError(ValueError):
    """The 2022 reference data does not have the shape the replay reads."""


@dataclass(frozen=True)
class WarmFigures:
    """The 2022 table's warm-hit columns (ms); median and p90 by linear interpolation, as numpy's default."""

    n: int
    min: float
    max: float
    mean: float
    median: float
    p90: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> WarmFigures | None:
        """The figures of a series of hits; None for no hits."""
        if not samples:
            return None
        ordered = sorted(samples)
        return cls(len(ordered), ordered[0], ordered[-1], math.fsum(ordered) / len(ordered),
                   percentile(ordered, 50), percentile(ordered, 90))


@dataclass(frozen=True)
class Reference:
    """The 2022 run (docs/reference/seed-2022-measurements.json): warm hits, cold misses, its environment."""

    warm: dict[Key, WarmFigures]
    cold_miss: dict[Key, float]
    environment: dict[str, str]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reference:
        """From the reference file's parsed JSON; ReferenceError if a table is missing or malformed."""
        try:
            warm = {(r["strategy"], int(r["memory_mb"])): WarmFigures(
                int(r["n"]), float(r["min"]), float(r["max"]), float(r["mean"]), float(r["median"]),
                float(r["p90"])) for r in data["warm_hit_ms"]}
            cold = {(r["strategy"], int(r["memory_mb"])): float(r["ms"]) for r in data["cold_miss_ms"]}
            environment = {str(k): str(v) for k, v in dict(data.get("environment", {})).items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise ReferenceError(f"the 2022 reference data is not as expected: {type(exc).__name__}: {exc}") \
                from exc
        return cls(warm, cold, environment)


@dataclass
class Measured:
    """One lab configuration's figures, gathered from its rows (Secrets Manager, status ok)."""

    label: str
    warm: dict[Key, list[float]] = field(default_factory=dict)
    cold_miss: dict[Key, float] = field(default_factory=dict)  # the median of the cold starts' cold misses
    cold_starts: dict[Key, int] = field(default_factory=dict)  # how many there were
    runtimes: list[str] = field(default_factory=list)  # "python3.9 (3.9.18)"
    tracing: list[str] = field(default_factory=list)
    host_cpu: list[str] = field(default_factory=list)
    host_ref_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what is missing or failed, said plainly

    def p50(self, strategy: str, memory_mb: int) -> float:
        figures = WarmFigures.of(self.warm.get((strategy, memory_mb), []))
        return figures.median if figures else math.nan


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of a sorted, non-empty series by linear interpolation (numpy's default,
    the probe's `functions/probe/stats.py` definition)."""
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def near_period_share(samples: Sequence[float], period_ms: float = CFS_PERIOD_MS,
                      window_ms: float = NEAR_WINDOW_MS) -> float:
    """Share of hits within ±window of k·period for a whole k ≥ 1 — hits that waited for a later CFS period
    (a hit well under the window, which fitted in the current slice, is not one); NaN for no hits."""
    if not samples:
        return math.nan
    near = sum(1 for v in samples if abs(v - max(1, round(v / period_ms)) * period_ms) <= window_ms)
    return near / len(samples)


def _number(value: Any) -> float | None:
    """A finite float from a row cell (None, NaN, pandas NA → None)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def measure(rows: Iterable[Mapping[str, Any]], label: str,
            strategies: Sequence[str] = STRATEGIES, memory_sizes: Sequence[int] = MEMORY_SIZES) -> Measured:
    """Gather one configuration's rows (table rows as mappings: contract §4 columns) into figures.

    Warm hits: every sample of the ok Secrets Manager rows per strategy × memory. Cold miss: the median of the
    first fetches of ok rows taken in a cold start (the 2022 figure was a fresh environment's first fetch; the
    dashboard's Reference page shows the same median under the same label); a warm environment's cold miss is
    not one. Rows that are not ok, and strategy × memory pairs without figures, become `problems`.
    """
    out = Measured(label)
    cold: dict[Key, list[float]] = {}
    for row in rows:
        key = (str(row.get("strategy")), int(_number(row.get("memory_mb")) or 0))
        if key[0] not in strategies or key[1] not in memory_sizes:
            continue
        if row.get("status") != "ok":
            out.problems.append(f"{row.get('probe_key')}/{row.get('store')}: {row.get('status')} "
                                f"({row.get('error_types') or 'no error type'})")
            continue
        if row.get("store") != STORE:
            continue
        out.warm.setdefault(key, []).extend(float(v) for v in (row.get("warm_ms") or []))
        miss = _number(row.get("cold_miss_ms"))
        if row.get("cold_start") is True and miss is not None:
            cold.setdefault(key, []).append(miss)
        runtime = _text(row.get("runtime")) or "?"
        version = _text(row.get("python_version"))
        _add(out.runtimes, f"{runtime} ({version})" if version else runtime)
        _add(out.tracing, _text(row.get("tracing")) or NOT_RECORDED)
        if cpu := _text(row.get("host_cpu")):
            _add(out.host_cpu, cpu)
        if (ref := _number(row.get("host_ref_ms"))) is not None:
            _add(out.host_ref_ms, ref)
    for key, misses in cold.items():
        out.cold_miss[key] = percentile(sorted(misses), 50)
        out.cold_starts[key] = len(misses)
    for strategy in strategies:
        for memory in memory_sizes:
            if not out.warm.get((strategy, memory)):
                out.problems.append(f"no warm hits from {strategy} {memory} MB")
            if (strategy, memory) not in out.cold_miss:
                out.problems.append(f"no cold-start cold miss from {strategy} {memory} MB")
    return out


def configuration_problems(measured: Measured, runtime: str, tracing: str) -> list[str]:
    """What the rows say ran, where it is not the configuration asked for (a variable Terraform ignored, an
    older lab): figures of another configuration must not pass for it."""
    problems = []
    ran = sorted({text.split(" ")[0] for text in measured.runtimes})
    if ran and ran != [runtime]:
        problems.append(f"rows say runtime {', '.join(ran)}, not {runtime}: these are not its figures")
    if measured.tracing and measured.tracing != [tracing]:
        problems.append(f"rows say tracing {', '.join(measured.tracing)}, not {tracing}: these are not its "
                        "figures")
    return problems


def _add(values: list[Any], value: Any) -> None:
    if value not in values:
        values.append(value)


def _ratio(numerator: float, denominator: float) -> float:
    if not (math.isfinite(numerator) and math.isfinite(denominator)) or denominator == 0:
        return math.nan
    return numerator / denominator


def result_figures(replayed: Measured) -> dict[str, float]:
    """The RESULT line's figures, from the 2022-configuration probes (NaN where a figure is missing)."""
    ext128, ext1769 = replayed.p50("extension", 128), replayed.p50("extension", 1769)
    return {
        "ext128_p50_ms": ext128,
        "ext1769_p50_ms": ext1769,
        "ext_ratio": _ratio(ext128, ext1769),
        "near20": near_period_share(replayed.warm.get(("extension", 128), [])),
        "dict_ratio": _ratio(replayed.p50("dict", 128), replayed.p50("dict", 1769)),
        "sdk_miss128_ms": replayed.cold_miss.get(("sdk", 128), math.nan),
        "sdk_miss1769_ms": replayed.cold_miss.get(("sdk", 1769), math.nan),
    }


def result_line(figures: Mapping[str, float]) -> str:
    """`RESULT key=value …` in RESULT_KEYS order; two decimals, `nan` for a figure that was not measured."""
    return "RESULT " + " ".join(f"{key}={_plain(figures.get(key, math.nan))}" for key in RESULT_KEYS)


def _plain(value: float) -> str:
    return f"{value:.2f}" if math.isfinite(value) else "nan"


def fmt(value: float | None) -> str:
    """A figure with about three significant digits (at least two decimals); `—` when there is none."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    decimals = max(2, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


WARM_COLUMNS = ("n", "min", "max", "mean", "median", "p90")
LABEL_WIDTH = 20
ROW_LABEL_WIDTH = 18
WRAP_WIDTH = 108
COLD_WIDTH = 15


def _describe(measured: Measured) -> str:
    """What the rows say they ran: runtime (interpreter version) and tracing."""
    if not measured.runtimes:
        return "no rows"
    return f"{', '.join(measured.runtimes)}, tracing {', '.join(measured.tracing)}"


def _host(host_cpu: str, configurations: Sequence[Measured]) -> str:
    """The CPU model, and what the lab's reference workload took when each configuration's lab started."""
    refs = [f"{v:.1f} ms ({m.label})" for m in configurations for v in m.host_ref_ms]
    return host_cpu + (f"; reference workload {', '.join(refs)}, lower is faster" if refs else "")


def header(reference: Reference, replayed: Measured, today: Measured | None, host_cpu: str,
           period_ms: float) -> list[str]:
    """Which three configurations stand side by side, and on what host."""
    env = reference.environment
    quota = period_ms * 128 / MB_PER_VCPU
    lines = [
        "The 2022 run, replayed — Secrets Manager, x86_64, one cold miss and 100 warm hits per probe",
        f"  {'2022':<{LABEL_WIDTH}}Lambda {env.get('region', '?')}, {env.get('runtime', '?')}, "
        f"{env.get('http_client', '?')}, {env.get('tracing', '?')} (measured {env.get('measured_at', '?')})",
        f"  {'lab, 2022 config':<{LABEL_WIDTH}}{_describe(replayed)}",
    ]
    if today is not None:
        lines.append(f"  {'lab, today':<{LABEL_WIDTH}}{_describe(today)}")
    configurations = [replayed] if today is None else [replayed, today]
    lines.append(f"  {'this machine':<{LABEL_WIDTH}}{_host(host_cpu, configurations)}")
    lines.append(f"  {'CPU limits':<{LABEL_WIDTH}}Lambda's: a {period_ms:g} ms CFS period, memory/"
                 f"{MB_PER_VCPU:,} of one vCPU (128 MB: {quota:.2f} ms per period)")
    return lines


def _warm_cells(figures: WarmFigures | None) -> list[str]:
    if figures is None:
        return ["—"] * len(WARM_COLUMNS)
    return [str(figures.n), *(fmt(getattr(figures, c)) for c in WARM_COLUMNS[1:])]


def _line(label: str, cells: Sequence[str], width: int = 10) -> str:
    return f"  {label:<{ROW_LABEL_WIDTH}}" + "".join(f"{cell:>{width}}" for cell in cells)


def warm_table(reference: Reference, replayed: Measured, today: Measured | None) -> list[str]:
    """Warm hits per strategy × memory: 2022, the lab in the 2022 configuration, lab/2022, today's."""
    lines = ["Warm hits (ms)", _line("", WARM_COLUMNS)]
    for strategy in STRATEGIES:
        for memory in MEMORY_SIZES:
            key = (strategy, memory)
            ref = reference.warm.get(key)
            lab = WarmFigures.of(replayed.warm.get(key, []))
            lines.append(f" {strategy} {memory} MB")
            lines.append(_line("2022", _warm_cells(ref)) if ref else _line("2022", ["(not in the 2022 run)"]))
            lines.append(_line("lab, 2022 config", _warm_cells(lab)))
            if ref and lab:
                ratios = [_ratio(getattr(lab, c), getattr(ref, c)) for c in WARM_COLUMNS[1:]]
                lines.append(_line("lab / 2022", ["", *(f"{fmt(r)}×" if math.isfinite(r) else "—"
                                                         for r in ratios)]))
            if today is not None:
                lines.append(_line("lab, today", _warm_cells(WarmFigures.of(today.warm.get(key, [])))))
    return lines


def cold_table(reference: Reference, replayed: Measured, today: Measured | None) -> list[str]:
    """Cold misses (a fresh environment's first fetch) beside the 2022 run's."""
    columns = ["2022", "lab, 2022 cfg", "lab / 2022", *(["lab, today"] if today is not None else [])]
    lines = ["Cold misses (ms): the first fetch in a fresh execution environment (a cold start; the median "
             "when the lab had several)",
             _line("", columns, COLD_WIDTH)]
    for strategy in STRATEGIES:
        for memory in MEMORY_SIZES:
            key = (strategy, memory)
            ref = reference.cold_miss.get(key)
            lab = replayed.cold_miss.get(key)
            ratio = _ratio(lab, ref) if lab is not None and ref is not None else math.nan
            cells = [fmt(ref), fmt(lab), f"{fmt(ratio)}×" if math.isfinite(ratio) else "—"]
            if today is not None:
                cells.append(fmt(today.cold_miss.get(key)))
            lines.append(_line(f"{strategy} {memory} MB", cells, COLD_WIDTH))
    return lines


def explanation(reference: Reference, replayed: Measured, today: Measured | None, host_cpu: str,
                period_ms: float) -> list[str]:
    """The gaps between the lab and 2022, each with the measured figure it rests on (wrapped bullets)."""
    quota = period_ms * 128 / MB_PER_VCPU
    ext128, ext1769 = replayed.p50("extension", 128), replayed.p50("extension", 1769)
    ref128, ref1769 = reference.warm.get(("extension", 128)), reference.warm.get(("extension", 1769))
    host_ref = (f"; the lab's reference workload took {replayed.host_ref_ms[0]:.1f} ms on it (context only: "
                "no figure is scaled by it)") if replayed.host_ref_ms else ""
    bullets = [
        "The extension is emulated in Python (lab/extension/); the real Parameters and Secrets extension "
        "is a native executable, not Python. Its side of every hit costs the lab more CPU than it cost "
        "Lambda.",
        "No network: the lab's Secrets Manager is a local endpoint on loopback (TLS, but no network round "
        f"trip and no AWS service time). The 2022 cold misses went to Secrets Manager in "
        f"{reference.environment.get('region', 'AWS')}; the lab's measure the client, the emulator and a "
        "loopback handshake.",
        f"Host speed: this machine is {host_cpu}{host_ref}. The 2022 host was Lambda's own x86_64 CPU "
        "(model not recorded).",
    ]
    if math.isfinite(ext1769) and ref1769 is not None:
        bullets.append(
            f"A hit's CPU cost: the extension's 1,769 MB p50 (a whole vCPU) is {fmt(ext1769)} ms in the "
            f"lab's 2022 configuration against {fmt(ref1769.median)} ms in 2022 "
            f"({fmt(ext1769 / ref1769.median)}×). At 128 MB the quota is {quota:.2f} ms per {period_ms:g} ms "
            "period: a hit whose work fits in one slice waits for about one period boundary, one that needs "
            "more waits for two or more.")
    if not math.isfinite(ext128):
        bullets.append("The 128 MB extension p50 was not measured: nothing can be said about its CFS steps.")
    else:
        ref_text = f" (2022: {fmt(ref128.median)} ms)" if ref128 is not None else ""
        share = near_period_share(replayed.warm.get(("extension", 128), []), period_ms)
        near = f"; {fmt_share(share)} of its hits lie within ±{NEAR_WINDOW_MS:g} ms of k × {period_ms:g} ms"
        if abs(ext128 - 2 * period_ms) <= TWO_STEPS_WINDOW_MS:
            bullets.append(f"The 128 MB extension p50 is {fmt(ext128)} ms{ref_text}: two CFS steps "
                           f"(≈{2 * period_ms:g} ms), as in 2022{near}.")
        else:
            bullets.append(f"The 128 MB extension p50 is {fmt(ext128)} ms{ref_text}: NOT two CFS steps "
                           f"(≈{2 * period_ms:g} ms) but {ext128 / period_ms:.2f} periods{near}. Shown as "
                           f"measured. {_steps_gap(ext128 / period_ms, ext1769, ref1769)}")
    if today is not None:
        now128, now1769 = today.p50("extension", 128), today.p50("extension", 1769)
        bullets.append(f"Today's defaults ({_describe(today)}): extension p50 {fmt(now128)} ms at 128 MB "
                       f"and {fmt(now1769)} ms at 1,769 MB, against {fmt(ext128)} / {fmt(ext1769)} ms in the "
                       "2022 configuration: what the interpreter, the tracing and the libraries change on "
                       "one host.")
    lines = ["Why the figures differ (measured, never corrected)"]
    for bullet in bullets:
        lines += textwrap.wrap(bullet, WRAP_WIDTH, initial_indent="  - ", subsequent_indent="    ")
    return lines


def _steps_gap(periods: float, lab1769: float, ref1769: WarmFigures | None) -> str:
    """Whether the measured 1,769 MB p50 accounts for a 128 MB p50 off two steps, or does not."""
    if not math.isfinite(lab1769) or ref1769 is None:
        return "The 1,769 MB p50 that would show a hit's CPU cost was not measured."
    cheaper = lab1769 < ref1769.median
    if (periods < 2) == cheaper:
        return (f"Consistent with a hit's CPU cost: {'less' if cheaper else 'more'} here than on Lambda in "
                f"2022 (1,769 MB p50 {fmt(lab1769)} against {fmt(ref1769.median)} ms), so it spans "
                f"{'fewer' if cheaper else 'more'} slices.")
    return (f"The 1,769 MB p50 ({fmt(lab1769)} against {fmt(ref1769.median)} ms in 2022) does not explain "
            "this by a hit's CPU cost alone; this replay does not separate the other causes (the emulator's "
            "threads, this host's scheduler).")


def fmt_share(share: float) -> str:
    """A share as a whole percentage; `—` when there were no hits."""
    return f"{share:.0%}" if math.isfinite(share) else "—"


def render(reference: Reference, replayed: Measured, today: Measured | None, host_cpu: str,
           period_ms: float = CFS_PERIOD_MS, today_error: str | None = None) -> list[str]:
    """The whole replay report, ending with the RESULT line (figures of the 2022-configuration probes)."""
    lines = header(reference, replayed, today, host_cpu, period_ms)
    lines += ["", *warm_table(reference, replayed, today), "", *cold_table(reference, replayed, today), ""]
    lines += explanation(reference, replayed, today, host_cpu, period_ms)
    missing = [(replayed.label, p) for p in replayed.problems]
    missing += [(today.label, p) for p in today.problems] if today is not None else []
    if today_error:
        missing.append(("lab, today", f"not run: {today_error}"))
    if missing:
        lines += ["", "Not as asked, missing or failed (a figure not measured is — above, nan in RESULT):"]
        lines += [f"  - {label}: {problem}" for label, problem in missing]
    lines += ["", result_line(result_figures(replayed))]
    return lines
