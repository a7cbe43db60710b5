"""`python -m functions.probe`: help, and a clear error for a broken configuration."""

from __future__ import annotations

import pytest

from functions.probe import handler as handler_module
from functions.probe.__main__ import main


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert "OBSERVATORY_" in capsys.readouterr().out


def test_broken_configuration_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OBSERVATORY_STRATEGY", raising=False)
    monkeypatch.setattr(handler_module, "_PROBE", None)
    assert main([]) == 2
    assert "OBSERVATORY_STRATEGY is required" in capsys.readouterr().err
