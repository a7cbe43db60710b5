"""tools.test_streams: the suite as two pytest processes (slow, and the rest), run on a small suite of our own
in a temporary folder: each stream runs only its tests, a failure in either is the exit status and its whole
output is shown, and an interrupt leaves nothing running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools import test_streams

CONFTEST = '''
def pytest_configure(config):
    config.addinivalue_line("markers", "slow: slow")
'''


def _suite(root: Path, quick_body: str = "assert True", slow_body: str = "assert True") -> Path:
    for tier in test_streams.TIERS:
        (root / tier).mkdir(parents=True)
    (root / "conftest.py").write_text(CONFTEST)
    (root / "tests/unit/test_quick.py").write_text(f"def test_quick():\n    {quick_body}\n")
    (root / "tests/e2e/test_slow.py").write_text(
        f"import pytest\n\n@pytest.mark.slow\ndef test_slow():\n    {slow_body}\n"
    )
    return root


def test_the_command_names_its_marker_every_tier_in_order_and_the_options() -> None:
    slow, quick = test_streams.STREAMS
    tiers = ["tests/unit", "tests/functional", "tests/integration", "tests/e2e"]
    want = ["py", "-m", "pytest", "-m", "slow", *tiers, "-x"]
    assert test_streams.command(slow, ["-x"], python="py") == want
    assert test_streams.command(quick, [], python="py")[3:5] == ["-m", "not slow"]


def test_the_status_is_zero_only_when_both_passed_slow_first() -> None:
    assert test_streams.status({"slow": 0, "quick": 0}) == 0
    assert test_streams.status({"slow": 0, "quick": 1}) == 1
    assert test_streams.status({"slow": 2, "quick": 1}) == 2
    assert test_streams.last_line("....\n===== 3 passed in 1.2s =====\n\n") == "3 passed in 1.2s"
    assert test_streams.last_line("") == "(no output)"


def test_each_stream_runs_its_own_tests_and_both_pass(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = _suite(tmp_path)
    assert test_streams.run(["-p", "no:cacheprovider"], root=root) == 0
    said = capfd.readouterr().out
    assert "quick tests ended (exit 0): 1 passed, 1 deselected" in said
    assert "test_streams: slow: passed, quick: passed" in said
    log = (root / test_streams.QUICK_LOG).read_text()
    assert "1 passed, 1 deselected" in log  # the quick stream ran test_quick only, into its log


def test_a_quick_failure_fails_the_run_and_shows_its_whole_output(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = _suite(tmp_path, quick_body="assert 1 == 2, 'the quick one broke'")
    assert test_streams.run(["-p", "no:cacheprovider"], root=root) == 1
    said = capfd.readouterr().out
    assert "the quick one broke" in said and "quick tests: whole output" in said
    assert "test_streams: slow: passed, quick: exit 1" in said


SLEEPER = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"


def test_an_interrupt_stops_both_streams_and_everything_they_started(tmp_path: Path) -> None:
    root = _suite(tmp_path, quick_body=SLEEPER, slow_body=SLEEPER)
    runner = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from tools import test_streams; "
         f"sys.exit(test_streams.run(['-p', 'no:cacheprovider'], root=Path({str(root)!r})))"],
        cwd=test_streams.REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(_running_in(root, b"sleep")) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_running_in(root, b"pytest")) == 2, "both streams should be running"
        assert len(_running_in(root, b"sleep")) == 2, "each stream's test should have started its sleep"
        runner.send_signal(signal.SIGTERM)
        runner.wait(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    assert runner.returncode != 0
    assert _running_in(root) == []


def _running_in(root: Path, word: bytes = b"") -> list[int]:
    """Pids of the processes working in `root` (the streams and what their tests start) whose command line
    holds `word`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.readlink(proc / "cwd") == str(root) and word in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found
