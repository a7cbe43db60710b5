"""CPU tiers: does the lab's per-environment CFS quota reproduce Lambda's 128 MB extension slowdown?

Two measurements, each at 128 MB and 1,769 MB emulated (quota = memory/1769 of a CPU per period):
- `mechanism`: a keep-alive `requests` client and a small Python HTTP server (TCP_NODELAY) sharing one cgroup,
  made by the lab's own `CgroupManager`; both start unthrottled, the quota is applied before the timed hits.
- `lab`: the whole lab path: a function run by `LambdaService` (real awslambdaric, Runtime and Extensions API)
  with the real extension emulator (`lab/extension`, as its layer) in the same cgroup, against moto; warm hits
  of the extension over a keep-alive session, and of a dict, timed inside the handler.
Printed beside the reference run (docs/reference/seed-2022-measurements.json). Nothing is asserted.

    python -m bench cpu_tiers                 # both, 100 hits x 3 invocations per tier
    python -m bench.bench_cpu_tiers --help
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "docs" / "reference" / "seed-2022-measurements.json"
TIERS = (128, 1769)
VARIANTS = ("plain", "xray")  # xray: the handler patched by aws-xray-sdk patch_all(), as the reference run

SERVER = r"""
import json, socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
BODY = json.dumps({"Name": "bench", "SecretString": "x" * 64}).encode()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

CLIENT = r"""
import json, sys, time
import requests
port, samples = sys.argv[1], int(sys.argv[2])
session = requests.Session()
url = f"http://127.0.0.1:{port}/secretsmanager/get?secretId=bench"
session.get(url).json()  # priming request: connection open, code paths warm
print("ready", flush=True)
sys.stdin.readline()  # the quota is applied now, as before Lambda's first INVOKE
hits = []
for _ in range(samples):
    start = time.perf_counter_ns()
    session.get(url).json()
    hits.append((time.perf_counter_ns() - start) / 1e6)
print(json.dumps(hits), flush=True)
"""

HANDLER = r"""
import os, time, urllib.parse
if os.environ.get("BENCH_XRAY") == "1":  # as the reference run: aws-xray-sdk with patch_all()
    from aws_xray_sdk.core import patch_all
    patch_all()
import requests
URL = ("http://127.0.0.1:" + os.environ["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"]
       + "/secretsmanager/get?secretId=" + urllib.parse.quote(os.environ["BENCH_SECRET_ID"]))
HEADERS = {"X-Aws-Parameters-Secrets-Token": os.environ["AWS_SESSION_TOKEN"]}
SESSION = requests.Session()
CACHE = {}

def fetch():
    for _ in range(500):
        response = SESSION.get(URL, headers=HEADERS)
        if response.status_code == 200:
            return response.json()["SecretString"]
        if response.status_code != 400:
            raise RuntimeError(f"extension answered {response.status_code}")
        time.sleep(0.01)
    raise RuntimeError("extension never became ready")

def handler(event, context):
    samples = int(event["samples"])
    start = time.perf_counter_ns()
    value = fetch()
    first = (time.perf_counter_ns() - start) / 1e6
    extension = []
    for _ in range(samples):
        start = time.perf_counter_ns()
        fetch()
        extension.append((time.perf_counter_ns() - start) / 1e6)
    CACHE["secret"] = value
    dict_hits = []
    for _ in range(samples):
        start = time.perf_counter_ns()
        CACHE["secret"]
        dict_hits.append((time.perf_counter_ns() - start) / 1e6)
    return {"first_ms": first, "extension": extension, "dict": dict_hits,
            "cpu": os.environ.get("OBSERVATORY_CPU_EMULATION")}
"""


def summary(samples: list[float]) -> dict[str, float]:
    """min / p50 / p90 / mean and the share of hits within ±2 ms of a non-zero multiple of 20 ms."""
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    near = [s for s in samples if s >= 18 and abs(s - 20 * round(s / 20)) <= 2]
    return {
        "n": len(samples),
        "min": ordered[0],
        "p50": statistics.median(ordered),
        "p90": p90,
        "mean": statistics.fmean(ordered),
        "grid": len(near) / len(samples),
    }


def reference() -> dict[tuple[str, int], dict[str, float]]:
    """Warm-hit figures of the 2022 reference run, by (strategy, memory)."""
    data = json.loads(REFERENCE.read_text())
    return {(row["strategy"], row["memory_mb"]): row for row in data["warm_hit_ms"]}


def _line(label: str, stats: dict[str, float], ref: dict[str, float] | None, unit: str = "ms") -> str:
    scale, digits = (1000.0, 2) if unit == "us" else (1.0, 2)
    text = (
        f"  {label:<20} n={stats['n']:<4} min {stats['min'] * scale:7.{digits}f}  "
        f"p50 {stats['p50'] * scale:7.{digits}f}  p90 {stats['p90'] * scale:7.{digits}f} {unit}  "
        f"within ±2 ms of k·20 ms {stats['grid']:4.0%}"
    )
    if ref:
        text += (
            f" | reference min {ref['min'] * scale:.{digits}f}  p50 {ref['median'] * scale:.{digits}f}  "
            f"p90 {ref['p90'] * scale:.{digits}f} {unit}"
        )
    return text


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_mechanism(
    samples: int, rounds: int, period_ms: float
) -> tuple[dict[int, list[float]], dict[int, float]]:
    """Client and server in one cgroup per tier (the lab's CgroupManager), quota applied after warm-up.
    Returns the hits per tier and the CPU (client + server, ms) each hit cost."""
    from lab.runtime.cgroups import CgroupManager

    manager = CgroupManager(period_ms=period_ms, name=f"slo-bench-{os.getpid()}", log=print)
    results: dict[int, list[float]] = {}
    cpu_per_hit: dict[int, float] = {}
    try:
        for memory in TIERS:
            hits: list[float] = []
            cpu_used = 0.0
            for round_no in range(rounds):
                group = manager.create(f"mech-{memory}-{round_no}", memory)
                procs: list[subprocess.Popen[str]] = []
                try:
                    server = subprocess.Popen(
                        group.wrap([sys.executable, "-c", SERVER]),
                        stdout=subprocess.PIPE,
                        text=True,
                        start_new_session=True,
                    )
                    procs.append(server)
                    assert server.stdout is not None
                    port = server.stdout.readline().strip()
                    client = subprocess.Popen(
                        group.wrap([sys.executable, "-c", CLIENT, port, str(samples)]),
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        text=True,
                        start_new_session=True,
                    )
                    procs.append(client)
                    assert client.stdout is not None and client.stdin is not None
                    if client.stdout.readline().strip() != "ready":
                        raise RuntimeError("the bench client did not start")
                    group.throttle()
                    before = _cpu_s(client.pid) + _cpu_s(server.pid)
                    client.stdin.write("go\n")
                    client.stdin.flush()
                    hits += json.loads(client.stdout.readline())
                    cpu_used += _cpu_s(client.pid) + _cpu_s(server.pid) - before
                    client.wait(timeout=60)
                finally:
                    for proc in procs:
                        if proc.poll() is None:
                            proc.kill()
                        proc.wait(timeout=10)
                    group.remove()
            results[memory] = hits
            cpu_per_hit[memory] = cpu_used * 1000 / max(len(hits), 1)
    finally:
        manager.close()
    return results, cpu_per_hit


def _layer_zip(path: Path) -> None:
    """The extension layer as contract §6 lays it out, from the working tree (its Python deps come from
    the project's .venv via SLO_EXTENSION_PYTHON instead of being installed into the layer)."""
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("extensions/slo-parameters-secrets", (2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o100755 << 16
        archive.writestr(info, (REPO / "lab" / "extension" / "launcher.sh").read_text())
        archive.write(REPO / "lab" / "__init__.py", "slo-parameters-secrets/lab/__init__.py")
        for source in sorted((REPO / "lab" / "extension").glob("*.py")):
            archive.write(source, f"slo-parameters-secrets/lab/extension/{source.name}")


def run_lab(samples: int, rounds: int, period_ms: float) -> dict[tuple[str, int], dict[str, Any]]:
    """The emulator and a handler in one environment of the lab's LambdaService, against moto over HTTP."""
    from moto.server import ThreadedMotoServer

    from lab.endpoint.clients import EndpointClients
    from lab.runtime import LambdaService
    from lab.xray import XRayListener

    with tempfile.TemporaryDirectory(prefix="bench-cpu-tiers-") as tmp:
        work = Path(tmp)
        artifacts = work / "build"
        artifacts.mkdir()
        port = _free_port()
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        moto.start()
        clients = EndpointClients(endpoint_url=f"http://127.0.0.1:{port}")
        service = None
        xray = None
        try:
            lam = clients.client("lambda")
            role = clients.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"][
                "Arn"
            ]
            secret_id = "bench-canary"
            clients.client("secretsmanager").create_secret(
                Name=secret_id, SecretString=secrets.token_urlsafe(24)
            )
            _layer_zip(artifacts / "extension-layer.zip")
            layer = lam.publish_layer_version(
                LayerName="slo-bench-extension",
                Content={"ZipFile": (artifacts / "extension-layer.zip").read_bytes()},
            )
            with zipfile.ZipFile(artifacts / "handler.zip", "w") as archive:
                archive.writestr(zipfile.ZipInfo("h.py", (2020, 1, 1, 0, 0, 0)), HANDLER)
            names = {}
            for variant in VARIANTS:
                for memory in TIERS:
                    name = f"bench-{variant}-{memory}-{uuid.uuid4().hex[:6]}"
                    lam.create_function(
                        FunctionName=name,
                        Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
                        Role=role,
                        Handler="h.handler",
                        Code={"ZipFile": (artifacts / "handler.zip").read_bytes()},
                        Timeout=300,
                        MemorySize=memory,
                        Layers=[layer["LayerVersionArn"]],
                        TracingConfig={"Mode": "Active" if variant == "xray" else "PassThrough"},
                        Environment={
                            "Variables": {
                                "BENCH_SECRET_ID": secret_id,
                                "BENCH_XRAY": "1" if variant == "xray" else "0",
                                "SLO_EXTENSION_PYTHON": sys.executable,
                                "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(_free_port()),
                                "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL": "WARN",
                            }
                        },
                    )
                    names[(variant, memory)] = name
            xray = XRayListener()
            service = LambdaService(
                clients=clients,
                artifacts_dir=artifacts,
                work_dir=work / "runtime",
                cpu_period_ms=period_ms,
                xray=xray,
                log=lambda message: None,
            )
            results: dict[tuple[str, int], dict[str, Any]] = {}
            for key, name in names.items():
                ext: list[float] = []
                dict_hits: list[float] = []
                firsts: list[float] = []
                mode = "?"
                for _ in range(rounds):
                    result = service.invoke(name, {"samples": samples})
                    if not result.ok:
                        raise RuntimeError(f"bench function failed: {result.payload} (log {result.log_path})")
                    ext += result.payload["extension"]
                    dict_hits += result.payload["dict"]
                    firsts.append(result.payload["first_ms"])
                    mode = result.payload["cpu"]
                results[key] = {"extension": ext, "dict": dict_hits, "first": firsts, "cpu": mode}
            results[("segments", 0)] = {"n": len(xray.segments())}
            return results
        finally:
            if service is not None:
                service.close()
            if xray is not None:
                xray.close()
            moto.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str] | None = None) -> None:
    """Measure and print; `argv` None means the defaults (as `python -m bench` calls it)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_cpu_tiers", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--samples", type=int, default=100, help="warm hits per invocation (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="invocations per tier (default 3)")
    parser.add_argument("--period-ms", type=float, default=20.0, help="CFS period in ms (default 20)")
    parser.add_argument("--part", choices=["both", "mechanism", "lab"], default="both")
    args = parser.parse_args(argv if argv is not None else [])
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    ref = reference()
    print(
        f"CPU tiers, period {args.period_ms:g} ms, {args.samples} hits x {args.rounds} per tier; "
        f"reference: {REFERENCE.relative_to(REPO)} (one 2022 run on AWS, n=100)"
    )
    if args.part in ("both", "mechanism"):
        mech, cpu_per_hit = run_mechanism(args.samples, args.rounds, args.period_ms)
        print("mechanism: keep-alive requests client + TCP_NODELAY HTTP server in one cgroup")
        stats = {memory: summary(hits) for memory, hits in mech.items()}
        for memory in TIERS:
            print(_line(f"{memory} MB", stats[memory], ref.get(("extension", memory))))
        quota = {memory: memory / 1769 * args.period_ms for memory in TIERS}
        print(
            "  CPU per hit (client + server, from /proc): "
            + ", ".join(f"{m} MB {cpu_per_hit[m]:.2f} ms (quota {quota[m]:.2f} ms/period)" for m in TIERS)
        )
        print(
            f"  p50 ratio 128/1769: lab {stats[128]['p50'] / stats[1769]['p50']:.1f}x   "
            f"reference {ref[('extension', 128)]['median'] / ref[('extension', 1769)]['median']:.1f}x"
        )
    if args.part in ("both", "lab"):
        lab = run_lab(args.samples, args.rounds, args.period_ms)
        print(
            f"lab: LambdaService + extension emulator (CPU emulation: {lab[('plain', 128)]['cpu']}); "
            f"{lab[('segments', 0)]['n']} X-Ray segments kept"
        )
        ext = {key: summary(value["extension"]) for key, value in lab.items() if key[0] in VARIANTS}
        dicts = {key: summary(value["dict"]) for key, value in lab.items() if key[0] in VARIANTS}
        for variant in VARIANTS:
            label = "extension" if variant == "plain" else "ext+X-Ray"
            for memory in TIERS:
                print(_line(f"{label} {memory} MB", ext[(variant, memory)], ref.get(("extension", memory))))
        for memory in TIERS:
            print(_line(f"dict {memory} MB", dicts[("plain", memory)], ref.get(("dict", memory)), unit="us"))
        for variant in VARIANTS:
            for memory in TIERS:
                firsts = ", ".join(f"{f:.1f}" for f in lab[(variant, memory)]["first"])
                print(f"  first fetch per invocation, {variant} {memory} MB (miss, then cached): {firsts} ms")
        ref_ratio = ref[("extension", 128)]["median"] / ref[("extension", 1769)]["median"]
        for variant in VARIANTS:
            ratio = ext[(variant, 128)]["p50"] / ext[(variant, 1769)]["p50"]
            print(f"  extension p50 ratio 128/1769 ({variant}): lab {ratio:.1f}x, reference {ref_ratio:.1f}x")
        print(
            f"  dict p50 ratio 128/1769: "
            f"lab {dicts[('plain', 128)]['p50'] / dicts[('plain', 1769)]['p50']:.2f}x"
            f"   reference {ref[('dict', 128)]['median'] / ref[('dict', 1769)]['median']:.2f}x"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
