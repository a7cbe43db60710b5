"""Test frames shaped exactly as contract §4 (`datastore.reads.read_rows`), built by hand for pure tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from datastore.schema import COLUMNS

CONTRACT_COLUMNS = list(COLUMNS)  # the columns read_rows returns, from their one owner
DEFAULT_RUNTIME = "python3.11"


def row(
    ts: str,
    strategy: str = "extension",
    memory_mb: int = 128,
    store: str = "secretsmanager",
    cold_miss_ms: float | None = 50.0,
    warm_ms: list[float] | None = None,
    status: str = "ok",
    invocation_id: str | None = None,
    architecture: str = "x86_64",
    runtime: str | None = DEFAULT_RUNTIME,
    tracing: str = "subsegments",
    host_cpu: str | None = None,
    host_ref_ms: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One row as the collector would return it (probe key as Terraform makes it: `-py39` when the runtime
    is not the environment's, `-patch_all` when tracing is not `subsegments`)."""
    warm = [] if warm_ms is None else list(warm_ms)
    s = pd.Series(warm, dtype=float)
    probe_key = f"{strategy}-{memory_mb}-{architecture}"
    if runtime and runtime != DEFAULT_RUNTIME:
        probe_key += "-py" + runtime.removeprefix("python").replace(".", "")
    if tracing != "subsegments":
        probe_key += f"-{tracing}"
    base: dict[str, Any] = {
        "ts": pd.Timestamp(ts, tz="UTC"),
        "probe_key": probe_key,
        "invocation_id": invocation_id or f"{probe_key}-{ts}",
        "strategy": strategy,
        "store": store,
        "memory_mb": memory_mb,
        "architecture": architecture,
        "runtime": runtime,
        "tracing": tracing,
        "host_cpu": host_cpu,
        "host_ref_ms": host_ref_ms,
        "region": "us-east-1",
        "environment": "lab",
        "cpu_emulation": "cgroup-v2",
        "extension_layer": "arn:aws:lambda:us-east-1:123456789012:layer:ext:1"
        if strategy == "extension"
        else None,
        "status": status,
        "error_types": "" if status == "ok" else "Timeout",
        "error_phase": None if status == "ok" else "warm_hit",
        "cold_start": False,
        "cold_cause": None,
        "client_init_ms": 10.0,
        "ready_wait_ms": 0.0,
        "cold_miss_ms": cold_miss_ms,
        # as the probe records a guaranteed miss now (older rows have none: `datastore.misses` judges them)
        "miss_guarantee": {"extension": "ttl_elapsed", "sdk": "no_cache"}.get(strategy, "forced"),
        "warm_n": len(warm),
        "warm_min_ms": s.min() if warm else None,
        "warm_p50_ms": s.quantile(0.5) if warm else None,
        "warm_p90_ms": s.quantile(0.9) if warm else None,
        "warm_p99_ms": s.quantile(0.99) if warm else None,
        "warm_max_ms": s.max() if warm else None,
        "warm_mean_ms": s.mean() if warm else None,
        "warm_ms": warm,
        "cpu_time_ms": 5.0,
        "throttled_periods": 30,  # a lab row with a CPU quota; AWS rows have null (not measured)
        "total_periods": 40,
        "api_calls": None if strategy == "extension" else (1 + len(warm) if strategy == "sdk" else 1),
        "value_sha256": "ab" * 32,
    }
    base.update(extra)
    return base


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A DataFrame with the contract's columns and dtypes."""
    df = pd.DataFrame.from_records(rows, columns=CONTRACT_COLUMNS)
    df["ts"] = pd.to_datetime(df["ts"], utc=True).astype("datetime64[ns, UTC]")
    df["memory_mb"] = df["memory_mb"].astype(int)
    df["warm_n"] = df["warm_n"].astype(int)
    df["cold_start"] = df["cold_start"].astype(bool)
    df["api_calls"] = df["api_calls"].astype("Int64")
    for col in (
        "cold_miss_ms",
        "init_ms",
        "warm_min_ms",
        "warm_p50_ms",
        "warm_p90_ms",
        "warm_p99_ms",
        "warm_max_ms",
        "warm_mean_ms",
        "client_init_ms",
        "ready_wait_ms",
        "cpu_time_ms",
        "host_ref_ms",
        "first_hit_ms",
        "cache_age_ms",
    ):
        df[col] = df[col].astype(float)
    return df


def digests_of(df: pd.DataFrame, bucket: str = "hour") -> Any:
    """The rows of `df` as the dashboard works from them: digested (per hour by default), as frames."""
    from dashboard.digests import wires_to_frames
    from datastore.digesting import digest_rows

    records = df.to_dict("records")
    wires = [d.to_wire() for d in digest_rows(records, bucket)]  # type: ignore[arg-type]
    return wires_to_frames(wires)
