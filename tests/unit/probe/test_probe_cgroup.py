"""Finding and reading this process's cgroup cpu.stat (v1 `cpu` controller or v2)."""

from __future__ import annotations

from pathlib import Path

from functions.probe.cgroup import (
    CgroupReader,
    CpuStat,
    cpu_stat_candidates,
    measured,
    parse_cpu_stat,
    parse_mountinfo,
    parse_proc_cgroup,
    parse_quota,
)

V1_STAT = "nr_periods 120\nnr_throttled 80\nthrottled_time 900100000\nnr_bursts 0\nburst_time 0\n"
V2_STAT = (
    "usage_usec 60428683\nuser_usec 39438185\nsystem_usec 20990497\nnr_periods 40\nnr_throttled 31\n"
    "throttled_usec 512400\n"
)
HYBRID_CGROUP = "9:name=systemd:/\n4:memory:/process_api/d6d6\n2:cpuacct:/\n1:cpu:/lab/env-1\n0::/lab/env-1\n"
HYBRID_MOUNTINFO = (
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "50 23 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
)


def test_v1_and_v2_cpu_stat_are_parsed_in_nanoseconds() -> None:
    assert parse_cpu_stat(V1_STAT) == CpuStat(120, 80, 900_100_000)
    assert parse_cpu_stat(V2_STAT) == CpuStat(40, 31, 512_400_000)


def test_cpu_stat_without_cfs_counters_is_unreadable() -> None:
    # A v2 cgroup whose cpu controller is not enabled reports usage only.
    assert parse_cpu_stat("usage_usec 5\nuser_usec 3\nsystem_usec 2\n") is None
    assert parse_cpu_stat("") is None


def test_difference_between_readings() -> None:
    assert CpuStat(130, 85, 1_000).since(CpuStat(120, 80, 400)) == CpuStat(10, 5, 600)
    # A counter that went backwards (cgroup recreated) never gives a negative count.
    assert CpuStat(1, 1, 1).since(CpuStat(5, 5, 5)) == CpuStat(0, 0, 0)


def test_proc_self_cgroup() -> None:
    assert parse_proc_cgroup(HYBRID_CGROUP) == ("/lab/env-1", "/lab/env-1")
    assert parse_proc_cgroup("4:cpu,cpuacct:/docker/abc\n") == ("/docker/abc", None)
    assert parse_proc_cgroup("0::/user.slice/session-1.scope\n") == (None, "/user.slice/session-1.scope")


def test_mountinfo_keeps_cgroup_mounts_and_unescapes() -> None:
    mounts = parse_mountinfo(HYBRID_MOUNTINFO + "60 31 0:40 / /mnt/with\\040space rw - cgroup2 cgroup2 rw\n")
    assert [m.mount_point for m in mounts] == [
        "/sys/fs/cgroup/cpu",
        "/sys/fs/cgroup/cpuacct",
        "/sys/fs/cgroup/unified",
        "/mnt/with space",
    ]
    assert mounts[0].super_options == ("rw", "cpu")


def test_candidates_hybrid_prefer_v1_unless_told() -> None:
    v1 = Path("/sys/fs/cgroup/cpu/lab/env-1/cpu.stat")
    v2 = Path("/sys/fs/cgroup/unified/lab/env-1/cpu.stat")
    assert cpu_stat_candidates(HYBRID_CGROUP, HYBRID_MOUNTINFO) == [v1, v2]
    assert cpu_stat_candidates(HYBRID_CGROUP, HYBRID_MOUNTINFO, prefer="cgroup-v2") == [v2, v1]


def test_candidates_pure_v2_and_container_roots() -> None:
    v2_only = "29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"
    assert cpu_stat_candidates("0::/\n", v2_only) == [Path("/sys/fs/cgroup/cpu.stat")]
    # A container's mount root is its own cgroup: paths inside it are relative to that root.
    container = "32 31 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct\n"
    assert cpu_stat_candidates("3:cpu,cpuacct:/docker/abc/inner\n", container) == [
        Path("/sys/fs/cgroup/cpu,cpuacct/inner/cpu.stat")
    ]
    assert cpu_stat_candidates("3:cpu,cpuacct:/elsewhere\n", container) == []


def _fake_proc(
    tmp_path: Path,
    v1_stat: str | None,
    v2_stat: str | None,
    v1_quota: str | None = "1448\n",
    v2_quota: str | None = "1448 20000\n",
) -> Path:
    proc = tmp_path / "proc"
    proc.mkdir(parents=True)
    (proc / "cgroup").write_text("1:cpu:/env\n0::/env\n")
    (proc / "mountinfo").write_text(
        f"32 31 0:29 / {tmp_path}/v1 rw - cgroup cgroup rw,cpu\n"
        f"41 31 0:38 / {tmp_path}/v2 rw - cgroup2 cgroup2 rw\n"
    )
    for name, text, quota_file, quota in (
        ("v1", v1_stat, "cpu.cfs_quota_us", v1_quota),
        ("v2", v2_stat, "cpu.max", v2_quota),
    ):
        if text is not None:
            (tmp_path / name / "env").mkdir(parents=True)
            (tmp_path / name / "env" / "cpu.stat").write_text(text)
            if quota is not None:
                (tmp_path / name / "env" / quota_file).write_text(quota)
    return proc


def test_reader_uses_the_first_readable_cpu_stat_with_cfs_counters(tmp_path: Path) -> None:
    proc = _fake_proc(tmp_path, None, V2_STAT)
    reader = CgroupReader(proc=str(proc))
    assert reader.path == tmp_path / "v2" / "env" / "cpu.stat"
    assert reader.read() == CpuStat(40, 31, 512_400_000)
    (tmp_path / "v2" / "env" / "cpu.stat").write_text(V2_STAT.replace("nr_periods 40", "nr_periods 45"))
    assert reader.read() == CpuStat(45, 31, 512_400_000)


def test_reader_follows_the_lab_hint(tmp_path: Path) -> None:
    proc = _fake_proc(tmp_path, V1_STAT, V2_STAT)
    assert CgroupReader(proc=str(proc)).read() == CpuStat(120, 80, 900_100_000)
    assert CgroupReader(prefer="cgroup-v2", proc=str(proc)).read() == CpuStat(40, 31, 512_400_000)


def test_reader_without_cgroups_reads_nothing(tmp_path: Path) -> None:
    reader = CgroupReader(proc=str(tmp_path / "missing"))
    assert reader.path is None and reader.read() is None
    assert CgroupReader(proc=str(_fake_proc(tmp_path, None, "usage_usec 1\n"))).read() is None


def test_quota_files_are_parsed() -> None:
    assert parse_quota("1448 20000\n", "v2") == 1448
    assert parse_quota("max 20000\n", "v2") is None
    assert parse_quota("1448\n", "v1") == 1448
    assert parse_quota("-1\n", "v1") is None
    assert parse_quota("", "v1") is None and parse_quota("1448", "v2") is None


ZERO_V1_STAT = "nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n"


def test_a_cgroup_without_a_cpu_quota_is_not_measured(tmp_path: Path) -> None:
    # The root `cpu` cgroup of a v1 host (and AWS's view): cpu.stat readable, all zeros, quota -1.
    root = _fake_proc(tmp_path / "a", ZERO_V1_STAT, None, v1_quota="-1\n")
    assert CgroupReader(proc=str(root)).read() is None
    unlimited = _fake_proc(tmp_path / "b", None, V2_STAT, v2_quota="max 100000\n")
    assert CgroupReader(proc=str(unlimited)).read() is None
    no_quota_file = _fake_proc(tmp_path / "c", V1_STAT, None, v1_quota=None)
    assert CgroupReader(proc=str(no_quota_file)).read() is None


def test_the_quota_is_read_at_every_reading(tmp_path: Path) -> None:
    # The lab applies the quota at the first INVOKE: a reader made during INIT starts measuring then.
    proc = _fake_proc(tmp_path, V1_STAT, None, v1_quota="-1\n")
    reader = CgroupReader(proc=str(proc))
    assert reader.read() is None
    (tmp_path / "v1" / "env" / "cpu.cfs_quota_us").write_text("1448\n")
    assert reader.read() == CpuStat(120, 80, 900_100_000)


def test_measured_is_null_without_both_readings_or_any_cfs_period() -> None:
    assert measured(CpuStat(120, 80, 400), CpuStat(130, 85, 1_000)) == CpuStat(10, 5, 600)
    assert measured(None, CpuStat(1, 0, 0)) is None and measured(CpuStat(1, 0, 0), None) is None
    assert measured(CpuStat(0, 0, 0), CpuStat(0, 0, 0)) is None  # no quota in force: "not measured", not 0
