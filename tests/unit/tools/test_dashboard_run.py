"""tools.dashboard_run (`make dashboard`): loopback by default; another address is served as asked, after
saying what it exposes and how to put authentication in front."""

from __future__ import annotations

import pytest

from tools import dashboard_run


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The command lines dashboard_run would replace itself with (nothing is started)."""
    commands: list[list[str]] = []
    monkeypatch.setattr(dashboard_run.os, "execv", lambda path, argv: commands.append(list(argv)))
    return commands


def address_of(argv: list[str]) -> str:
    return argv[argv.index("--server.address") + 1]


def test_loopback_by_default_and_silent(started: list[list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    assert dashboard_run.main([]) == 0
    assert address_of(started[0]) == "127.0.0.1"
    assert capsys.readouterr().err == ""


def test_an_empty_address_is_loopback(started: list[list[str]]) -> None:
    dashboard_run.main(["--address", ""])
    assert address_of(started[0]) == "127.0.0.1"


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "192.168.1.20", "dashboard.example"])
def test_another_address_is_served_after_saying_what_it_exposes(
    address: str, started: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    dashboard_run.main(["--address", address, "--port", "8600"])
    assert address_of(started[0]) == address and "8600" in started[0]
    note = capsys.readouterr().err
    assert "no login" in note and "YOUR AWS credentials" in note
    assert "reverse proxy" in note and "ssh -L 8600:127.0.0.1:8600" in note


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.53", "::1", "localhost"])
def test_loopback_addresses_say_nothing(address: str) -> None:
    assert dashboard_run.exposure_note(address, 8501) is None
