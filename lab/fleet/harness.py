"""What runs the deployed fleet: the lab's Lambda service (with its X-Ray listener) against the endpoint,
and the schedules at the endpoint that invoke the deployment's probes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lab.errors import LabError
from lab.scheduler import Schedule, ScheduleSourceError, load_schedules

if TYPE_CHECKING:
    from lab.cli.console import Console
    from lab.endpoint.clients import EndpointClients
    from lab.fleet.hostspeed import HostSpeed
    from lab.runtime import LambdaService
    from lab.runtime.venvs import RuntimeEnvironments
    from lab.settings import LabConfig
    from lab.state import Deployment
    from lab.xray import XRayListener


def open_service(
    clients: EndpointClients, config: LabConfig, console: Console, tag: str, host: HostSpeed | None = None,
    environments: RuntimeEnvironments | None = None,
) -> tuple[LambdaService, XRayListener]:
    """The lab's Lambda service and its X-Ray listener, working in `state_dir/tag`; the caller closes both.

    Each function runs under its runtime's environment in `state_dir/runtimes` (made on first use if `up` has
    not made it); every environment is told `host` (this machine's speed: measured now if not given).
    """
    from lab.fleet.hostspeed import measure
    from lab.runtime import LambdaService
    from lab.runtime.venvs import RuntimeEnvironments
    from lab.xray import XRayListener

    if host is None:
        host = measure()
        console.say(host.describe())
    if environments is None:
        environments = RuntimeEnvironments(config.state_dir / "runtimes", console.say)

    xray = XRayListener(path=config.state_dir / tag / "xray-segments.jsonl")
    try:
        service = LambdaService(
            clients=clients,
            artifacts_dir=config.artifacts_dir,
            work_dir=config.state_dir / tag,
            cpu_period_ms=config.cpu_period_ms,
            idle_timeout_s=config.idle_timeout_s,
            max_concurrent_probes=config.max_concurrent_probes,
            xray=xray,
            log=console.log,
            runtimes=environments,
            host_cpu=host.cpu,
            host_ref_ms=host.reference_ms,
        )
    except Exception:
        xray.close()
        raise
    return service, xray


def prepare_runtimes(
    clients: EndpointClients, function_names: Sequence[str], config: LabConfig, console: Console
) -> RuntimeEnvironments:
    """The environments of the runtimes these deployed functions use, made now (a missing interpreter is a
    LabError naming its install command), before any of them is invoked."""
    from lab.runtime.lambda_errors import RuntimeEnvironmentError
    from lab.runtime.venvs import RuntimeEnvironments

    client = clients.client("lambda")
    runtimes = sorted({client.get_function_configuration(FunctionName=name).get("Runtime", "")
                       for name in dict.fromkeys(function_names) if name})
    environments = RuntimeEnvironments(config.state_dir / "runtimes", console.say)
    try:
        environments.check(runtimes)
        for runtime in runtimes:
            environments.ensure(runtime)
    except RuntimeEnvironmentError as exc:
        raise LabError(str(exc)) from exc
    return environments


def read_fleet_schedules(
    clients: EndpointClients, deployment: Deployment, console: Console
) -> list[Schedule]:
    """The schedules at the endpoint that invoke this deployment's probes."""
    try:
        schedules = load_schedules(clients, log=console.log)
    except ScheduleSourceError as exc:
        raise LabError(str(exc)) from exc
    ours = set(deployment.probe_function_names.values())
    fleet = [s for s in schedules if s.function_name in ours]
    if not fleet:
        raise LabError("the endpoint has no schedule that invokes a probe: did terraform/envs/local apply?")
    return fleet


def read_job_schedules(clients: EndpointClients, deployment: Deployment, console: Console) -> list[Schedule]:
    """The schedules at the endpoint that run the deployment's jobs (the compactor), not its probes: `up`
    fires them with the probes' on the scheduler; rounds (`run`, `up --rounds`) never do."""
    if not deployment.compactor_function_name:
        return []
    try:
        schedules = load_schedules(clients, log=console.log)
    except ScheduleSourceError as exc:
        raise LabError(str(exc)) from exc
    return [s for s in schedules if s.function_name == deployment.compactor_function_name]


def function_and_payload(
    function: str, deployment: Deployment, schedules: Sequence[Schedule]
) -> tuple[str, Any]:
    """The function named by `function` (a name or a probe key) and its schedule's input (else `{}`)."""
    name = deployment.probe_function_names.get(function, function)
    for schedule in schedules:
        if schedule.function_name == name:
            return name, schedule.input
    return name, {}
