"""The lab's cgroups on this machine's real cgroup file system (skipped where cgroups cannot be created)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from lab.runtime.cgroups import CgroupManager


@pytest.fixture
def manager() -> Iterator[CgroupManager]:
    made = CgroupManager(name=f"slo-lab-test-{os.getpid()}", log=lambda _: None)
    if made.mode == "none":
        pytest.skip(f"cgroups unavailable here: {made.reason}")
    try:
        yield made
    finally:
        made.close()


def test_wrapped_process_joins_its_group_and_the_quota_applies_only_on_throttle(
    manager: CgroupManager,
) -> None:
    group = manager.create("env-a", 128)
    proc = subprocess.Popen(
        group.wrap([sys.executable, "-c", "import sys; sys.stdin.read()"]), stdin=subprocess.PIPE
    )
    try:
        for _ in range(200):
            if proc.pid in group.pids():
                break
            subprocess.run(["true"], check=True)
        assert group.pids() == [proc.pid]
        assert os.getpid() not in group.pids()
        assert group.read_limits() == (-1, 20_000)
        group.throttle()
        assert group.read_limits() == (1447, 20_000)
        assert group.cpu_stat() is not None
    finally:
        proc.kill()
        proc.wait()
    path = group.path
    group.remove()
    assert path is not None and not path.exists()
    assert manager.live_groups() == []


def test_remove_kills_what_is_left_and_close_removes_everything(manager: CgroupManager) -> None:
    group = manager.create("env-b", 1769)
    proc = subprocess.Popen(group.wrap(["sleep", "60"]))
    base = manager.base
    assert base is not None
    manager.close()
    assert proc.wait(timeout=10) != 0  # killed by the cleanup
    assert not base.exists()


def test_stale_groups_of_a_dead_lab_are_removed(manager: CgroupManager) -> None:
    assert manager.base is not None
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = manager.base.parent / f"slo-lab-{dead.pid}"
    (stale / "env-x").mkdir(parents=True)
    other = CgroupManager(name=f"slo-lab-test2-{os.getpid()}", log=lambda _: None)
    try:
        assert not stale.exists()
    finally:
        other.close()


def test_two_services_in_one_process_each_remove_their_own_base_group() -> None:
    first = CgroupManager(log=lambda _: None)
    if first.mode == "none":
        pytest.skip(f"cgroups unavailable here: {first.reason}")
    second = CgroupManager(log=lambda _: None)
    try:
        assert first.base is not None and second.base is not None
        first_base, second_base = first.base, second.base
        assert first_base != second_base
        first.create("env-a", 128)
        second.create("env-b", 128)
        first.close()
        assert not first_base.exists()
        assert second_base.exists() and (second_base / "env-b").exists()
    finally:
        first.close()
        second.close()
    assert not second_base.exists()
