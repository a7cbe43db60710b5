"""The library versions behind each bar of a comparison (`compare.compare`'s tables). Pure.

A runtime upgrade is not the interpreter alone: each runtime's dependency set installs the newest releases
that install for it (python3.9 probes carry boto3 1.42, requests 2.32, Powertools 3.23; newer runtimes boto3
1.44, requests 2.34, Powertools 3.37). So a bar says which boto3, strategy library and tracing library its
probes ran (their rows record them: `boto3_version`, `library_version`, `tracing_version`, in the digests'
values seen), and a group is "everything else held equal" only when its bars ran the same ones.
"""

from __future__ import annotations

import pandas as pd

from . import compare
from .compare import HELD, OTHER, Dimension
from .digests import DigestFrames

NOT_RECORDED = "not recorded"


def _seen(probes: pd.DataFrame, column: str) -> set[str]:
    if column not in probes:
        return set()
    return {v for cell in probes[column].dropna() for v in str(cell).split("|") if v}


def describe(probes: pd.DataFrame) -> str:
    """ "boto3 1.44.8 · requests 2.34.2" for these probes' buckets (several versions comma-separated), with
    the tracing library where one was loaded (`opentelemetry-sdk 1.45.0`)."""
    boto3 = sorted(_seen(probes, "seen_boto3_version"))
    parts = [f"boto3 {', '.join(boto3)}"] if boto3 else []
    libraries: dict[str, set[str]] = {}
    for text in _seen(probes, "seen_library_version") | _seen(probes, "seen_tracing_version"):
        name, _, version = text.partition("==")
        libraries.setdefault(name, set()).add(version or "?")
    for name, versions in sorted(libraries.items()):
        if name == "boto3" and set(boto3) == versions:
            continue  # sdk and dict: their library is boto3, said once
        parts.append(f"{name} {', '.join(sorted(versions))}")
    return " · ".join(parts) or NOT_RECORDED


def annotate(table: pd.DataFrame, frames: DigestFrames, dimension: Dimension = "runtime") -> pd.DataFrame:
    """`table` (`compare.compare(frames, dimension)`) with `libraries` (what each bar's probes ran) and
    `libraries_equal` (whether every bar of its group ran the same, recorded ones)."""
    out = table.copy()
    if out.empty:
        return out.assign(libraries=pd.Series(dtype=object), libraries_equal=pd.Series(dtype=bool))
    other = OTHER[dimension]
    stores = frames.stores
    keys: dict[tuple, set[str]] = {}
    columns = [*HELD, other, dimension]
    for ident, group in stores.groupby(columns, dropna=False, sort=False):
        keys[tuple(ident)] = set(group["probe_key"].astype(str))
    probes = frames.probes
    texts = []
    for r in out.itertuples(index=False):
        ident = (*(getattr(r, c) for c in HELD), r.held, r.value)
        found = next((k for i, k in keys.items() if _same(i, ident)), set())
        texts.append(describe(probes[probes["probe_key"].isin(found)]))
    out["libraries"] = texts
    group = [*HELD, "held", "metric"]
    distinct = out.groupby(group, dropna=False, sort=False)["libraries"].transform("nunique")
    out["libraries_equal"] = (distinct == 1) & (out["libraries"] != NOT_RECORDED)
    return out


def _same(a: tuple, b: tuple) -> bool:
    return all((pd.isna(x) and pd.isna(y)) or x == y for x, y in zip(a, b, strict=True))


def readable(table: pd.DataFrame, dimension: Dimension) -> pd.DataFrame:
    """`compare.readable` with each row's libraries beside the compared value."""
    out = compare.readable(table, dimension)
    if "libraries" in table:
        at = list(out.columns).index("Samples")
        out.insert(at, "Libraries", table["libraries"].to_numpy())
    return out


def held_equal(table: pd.DataFrame) -> bool | None:
    """Whether every group ran the same libraries on each bar (None: not known, no `libraries_equal`)."""
    if "libraries_equal" not in table or table.empty:
        return None
    return bool(table["libraries_equal"].all())
