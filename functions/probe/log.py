"""Structured log lines (one JSON object per line on stdout): event names, identity and counts only."""

from __future__ import annotations

import json
import sys
from typing import Any


def log(event: str, level: str = "INFO", **fields: Any) -> None:
    """Write one JSON line; callers pass names and numbers, never a value read from a store."""
    sys.stdout.write(json.dumps({"level": level, "event": event, **fields}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
