"""How fast this machine is: a fixed CPU-bound reference workload timed when the lab starts, and the CPU
model.

Context for every lab row (`OBSERVATORY_LAB_HOST_CPU`, `OBSERVATORY_LAB_HOST_REF_MS`): two lab histories from
different machines can be told apart. Nothing is ever scaled by it. The workload is the same every time (pure
Python loops, JSON round trips, SHA-256: what a probe's warm hit spends its CPU on), run in a child process of
the lab's interpreter so the lab's own threads do not share its core; each repeat's CPU time is taken (time
spent preempted is not counted) and the best of a few short repeats kept, the least disturbed one.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError

REPEATS = 7
CPUINFO = Path("/proc/cpuinfo")
TIMEOUT_S = 120.0

# Version 1 of the reference workload. Changing it changes every figure: give it a new version if ever.
WORKLOAD = r"""
import hashlib, json, sys, time

def workload():
    record = {"strategy": "extension", "memory_mb": 128, "values": list(range(40)), "name": "secret" * 8}
    digest = hashlib.sha256()
    total = 0
    for i in range(6000):
        text = json.dumps(record, sort_keys=True)
        back = json.loads(text)
        digest.update(text.encode())
        for value in back["values"]:
            total += (value * i) % 7
        total += len(str(i).zfill(12).replace("0", "ab"))
    return total, digest.hexdigest()

times = []
for _ in range(int(sys.argv[1])):
    started = time.process_time()  # CPU time: a repeat preempted by another process is not charged for it
    workload()
    times.append((time.process_time() - started) * 1000)
print(json.dumps(times))
"""


@dataclass(frozen=True)
class HostSpeed:
    """This machine's CPU model and how long the reference workload took (ms, best of the repeats)."""

    cpu: str
    reference_ms: float

    def describe(self) -> str:
        return f"host: {self.cpu}, reference workload {self.reference_ms:.1f} ms"


def cpu_model(cpuinfo: str | None, fallback: str = "") -> str:
    """The first "model name" in /proc/cpuinfo's text, else `fallback` (platform.processor()), else
    "unknown"."""
    for line in (cpuinfo or "").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "model name" and value.strip():
            return " ".join(value.split())
    return fallback.strip() or "unknown"


def best_ms(times_ms: list[float]) -> float:
    """The figure kept of the repeats: the fastest (noise only ever adds time), one decimal."""
    if not times_ms:
        raise ValueError("no repeat of the reference workload was timed")
    return round(min(times_ms), 1)


def time_workload(python: str = sys.executable, repeats: int = REPEATS) -> list[float]:
    """Run the reference workload `repeats` times in a child process of `python`; each repeat's ms."""
    try:
        done = subprocess.run([python, "-I", "-c", WORKLOAD, str(repeats)], capture_output=True, text=True,
                              timeout=TIMEOUT_S, check=False)
        if done.returncode != 0:
            raise LabError(f"the reference workload failed ({python}): {done.stderr.strip()[-500:]}")
        return [float(t) for t in json.loads(done.stdout.strip().splitlines()[-1])]
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError) as exc:
        raise LabError(f"could not time the reference workload with {python}: {exc}") from exc


def read_cpu_model(cpuinfo: Path = CPUINFO) -> str:
    """This machine's CPU model: `cpuinfo`'s "model name", else platform.processor()."""
    try:
        text: str | None = cpuinfo.read_text()
    except OSError:
        text = None
    return cpu_model(text, platform.processor())


def measure(python: str = sys.executable, cpuinfo: Path = CPUINFO) -> HostSpeed:
    """This machine's HostSpeed, measured now (about a second)."""
    return HostSpeed(read_cpu_model(cpuinfo), best_ms(time_workload(python)))
