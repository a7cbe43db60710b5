"""Rounds of the fleet: fire every scheduled probe now and wait for it (`run`, `up --rounds`), say what
the rows show, and watch a running lab (`up`) — invocations fired, in flight, rows landed.

Rounds after the first wait out the longest cache TTL any fired probe was deployed with (the extension's own
TTL variables included) since the previous round ended: the lab keeps environments warm for minutes, so a
round inside the TTL would find the extension's cache full, and its first fetches would be hits (the probe
records them as such, never as cold misses). A minute per round buys a cold miss from every round."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lab.errors import LabError
from lab.scheduler import Schedule, Scheduler

if TYPE_CHECKING:
    import pandas as pd

    from lab.cli.console import Console
    from lab.endpoint.clients import EndpointClients
    from lab.runtime import LambdaService
    from lab.settings import LabConfig
    from lab.state import Deployment

WAIT_STEP_S = 0.5  # how often a round's progress is redrawn
LANDING_CHECKS = 20  # after a round, re-read the table this many times (WAIT_STEP_S apart) for late rows
WATCH_INTERVAL_S = 10.0
# Every variable that sets a probe's cache lifetime: its own, the extension's per store, Powertools' default
TTL_VARIABLES = ("OBSERVATORY_CACHE_TTL_SECONDS", "SECRETS_MANAGER_TTL", "SSM_PARAMETER_STORE_TTL",
                 "POWERTOOLS_PARAMETERS_MAX_AGE")
TTL_MARGIN_S = 1.0  # past the TTL, so an entry filled at the very end of the last fetch has expired too
ROW_LOOKBACK = dt.timedelta(minutes=20)  # longer than any invocation: a row's ts is when its invocation began


def cache_ttl_s(environment: dict[str, str]) -> float:
    """The longest cache lifetime (s) a function's environment sets; 0 for a function without a cache."""
    ttls = []
    for name in TTL_VARIABLES:
        try:
            ttls.append(float(environment.get(name, "")))
        except ValueError:
            continue
    return max(ttls, default=0.0)


def round_spacing_s(service: LambdaService, schedules: Sequence[Schedule]) -> float:
    """How long a round waits after the previous one ended: the longest TTL of the functions it fires."""
    ttl = max((cache_ttl_s(service.function_environment(s.function_name)) for s in schedules), default=0.0)
    return ttl + TTL_MARGIN_S if ttl > 0 else 0.0


def finished(service: LambdaService, request_ids: set[str]) -> int:
    """How many of these async requests the service has finished (retries and destination included)."""
    return sum(1 for outcome in list(service.outcomes) if outcome.request_id in request_ids)


def count_rows(table_client: Any, deployment: Deployment, since: dt.datetime) -> tuple[int, pd.DataFrame]:
    """Rows in the deployment's table taken since `since`, and the frame itself."""
    from datastore.reads import read_rows

    frame = read_rows(since - dt.timedelta(minutes=1), dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1),
                      client=table_client, table_name=deployment.table_name)
    return len(frame), frame


def rows_landed(service: LambdaService, deployment: Deployment) -> bool:
    """Whether the collector has finished an event successfully (so a row is in the table): known from the
    service's own outcomes, without reading the table while a probe measures."""
    name = deployment.collector_function_name
    return any(o.function_name == name and o.condition == "Success" for o in list(service.outcomes))


@dataclass
class RoundsResult:
    """What a batch of rounds produced."""

    fired: int
    failed_to_fire: int
    rows: int
    probes_without_rows: list[str]
    statuses: dict[str, int]
    problems: list[str] = field(default_factory=list)  # "probe_key/store: status (error types)"


def run_rounds(
    service: LambdaService, clients: EndpointClients, schedules: Sequence[Schedule], deployment: Deployment,
    rounds: int, config: LabConfig, console: Console, first_row: Callable[[], None] | None = None,
    *, sleep: Callable[[float], Any] = time.sleep, clock: Callable[[], float] = time.monotonic,
) -> RoundsResult:
    """Invoke every scheduled probe `rounds` times (asynchronously, as the schedule does) and wait; each
    round after the first starts once the probes' cache TTL has elapsed since the previous one ended, so its
    first fetches are misses (`round_spacing_s`). `first_row` is called once, when the first row has
    landed."""
    scheduler = Scheduler(schedules, service.invoke_async, log=console.log)
    started = dt.datetime.now(dt.UTC)
    total = rounds * len(schedules)
    fired = failed = 0
    request_ids: set[str] = set()
    spacing = round_spacing_s(service, schedules) if rounds > 1 else 0.0
    ended: float | None = None
    for number in range(1, rounds + 1):
        wait = spacing - (clock() - ended) if ended is not None else 0.0
        if wait > 0:
            ttl = spacing - TTL_MARGIN_S
            console.say(f"round {number}/{rounds} in {wait:.0f} s: waiting out the {ttl:g} s "
                        "cache TTL, so every probe's first fetch is a miss again (inside it the extension "
                        "would serve it from its cache: a hit, recorded as first_hit_ms)")
            sleep(wait)
        results = scheduler.fire_round()
        request_ids |= {r.request_id for r in results if r.request_id is not None}
        fired += sum(1 for r in results if r.error is None)
        failed += sum(1 for r in results if r.error is not None)
        deadline = time.monotonic() + config.round_timeout_s
        while True:
            idle = service.wait_idle(WAIT_STEP_S)
            if first_row is not None and rows_landed(service, deployment):
                first_row()
                first_row = None
            done = finished(service, request_ids) + failed
            console.progress(done, total, f"invocations (round {number}/{rounds})")
            if idle:
                break
            if time.monotonic() > deadline:
                raise LabError(f"round {number} did not finish within {config.round_timeout_s:.0f} s")
        ended = clock()
    console.progress(total, total, "invocations")
    # The collector writes rows from the destinations; give the last deliveries a moment to land.
    table = clients.client("dynamodb")
    expected = set(deployment.probe_function_names)
    rows, frame = count_rows(table, deployment, started)
    for _ in range(LANDING_CHECKS):
        if rows and expected <= set(frame["probe_key"]):
            break
        sleep(WAIT_STEP_S)
        rows, frame = count_rows(table, deployment, started)
    keys = set(frame["probe_key"]) if rows else set()
    fired_keys = {k for k, name in deployment.probe_function_names.items()
                  if name in {s.function_name for s in schedules}}
    statuses = frame["status"].value_counts().to_dict() if rows else {}
    counts = {str(k): int(v) for k, v in statuses.items()}
    bad = frame[frame["status"] != "ok"] if rows else frame
    problems = [f"{r.probe_key}/{r.store}: {r.status} ({r.error_types or 'no error type'})"
                for r in bad.itertuples()]
    return RoundsResult(fired, failed, rows, sorted(fired_keys - keys), counts, problems)


def report_rounds(result: RoundsResult, console: Console) -> int:
    """Print what the rounds produced; exit status 0 only if every probe has rows and every fire succeeded."""
    shown = ", ".join(f"{n} {s}" for s, n in sorted(result.statuses.items())) or "none"
    console.say(f"{result.fired} invocations → {result.rows} rows in the table ({shown})")
    if result.failed_to_fire:
        console.say(f"{result.failed_to_fire} invocations could not be started (see the lines above)")
    for problem in result.problems:
        console.say(f"  {problem}")
    if result.probes_without_rows:
        console.say(f"no rows from: {', '.join(result.probes_without_rows)}")
    return 0 if result.rows and not result.probes_without_rows and not result.failed_to_fire else 1


def watch(
    service: LambdaService, clients: EndpointClients, scheduler: Scheduler, deployment: Deployment,
    console: Console, first_row: Callable[[], None] | None = None,
) -> None:
    """Until interrupted: say when rounds fire, how many invocations are in flight, how many rows landed.

    Counts stay cheap however long the lab runs: only the last minutes of the table are read each time, and
    rows and finished requests already seen are remembered by id. `first_row` is called once, when the first
    row has landed (looked for every WAIT_STEP_S until then).
    """
    table = clients.client("dynamodb")
    started = dt.datetime.now(dt.UTC)
    seen_rows: set[tuple[str, str]] = set()
    done: set[str] = set()
    last: tuple[int, int, int] | None = None
    probes = set(deployment.probe_function_names.values())
    while True:
        next_report = time.monotonic() + WATCH_INTERVAL_S
        while time.monotonic() < next_report:
            time.sleep(WAIT_STEP_S if first_row is not None else max(next_report - time.monotonic(), 0))
            if first_row is not None and rows_landed(service, deployment):
                first_row()
                first_row = None
        probe_fires = [f for f in list(scheduler.fired) if f.function_name in probes]  # not the compactor's
        fired = {f.request_id for f in probe_fires if f.request_id is not None}
        done |= {o.request_id for o in list(service.outcomes) if o.request_id in fired}
        try:
            _, frame = count_rows(table, deployment, max(started, dt.datetime.now(dt.UTC) - ROW_LOOKBACK))
            seen_rows |= set(zip(frame["invocation_id"], frame["store"], strict=True))
        except Exception as exc:  # the table may be briefly unreadable; say so and keep watching
            console.say(f"cannot read the table: {type(exc).__name__}: {exc}")
        now = (len(probe_fires), len(fired - done), len(seen_rows))
        if now != last:
            nxt = scheduler.seconds_until_next()
            upcoming = f"; next round in {nxt:.0f} s" if nxt is not None else ""
            console.say(f"{now[0]} invocations fired, {now[1]} in flight, {now[2]} rows since start"
                        f"{upcoming}")
            last = now
