"""The Streamlit side shared by every page: load once, sidebar filters, the filtered view, states.

The entry script calls `prepare()` before running the chosen page; pages call `view()` and only compose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from . import data, health, labels, stats
from .config import ConfigError, Settings, load_settings
from .digests import DigestFrames

VIEW_KEY = "slo_view"
TIME_RANGES = {  # whole UTC days, today included: closed days come from their daily digests
    "Today (UTC)": 1,
    "Last 7 days": 7,
    "Last 30 days": 30,
    "Last 90 days": 90,
}
DEFAULT_RANGE = "Last 7 days"
FILTERS: tuple[tuple[str, str, Any], ...] = (
    ("environment", "Environment", lambda v: labels.ENVIRONMENT.get(v, v)),
    ("region", "Region", str),
    ("store", "Store", labels.store),
    ("strategy", "Strategy", labels.strategy),
    ("memory_mb", "Memory tier", labels.tier),
    ("architecture", "Architecture", lambda v: labels.ARCHITECTURE.get(v, v)),
    ("runtime", "Runtime", str),
    ("tracing", "Tracing", labels.tracing),
)
FILTER_ORDER: dict[str, Any] = {
    "runtime": labels.runtime_order,
    "tracing": lambda v: (list(labels.TRACING).index(v) if v in labels.TRACING else len(labels.TRACING), v),
}
EMPTY_HINT = (
    "The lab's first round lands in about a minute after `make up` starts it; on AWS the first scheduled "
    "run lands within the schedule interval (15 minutes by default) after `make deploy`."
)


@dataclass(frozen=True)
class View:
    """What every page works from: the loaded digests, the filtered ones, and the choices that made them."""

    settings: Settings
    loaded: data.Loaded
    dims: DigestFrames  # dimension filters applied, every loaded day
    frame: DigestFrames  # dimension filters and the time range applied
    start: pd.Timestamp
    end: pd.Timestamp
    range_label: str
    interval: health.Interval  # the probes' schedule: given in the settings, or inferred (and said so)
    picked: dict[str, list[Any]]  # the sidebar's choices (Runs filters its rows with them)

    @property
    def window(self) -> str:
        """The time range as a label's tail reads it: "last 7 days", "today (UTC)"."""
        return self.range_label[:1].lower() + self.range_label[1:]


def _settings() -> Settings | None:
    try:
        return load_settings()
    except ConfigError as exc:
        st.error(f"The dashboard's configuration is not usable: {exc}")
        return None


def show_load_error(err: data.DataLoadError) -> None:
    """A clear message and what to do; the details stay out of sight (no traceback)."""
    st.error(f"**No data: {err.message}**\n\n{err.hint}")


def dimension_mask(frame: pd.DataFrame, picked: dict[str, list[Any]]) -> pd.Series:
    """Rows (of digests or of the table) that match the sidebar's choices.

    A failed invocation may not know its environment or region and belongs to no store: such rows are kept,
    so a filter never hides a failure.
    """
    mask = pd.Series(True, index=frame.index)
    for column, chosen in picked.items():
        if not chosen or column not in frame:
            continue
        keep = frame[column].isin(chosen) | frame[column].isna()
        if column == "store":
            keep |= frame["store"] == "none"
        mask &= keep
    return mask


def _sidebar(settings: Settings, loaded: data.Loaded) -> tuple[dict[str, list[Any]], str]:
    """Render the shared filters; return the choices and the time range."""
    stores = loaded.frames.stores
    sb = st.sidebar
    ranges = [name for name, days in TIME_RANGES.items() if days <= settings.load_days]
    choice = sb.selectbox(
        "Time range",
        ranges,
        index=ranges.index(DEFAULT_RANGE) if DEFAULT_RANGE in ranges else len(ranges) - 1,
        key="f_time_range",
    )
    picked: dict[str, list[Any]] = {}
    for column, title, fmt in FILTERS:
        options = sorted(
            (v for v in stores[column].dropna().unique() if not (column == "store" and v == "none")),
            key=FILTER_ORDER.get(column, lambda v: v),
        )
        picked[column] = sb.multiselect(
            title, options, default=[], format_func=fmt, key=f"f_{column}", placeholder="All"
        )
    loaded_at = loaded.loaded_at.strftime("%H:%M:%S UTC")
    with_rows = stores["bucket"].dt.date.unique() if len(stores) else []
    from_rows = labels.rows_read_note(loaded.row_days, with_rows, loaded.rows_read)
    sb.caption(
        f"{settings.load_days} days from {settings.where}: {loaded.digested_days} closed days from their "
        f"daily digests, {loaded.digested_hours} hours from hourly digests, {from_rows}; loaded at "
        f"{loaded_at}. "
        f"Today is re-read every {settings.cache_ttl_seconds} s. Filters never query again."
    )
    if sb.button("Reload now", key="reload"):
        data.clear_cache(settings)
        st.rerun()
    return picked, str(choice)


def _filtered(frames: DigestFrames, picked: dict[str, list[Any]]) -> DigestFrames:
    probe_picks = {k: v for k, v in picked.items() if k != "store"}
    return frames.where(dimension_mask(frames.probes, probe_picks), dimension_mask(frames.stores, picked))


def prepare() -> View | None:
    """Load (cached), draw the sidebar, store the view for the page; None when there is nothing to show.

    Every state a person meets is said here once: a bad setting, an unreachable endpoint or missing
    credentials, an empty table, filters that match nothing.
    """
    settings = _settings()
    if settings is None:
        return None
    try:
        loaded = data.load(settings)
    except data.DataLoadError as err:
        show_load_error(err)
        return None
    if loaded.frames.empty:
        st.info(
            f"**No rows yet** in {settings.where} for the last {settings.load_days} days.\n\n{EMPTY_HINT}"
        )
        return None
    picked, range_label = _sidebar(settings, loaded)
    dims = _filtered(loaded.frames, picked)
    end = pd.Timestamp(loaded.end)
    start = end.floor("1D") - pd.Timedelta(days=TIME_RANGES[range_label] - 1)
    in_range = stats.in_window(dims, start, end + pd.Timedelta(seconds=1))
    if dims.empty:
        st.warning("No rows match the sidebar filters. Clear a filter to see more.")
        return None
    if in_range.empty:
        latest = dims.probes["last_ts"].max().strftime("%Y-%m-%d %H:%M UTC")
        st.warning(
            f"No rows in the {range_label.lower()}; the latest matching row is from {latest}. "
            "Choose a longer time range."
        )
        return None
    interval = health.schedule_interval(settings.schedule_seconds, dims.probes)
    view = View(settings, loaded, dims, in_range, start, end, range_label, interval, picked)
    st.session_state[VIEW_KEY] = view
    return view


def view() -> View:
    """The view `prepare()` stored for this run (pages call this)."""
    current = st.session_state.get(VIEW_KEY)
    if not isinstance(current, View):
        st.stop()
    return current


def fmt_ms(value: float | None) -> str:
    """A latency for people: µs below 1 ms, ms otherwise; an em dash when unknown."""
    return labels.fmt_ms(value)


def human_columns(frame: pd.DataFrame, extra: dict[str, str] | None = None) -> pd.DataFrame:
    """The frame with column names a user reads and the strategy / store values spelled out."""
    out = frame.copy()
    if "strategy" in out:
        out["strategy"] = out["strategy"].map(labels.strategy)
    if "store" in out:
        out["store"] = out["store"].map(labels.store)
    if "tracing" in out:
        out["tracing"] = out["tracing"].map(labels.tracing)
    names = {**labels.COLUMNS, **(extra or {})}
    return out.rename(columns={c: names.get(c, c) for c in out.columns})


def rows_csv(frame: pd.DataFrame) -> str:
    """Rows as CSV with the contract's column names; each row's warm samples space-separated in one cell."""
    samples = frame["warm_ms"].map(lambda xs: " ".join(f"{x:g}" for x in xs))
    return frame.assign(warm_ms=samples).to_csv(index=False)


def now_utc() -> pd.Timestamp:
    """The current time (UTC), for ages."""
    return pd.Timestamp(datetime.now(UTC))
