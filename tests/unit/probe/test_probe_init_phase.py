"""`init_ms` (contract §3): process start (/proc/self/stat starttime) to the end of the handler's import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from functions.probe import initphase

REPO = Path(__file__).resolve().parents[3]


def test_starttime_is_field_22_even_when_the_command_name_has_spaces_and_parentheses() -> None:
    fields = ["S"] + [str(n) for n in range(4, 22)] + ["123456"] + ["0"] * 30  # fields 3.. with 22 = 123456
    text = "4242 (python3 (odd) name) " + " ".join(fields)
    assert initphase.start_ticks(text) == 123456


def test_the_age_is_boot_time_now_minus_the_start_in_ticks(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("7 (python3) " + " ".join(["S"] + ["0"] * 18 + ["1500"] + ["0"] * 20))
    age = initphase.process_age_ms(stat, now_s=lambda: 16.25, ticks=lambda: 100)  # started at 15.00 s
    assert age == 1250.0


def test_unreadable_or_impossible_is_none(tmp_path: Path) -> None:
    assert initphase.process_age_ms(tmp_path / "missing") is None
    stat = tmp_path / "stat"
    stat.write_text("7 (python3) " + " ".join(["S"] + ["0"] * 18 + ["9999"] + ["0"] * 20))
    assert initphase.process_age_ms(stat, now_s=lambda: 1.0, ticks=lambda: 100) is None  # before the start


def test_a_real_cold_start_records_init_ms_and_a_warm_one_does_not() -> None:
    """The handler in a fresh interpreter: the first record of the process carries INIT, the second null."""
    script = (
        "import json; from functions.probe import handler\n"
        "calls = []\n"
        "class Probe:\n"
        "    def __init__(self, config): pass\n"
        "    def invoke(self, i, cold, init_ms=None): calls.append([cold, init_ms]); return {}\n"
        "handler.Probe = Probe; handler.ProbeConfig.from_env = staticmethod(lambda env: None)\n"
        "handler.handler({}, None); handler.handler({}, None)\n"
        "print(json.dumps(calls))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True, timeout=120
    )
    (cold, init_ms), (warm, none) = json.loads(done.stdout.strip().splitlines()[-1])
    assert cold is True and isinstance(init_ms, float) and init_ms >= 0
    assert warm is False and none is None
