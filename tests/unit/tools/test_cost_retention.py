"""tools.cost at steady state: a store whose items live N days holds N / 30.4 months of them, also beyond a
month; and every alarm the module creates is priced."""

from __future__ import annotations

from typing import Any

import pytest

from tools import cost


def fleet_inputs(retention_days: int = 90, log_retention_days: int = 14) -> dict[str, Any]:
    probes = {
        f"{s}-{m}-x86_64": {"strategy": s, "memory_mb": m, "architecture": "x86_64"}
        for s in ("extension", "sdk", "dict", "caching_lib", "powertools")
        for m in (128, 1769)
    }
    return {
        "probes": probes,
        "schedule_interval_s": 900,
        "schedule_window_s": 300,
        "alarms": 3 + len(probes),
        "warm_samples": 100,
        "sdk_warm_samples": 10,
        "retention_days": retention_days,
        "log_retention_days": log_retention_days,
        "collector_memory_mb": 256,
        "collector_architecture": "x86_64",
        "secrets": 1,
        "standard_parameters": 2,
        "region": "us-east-1",
    }


def line(inputs: dict[str, Any], service: str, words: str) -> cost.Line:
    lines = cost.estimate(inputs, cost.load_json(cost.PRICES_PATH), cost.load_json(cost.SEED_PATH))
    return next(item for item in lines if item.service == service and words in item.item)


@pytest.mark.parametrize("days", [7, 30, 90, 365, 3650])
def test_table_storage_is_retention_over_30_4_months_of_rows(days: int) -> None:
    month = line(fleet_inputs(retention_days=30), "DynamoDB", "storage").quantity * cost.DAYS_PER_MONTH / 30
    stored = line(fleet_inputs(retention_days=days), "DynamoDB", "storage")
    assert stored.quantity == pytest.approx(month * days / cost.DAYS_PER_MONTH)


def test_ninety_days_of_rows_cost_three_times_thirty() -> None:
    thirty = line(fleet_inputs(retention_days=30), "DynamoDB", "storage").usd
    assert line(fleet_inputs(retention_days=90), "DynamoDB", "storage").usd == pytest.approx(3 * thirty)


def test_log_storage_also_grows_past_a_month() -> None:
    short = line(fleet_inputs(log_retention_days=30), "CloudWatch Logs", "storage")
    long = line(fleet_inputs(log_retention_days=365), "CloudWatch Logs", "storage")
    prices = cost.load_json(cost.PRICES_PATH)["cloudwatch_logs"]
    ingest = short.quantity * prices["ingest_gb"]
    assert long.usd - ingest == pytest.approx((short.usd - ingest) * 365 / 30)


def test_every_alarm_is_priced_beyond_the_free_ten() -> None:
    alarms = line(fleet_inputs(), "CloudWatch", "alarms")
    assert alarms.quantity == 13
    assert alarms.usd == pytest.approx(1.30)
    assert alarms.usd_after_free_tier == pytest.approx(0.30)
