"""`init_ms`, the INIT phase of a cold start (contract §3): from the start of this process to now, which the
handler module takes at the end of its own import.

The start is `starttime` of /proc/self/stat (field 22: clock ticks since boot), the now `CLOCK_BOOTTIME` (the
same clock: seconds since boot, suspend included), so the resolution is one clock tick, 1/SC_CLK_TCK s (10 ms
where USER_HZ is 100, as on AWS and in the lab). A wrapper that execs the interpreter
(AWS_LAMBDA_EXEC_WRAPPER, ADOT's /opt/otel-instrument) keeps the process, so its set-up counts. None where
either cannot be read.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

STAT = Path("/proc/self/stat")
STARTTIME_FIELD = 22  # 1-based, as proc(5) numbers them


def start_ticks(text: str) -> int:
    """`starttime` from the text of /proc/<pid>/stat (the command name, field 2, may hold spaces and ')')."""
    fields = text[text.rindex(")") + 2 :].split()  # field 3 onwards
    return int(fields[STARTTIME_FIELD - 3])


def clock_ticks() -> int:
    return int(os.sysconf("SC_CLK_TCK"))


def boottime_s() -> float:
    return time.clock_gettime(time.CLOCK_BOOTTIME)  # type: ignore[attr-defined,unused-ignore]


def process_age_ms(
    stat: Path = STAT, now_s: Callable[[], float] = boottime_s, ticks: Callable[[], int] = clock_ticks
) -> float | None:
    """Milliseconds since this process started (10 ms resolution), or None where it cannot be read."""
    try:
        started_s = start_ticks(stat.read_text()) / ticks()
        age_ms = (now_s() - started_s) * 1000.0
    except (OSError, ValueError, IndexError, AttributeError, ZeroDivisionError):
        return None
    return round(age_ms, 1) if age_ms >= 0 else None
