"""The commands that work against a lab `up` started — `run`, `invoke`, `status` — and `down`, which
stops it. (`up` itself is `lab/up.py`; argument parsing is `lab/cli/parser.py`.)"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.endpoint import endpoint_status, stop_endpoint
from lab.endpoint.background import probe_endpoint
from lab.endpoint.clients import EndpointClients
from lab.errors import LabError
from lab.fleet.harness import function_and_payload, open_service, prepare_runtimes, read_fleet_schedules
from lab.fleet.rounds import count_rows, report_rounds, run_rounds
from lab.logsafe import loggable
from lab.processes import dashboard_server, supervisor
from lab.scheduler import ScheduleSourceError, load_schedules
from lab.state import (
    DEPLOYMENT_FILE,
    UP_FILE,
    Deployment,
    UpRecord,
    read_up,
    require_deployment,
    require_endpoint,
)

if TYPE_CHECKING:
    from lab.cli.console import Console
    from lab.settings import LabConfig

UP_STOPS_WITHIN_S = 60.0  # `lab up` stops everything it started before it exits
DIGEST_DAYS_SHOWN = 14  # `status` says how many of these closed days the compactor has digested


@contextlib.contextmanager
def work_dir_kept_with_results(path: Path) -> Iterator[None]:
    """A command's own service work dir (`run-<pid>`, `invoke-<pid>`): removed if the command ends without a
    result (an error, an interrupt), kept when it reports one (the logs it names are in it)."""
    try:
        yield
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise


def run(config: LabConfig, console: Console, rounds: int) -> int:
    """Run the whole fleet `rounds` times now against a running lab, with a progress bar."""
    clients = EndpointClients.for_endpoint(require_endpoint(config.state_dir))
    deployment = require_deployment(config.state_dir)
    schedules = read_fleet_schedules(clients, deployment, console)
    names = [s.function_name for s in schedules] + [deployment.collector_function_name]
    environments = prepare_runtimes(clients, names, config, console)
    tag = f"run-{os.getpid()}"
    with work_dir_kept_with_results(config.state_dir / tag), contextlib.ExitStack() as stack:
        service, xray = open_service(clients, config, console, tag, environments=environments)
        stack.callback(xray.close)
        stack.callback(service.close)
        console.say(f"running {rounds} round(s) of {len(schedules)} probes …")
        result = run_rounds(service, clients, schedules, deployment, rounds, config, console)
    return report_rounds(result, console)


def invoke(config: LabConfig, console: Console, function: str, payload_json: str | None) -> int:
    """Invoke one function synchronously and print what it returned; a probe gets its schedule's input."""
    clients = EndpointClients.for_endpoint(require_endpoint(config.state_dir))
    deployment = require_deployment(config.state_dir)
    try:
        schedules = load_schedules(clients, log=console.log)
    except ScheduleSourceError as exc:
        raise LabError(str(exc)) from exc
    name, payload = function_and_payload(function, deployment, schedules)
    if payload_json is not None:
        try:
            payload = json.loads(payload_json)
        except ValueError as exc:
            raise LabError(f"--payload is not JSON: {exc}") from exc
    tag = f"invoke-{os.getpid()}"
    with work_dir_kept_with_results(config.state_dir / tag), contextlib.ExitStack() as stack:
        service, xray = open_service(clients, config, console, tag)
        stack.callback(xray.close)
        stack.callback(service.close)
        console.say(f"invoking {name} …")
        result = service.invoke(name, payload)
    cold = f"cold ({result.cold_cause}, init {result.init_ms:.0f} ms)" if result.cold else "warm"
    console.say(f"{name}: request {result.request_id}, {cold}, {result.duration_ms:.0f} ms; "
                f"log {result.log_path}")
    print(json.dumps(result.payload, indent=2, default=str))
    if not result.ok:
        console.say(f"{name} failed: {loggable(result.function_error)} ({loggable(result.error_type)})")
        return 1
    return 0


def status(config: LabConfig) -> int:
    """Say what runs: endpoint, `up`, dashboard, deployed functions, schedules, rows today, dead letters."""
    endpoint = endpoint_status(config.state_dir)
    up = read_up(config.state_dir)
    print(f"lab state: {config.state_dir}")
    if endpoint is None:
        print("endpoint:  not running (start the lab with `python -m lab up`)")
        return 1 if up is None else 0
    reachable = probe_endpoint(endpoint.host, endpoint.port, endpoint.ca_bundle)
    print(f"endpoint:  {endpoint.url} pid {endpoint.pid}" + ("" if reachable else " — NOT ANSWERING"))
    print(f"lab up:    pid {up.pid} since {up.started_at}" if up else "lab up:    not running")
    if up and up.host_cpu:
        print(f"host:      {up.host_cpu}, reference workload {up.host_ref_ms} ms at start; runtimes "
              f"{', '.join(up.runtimes) or '?'}")
    if up and up.dashboard_url:
        print(f"dashboard: {up.dashboard_url} (pid {up.dashboard_pid})")
    deployment = Deployment.load(config.state_dir)
    if deployment is None or not reachable:
        return 0 if reachable else 1
    clients = EndpointClients.for_endpoint(endpoint)
    if not table_exists(clients.client("dynamodb"), deployment.table_name):
        recorded = config.state_dir / DEPLOYMENT_FILE
        print(f"table:     {deployment.table_name}, recorded in {recorded}, is not at the endpoint: "
              "that deployment is gone; `python -m lab down`, then `python -m lab up`")
        return 1
    functions = [f["FunctionName"] for page in clients.client("lambda").get_paginator("list_functions")
                 .paginate() for f in page["Functions"]]
    print(f"functions: {len(functions)} deployed ({len(deployment.probe_function_names)} probes)")
    schedules = load_schedules(clients, log=lambda _: None)
    print(f"schedules: {len(schedules)} ({', '.join(sorted({s.expression_text for s in schedules}))})")
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows, frame = count_rows(clients.client("dynamodb"), deployment, today)
    statuses = frame["status"].value_counts().to_dict() if rows else {}
    print(f"rows:      {rows} today in {deployment.table_name} {statuses or ''}".rstrip())
    if deployment.compactor_function_name:
        from datastore.digest_table import digested_days

        last = today.date() - dt.timedelta(days=1)
        days = digested_days(last - dt.timedelta(days=DIGEST_DAYS_SHOWN - 1), last,
                             client=clients.client("dynamodb"), table_name=deployment.table_name)
        latest = f" (latest {max(days)}, computed {max(days.values()):%Y-%m-%d %H:%M} UTC)" if days else ""
        print(f"digests:   {len(days)} of the last {DIGEST_DAYS_SHOWN} closed days digested by "
              f"{deployment.compactor_function_name}{latest}")
        print(f"hours:     {digested_hours_line(clients.client('dynamodb'), deployment.table_name)}")
    if deployment.dead_letter_queue_url:
        attrs = clients.client("sqs").get_queue_attributes(
            QueueUrl=deployment.dead_letter_queue_url, AttributeNames=["ApproximateNumberOfMessages"])
        print(f"dead letters: {attrs['Attributes']['ApproximateNumberOfMessages']}")
    return 0


def digested_hours_line(dynamodb: Any, table_name: str, now: dt.datetime | None = None) -> str:
    """How many of today's closed hours (UTC) the compactor has digested, and the latest of them."""
    from datastore.digest_hours import digested_hours

    now = now or dt.datetime.now(dt.UTC)
    hours = digested_hours(now.date(), client=dynamodb, table_name=table_name)
    closed = now.hour  # 00:00 .. the hour before the open one
    latest = max(hours, default=None)
    when = f" (latest {latest:%H}:00, computed {hours[latest]:%H:%M} UTC)" if latest else ""
    return f"{len(hours)} of today's {closed} closed hours digested{when}; the open hour is read as rows"


def table_exists(dynamodb: Any, table_name: str) -> bool:
    """Whether the endpoint has the table (False only for ResourceNotFoundException)."""
    from botocore.exceptions import ClientError

    try:
        dynamodb.describe_table(TableName=table_name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False
        raise
    return True


def down(config: LabConfig, console: Console) -> int:
    """Stop `lab up` (it stops what it started), then anything left: dashboard, endpoint.

    Also cleans up after a `lab up` that was killed (SIGKILL, a crash) and could not stop its children.
    """
    stopped = False
    path = config.state_dir / UP_FILE
    record = supervisor.load_record(path, UpRecord)  # kept even if `up` is gone: its dashboard may not be
    if record is not None and supervisor.is_ours(record.pid):
        console.say(f"stopping lab up (pid {record.pid}) …")
        if supervisor.stop(record.pid, timeout_s=UP_STOPS_WITHIN_S):
            console.say(f"lab up (pid {record.pid}) did not stop within {UP_STOPS_WITHIN_S:.0f} s; killed it")
        stopped = True
    dashboard_pid = record.dashboard_pid if record is not None else None
    if dashboard_pid and dashboard_server.stop_recorded_dashboard(dashboard_pid):
        console.say(f"stopped the dashboard (pid {dashboard_pid})")
        stopped = True
    path.unlink(missing_ok=True)
    info = stop_endpoint(config.state_dir)
    if info is not None:
        console.say(f"stopped the endpoint (pid {info.pid})")
        stopped = True
    if not stopped:
        console.say("nothing was running")
    return 0
