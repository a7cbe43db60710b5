"""CFS throttling of this process's own cgroup, read from its cpu.stat (cgroup v1 `cpu` controller or v2).

Lambda (and the lab) limit CPU with a CFS quota per period; `nr_throttled` counts the periods in which the
function ran out of quota. The counters mean something only where this cgroup has a quota: where no cpu.stat
with CFS counters is readable, or no quota is set on it (`cpu.max` `max`, `cpu.cfs_quota_us` -1, as in a
root or an unlimited cgroup, whose counters stay 0), or no CFS period elapsed, the probe records null: "not
measured", never "0 throttled periods". On AWS the function sees no quota (the limit is applied outside its
microVM), so its rows are null there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CpuStat:
    """CFS counters of one cgroup at one moment."""

    nr_periods: int
    nr_throttled: int
    throttled_ns: int

    def since(self, earlier: CpuStat) -> CpuStat:
        """The counters accumulated between `earlier` and this reading."""
        return CpuStat(
            nr_periods=max(0, self.nr_periods - earlier.nr_periods),
            nr_throttled=max(0, self.nr_throttled - earlier.nr_throttled),
            throttled_ns=max(0, self.throttled_ns - earlier.throttled_ns),
        )


@dataclass(frozen=True)
class Mount:
    """One cgroup filesystem mount from /proc/self/mountinfo."""

    root: str
    mount_point: str
    fs_type: str
    super_options: tuple[str, ...]


def parse_cpu_stat(text: str) -> CpuStat | None:
    """Parse cpu.stat (v1: `throttled_time` in ns; v2: `throttled_usec`); None without CFS counters."""
    fields: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            fields[parts[0]] = int(parts[1])
    if "nr_periods" not in fields or "nr_throttled" not in fields:
        return None
    if "throttled_time" in fields:
        throttled_ns = fields["throttled_time"]
    elif "throttled_usec" in fields:
        throttled_ns = fields["throttled_usec"] * 1000
    else:
        return None
    return CpuStat(fields["nr_periods"], fields["nr_throttled"], throttled_ns)


def parse_quota(text: str, version: str) -> int | None:
    """The CFS quota in µs from `cpu.max` (v2: `<quota|max> <period>`) or `cpu.cfs_quota_us` (v1, -1: none).

    None when no quota is set or the text is not understood.
    """
    fields = text.split()
    if len(fields) != (2 if version == "v2" else 1) or not fields[0].lstrip("-").isdigit():
        return None
    quota = int(fields[0])
    return quota if quota > 0 else None


QUOTA_FILES = {"v2": "cpu.max", "v1": "cpu.cfs_quota_us"}


def measured(before: CpuStat | None, after: CpuStat | None) -> CpuStat | None:
    """The counters between two readings; None ("not measured") when a reading is missing or no CFS period
    elapsed (no quota was in force)."""
    if before is None or after is None:
        return None
    delta = after.since(before)
    return delta if delta.nr_periods > 0 else None


def parse_proc_cgroup(text: str) -> tuple[str | None, str | None]:
    """From /proc/self/cgroup: (path in the v1 hierarchy holding `cpu`, path in the v2 hierarchy)."""
    v1_cpu: str | None = None
    v2: str | None = None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            v2 = path
        elif "cpu" in controllers.split(","):
            v1_cpu = path
    return v1_cpu, v2


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal (\\040)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and len(field[i + 1 : i + 4]) == 3 and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[Mount]:
    """The cgroup and cgroup2 mounts listed in /proc/self/mountinfo."""
    mounts: list[Mount] = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        left_fields, right_fields = left.split(), right.split()
        if len(left_fields) < 5 or len(right_fields) < 3:
            continue
        fs_type = right_fields[0]
        if fs_type not in ("cgroup", "cgroup2"):
            continue
        mounts.append(
            Mount(
                root=_unescape(left_fields[3]),
                mount_point=_unescape(left_fields[4]),
                fs_type=fs_type,
                super_options=tuple(right_fields[2].split(",")),
            )
        )
    return mounts


def _join(mount: Mount, cgroup_path: str) -> Path | None:
    root = mount.root.rstrip("/")
    if root and not (cgroup_path == root or cgroup_path.startswith(root + "/")):
        return None
    relative = cgroup_path[len(root) :].lstrip("/")
    base = Path(mount.mount_point)
    return base / relative / "cpu.stat" if relative else base / "cpu.stat"


def cpu_stat_candidates(proc_cgroup: str, mountinfo: str, prefer: str | None = None) -> list[Path]:
    """Paths of this process's cpu.stat files, best first.

    `prefer` is the lab's CPU-emulation mode (`cgroup-v1` / `cgroup-v2`): the hierarchy the lab put the
    environment in comes first; otherwise v1 (the `cpu` controller) before v2.
    """
    v1_path, v2_path = parse_proc_cgroup(proc_cgroup)
    mounts = parse_mountinfo(mountinfo)
    v1: list[Path] = []
    v2: list[Path] = []
    for mount in mounts:
        if mount.fs_type == "cgroup" and v1_path is not None and "cpu" in mount.super_options:
            path = _join(mount, v1_path)
            if path is not None:
                v1.append(path)
        elif mount.fs_type == "cgroup2" and v2_path is not None:
            path = _join(mount, v2_path)
            if path is not None:
                v2.append(path)
    return v2 + v1 if prefer == "cgroup-v2" else v1 + v2


class CgroupReader:
    """Finds this process's cpu.stat once, then reads it; a failure or no CPU quota means "not measured"."""

    def __init__(self, prefer: str | None = None, proc: str = "/proc/self") -> None:
        self._path: Path | None = None
        try:
            proc_cgroup = Path(proc, "cgroup").read_text()
            mountinfo = Path(proc, "mountinfo").read_text()
        except OSError:
            return
        for candidate in cpu_stat_candidates(proc_cgroup, mountinfo, prefer):
            if os.access(candidate, os.R_OK) and self._read(candidate) is not None:
                self._path = candidate
                break

    @property
    def path(self) -> Path | None:
        """The cpu.stat in use, or None when none is readable."""
        return self._path

    @staticmethod
    def _read(path: Path) -> CpuStat | None:
        try:
            return parse_cpu_stat(path.read_text())
        except OSError:
            return None

    @staticmethod
    def quota_us(directory: Path) -> int | None:
        """The CFS quota set on the cgroup `directory` (v2 `cpu.max`, else v1 `cpu.cfs_quota_us`), or None."""
        for version, name in QUOTA_FILES.items():
            try:
                text = (directory / name).read_text()
            except OSError:
                continue
            return parse_quota(text, version)
        return None

    def read(self) -> CpuStat | None:
        """The counters now, or None when not readable or when the cgroup has no CPU quota.

        The quota is read each time: the lab sets it only at the first INVOKE (INIT runs unthrottled).
        """
        if self._path is None or self.quota_us(self._path.parent) is None:
            return None
        return self._read(self._path)
