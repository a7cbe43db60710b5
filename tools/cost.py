"""Monthly cost estimate of a configured fleet: `python -m tools.cost terraform/envs/aws`.

The fleet and its settings come from the environment's own configuration: `terraform console` evaluates the
module's `cost_inputs` output (variables, tfvars and defaults, exactly as `terraform apply` would see them; no
cloud call). Prices come from docs/reference/prices-us-east-1.json, and probe durations from the published
reference run (docs/reference/seed-2022-measurements.json) under the assumptions listed in ASSUMPTIONS.
It is an estimate: every output says so and names both tables.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard.call_model import DEFAULT_IDLE_BOUNDARY_S, api_call_ms
from dashboard.cost_model import CostModelError, PriceTable, api_calls_usd, gb_seconds_usd
from datastore.digest_table import DIGEST_ITEM_TARGET_BYTES
from datastore.vocabulary import ARCHITECTURES
from functions.probe.vocabulary import STORES_BY_STRATEGY
from tools import cli, cost_hours, terraform
from tools.cost_reference import SEED_PATH, ReferenceRunError, interpolate, reference_latencies

REPO_ROOT = Path(__file__).resolve().parent.parent
PRICES_PATH = REPO_ROOT / "docs" / "reference" / "prices-us-east-1.json"
HOURS_PER_MONTH = 730  # AWS's billing month
DAYS_PER_MONTH = HOURS_PER_MONTH / 24  # 30.4

# What the estimate assumes beyond the two tables; printed with every estimate.
ASSUMPTIONS: dict[str, float] = {
    # every scheduled run is cold (interval > idle expiry), and INIT is billed since 2025-08-01
    "init_ms_per_probe_invocation": 1000.0,
    "collector_ms_per_invocation": 200.0,  # validate one record and write a few rows
    "row_base_bytes": 1024.0,  # a row without its warm samples
    "row_bytes_per_warm_sample": 20.0,  # warm_ms is stored with each row
    "log_bytes_per_invocation": 2048.0,  # START/END/REPORT lines and a summary line, per function invocation
    "compactor_ms_per_run": 500.0,  # a run that finds every day digested: one small query per day looked at
    "compactor_ms_per_row": 0.5,  # read, decode and digest one row (100 warm samples)
    "digest_bytes_per_probe_day": 3000.0,  # compressed digest of one probe's day (lab days: 1-3 KB)
}

LATENCY_MODEL = (
    "Latency model (one for every strategy): an API call after an idle gap longer than"
    f" {DEFAULT_IDLE_BOUNDARY_S:g} s costs a first call (the reference run's sdk call); calls back to"
    " back (sdk's repeated calls, the fresh caching library's GetSecretValue) cost a hot call, priced at the"
    " reference run's keep-alive HTTP request from the function (the extension's warm hit), a lower bound:"
    " the run did not measure a hot SDK call. Each probe invocation comes after the schedule's idle gap."
    " Cloud Extensions has no published measurement: its probes are priced at the extension's figures (a"
    " cache on localhost, called the same way), and each run makes one Secrets Manager call (GetSecretValue"
    " on its cold miss; with prefetch, BatchGetSecretValue when the extension starts) and one GetParameter."
)
STORES_PER_STRATEGY: dict[str, int] = {name: len(stores) for name, stores in STORES_BY_STRATEGY.items()}


class CostError(Exception):
    """The estimate could not be made (missing table, unreadable configuration)."""


@dataclass(frozen=True)
class Line:
    """One billed item: what, how many, and its monthly cost before and after the free tier."""

    service: str
    item: str
    quantity: float
    unit: str
    usd: float
    usd_after_free_tier: float


def load_json(path: Path) -> dict[str, Any]:
    """A reference table, with a clear error when it is missing."""
    try:
        return dict(json.loads(path.read_text()))
    except FileNotFoundError:
        raise CostError(f"reference table {path} is missing") from None


def price_table(prices: Mapping[str, Any]) -> PriceTable:
    """The Lambda and API prices of the table, as the dashboard's cost model reads them."""
    try:
        return PriceTable.from_json(dict(prices))
    except CostModelError as exc:
        raise CostError(str(exc)) from exc


def probe_duration_ms(
    strategy: str, memory_mb: float, inputs: Mapping[str, Any], ref: Mapping[str, Any]
) -> float:
    """Estimated billed duration of one probe invocation: INIT plus, per store, one miss and N timed hits.

    One latency model for an API call (dashboard.call_model), as LATENCY_MODEL says."""

    def at(key: str) -> float:
        return interpolate(ref[key][128], ref[key][1769], memory_mb)

    def call(gap_s: float) -> float:
        return api_call_ms(gap_s, at("sdk_miss"), at("extension_hit"), DEFAULT_IDLE_BOUNDARY_S)

    after_idle, back_to_back = call(float(inputs["schedule_interval_s"])), call(0.0)
    miss, hit = {
        "extension": (at("extension_miss"), at("extension_hit")),
        "sdk": (after_idle, back_to_back),  # no cache: every hit is a call on the hot connection
        "dict": (after_idle, at("dict_hit")),
        "caching_lib": (after_idle + back_to_back, at("dict_hit")),  # DescribeSecret + GetSecretValue
        "powertools": (after_idle, at("dict_hit")),
        "cloud_extensions": (at("extension_miss"), at("extension_hit")),  # unmeasured: LATENCY_MODEL
    }[strategy]
    samples = inputs["sdk_warm_samples"] if strategy == "sdk" else inputs["warm_samples"]
    per_store = miss + samples * hit
    return ASSUMPTIONS["init_ms_per_probe_invocation"] + STORES_PER_STRATEGY[strategy] * per_store


def secretsmanager_calls(strategy: str, inputs: Mapping[str, Any]) -> int:
    """Billed Secrets Manager API calls of one probe invocation."""
    return {
        "extension": 1,  # the extension's miss; its hits are served from its cache
        "sdk": 1 + int(inputs["sdk_warm_samples"]),
        "dict": 1,
        "caching_lib": 2,
        "powertools": 1,
        "cloud_extensions": 1,  # a fresh environment a run: its miss, or prefetch's BatchGetSecretValue
    }[strategy]


def months_kept(retention_days: float) -> float:
    """How many months of data a store holds at steady state when each item expires after retention_days."""
    return float(retention_days) / DAYS_PER_MONTH


def estimate(inputs: Mapping[str, Any], prices: Mapping[str, Any], seed: Mapping[str, Any]) -> list[Line]:
    """The monthly bill of the fleet described by `inputs` (the module's cost_inputs output), line by line."""
    ref = reference_latencies(seed)
    table = price_table(prices)
    runs_per_probe = HOURS_PER_MONTH * 3600 / float(inputs["schedule_interval_s"])
    probes: Mapping[str, Mapping[str, Any]] = inputs["probes"]
    lam = prices["lambda"]

    probe_runs = runs_per_probe * len(probes)
    collector_runs = probe_runs  # one destination record per probe invocation
    requests = probe_runs + collector_runs

    gb_seconds: dict[str, float] = dict.fromkeys(ARCHITECTURES, 0.0)
    sm_calls = 0.0
    ssm_calls = 0.0
    rows = 0.0
    for probe in probes.values():
        seconds = probe_duration_ms(probe["strategy"], probe["memory_mb"], inputs, ref) / 1000
        gb_seconds[probe["architecture"]] += runs_per_probe * seconds * probe["memory_mb"] / 1024
        sm_calls += runs_per_probe * secretsmanager_calls(probe["strategy"], inputs)
        if "ssm" in STORES_BY_STRATEGY[probe["strategy"]]:
            ssm_calls += runs_per_probe * (
                1 + int(inputs["sdk_warm_samples"]) if probe["strategy"] == "sdk" else 1
            )
        rows += runs_per_probe * STORES_PER_STRATEGY[probe["strategy"]]
    collector_seconds = ASSUMPTIONS["collector_ms_per_invocation"] / 1000
    gb_seconds[inputs["collector_architecture"]] += (
        collector_runs * collector_seconds * inputs["collector_memory_mb"] / 1024
    )

    lines: list[Line] = []
    request_usd = requests / 1e6 * lam["request_per_million"]
    free_requests = lam["free_tier_monthly"]["requests"]
    lines.append(
        Line(
            "Lambda",
            "requests (probes + collector)",
            requests,
            "requests",
            request_usd,
            max(0.0, requests - free_requests) / 1e6 * lam["request_per_million"],
        )
    )
    gbs_usd = sum(gb_seconds_usd(gb_seconds[a], a, table) for a in gb_seconds)
    total_gbs = sum(gb_seconds.values())
    free_share = min(1.0, lam["free_tier_monthly"]["gb_seconds"] / total_gbs) if total_gbs else 1.0
    lines.append(
        Line(
            "Lambda",
            "compute (GB-seconds, INIT included)",
            total_gbs,
            "GB-s",
            gbs_usd,
            gbs_usd * (1 - free_share),
        )
    )

    sm = prices["secretsmanager"]
    secrets_usd = inputs["secrets"] * sm["secret_month"]
    lines.append(
        Line("Secrets Manager", "secrets stored", inputs["secrets"], "secrets", secrets_usd, secrets_usd)
    )
    calls_usd = api_calls_usd(sm_calls, "secretsmanager", table)
    lines.append(Line("Secrets Manager", "API calls", sm_calls, "calls", calls_usd, calls_usd))

    ssm = prices["ssm_parameter_store"]
    params_usd = inputs["standard_parameters"] * ssm["standard_parameter_month"]
    lines.append(
        Line(
            "SSM Parameter Store",
            "standard parameters",
            inputs["standard_parameters"],
            "parameters",
            params_usd,
            params_usd,
        )
    )
    ssm_usd = api_calls_usd(ssm_calls, "ssm", table)
    lines.append(
        Line("SSM Parameter Store", "API calls (standard throughput)", ssm_calls, "calls", ssm_usd, ssm_usd)
    )

    ddb = prices["dynamodb_on_demand"]
    row_bytes = (
        ASSUMPTIONS["row_base_bytes"] + ASSUMPTIONS["row_bytes_per_warm_sample"] * inputs["warm_samples"]
    )
    wru = rows * math.ceil(row_bytes / 1024) * 2  # the by_day index projects every attribute: a second write
    wru_usd = wru / 1e6 * ddb["write_request_unit_per_million"]
    lines.append(Line("DynamoDB", "write request units (table + by_day index)", wru, "WRU", wru_usd, wru_usd))
    # Rows live retention_days: at steady state the table holds retention / 30.4 months of rows (more than
    # one month's worth above 30 days), twice over for the index.
    stored_gb = rows * row_bytes * 2 * months_kept(inputs["retention_days"]) / 1e9
    storage_usd = stored_gb * ddb["storage_gb_month"]
    lines.append(
        Line("DynamoDB", "storage at steady state (retention)", stored_gb, "GB", storage_usd, storage_usd)
    )

    xray = prices["xray"]
    traces = probe_runs + collector_runs
    xray_usd = traces / 1e6 * xray["traces_recorded_per_million"]
    lines.append(
        Line(
            "X-Ray",
            "traces recorded",
            traces,
            "traces",
            xray_usd,
            max(0.0, traces - xray["free_monthly"]["recorded"]) / 1e6 * xray["traces_recorded_per_million"],
        )
    )

    logs = prices["cloudwatch_logs"]
    ingest_gb = requests * ASSUMPTIONS["log_bytes_per_invocation"] / 1e9
    logs_usd = (
        ingest_gb * logs["ingest_gb"]
        + ingest_gb * months_kept(inputs["log_retention_days"]) * logs["storage_gb_month"]
    )
    lines.append(Line("CloudWatch Logs", "ingestion and storage", ingest_gb, "GB", logs_usd, logs_usd))

    alarms = prices["cloudwatch_alarms"]
    alarm_count = float(inputs["alarms"])
    alarms_usd = alarm_count * alarms["standard_alarm_month"]
    lines.append(
        Line(
            "CloudWatch",
            "alarms (queues, freshness, one per probe)",
            alarm_count,
            "alarms",
            alarms_usd,
            max(0.0, alarm_count - alarms["free_monthly_alarms"]) * alarms["standard_alarm_month"],
        )
    )

    eb = prices["eventbridge"]
    scheduler_usd = probe_runs / 1e6 * eb["scheduler_invocations_per_million"]
    lines.append(
        Line(
            "EventBridge Scheduler",
            "scheduled invocations",
            probe_runs,
            "invocations",
            scheduler_usd,
            max(0.0, probe_runs - eb["scheduler_free_monthly"])
            / 1e6
            * eb["scheduler_invocations_per_million"],
        )
    )
    if inputs.get("compactor"):
        days = HOURS_PER_MONTH / 24
        lines += compactor_lines(inputs["compactor"], prices, rows / days, len(probes), row_bytes)
    return lines


def compactor_lines(
    compactor: Mapping[str, Any],
    prices: Mapping[str, Any],
    rows_per_day: float,
    probes: int,
    row_bytes: float,
) -> list[Line]:
    """The daily digests: the compactor's runs, the rows it reads, the digest items it writes and keeps.

    A closed day is digested on every run until it settles (settle_seconds after midnight) and once after,
    so each row is read about settle / interval + 1 times; the free tiers are left to the probes.
    """
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours)\)", str(compactor["schedule_expression"]))
    if match is None:
        raise CostError(f"compactor schedule {compactor['schedule_expression']!r} is not a rate()")
    interval = int(match.group(1)) * (3600 if match.group(2).startswith("hour") else 60)
    runs = HOURS_PER_MONTH * 3600 / interval
    days = HOURS_PER_MONTH / 24
    rows_read = rows_per_day * days * (math.ceil(float(compactor["settle_seconds"]) / interval) + 1)
    day_bytes = probes * ASSUMPTIONS["digest_bytes_per_probe_day"]
    settle = compactor["settle_seconds"]  # today's closed hours too (cost_hours)
    hour_rows, hour_rru, hour_wru = cost_hours.hours_step(
        settle, interval, rows_per_day, days, row_bytes, day_bytes, DIGEST_ITEM_TARGET_BYTES
    )
    seconds = (
        runs * ASSUMPTIONS["compactor_ms_per_run"]
        + (rows_read + hour_rows) * ASSUMPTIONS["compactor_ms_per_row"]
    ) / 1e3
    gb_s = seconds * float(compactor["memory_mb"]) / 1024
    lam = prices["lambda"]
    lambda_usd = runs / 1e6 * lam["request_per_million"] + gb_seconds_usd(
        gb_s, compactor["architecture"], price_table(prices)
    )
    ddb = prices["dynamodb_on_demand"]
    rru = rows_read * math.ceil(row_bytes / 4096) * 0.5  # eventually consistent Query: 0.5 RRU per 4 KB
    rru_usd = rru / 1e6 * ddb["read_request_unit_per_million"]
    per_rru, per_wru = ddb["read_request_unit_per_million"] / 1e6, ddb["write_request_unit_per_million"] / 1e6
    items = max(1, math.ceil(day_bytes / DIGEST_ITEM_TARGET_BYTES))  # a day is cut into items of this size
    wru = rows_read / max(rows_per_day, 1.0) * items * math.ceil(day_bytes / items / 1024)
    wru_usd = wru / 1e6 * ddb["write_request_unit_per_million"]
    stored_gb = day_bytes * min(365.0, float(compactor["digest_retention_days"])) / 1e9
    storage_usd = stored_gb * ddb["storage_gb_month"]
    return [
        Line("Lambda", "compactor (daily digests: runs, GB-seconds)", gb_s, "GB-s", lambda_usd, lambda_usd),
        Line("DynamoDB", "compactor reads (rows of days not settled)", rru, "RRU", rru_usd, rru_usd),
        Line("DynamoDB", "digest writes (items of ~100 KB per digested day)", wru, "WRU", wru_usd, wru_usd),
        Line("DynamoDB", "compactor reads (today's hours)", hour_rru, "RRU", *[hour_rru * per_rru] * 2),
        Line("DynamoDB", "hourly digest writes (today's hours)", hour_wru, "WRU", *[hour_wru * per_wru] * 2),
        Line("DynamoDB", "digest storage after a year", stored_gb, "GB", storage_usd, storage_usd),
    ]


def read_inputs(env_dir: Path, tree: Path = terraform.TERRAFORM_TREE) -> dict[str, Any]:
    """The env's cost_inputs and region, as `terraform apply` would see them (terraform.evaluate: a temporary
    copy with a local backend, so a remote backend is never touched and nothing is written to the repository;
    the env must be inside `tree`, the repository's terraform/)."""
    value = terraform.evaluate(
        env_dir,
        "{ inputs = module.observatory.cost_inputs, region = var.region,"
        " compactor = module.observatory.compactor_cost_inputs }",
        tree,
    )
    if not isinstance(value, dict) or not isinstance(value.get("inputs"), dict) or "region" not in value:
        raise CostError(f"{env_dir} does not declare module.observatory's cost_inputs and var.region")
    inputs = dict(value["inputs"])
    inputs["region"] = value["region"]
    inputs["compactor"] = value.get("compactor")
    return inputs


def render(env_dir: Path, inputs: Mapping[str, Any], lines: list[Line]) -> str:
    """The estimate as a table a person reads, naming its sources."""
    probes = inputs["probes"]
    interval = float(inputs["schedule_interval_s"])
    out = [
        f"Monthly cost ESTIMATE for {env_dir} ({len(probes)} probes + collector"
        f"{' + compactor' if inputs.get('compactor') else ''},"
        f" every {interval / 60:g} minutes,"
        f" region {inputs['region']})",
        f"Prices: {PRICES_PATH.relative_to(REPO_ROOT)} (us-east-1 list prices; AWS changes prices)."
        f" Durations: {SEED_PATH.relative_to(REPO_ROOT)} under the assumptions below.",
        "",
        f"{'service':<22} {'item':<44} {'quantity':>20}  {'USD/month':>10}  {'after free tier':>15}",
    ]
    for line in lines:
        quantity = (
            f"{line.quantity:,.0f} {line.unit}"
            if line.quantity >= 100
            else f"{line.quantity:,.3g} {line.unit}"
        )
        out.append(
            f"{line.service:<22} {line.item:<44} {quantity:>20}  {line.usd:>10.2f}"
            f"  {line.usd_after_free_tier:>15.2f}"
        )
    total = sum(line.usd for line in lines)
    total_free = sum(line.usd_after_free_tier for line in lines)
    out += [
        f"{'TOTAL (estimate)':<88}  {total:>10.2f}  {total_free:>15.2f}",
        "",
        "Assumptions: " + ", ".join(f"{k}={v:g}" for k, v in ASSUMPTIONS.items()) + ".",
        LATENCY_MODEL,
        "Not priced (not in the table): DynamoDB reads by the dashboard, point-in-time-recovery backup"
        " storage (about the table's size), SQS requests of the two dead-letter queues (free tier).",
    ]
    if inputs["region"] != "us-east-1":
        out.append(f"Region is {inputs['region']}: prices there may differ from the us-east-1 table.")
    return "\n".join(out)


ENVIRONMENT = terraform.ENVIRONMENT  # what it reads from the environment (--help)


def main(argv: list[str] | None = None) -> int:
    """Print the estimate (or JSON with --json); exit 1 with a clear message when it cannot be made."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.cost",
        description="Monthly cost estimate of the fleet configured in a Terraform environment, broken down.",
        epilog=f"{LATENCY_MODEL} {cli.environment_help(ENVIRONMENT)}",
    )
    parser.add_argument("env_dir", type=Path, help="root configuration, e.g. terraform/envs/aws")
    parser.add_argument("--json", action="store_true", help="print the lines and totals as JSON")
    args = parser.parse_args(argv)
    failures = (CostError, ReferenceRunError, terraform.TerraformError)
    return cli.run("cost", lambda: _estimate(args), failures=failures)


def _estimate(args: argparse.Namespace) -> int:
    inputs = read_inputs(args.env_dir)
    lines = estimate(inputs, load_json(PRICES_PATH), load_json(SEED_PATH))
    if args.json:
        print(
            json.dumps(
                {
                    "estimate": True,
                    "price_table": str(PRICES_PATH.relative_to(REPO_ROOT)),
                    "lines": [line.__dict__ for line in lines],
                    "total_usd": sum(line.usd for line in lines),
                    "total_usd_after_free_tier": sum(line.usd_after_free_tier for line in lines),
                },
                indent=2,
            )
        )
    else:
        print(render(args.env_dir, inputs, lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
