"""Fixtures of the tools tests: the stand-in terraform (TERRAFORM_BIN) from `terraform_double`."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from .terraform_double import FAKE


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install the fake terraform; returns the JSON-lines log of its invocations."""
    binary = tmp_path / "bin" / "terraform"
    binary.parent.mkdir()
    binary.write_text(FAKE)
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("TERRAFORM_BIN", str(binary))
    monkeypatch.setenv("FAKE_TF_LOG", str(log))
    monkeypatch.delenv("FAKE_TF_FAIL", raising=False)
    return log
