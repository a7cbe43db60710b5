"""Unit tests of lab.runtime.cgroups: quotas, cpu.stat, the manager's fallback, a v2 group's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.runtime.cgroups import CgroupManager, CpuGroup, parse_cpu_stat, quota_us, vcpus


@pytest.mark.parametrize(
    ("memory", "period", "expected"),
    [
        (128, 20_000, 1447),
        (1769, 20_000, 20_000),
        (3008, 20_000, 34_008),
        (512, 100_000, 28_943),
        (128, 100_000, 7236),
    ],
)
def test_quota_is_memory_over_1769_of_a_cpu_per_period(memory: int, period: int, expected: int) -> None:
    assert quota_us(memory, period) == expected


def test_quota_never_goes_below_the_cfs_minimum_and_rejects_nonsense() -> None:
    assert quota_us(16, 20_000) == 1000
    assert round(vcpus(3008), 2) == 1.70
    with pytest.raises(ValueError):
        quota_us(0, 20_000)


def test_cpu_stat_v1_and_v2() -> None:
    v1 = parse_cpu_stat("nr_periods 120\nnr_throttled 80\nthrottled_time 900100000\n")
    assert (v1.nr_periods, v1.nr_throttled, v1.throttled_time_ms) == (120, 80, 900.1)
    v2 = parse_cpu_stat("usage_usec 5\nnr_periods 10\nnr_throttled 4\nthrottled_usec 2500\n")
    assert (v2.nr_periods, v2.nr_throttled, v2.throttled_time_ms) == (10, 4, 2.5)


def test_manager_falls_back_to_none_when_the_root_is_not_a_cgroup_fs(tmp_path: Path) -> None:
    said: list[str] = []
    manager = CgroupManager(v1_root=tmp_path, v2_root=tmp_path / "missing", log=said.append)
    group = manager.create("env1", 128)
    assert manager.mode == "none" and group.mode == "none" and group.path is None
    assert group.wrap(["python3", "-V"]) == ["python3", "-V"]
    assert len(said) == 1 and "unthrottled" in said[0]
    assert list(tmp_path.iterdir()) == []  # nothing left behind
    manager.close()


def test_manager_mode_none_and_bad_settings() -> None:
    assert CgroupManager(mode="none", log=lambda _: None).mode == "none"
    with pytest.raises(ValueError):
        CgroupManager(mode="v3")
    with pytest.raises(ValueError):
        CgroupManager(period_ms=0.1)


def test_v2_group_writes_cpu_max(tmp_path: Path) -> None:
    manager = CgroupManager(mode="none", period_ms=20, log=lambda _: None)
    manager.mode = "cgroup-v2"
    (tmp_path / "cpu.max").write_text("max 20000")
    group = CpuGroup(manager, tmp_path, 128)
    assert group.read_limits() == (-1, 20_000)
    group.throttle()
    assert (tmp_path / "cpu.max").read_text() == "1447 20000"
    assert group.read_limits() == (1447, 20_000)
    wrapped = group.wrap(["python3"])
    assert wrapped[:2] == ["/bin/sh", "-c"] and wrapped[3] == str(tmp_path / "cgroup.procs")
