"""The lab's error family: what the user must fix before the lab can do what was asked."""

from __future__ import annotations


class LabError(Exception):
    """Something the user must fix before the lab can do what was asked; the message says what."""
