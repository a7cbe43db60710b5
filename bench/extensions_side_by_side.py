"""The two extensions side by side in the lab: the Parameters and Secrets extension emulator (`lab/extension`,
localhost:2773's API) and the Cloud Extensions emulator (`lab/cloud_extensions`, localhost:5333's), each with
its client in one CPU cgroup at 128 and 1,769 MB (the lab's `CgroupManager`: quota = memory / 1,769 of a CPU
per 20 ms period, applied after the first fetch, as before Lambda's first INVOKE), on this host, in one run,
tiers and extensions interleaved round by round. Part of `python -m bench extension`.

Each client is called as the probe calls it (functions/probe/strategies): the Parameters and Secrets
extension with a keep-alive `requests.Session` and the session token header; Cloud Extensions as AWS's Lambda
example does, a GET signed with botocore's `SigV4Auth` (service `secretsmanager`, the environment's
credentials: the default `runtimeCredentials` authentication) sent with `urllib`, the profile's SSRF token
check off as the Terraform profile sets it. A hit is timed from building the request to the parsed body; the
signing inside it is timed apart. The CPU each hit cost is read from /proc for the client and the emulator.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
TIERS = (128, 1769)
KINDS = ("px", "cx")  # Parameters and Secrets extension, Cloud Extensions
NAMES = {
    "px": "Parameters and Secrets extension (lab/extension)",
    "cx": "Cloud Extensions (lab/cloud_extensions)",
}
MODULES = {"px": "lab.extension", "cx": "lab.cloud_extensions"}
PORT_VARIABLES = {
    "px": "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT",
    "cx": "OBSERVATORY_LAB_CLOUD_EXTENSIONS_PORT",
}
# the profile the lab's emulator reads (lab-only); the SSRF check off, as AWS's Lambda example and our profile
CX_PROFILE = json.dumps({"secretsmanager": {"ssrfTokenHeaderCheck": False}})

CLIENT = r"""
import json, os, sys, time, urllib.parse, urllib.request
kind, port, secret, samples = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
query = "secretId=" + urllib.parse.quote(secret, safe="")
if kind == "px":  # as functions/probe/strategies/extension.py
    import requests
    session = requests.Session()
    url = f"http://localhost:{port}/secretsmanager/get?{query}"
    headers = {"X-Aws-Parameters-Secrets-Token": os.environ["AWS_SESSION_TOKEN"]}
    def fetch():
        response = session.get(url, headers=headers, timeout=(2, 30))
        if response.status_code != 200:
            raise SystemExit(f"extension answered {response.status_code}: {response.text[:200]}")
        return response.json()["SecretString"], None
else:  # as functions/probe/strategies/cloud_extensions.py (AWS's Lambda example: urllib + botocore)
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.session import get_session
    url = f"http://localhost:{port}/secretsmanager/get?{query}"
    credentials = get_session().get_credentials()
    region = os.environ["AWS_REGION"]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    def fetch():
        started = time.perf_counter_ns()
        request = AWSRequest(method="GET", url=url)
        SigV4Auth(credentials.get_frozen_credentials(), "secretsmanager", region).add_auth(request)
        headers = dict(request.headers.items())
        signing = time.perf_counter_ns() - started
        outgoing = urllib.request.Request(url, headers=headers, method="GET")
        with opener.open(outgoing, timeout=30) as response:
            return json.loads(response.read())["SecretString"], signing
for _ in range(200):  # the first fetch: the miss (retried while the emulator starts)
    try:
        fetch()
        break
    except OSError:
        time.sleep(0.05)
else:
    raise SystemExit("the emulator never answered")
print("ready", flush=True)
sys.stdin.readline()  # the quota is applied now
hits, signs = [], []
for _ in range(samples):
    started = time.perf_counter_ns()
    _, signing = fetch()
    hits.append((time.perf_counter_ns() - started) / 1e6)
    if signing is not None:
        signs.append(signing / 1e6)
print(json.dumps({"hits": hits, "signs": signs}), flush=True)
"""


class SideBySideError(RuntimeError):
    """The side-by-side run cannot run here (an emulator missing, a process that did not start)."""


@dataclass
class Measured:
    """One extension at one tier, over every round."""

    hits: list[float] = field(default_factory=list)  # ms
    signs: list[float] = field(default_factory=list)  # ms, Cloud Extensions only
    client_cpu_ms: float = 0.0
    emulator_cpu_ms: float = 0.0

    def cpu_per_hit(self) -> tuple[float, float]:
        n = max(len(self.hits), 1)
        return self.client_cpu_ms / n, self.emulator_cpu_ms / n


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_ms(pid: int) -> float:
    """User + system CPU a process has used (ms, /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def p50(values: list[float]) -> float:
    """The median (the figures' p50)."""
    return float(statistics.median(values))


def check_emulators() -> None:
    """Both emulators must be in this tree: a clear error otherwise."""
    for kind, module in MODULES.items():
        if importlib.util.find_spec(module) is None:
            raise SideBySideError(f"{NAMES[kind]}: module {module} is not in this tree ({REPO_ROOT})")


def _one(group: Any, kind: str, env: dict[str, str], secret: str, samples: int) -> Measured:
    """One round of one extension in one fresh cgroup: emulator and client started unthrottled, the first
    fetch made, the quota applied, `samples` hits timed."""
    port = _free_port()
    emulator_env = {**env, PORT_VARIABLES[kind]: str(port)}
    procs: list[subprocess.Popen[str]] = []
    try:
        emulator = subprocess.Popen(
            group.wrap([sys.executable, "-m", MODULES[kind], "--standalone", "--port", str(port)]),
            cwd=REPO_ROOT, env=emulator_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        procs.append(emulator)
        client = subprocess.Popen(
            group.wrap([sys.executable, "-c", CLIENT, kind, str(port), secret, str(samples)]),
            cwd=REPO_ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        procs.append(client)
        assert client.stdout is not None and client.stdin is not None
        if client.stdout.readline().strip() != "ready":
            err = emulator.stderr.read()[-500:] if emulator.poll() is not None and emulator.stderr else ""
            raise SideBySideError(
                f"{NAMES[kind]}: the first fetch failed (client exit {client.wait()}) {err}"
            )
        group.throttle()
        before = _cpu_ms(client.pid), _cpu_ms(emulator.pid)
        client.stdin.write("go\n")
        client.stdin.flush()
        result = json.loads(client.stdout.readline())
        after = _cpu_ms(client.pid), _cpu_ms(emulator.pid)
        client.wait(timeout=60)
        return Measured(result["hits"], result["signs"], after[0] - before[0], after[1] - before[1])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


def run(
    samples: int, rounds: int, period_ms: float = 20.0, log: Callable[[str], None] = print
) -> tuple[dict[tuple[str, int], Measured], str]:
    """Both extensions at both tiers: (kind, tier) -> what was measured, and the CPU emulation mode."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    from lab.runtime.cgroups import CgroupManager

    check_emulators()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_port = _free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    manager = CgroupManager(period_ms=period_ms, name=f"slo-bench-ext-{os.getpid()}", log=log)
    try:
        endpoint = f"http://127.0.0.1:{moto_port}"
        secret = "bench-side-by-side"
        boto3.client(
            "secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="bench", aws_secret_access_key="bench",
        ).create_secret(Name=secret, SecretString="v" * 64)  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PARAMETERS_SECRETS_"))}
        env.update(
            AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_SESSION_TOKEN="bench-session-token",
            AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_ENDPOINT_URL=endpoint, PYTHONPATH=str(REPO_ROOT),
            OBSERVATORY_LAB_CLOUD_EXTENSIONS_PROFILE=CX_PROFILE, AWS_CLOUDEXTENSIONS_LOG_LEVEL="WARN",
            PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL="WARN",
        )  # fmt: skip
        results = {(kind, tier): Measured() for kind in KINDS for tier in TIERS}
        for round_no in range(rounds):
            for tier in TIERS:
                order = KINDS if round_no % 2 == 0 else KINDS[::-1]  # neither always goes first
                for kind in order:
                    group = manager.create(f"{kind}-{tier}-{round_no}", tier)
                    try:
                        got = _one(group, kind, env, secret, samples)
                    finally:
                        group.remove()
                    total = results[(kind, tier)]
                    total.hits += got.hits
                    total.signs += got.signs
                    total.client_cpu_ms += got.client_cpu_ms
                    total.emulator_cpu_ms += got.emulator_cpu_ms
        return results, manager.mode
    finally:
        manager.close()
        moto.stop()


def result_line(results: dict[tuple[str, int], Measured]) -> str:
    """The issue's one line: warm-hit p50 of each extension at each tier (ms), Cloud Extensions' signing
    p50 inside a hit at 128 MB (µs)."""
    return (
        f"RESULT px_hit128_p50_ms={p50(results[('px', 128)].hits):.3f} "
        f"cx_hit128_p50_ms={p50(results[('cx', 128)].hits):.3f} "
        f"px_hit1769_p50_ms={p50(results[('px', 1769)].hits):.3f} "
        f"cx_hit1769_p50_ms={p50(results[('cx', 1769)].hits):.3f} "
        f"cx_sign_us_p50={p50(results[('cx', 128)].signs) * 1000:.0f}"
    )


def report(results: dict[tuple[str, int], Measured], mode: str, samples: int, rounds: int) -> list[str]:
    """The lines printed: per extension and tier the hits, the signing, the CPU per hit by whose it is."""
    lines = [
        f"side by side in the lab, one host, one run: {rounds} rounds x {samples} warm hits per extension "
        f"and tier, each round a fresh cgroup (CPU emulation {mode}; quota = memory/1769 of a CPU per period)"
    ]
    for tier in TIERS:
        for kind in KINDS:
            m = results[(kind, tier)]
            hits = sorted(m.hits)
            client, emulator = m.cpu_per_hit()
            text = (
                f"  {tier:>4} MB {NAMES[kind]:<48} hit p50 {p50(hits):8.3f} ms  p90 "
                f"{hits[int(0.9 * (len(hits) - 1))]:8.3f} ms  CPU/hit client {client:.3f} ms, emulator "
                f"{emulator:.3f} ms"
            )
            if m.signs:
                text += f"  signing p50 {p50(m.signs) * 1000:.0f} µs"
            lines.append(text)
    lines += [
        "  whose each figure is: a hit is the real client's work (px: requests/urllib3 on a keep-alive "
        "connection; cx: botocore's SigV4 signing, then urllib on a new connection each request, as AWS's "
        "example) plus our emulator's (Python, lab/extension and lab/cloud_extensions: routing, cache, and "
        "for cx the SigV4 check, which re-signs with botocore) and the loopback; AWS's extensions are not "
        "these programs, so the emulator's share (its CPU/hit above, spent in the same cgroup) is ours, not "
        "AWS's. The signing (cx_sign_us_p50, at 128 MB: the quota stalls it too) is the real client's alone.",
    ]
    return lines
