"""The probe in every tracing mode, deployed through the lab runtime as Terraform would deploy it, invoked
cold and then warm with its environment frozen between invocations, and what reached the lab's trace store
counted per invocation. Shared by the span-count and the secret tests (test_tracing_modes.py).

What is deployed (built here from the working tree with tools.build, on the dependency cache `make build`
fills): the probe code zip, its `current` dependency layer, the extension emulator's layer for the
`extension` strategy, the lab's ADOT layer for `adot`, and for `otel` a layer of
functions/probe/requirements/otel.txt installed as tools.pip_deps installs every dependency layer. Tracing is
Active for every mode but `off` (PassThrough), as the module plans it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.runtime import LambdaService
from lab.runtime.results import InvocationResult
from lab.xray import XRayListener
from tools import build as b
from tools.pip_deps import dependencies, dependency_entries, pip_install
from tools.zips import write_zip

from .conftest import Deployer

RUNTIME = "python3.11"
ARCH = "x86_64"
MODES = ("off", "subsegments", "patch_all", "otel", "adot")
STRATEGIES = ("sdk", "extension")
STORES = ("secretsmanager", "ssm")
WARM = 3  # N: warm hits per store and invocation
INVOCATIONS = 3  # the cold one, then two more in the same environment, each after it was frozen
OWN = ("cold_miss", "warm_hits")  # the probe's own subsegments / spans, one each per store


def build_artifacts(out: Path) -> dict[str, Path]:
    """The zips the fleet needs, from the working tree; dependencies from build/.cache when it has them."""
    cache = b.REPO / "build" / ".cache"
    b.build(out, RUNTIME, [ARCH], ["probe", "extension-layer", "adot-layer"], cache=cache, say=lambda _: None)
    requirements = b.REPO / "functions" / "probe" / "requirements" / "otel.txt"
    tree = dependencies(
        requirements, ARCH, RUNTIME.removeprefix("python"), cache, pip_install, lambda _: None
    )
    otel = out / f"test-deps-otel-{RUNTIME}-{ARCH}.zip"
    write_zip(otel, dependency_entries(tree, "python/"))
    return {
        "code": out / "probe-code.zip",
        "deps": out / f"deps-current-{RUNTIME}-{ARCH}.zip",
        "extension": out / f"extension-layer-{ARCH}.zip",
        "adot": out / f"adot-layer-{RUNTIME}-{ARCH}.zip",
        "otel": otel,
    }


@dataclass(frozen=True)
class Counts:
    """What one invocation added to the trace store: X-Ray documents (segments and streamed subsegments) and
    OTLP spans."""

    segments: int
    spans: int


@dataclass
class Run:
    """One probe (a strategy in a tracing mode) and its invocations."""

    strategy: str
    mode: str
    name: str
    results: list[InvocationResult] = field(default_factory=list)
    added: list[Counts] = field(default_factory=list)
    segments: list[list[dict[str, Any]]] = field(default_factory=list)  # per invocation
    spans: list[list[dict[str, Any]]] = field(default_factory=list)
    frozen: list[bool] = field(default_factory=list)  # the environment was frozen when its counts were read
    environments: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)  # every environment's AWS_SESSION_TOKEN / secret key


def settle(store: XRayListener) -> tuple[int, int]:
    """(segments, spans) once datagrams in flight have landed: no change for 0.3 s."""
    seen, unchanged = (len(store.segments()), len(store.spans())), 0
    while unchanged < 3:
        time.sleep(0.1)
        now = (len(store.segments()), len(store.spans()))
        seen, unchanged = now, (unchanged + 1 if now == seen else 0)
    return seen


def environment_secrets(pid: int) -> set[str]:
    """The credentials the lab gave one environment (its process's initial environment)."""
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    variables = dict(item.decode(errors="replace").partition("=")[::2] for item in raw if b"=" in item)
    return {variables[k] for k in ("AWS_SESSION_TOKEN", "AWS_SECRET_ACCESS_KEY") if variables.get(k)}


def layer(deployer: Deployer, zip_path: Path) -> str:
    """Publish a built layer zip (a copy in the artifacts dir, where the lab finds it by digest)."""
    copy = deployer.artifacts / zip_path.name
    if not copy.exists():
        copy.write_bytes(zip_path.read_bytes())
    response = deployer.lambda_client.publish_layer_version(
        LayerName=zip_path.stem.replace(".", "-"), Content={"ZipFile": copy.read_bytes()}
    )
    return str(response["LayerVersionArn"])


def deploy(
    deployer: Deployer, layers: dict[str, str], code: bytes, strategy: str, mode: str, fixture: dict[str, str]
) -> str:
    """Create the probe function for one strategy and tracing mode, as the module would; returns its name."""
    name = f"probe-{strategy}-{mode.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
    attached = [layers["deps"]]
    attached += [layers["extension"]] if strategy == "extension" else []
    attached += [layers[mode]] if mode in ("otel", "adot") else []
    env = {
        "OBSERVATORY_STRATEGY": strategy,
        "OBSERVATORY_ARCHITECTURE": ARCH,
        "OBSERVATORY_ENVIRONMENT": "lab",
        "OBSERVATORY_SECRET_ID": fixture["secret_id"],
        "OBSERVATORY_PARAMETER_NAME": fixture["parameter"],
        "OBSERVATORY_TRACING": mode,
        "OBSERVATORY_WARM_SAMPLES": str(WARM),
        "OBSERVATORY_PROBE_KEY": f"{strategy}-1769-{ARCH}" + ("" if mode == "subsegments" else f"-{mode}"),
    }
    if mode == "adot":
        env["AWS_LAMBDA_EXEC_WRAPPER"] = "/opt/otel-instrument"
    deployer.lambda_client.create_function(
        FunctionName=name,
        Runtime=RUNTIME,
        Role=deployer.role,
        Handler="probe.handler.handler",
        Code={"ZipFile": code},
        Timeout=60,
        MemorySize=1769,
        Architectures=[ARCH],
        Layers=attached,
        TracingConfig={"Mode": "PassThrough" if mode == "off" else "Active"},
        Environment={"Variables": env},
    )
    return name


def run_fleet(
    deployer: Deployer,
    service: LambdaService,
    store: XRayListener,
    artifacts: dict[str, Path],
    seed: dict[str, str],
) -> list[Run]:
    """Every strategy in every mode: INVOCATIONS invocations each, one probe at a time, counted one by one."""
    layers = {kind: layer(deployer, artifacts[kind]) for kind in ("deps", "extension", "adot", "otel")}
    code_copy = deployer.artifacts / artifacts["code"].name
    code_copy.write_bytes(artifacts["code"].read_bytes())
    runs = []
    for strategy in STRATEGIES:
        for mode in MODES:
            name = deploy(deployer, layers, code_copy.read_bytes(), strategy, mode, seed)
            run = Run(strategy, mode, name)
            for _ in range(INVOCATIONS):
                before = settle(store)
                result = service.invoke(name, {"source": "observatory.schedule"})
                after = settle(store)  # the environment is frozen by now: only what was sent can land
                [status] = [s for s in service.status() if s["function"] == name]
                run.frozen.append(bool(status["frozen"]))
                run.environments.add(str(status["environment_id"]))
                run.tokens |= environment_secrets(int(status["pid"]))
                run.results.append(result)
                run.added.append(Counts(after[0] - before[0], after[1] - before[1]))
                run.segments.append(store.segments()[before[0] : after[0]])
                run.spans.append(store.spans()[before[1] : after[1]])
            service.retire_all(name)  # one environment alive at a time: the host is shared
            runs.append(run)
    return runs


def record(run: Run, index: int) -> dict[str, Any]:
    """The probe's record of one invocation (the function's response)."""
    payload = run.results[index].payload
    assert run.results[index].ok and isinstance(payload, dict), payload
    return payload


def dump(run: Run) -> str:
    """For assertion messages: what each invocation added, by name."""
    lines = []
    for i, (segments, spans) in enumerate(zip(run.segments, run.spans, strict=True)):
        lines.append(f"#{i}: segments {[s.get('name') for s in segments]}")
        lines.append(f"#{i}: spans {[(s['name'], s['transport']) for s in spans]}")
    return "\n".join(lines)
