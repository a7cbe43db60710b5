"""What the lab prints: timestamped steps, component logs hidden with --quiet, a progress bar."""

from __future__ import annotations

import io
import re

from lab.cli.console import Console


def test_progress_prints_a_bar_on_change_only() -> None:
    stream = io.StringIO()
    console = Console(stream)
    console.progress(0, 4, "invocations")
    console.progress(0, 4, "invocations")
    console.progress(2, 4, "invocations")
    console.progress(4, 4, "invocations")
    lines = stream.getvalue().splitlines()
    assert lines == [
        "[" + "." * 30 + "] 0/4 invocations",
        "[" + "#" * 15 + "." * 15 + "] 2/4 invocations",
        "[" + "#" * 30 + "] 4/4 invocations",
    ]


def test_steps_are_timestamped_and_quiet_hides_component_logs() -> None:
    stream = io.StringIO()
    console = Console(stream, quiet=True)
    console.say("a step")
    console.log("a component line")
    assert re.fullmatch(r"\[\d\d:\d\d:\d\d\] a step\n", stream.getvalue())
