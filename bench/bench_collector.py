"""Collector throughput: replay generated destination records through the handler into a local endpoint.

This is a REPLAY, not a measurement of probes: every record is the sample probe record
(`tests/events/probe_record_v1.json`) with its identity, time, ids and timing values varied, plus failed
invocations, invalid records and redeliveries mixed in. The figures are the collector's own speed (records per
second and per-event latency through `collector.handler.handler` into a moto server over HTTP) and a count
check: rows in the table = rows of the distinct valid records, dead letters = invalid records, nothing else.

`python -m bench collector` or `python -m bench.bench_collector --records 10000`.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from datastore.vocabulary import ARCHITECTURES, STRATEGIES

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "tests" / "events" / "probe_record_v1.json"
MEMORY = (128, 256, 512, 1024, 1769, 3008)
DAYS = 7


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server in its own process on a free loopback port; stopped (by pid) on exit."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _summary(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)

    def pct(q: float) -> float:
        pos = (len(ordered) - 1) * q / 100
        lo, hi = math.floor(pos), math.ceil(pos)
        return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo), 6)

    return {
        "n": len(ordered),
        "min": ordered[0],
        "p50": pct(50),
        "p90": pct(90),
        "p99": pct(99),
        "max": ordered[-1],
        "mean": round(min(ordered[-1], max(ordered[0], statistics.fmean(ordered))), 6),
    }


INVALID_MUTATIONS = (
    ("unknown schema_version", lambda r: r.__setitem__("schema_version", 2)),
    ("NaN cold miss", lambda r: r["stores"][0].__setitem__("cold_miss_ms", float("nan"))),
    ("too many warm samples", lambda r: r["stores"][0].__setitem__("warm_ms", [1.0] * 10_001)),
    ("unknown strategy", lambda r: r["identity"].__setitem__("strategy", "carrier-pigeon")),
    ("missing identity", lambda r: r.pop("identity")),
    ("number as string", lambda r: r.__setitem__("cpu_time_ms", "48.2")),
)


def generate(
    n: int, seed: int, invalid_share: float, failed_share: float, redelivery_share: float
) -> tuple[list[dict[str, Any]], Counter[str], int]:
    """`n` destination events; returns them, the count by kind, and the rows the valid ones should make."""
    rng = random.Random(seed)
    sample = json.loads(SAMPLE.read_text())
    destination = json.loads((REPO / "tests" / "events" / "destination_success.json").read_text())
    failure = json.loads(
        (REPO / "tests" / "events" / "destination_retries_exhausted_timeout.json").read_text()
    )
    start = datetime(2026, 11, 20, tzinfo=UTC)
    events: list[dict[str, Any]] = []
    kinds: Counter[str] = Counter()
    expected_rows = 0
    while len(events) < n:
        strategy, memory, arch = rng.choice(STRATEGIES), rng.choice(MEMORY), rng.choice(ARCHITECTURES)
        key = f"{strategy}-{memory}-{arch}"
        at = start + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        request_id = str(uuid.UUID(int=rng.getrandbits(128)))
        draw = rng.random()
        if draw < failed_share:
            event = copy.deepcopy(failure)
            event["timestamp"] = at.isoformat().replace("+00:00", "Z")
            event["requestContext"]["requestId"] = request_id
            event["requestPayload"] = {
                "source": "observatory.schedule",
                "probe_key": key,
                "strategy": strategy,
                "memory_mb": memory,
                "architecture": arch,
            }
            kind, rows = "failed", 1
        else:
            record = copy.deepcopy(sample)
            record["invocation_id"] = request_id
            record["started_at"] = at.isoformat()
            record["identity"].update(
                probe_key=key,
                strategy=strategy,
                memory_mb=memory,
                architecture=arch,
                function_name=f"slo-probe-{key}",
            )
            scale = 128 / memory
            for result in record["stores"]:
                warm = [round(rng.uniform(0.3, 40.0) * scale + 0.05, 6) for _ in range(rng.randint(5, 100))]
                result["warm_ms"] = warm
                result["warm_summary"] = _summary(warm)
                result["cold_miss_ms"] = round(rng.uniform(20, 120) * scale + 5, 6)
            event = copy.deepcopy(destination)
            event["requestContext"]["requestId"] = request_id
            event["responsePayload"] = record
            kind, rows = "success", len(record["stores"])
            if draw > 1 - invalid_share:
                _name, mutate = INVALID_MUTATIONS[rng.randrange(len(INVALID_MUTATIONS))]
                mutate(record)
                kind, rows = "invalid", 0
        events.append(event)
        kinds[kind] += 1
        expected_rows += rows
        if kind != "invalid" and rng.random() < redelivery_share and len(events) < n:
            events.append(copy.deepcopy(event))  # Lambda delivers at least once
            kinds["redelivery"] += 1
    return events, kinds, expected_rows


def _pct(ordered: list[float], q: float) -> float:
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def run(records: int, seed: int, invalid_share: float, failed_share: float, redelivery_share: float) -> None:
    """Replay the generated events through the handler and print the figures."""
    import logging

    import boto3

    from collector import config, handler
    from datastore import clients, reads, schema

    logging.getLogger("collector").setLevel(logging.ERROR)  # a log line per event would dominate the figures

    events, kinds, expected_rows = generate(records, seed, invalid_share, failed_share, redelivery_share)
    print(
        f"REPLAY of {len(events):,} generated destination records (the sample probe record varied; not "
        f"measurements): {dict(kinds)}",
        flush=True,
    )
    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ENDPOINT_URL",
            "OBSERVATORY_TABLE_NAME",
            "OBSERVATORY_DLQ_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
        )
    }
    with moto_server() as endpoint:
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
            OBSERVATORY_TABLE_NAME="slo-bench",
            OBSERVATORY_DLQ_URL="",
        )
        try:
            ddb = boto3.client("dynamodb", endpoint_url=endpoint)
            sqs = boto3.client("sqs", endpoint_url=endpoint)
            schema.create_table(ddb, "slo-bench")
            os.environ["OBSERVATORY_DLQ_URL"] = sqs.create_queue(QueueName="slo-bench-dlq")["QueueUrl"]
            config.get_settings.cache_clear()
            clients.reset_clients()

            class Context:
                aws_request_id = "bench"

            latencies: list[float] = []
            results: Counter[str] = Counter()
            errors: Counter[str] = Counter()
            started = time.perf_counter()
            for event in events:
                t0 = time.perf_counter_ns()
                try:
                    results[handler.handler(event, Context())["result"]] += 1
                except Exception as exc:  # counted: the check below shows it as "something else"
                    errors[type(exc).__name__] += 1
                latencies.append((time.perf_counter_ns() - t0) / 1e6)
            elapsed = time.perf_counter() - started
            ordered = sorted(latencies)
            print(
                f"handler → moto server over HTTP, one event at a time: "
                f"{len(events) / elapsed:,.0f} records/s ({len(events):,} in {elapsed:.1f} s)"
            )
            print(
                f"per-event latency ms: p50 {_pct(ordered, 50):.2f}  p90 {_pct(ordered, 90):.2f}  "
                f"p99 {_pct(ordered, 99):.2f}  max {ordered[-1]:.2f}"
            )
            print(f"outcomes: {dict(results)}; exceptions: {dict(errors) or 'none'}", flush=True)

            table_rows = sum(
                page["Count"]
                for page in ddb.get_paginator("scan").paginate(TableName="slo-bench", Select="COUNT")
            )
            letters = int(
                sqs.get_queue_attributes(
                    QueueUrl=os.environ["OBSERVATORY_DLQ_URL"], AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]["ApproximateNumberOfMessages"]
            )
            ok = table_rows == expected_rows and letters == kinds["invalid"] and not errors
            print(
                f"count check: rows {table_rows:,} (expected {expected_rows:,} from the valid records); "
                f"dead letters {letters:,} (invalid records {kinds['invalid']:,}); exceptions "
                f"{sum(errors.values())}; duplicates {results['duplicate']:,} (redeliveries "
                f"{kinds['redelivery']:,}) → {'OK' if ok else 'MISMATCH'}",
                flush=True,
            )

            read_started = time.perf_counter()
            end = datetime(2026, 11, 20 + DAYS, tzinfo=UTC)
            # expiry judged as of the rows' own days, so they read back whatever day the bench runs
            frame = reads.read_rows(datetime(2026, 11, 20, tzinfo=UTC), end, now=end)
            read_s = time.perf_counter() - read_started
            print(
                f"read_rows over {DAYS} day partitions (concurrent): {len(frame):,} rows in {read_s:.2f} s "
                f"({len(frame) / read_s:,.0f} rows/s); read back = rows: {len(frame) == table_rows}"
            )
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            config.get_settings.cache_clear()
            clients.reset_clients()


def main(argv: list[str] | None = None) -> None:
    """Entry for `python -m bench collector` (defaults) and the module's own command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_collector", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--records", type=int, default=10_000, help="destination records to replay (10000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated replay (7)")
    parser.add_argument("--invalid-share", type=float, default=0.05, help="share of invalid records (0.05)")
    parser.add_argument("--failed-share", type=float, default=0.05, help="share of failed invocations (0.05)")
    parser.add_argument("--redelivery-share", type=float, default=0.03, help="share delivered twice (0.03)")
    args = parser.parse_args([] if argv is None else argv)
    run(args.records, args.seed, args.invalid_share, args.failed_share, args.redelivery_share)


if __name__ == "__main__":
    main(sys.argv[1:])
