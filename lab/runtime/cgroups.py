"""CPU tiers: one cgroup per execution environment with a CFS quota proportional to memory, as Lambda.

Lambda gives a function CPU in proportion to its memory (1,769 MB is one vCPU) and enforces it per 20 ms
period. The lab reproduces that with the CFS bandwidth controller: cgroup v1 (`cpu.cfs_period_us`,
`cpu.cfs_quota_us`) or v2 (`cpu.max`). INIT runs unthrottled; `CpuGroup.throttle()` applies the quota just
before the first INVOKE. Only processes the lab starts are put in its cgroups, and every cgroup created is
removed again (`CpuGroup.remove()`, `CgroupManager.close()`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .lambda_errors import CgroupError

LOG = logging.getLogger(__name__)

MB_PER_VCPU = 1769  # Lambda: 1,769 MB of memory is one vCPU
CFS_PERIOD_MS = 20.0  # the period over which Lambda enforces the quota (the only other CPU parameter)
V1_ROOT = Path("/sys/fs/cgroup/cpu")
V2_ROOT = Path("/sys/fs/cgroup/unified")  # hybrid hierarchy, as on this machine
V2_PURE_ROOT = Path("/sys/fs/cgroup")  # a unified-only machine mounts cgroup2 here
MODES = ("auto", "cgroup-v1", "cgroup-v2", "none")
# Base groups a lab or bench made: `slo-lab-<pid>`, `slo-lab.<n>-<pid>`, `slo-bench-<pid>`.
STALE_NAME = re.compile(r"slo-(?:lab|bench)(?:\.\d+)?-(\d+)")


def quota_us(memory_mb: int, period_us: int) -> int:
    """CFS quota (µs per period) for `memory_mb`: memory/1769 of one CPU, at least 1 ms (CFS minimum)."""
    if memory_mb <= 0 or period_us <= 0:
        raise ValueError(f"memory_mb and period_us must be positive, got {memory_mb}, {period_us}")
    return max(1000, round(memory_mb / MB_PER_VCPU * period_us))


def vcpus(memory_mb: int) -> float:
    """The share of CPUs a function of `memory_mb` gets (1.0 at 1,769 MB; 1.70 at 3,008 MB)."""
    return memory_mb / MB_PER_VCPU


@dataclass(frozen=True)
class CpuStat:
    """The throttling counters of a cgroup (`cpu.stat`)."""

    nr_periods: int
    nr_throttled: int
    throttled_time_ms: float


def parse_cpu_stat(text: str) -> CpuStat:
    """Parse v1 (`throttled_time` ns) or v2 (`throttled_usec`) `cpu.stat` text."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            values[parts[0]] = int(parts[1])
    if "throttled_usec" in values:
        throttled_ms = values["throttled_usec"] / 1000.0
    else:
        throttled_ms = values.get("throttled_time", 0) / 1_000_000.0
    return CpuStat(values.get("nr_periods", 0), values.get("nr_throttled", 0), throttled_ms)


class CpuGroup:
    """One environment's cgroup. `path` is None when the lab runs unthrottled (mode `none`)."""

    def __init__(self, manager: CgroupManager, path: Path | None, memory_mb: int) -> None:
        self.manager = manager
        self.path = path
        self.memory_mb = memory_mb
        self.quota_us = quota_us(memory_mb, manager.period_us)
        self.throttled = False
        self.removed = False

    @property
    def mode(self) -> str:
        """`cgroup-v1`, `cgroup-v2` or `none` (what OBSERVATORY_CPU_EMULATION says)."""
        return self.manager.mode if self.path is not None else "none"

    @property
    def procs_file(self) -> Path | None:
        """The file a process writes its pid to in order to join this cgroup."""
        return None if self.path is None else self.path / "cgroup.procs"

    def wrap(self, argv: list[str]) -> list[str]:
        """`argv` prefixed so that the new process joins this cgroup itself before it execs (thread-safe,
        unlike preexec_fn), so everything it starts is inside from its first instruction."""
        if self.path is None:
            return argv
        script = 'echo $$ > "$0" || { echo "cannot join cgroup $0" >&2; exit 126; }; exec "$@"'
        return ["/bin/sh", "-c", script, str(self.procs_file), *argv]

    def throttle(self) -> None:
        """Apply the CFS quota (from the first INVOKE on)."""
        if self.path is None or self.throttled:
            return
        period = self.manager.period_us
        if self.manager.mode == "cgroup-v1":
            (self.path / "cpu.cfs_quota_us").write_text(str(self.quota_us))
        else:
            (self.path / "cpu.max").write_text(f"{self.quota_us} {period}")
        self.throttled = True

    def read_limits(self) -> tuple[int, int]:
        """(quota_us, period_us) as the kernel has them now; quota -1 means unlimited."""
        if self.path is None:
            return (-1, self.manager.period_us)
        if self.manager.mode == "cgroup-v1":
            quota = int((self.path / "cpu.cfs_quota_us").read_text())
            period = int((self.path / "cpu.cfs_period_us").read_text())
            return (quota, period)
        raw_quota, raw_period = (self.path / "cpu.max").read_text().split()
        return (-1 if raw_quota == "max" else int(raw_quota), int(raw_period))

    def cpu_stat(self) -> CpuStat | None:
        """The cgroup's throttling counters, or None without a cgroup."""
        if self.path is None:
            return None
        try:
            return parse_cpu_stat((self.path / "cpu.stat").read_text())
        except OSError:
            return None

    def pids(self) -> list[int]:
        """Processes in this cgroup now (all started by the lab)."""
        if self.path is None:
            return []
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def remove(self, timeout_s: float = 5.0) -> None:
        """Kill whatever is left in the cgroup (only lab processes can be there) and remove it."""
        if self.path is None:
            return
        deadline = time.monotonic() + timeout_s
        while True:
            left = self.pids()
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            try:
                self.path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise CgroupError(f"cannot remove cgroup {self.path}: {exc} (pids {left})") from exc
                time.sleep(0.02)
        self.manager.forget(self)
        self.removed = True


class CgroupManager:
    """Creates one cgroup per environment under `<root>/<lab name>` and removes them all on close.

    mode `auto` uses v1 if its cpu controller is mounted at `v1_root`, else v2 if `v2_root` offers the cpu
    controller; where neither works (not root, read-only, not a cgroup file system) every group is `none`,
    which is logged once.
    """

    _instances = 0

    def __init__(
        self,
        period_ms: float = CFS_PERIOD_MS,
        mode: str = "auto",
        v1_root: Path = V1_ROOT,
        v2_root: Path = V2_ROOT,
        name: str | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"cgroup mode must be one of {MODES}, got {mode!r}")
        if not 1.0 <= period_ms <= 1000.0:
            raise ValueError(f"cpu period must be between 1 and 1000 ms, got {period_ms}")
        self.period_us = round(period_ms * 1000)
        self.log = log or (lambda message: LOG.warning("%s", message))
        # One base group per manager (several services may live in one process, e.g. a test run): the pid
        # stays last so a later lab can tell whether the process that made it still runs.
        CgroupManager._instances += 1
        self.name = name or f"slo-lab.{CgroupManager._instances}-{os.getpid()}"
        self.base: Path | None = None
        self.mode = "none"
        self.reason = ""
        self._groups: set[Path] = set()
        self._seq = 0
        candidates: list[tuple[str, Path]] = []
        if mode in ("auto", "cgroup-v1"):
            candidates.append(("cgroup-v1", v1_root))
        if mode in ("auto", "cgroup-v2"):
            candidates.append(("cgroup-v2", v2_root))
            if v2_root == V2_ROOT and not V2_ROOT.exists():
                candidates.append(("cgroup-v2", V2_PURE_ROOT))
        reasons = []
        for candidate, root in candidates:
            try:
                self.base = self._make_base(candidate, root)
                self.mode = candidate
                break
            except (OSError, CgroupError) as exc:
                reasons.append(f"{candidate} at {root}: {exc}")
        if self.base is None:
            self.reason = "; ".join(reasons) or "cgroups disabled (mode none)"
            self.log(
                f"CPU tiers off, environments run unthrottled (OBSERVATORY_CPU_EMULATION=none): {self.reason}"
            )

    def _make_base(self, mode: str, root: Path) -> Path:
        base = root / self.name
        if mode == "cgroup-v1":
            if not (root / "cpu.cfs_quota_us").is_file():
                raise CgroupError("no cpu controller (cpu.cfs_quota_us missing)")
        else:
            controllers = (root / "cgroup.controllers").read_text().split()
            if "cpu" not in controllers:
                raise CgroupError("cpu controller not available in cgroup.controllers")
        base.mkdir(exist_ok=True)
        expected = "cpu.cfs_quota_us" if mode == "cgroup-v1" else "cgroup.subtree_control"
        if not (base / expected).exists():
            with contextlib.suppress(OSError):
                base.rmdir()
            raise CgroupError(f"{root} is not a cgroup file system ({expected} not created)")
        self._clean_stale(root)
        if mode == "cgroup-v2":
            try:
                if "cpu" not in (root / "cgroup.subtree_control").read_text().split():
                    (root / "cgroup.subtree_control").write_text("+cpu")
                (base / "cgroup.subtree_control").write_text("+cpu")
            except OSError:
                with contextlib.suppress(OSError):
                    base.rmdir()
                raise
        return base

    def _clean_stale(self, root: Path) -> None:
        """Remove the cgroups a previous lab left behind when it was killed (its pid no longer runs): only
        `slo-lab[.N]-<pid>` / `slo-bench-<pid>` groups, whose processes can only be ones that lab started."""
        for base in root.glob("slo-*-*"):
            made_by = STALE_NAME.fullmatch(base.name)
            if made_by is None or base.name == self.name:
                continue
            pid = made_by.group(1)
            try:
                os.kill(int(pid), 0)
                continue  # its lab is still running
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            for child in [p for p in base.iterdir() if p.is_dir()]:
                try:
                    CpuGroup(self, child, 128).remove(timeout_s=2.0)
                except CgroupError as exc:
                    self.log(f"could not remove a stale cgroup: {exc}")
            with contextlib.suppress(OSError):
                base.rmdir()
                self.log(f"removed the stale cgroup {base} of a lab that is no longer running")

    def create(self, env_id: str, memory_mb: int) -> CpuGroup:
        """A new cgroup for one environment, unthrottled until `throttle()`; `none` if cgroups are off."""
        if self.base is None:
            return CpuGroup(self, None, memory_mb)
        path = self.base / env_id
        try:
            path.mkdir()
            if self.mode == "cgroup-v1":
                (path / "cpu.cfs_period_us").write_text(str(self.period_us))
                (path / "cpu.cfs_quota_us").write_text("-1")
            else:
                (path / "cpu.max").write_text(f"max {self.period_us}")
        except OSError as exc:
            with contextlib.suppress(OSError):
                path.rmdir()
            raise CgroupError(f"cannot create cgroup {path}: {exc}") from exc
        self._groups.add(path)
        return CpuGroup(self, path, memory_mb)

    def forget(self, group: CpuGroup) -> None:
        if group.path is not None:
            self._groups.discard(group.path)

    def live_groups(self) -> list[Path]:
        """Cgroups created and not yet removed."""
        return sorted(self._groups)

    def close(self) -> None:
        """Remove every cgroup this manager created (killing lab processes left in them), then the lab's."""
        for path in list(self._groups):
            CpuGroup(self, path, 128).remove()
        if self.base is not None:
            with contextlib.suppress(FileNotFoundError):
                try:
                    self.base.rmdir()
                except OSError as exc:
                    self.log(f"cannot remove the lab cgroup {self.base}: {exc}")
            self.base = None
