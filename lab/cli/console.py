"""What the lab tells the user: timestamped steps, component logs, and a progress bar."""

from __future__ import annotations

import datetime as dt
import sys
import threading
from typing import TextIO

BAR_WIDTH = 30


class Console:
    """Timestamped steps, and a progress bar that redraws in place on a terminal."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self._lock = threading.Lock()
        self._bar_open = False
        self._last_bar = ""

    def _end_bar(self) -> None:
        if self._bar_open:
            self.stream.write("\n")
            self._bar_open = False

    def say(self, message: str) -> None:
        """One line, prefixed with the time."""
        with self._lock:
            self._end_bar()
            stamp = dt.datetime.now().strftime("%H:%M:%S")
            self.stream.write(f"[{stamp}] {message}\n")
            self.stream.flush()

    def log(self, message: str) -> None:
        """A line from a component (service, scheduler); hidden with --quiet."""
        if not self.quiet:
            self.say(message)

    def progress(self, done: int, total: int, label: str) -> None:
        """`[#####.....] done/total label` — redrawn in place on a terminal, printed on change otherwise."""
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} {label}"
        with self._lock:
            if bar == self._last_bar:
                return
            self._last_bar = bar
            if self.tty:
                self.stream.write("\r" + bar.ljust(100))
                self._bar_open = True
            else:
                self.stream.write(bar + "\n")
            self.stream.flush()
