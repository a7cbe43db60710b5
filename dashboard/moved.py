"""The Overview's "What moved": per strategy at one tier, now against the previous period, like with like.

Pure. The previous period is as many whole UTC days as the range spans (closed days are whole-day digests,
so "today so far" is set against all of yesterday: no other previous window exists in the digests), and the
change is computed over the probes that measured in both periods (`like.present`): a probe that joined or
stopped is named, never read as a move. Counts say what they count: invocations (each once) and store rows
(one per store an invocation read, one for a failed invocation).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from datastore.vocabulary import STATUSES

from . import like
from .digests import DigestFrames
from .stats import group_summary, in_window


def previous_window(start: pd.Timestamp, end: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period before [start, end) that the digests can give: as many whole UTC days as the range spans
    (closed days are whole-day buckets, so "today so far" is set against all of yesterday)."""
    days = max(1, math.ceil((end - start) / pd.Timedelta(days=1)))
    return start - pd.Timedelta(days=days), start


def headline(frames: DigestFrames, memory_mb: int, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per strategy at one tier: cold-miss and warm-hit p50 in [start, end), and the change since the
    previous period (`previous_window`) like with like: over the probes that measured in both periods
    (`like.present`), so a probe joining or leaving is named (`added`, `removed`), never read as a move.

    Columns: strategy; per metric (`cold`, `warm`): `_p50` (every probe now), `_p50_prev` and `_p50_same`
    (the probes in both periods, then and now), `_change` (`_same` / `_prev` - 1); added, removed (probe
    keys, comma-separated; empty without a previous period); invocations and not_ok (invocations); ok,
    error, failed (store rows: an invocation that read two stores is two rows, a failed one is one).
    """
    columns = ["strategy"]
    for short in ("cold", "warm"):
        columns += [f"{short}_p50", f"{short}_p50_prev", f"{short}_p50_same", f"{short}_change"]
    columns += ["added", "removed", "invocations", "not_ok", *STATUSES]
    tier = frames.where(frames.probes["memory_mb"] == memory_mb, frames.stores["memory_mb"] == memory_mb)
    if tier.stores.empty:
        return pd.DataFrame(columns=columns)
    prev_start, prev_end = previous_window(start, end)
    now, prev = in_window(tier, start, end), in_window(tier, prev_start, prev_end)
    parts: dict[str, pd.Series] = {}
    for metric, short in (("cold_miss", "cold"), ("warm_hit", "warm")):
        table = group_summary(now, ["strategy"], metric, (50.0,)).set_index("strategy")
        parts[f"{short}_p50"] = table["p50"]
        if metric == "cold_miss":
            parts.update({status: table[status] for status in STATUSES})
        both = like.present(now.stores, prev.stores, metric)
        for name, part in ((f"{short}_p50_prev", prev), (f"{short}_p50_same", now)):
            same = part.stores_where(part.stores["probe_key"].isin(both))
            parts[name] = group_summary(same, ["strategy"], metric, (50.0,)).set_index("strategy")["p50"]
    counts = now.probes.groupby("strategy")[["invocations", "not_ok"]].sum()
    parts.update({"invocations": counts["invocations"], "not_ok": counts["not_ok"]})
    out = pd.DataFrame(parts).reindex(sorted(tier.stores["strategy"].unique()))
    for short in ("cold", "warm"):
        prev_p50, same = out[f"{short}_p50_prev"], out[f"{short}_p50_same"]
        out[f"{short}_change"] = np.where(prev_p50 > 0, same / prev_p50.where(prev_p50 > 0, 1.0) - 1, np.nan)
    keys_now = now.probes.groupby("strategy")["probe_key"].agg(set)
    keys_prev = prev.probes.groupby("strategy")["probe_key"].agg(set)
    had_prev = not prev.probes.empty
    out["added"] = [
        ", ".join(sorted(keys_now.get(s, set()) - keys_prev.get(s, set()))) if had_prev else ""
        for s in out.index
    ]
    out["removed"] = [
        ", ".join(sorted(keys_prev.get(s, set()) - keys_now.get(s, set()))) if had_prev else ""
        for s in out.index
    ]
    out = out.rename_axis("strategy").reset_index()
    for status in (*STATUSES, "invocations", "not_ok"):
        out[status] = out[status].fillna(0).astype(int)
    return out.astype(object).where(out.notna(), None)[columns]


def previous_note(
    head: pd.DataFrame,
    range_label: str,
    prev_start: pd.Timestamp,
    prev_end: pd.Timestamp,
    first_loaded: object,
    load_days: int,
) -> str:
    """What "What moved" compares with, or why it cannot: the previous period in whole days (closed days are
    whole-day digests), over the probes present in both periods; what the counts count."""
    days = int((prev_end - prev_start) / pd.Timedelta(days=1))
    today = range_label.lower().startswith("today")
    if days == 1:
        period = f"yesterday, the whole day ({prev_start:%Y-%m-%d})"
    else:
        period = (
            f"the previous {days} days ({prev_start:%Y-%m-%d} to {prev_end - pd.Timedelta(days=1):%Y-%m-%d})"
        )
    why_whole = (
        " (closed days are kept as whole-day digests, so yesterday's same hours are not available)"
        if today
        else ""
    )
    loaded_from = pd.Timestamp(str(first_loaded), tz="UTC")
    window = f"the {load_days} days loaded (OBSERVATORY_DASHBOARD_DAYS)"
    compared = len(head) and any(
        head[column].notna().any() for column in ("cold_p50_prev", "warm_p50_prev") if column in head
    )
    if not compared:
        why = (
            f"it lies before {window}"
            if prev_end <= loaded_from
            else "no probe in view measured in both periods (none ran then, or each one joined since)"
        )
        text = f"p50 per strategy. Nothing to compare with in {period}{why_whole}: {why}."
    else:
        partly = f", from {loaded_from:%Y-%m-%d} on only ({window})" if prev_start < loaded_from else ""
        so_far = "today so far " if today else ""
        text = (
            f"p50 per strategy (every probe in view); the change is {so_far}against {period}{partly}"
            f"{why_whole}, over the probes that measured in both periods: a probe that joined or stopped is "
            "named, never counted as a move. Lower is better."
        )
    return text + (
        " Invocations count each invocation once; store rows count one row per store an invocation read "
        "(two when it read both stores) and one for a failed invocation."
    )
