"""The lab's Lambda service against moto over HTTP: real awslambdaric, real processes, real cgroups."""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lab.runtime import CodeMismatchError, FunctionNotFoundError, LambdaService, quota_us
from lab.xray import XRayListener

from .conftest import Deployer, installed

ECHO = """
import os
def handler(event, context):
    print("echo", event.get("n"))
    keys = ["OBSERVATORY_CPU_EMULATION", "OBSERVATORY_COLD_CAUSE", "AWS_LAMBDA_FUNCTION_NAME",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION",
            "AWS_DEFAULT_REGION", "LAMBDA_TASK_ROOT", "_HANDLER", "AWS_EXECUTION_ENV",
            "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "_X_AMZN_TRACE_ID",
            "AWS_LAMBDA_RUNTIME_API", "MY_SETTING", "PYTHONPATH"]
    return {"event": event, "request_id": context.aws_request_id, "env": {k: os.environ.get(k) for k in keys},
            "cwd": os.getcwd(), "remaining_ms": context.get_remaining_time_in_millis()}
"""

CGROUP_READER = """
import os
def quota():
    for line in open("/proc/self/cgroup"):
        _, controllers, path = line.strip().split(":", 2)
        if "cpu" in controllers.split(","):
            base = "/sys/fs/cgroup/cpu" + path
            quota = int(open(base + "/cpu.cfs_quota_us").read())
            return quota, int(open(base + "/cpu.cfs_period_us").read()), path
    return None
AT_INIT = quota()
def handler(event, context):
    return {"init": AT_INIT, "invoke": quota(), "pid": os.getpid()}
"""


def test_invoke_runs_the_deployed_code_with_lambda_environment(
    deployer: Deployer, make_service: Callable[..., LambdaService], aws_endpoint: str
) -> None:
    name = deployer.function(ECHO, memory=256, env={"MY_SETTING": "from-terraform"})
    service = make_service()

    first = service.invoke(name, {"n": 1})

    assert first.ok and first.status_code == 200
    assert first.payload["event"] == {"n": 1}
    assert first.payload["request_id"] == first.request_id
    assert first.cold and first.cold_cause == "first_start"
    env = first.payload["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "h.handler"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_ENDPOINT_URL"] == aws_endpoint
    assert env["MY_SETTING"] == "from-terraform"
    assert env["OBSERVATORY_COLD_CAUSE"] == "first_start"
    assert env["OBSERVATORY_CPU_EMULATION"] == service.cgroups.mode  # cgroup-v1 here (root); none elsewhere
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    assert env["PYTHONPATH"].split(":")[0] == env["LAMBDA_TASK_ROOT"] == first.payload["cwd"]
    assert 0 < first.payload["remaining_ms"] <= 10_000

    second = service.invoke(name, {"n": 2})
    assert second.ok and not second.cold and second.cold_cause is None
    assert second.environment_id == first.environment_id
    assert (
        second.payload["env"]["AWS_SESSION_TOKEN"] == env["AWS_SESSION_TOKEN"]
    )  # same environment, same token

    log = Path(str(first.log_path)).read_text()
    assert f"START RequestId: {first.request_id}" in log and "echo 1" in log and "echo 2" in log
    assert f"REPORT RequestId: {second.request_id}" in log


def test_force_cold_gives_a_new_environment_and_a_fresh_session_token(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function(ECHO)
    service = make_service()
    first = service.invoke(name, {})
    forced = service.invoke(name, {}, force_cold=True)
    assert forced.cold and forced.cold_cause == "forced"
    assert forced.payload["env"]["OBSERVATORY_COLD_CAUSE"] == "forced"
    assert forced.environment_id != first.environment_id
    assert forced.payload["env"]["AWS_SESSION_TOKEN"] != first.payload["env"]["AWS_SESSION_TOKEN"]
    assert [s["environment_id"] for s in service.status()] == [forced.environment_id]
    assert json.loads(json.dumps(forced.to_dict()))["cold_cause"] == "forced"
    assert service.retire_all(name) == 1 and service.status() == []
    after = service.invoke(name, {})
    assert after.cold and after.cold_cause == "forced"


def test_idle_environment_is_retired_and_the_next_start_says_idle_expiry(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function(ECHO)
    service = make_service(idle_timeout_s=0.5)
    first = service.invoke(name, {})
    pid = service.status()[0]["pid"]
    for _ in range(100):
        if not service.status():
            break
        time.sleep(0.1)
    assert service.status() == []
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    again = service.invoke(name, {})
    assert again.cold and again.cold_cause == "idle_expiry"
    assert again.payload["env"]["OBSERVATORY_COLD_CAUSE"] == "idle_expiry"
    assert again.environment_id != first.environment_id


def test_function_error_is_reported_as_lambda_does(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function(
        "def handler(event, context):\n    raise ValueError('bad input ' + str(event['n']))\n"
    )
    service = make_service()
    result = service.invoke(name, {"n": 7})
    assert result.function_error == "Unhandled"
    assert result.error_type == "ValueError"
    assert result.payload["errorType"] == "ValueError"
    assert result.payload["errorMessage"] == "bad input 7"
    assert result.payload["requestId"] == result.request_id
    # a handled error does not discard the environment
    assert service.invoke(name, {"n": 8}).environment_id == result.environment_id


def test_init_error_is_reported_and_the_environment_discarded(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function("import no_such_module_here\ndef handler(event, context):\n    return 1\n")
    service = make_service()
    result = service.invoke(name, {})
    assert result.function_error == "Unhandled"
    assert result.error_type == "Runtime.ImportModuleError"
    assert service.status() == []


def test_timeout_kills_the_environment_and_reports_sandbox_timedout(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function("import time\ndef handler(event, context):\n    time.sleep(60)\n", timeout=1)
    service = make_service()
    started = service.invoke(name, {}, force_cold=False)
    assert started.function_error == "Unhandled"
    assert started.error_type == "Sandbox.Timedout"
    assert (
        started.payload["errorMessage"]
        == f"RequestId: {started.request_id} Error: Task timed out after 1.00 seconds"
    )
    assert service.status() == []  # discarded
    assert "Task timed out after 1.00 seconds" in Path(str(started.log_path)).read_text()
    assert service.cgroups.live_groups() == []
    after = service.invoke(name, {})
    assert after.cold and after.environment_id != started.environment_id


def test_code_that_does_not_match_a_built_artifact_is_refused(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function(ECHO, in_artifacts=False)
    service = make_service()
    with pytest.raises(CodeMismatchError, match="refusing to run function"):
        service.invoke(name, {})
    assert service.status() == []


def test_unknown_function_is_a_clear_error(make_service: Callable[..., LambdaService]) -> None:
    service = make_service()
    with pytest.raises(FunctionNotFoundError, match="not deployed"):
        service.invoke("no-such-function", {})
    with pytest.raises(FunctionNotFoundError):
        service.invoke_async("no-such-function", {})


def test_cgroup_quota_applies_from_the_first_invoke_and_is_removed(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function(CGROUP_READER, memory=512)
    service = make_service(cpu_period_ms=20.0)
    if service.cgroups.mode != "cgroup-v1":
        pytest.skip(f"this test reads cgroup v1 files; the machine offers {service.cgroups.mode}")
    result = service.invoke(name, {})
    assert result.ok, result.payload
    init_quota, init_period, cgroup_path = result.payload["init"]
    assert init_quota == -1 and init_period == 20_000  # INIT unthrottled
    assert result.payload["invoke"][:2] == [quota_us(512, 20_000), 20_000] == [5789, 20_000]
    status = service.status()[0]
    group = Path(status["cgroup"])
    assert cgroup_path.endswith(status["environment_id"])
    assert int((group / "cpu.cfs_quota_us").read_text()) == 5789
    procs = {int(p) for p in (group / "cgroup.procs").read_text().split()}
    assert result.payload["pid"] in procs and os.getpid() not in procs
    service.close()
    assert not group.exists() and not group.parent.exists()


def test_no_cgroup_fallback_runs_unthrottled_and_says_so(
    deployer: Deployer, make_service: Callable[..., LambdaService], lab_log: list[str], tmp_path: Path
) -> None:
    read_only = tmp_path / "not-a-cgroup"
    read_only.mkdir()
    read_only.chmod(0o555)
    name = deployer.function(ECHO)
    service = make_service(cgroup_v1_root=read_only, cgroup_v2_root=read_only)
    result = service.invoke(name, {})
    assert result.ok
    assert result.payload["env"]["OBSERVATORY_CPU_EMULATION"] == "none"
    assert service.status()[0]["cgroup"] is None
    assert any("unthrottled" in message for message in lab_log)
    assert list(read_only.iterdir()) == []


EXTENSION = """#!/usr/bin/env python3
import json, os, sys, urllib.request
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
out = os.environ["EXT_EVENTS_FILE"]
name = os.path.basename(sys.argv[0])
req = urllib.request.Request(f"http://{api}/2020-01-01/extension/register", method="POST",
                             data=json.dumps({"events": ["INVOKE", "SHUTDOWN"]}).encode(),
                             headers={"Lambda-Extension-Name": name})
with urllib.request.urlopen(req) as resp:
    ext_id = resp.headers["Lambda-Extension-Identifier"]
    registered = json.load(resp)
with open(out, "a") as f:
    f.write(json.dumps({"registered": registered}) + "\\n")
while True:
    req = urllib.request.Request(f"http://{api}/2020-01-01/extension/event/next",
                                 headers={"Lambda-Extension-Identifier": ext_id})
    with urllib.request.urlopen(req) as resp:
        event = json.load(resp)
    with open(out, "a") as f:
        f.write(json.dumps(event) + "\\n")
    if event["eventType"] == "SHUTDOWN":
        sys.exit(0)
"""


def test_extension_registers_and_receives_invoke_and_shutdown(
    deployer: Deployer, make_service: Callable[..., LambdaService], tmp_path: Path
) -> None:
    events_file = tmp_path / "events.jsonl"
    layer = deployer.layer(
        {
            "extensions/test-ext": (EXTENSION, 0o755),
            "python/layer_lib.py": ("VALUE = 'from the layer'\n", 0o644),
        }
    )
    name = deployer.function(
        "import layer_lib\ndef handler(event, context):\n    return layer_lib.VALUE\n",
        layers=[layer],
        env={"EXT_EVENTS_FILE": str(events_file)},
    )
    service = make_service()
    first = service.invoke(name, {})
    second = service.invoke(name, {})
    assert first.payload == second.payload == "from the layer"
    assert service.status()[0]["extensions"] == ["test-ext"]
    service.close()
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    assert events[0]["registered"]["functionName"] == name
    assert events[0]["registered"]["handler"] == "h.handler"
    invokes = [e for e in events[1:] if e["eventType"] == "INVOKE"]
    assert [e["requestId"] for e in invokes] == [first.request_id, second.request_id]
    assert invokes[0]["invokedFunctionArn"].endswith(f":function:{name}")
    assert invokes[0]["tracing"]["type"] == "X-Amzn-Trace-Id"
    assert invokes[0]["deadlineMs"] > time.time() * 1000 - 60_000
    assert events[-1]["eventType"] == "SHUTDOWN" and events[-1]["shutdownReason"] == "spindown"


XRAY_FUNCTION = """
from aws_xray_sdk.core import xray_recorder
def handler(event, context):
    with xray_recorder.in_subsegment("probe-work") as sub:
        sub.put_annotation("strategy", "dict")
    return "traced"
"""


def test_xray_segments_sent_by_the_function_are_kept(
    deployer: Deployer, make_service: Callable[..., LambdaService], tmp_path: Path
) -> None:
    with XRayListener(path=tmp_path / "segments.jsonl") as xray:
        name = deployer.function(XRAY_FUNCTION, tracing=True, bundle=installed("aws_xray_sdk", "wrapt"))
        service = make_service(xray=xray)
        result = service.invoke(name, {})
        assert result.ok, result.payload
        for _ in range(50):
            if xray.segments(name="probe-work"):
                break
            time.sleep(0.1)
        [sub] = xray.segments(name="probe-work")
        assert sub["annotations"] == {"strategy": "dict"}
        [function_segment] = xray.segments(name=name)
        assert sub["trace_id"] == function_segment["trace_id"]
        assert sub["parent_id"] == function_segment["id"]
        kept = [json.loads(line) for line in (tmp_path / "segments.jsonl").read_text().splitlines()]
        assert {d["name"] for d in kept} == {"probe-work", name}


def test_runtime_that_exits_mid_invoke_is_reported_and_discarded(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function("import os\ndef handler(event, context):\n    os._exit(3)\n")
    service = make_service()
    result = service.invoke(name, {})
    assert result.function_error == "Unhandled"
    assert result.error_type == "Runtime.ExitError"
    assert "exit status 3" in result.payload["errorMessage"]
    assert service.status() == []


SPAN = """
import threading
import time
def handler(event, context):
    start = time.monotonic()
    time.sleep(event.get("sleep", 0.3))
    return [start, time.monotonic()]
"""


def test_probe_environments_run_one_at_a_time(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    probes = [deployer.function(SPAN, env={"OBSERVATORY_STRATEGY": "dict"}) for _ in range(3)]
    collector = deployer.function(SPAN)
    service = make_service(max_concurrent_probes=1)
    results: dict[str, list[float]] = {}

    def run(name: str) -> None:
        results[name] = service.invoke(name, {"sleep": 1.0 if name == collector else 0.3}).payload

    threads = [threading.Thread(target=run, args=(name,)) for name in [*probes, collector]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    spans = sorted(results[name] for name in probes)
    assert len(spans) == 3
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))  # never overlapping
    collector_span = results[collector]
    # the collector is not a probe: it ran alongside one of them
    assert any(start < collector_span[1] and collector_span[0] < end for start, end in spans)


CRASHING_EXTENSION = EXTENSION.replace(
    'if event["eventType"] == "SHUTDOWN":', 'if event["eventType"] in ("INVOKE", "SHUTDOWN"):'
).replace("sys.exit(0)", "sys.exit(5)")


def test_extension_that_exits_during_invoke_fails_the_invocation(
    deployer: Deployer, make_service: Callable[..., LambdaService], tmp_path: Path
) -> None:
    layer = deployer.layer({"extensions/crashy": (CRASHING_EXTENSION, 0o755)})
    name = deployer.function(
        "def handler(event, context):\n    return 1\n",
        layers=[layer],
        env={"EXT_EVENTS_FILE": str(tmp_path / "events.jsonl")},
    )
    service = make_service()
    result = service.invoke(name, {})
    assert result.function_error == "Unhandled"
    assert result.error_type == "Extension.Crash"
    assert "exit status 5" in result.payload["errorMessage"]
    assert service.status() == []


PORT_OF = """
import os
def handler(event, context):
    return os.environ["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"]
"""


def test_each_environment_with_extensions_gets_its_own_extension_port(
    deployer: Deployer, make_service: Callable[..., LambdaService], tmp_path: Path
) -> None:
    """Lambda isolates each environment's network; the lab shares one loopback, so ports must not clash."""
    layer = deployer.layer({"extensions/test-ext": (EXTENSION, 0o755)})
    env = {
        "EXT_EVENTS_FILE": str(tmp_path / "events.jsonl"),
        "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "2773",
    }
    first = deployer.function(PORT_OF, layers=[layer], env=env)
    second = deployer.function(PORT_OF, layers=[layer], env=env)
    plain = deployer.function(PORT_OF, env={"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "2773"})
    service = make_service()
    ports = [service.invoke(name, {}).payload for name in (first, second)]
    assert len(set(ports)) == 2
    assert sorted(ports) == sorted(str(s["extension_port"]) for s in service.status() if s["extension_port"])
    assert service.invoke(plain, {}).payload == "2773"  # no extensions: the function's own value stands
