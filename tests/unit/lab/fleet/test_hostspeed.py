"""Unit tests of lab.fleet.hostspeed: the CPU model read from /proc/cpuinfo, the figure kept of the repeats,
what environments are told. (One real, short run of the reference workload; no time is asserted.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lab.errors import LabError
from lab.fleet.hostspeed import HostSpeed, best_ms, cpu_model, measure, time_workload

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R)  Platinum 8375C CPU @ 2.90GHz
flags\t\t: fpu vme

processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
"""


def test_the_cpu_model_is_the_first_model_name() -> None:
    assert cpu_model(CPUINFO) == "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"


def test_without_a_model_name_the_fallback_then_unknown() -> None:
    assert cpu_model("processor\t: 0\nCPU part\t: 0xd0c\n", "aarch64") == "aarch64"
    assert cpu_model(None, "") == "unknown"


def test_the_fastest_repeat_is_kept_with_one_decimal() -> None:
    assert best_ms([101.26, 88.04, 140.0]) == 88.0
    with pytest.raises(ValueError):
        best_ms([])


def test_the_lab_says_the_model_and_the_figure_with_one_decimal() -> None:
    host = HostSpeed("Test CPU", 412.34)
    assert host.describe() == "host: Test CPU, reference workload 412.3 ms"


def test_the_workload_runs_in_a_child_process_and_is_measured(tmp_path: Path) -> None:
    times = time_workload(sys.executable, repeats=2)
    assert len(times) == 2 and all(t > 0 for t in times)
    (tmp_path / "cpuinfo").write_text(CPUINFO)
    host = measure(sys.executable, tmp_path / "cpuinfo")
    assert host.cpu.startswith("Intel(R) Xeon(R) Platinum") and host.reference_ms > 0


def test_an_interpreter_that_cannot_run_it_is_a_lab_error(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="reference workload"):
        time_workload(str(tmp_path / "no-python"))
