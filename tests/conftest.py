"""Fixtures shared by every test tier."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

# Reads leave out rows past their expires_at, judged by `datastore.reads.utc_now` (the clock) unless a caller
# passes `now`. Tests write rows on fixed days of November 2026 with retentions of 30 to 90 days: judged by
# this fixed instant instead, they read back the same whatever day the suite runs.
READS_CLOCK = datetime(2026, 12, 1, tzinfo=UTC)

EVENTS_DIR = Path(__file__).parent / "events"
REPO_ROOT = Path(__file__).parent.parent

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture(autouse=True, scope="session")
def _no_real_aws() -> Iterator[None]:
    """No test can reach a real AWS account: fake credentials, no profile, no config files."""
    saved = dict(os.environ)
    os.environ.update(FAKE_AWS_ENV)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def _reads_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Expiry in reads judged at READS_CLOCK (a test of expiry passes its own `now` or patches this too)."""
    from datastore import reads

    monkeypatch.setattr(reads, "utc_now", lambda: READS_CLOCK)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_event(name: str) -> dict:
    """A sample event from tests/events/."""
    return json.loads((EVENTS_DIR / name).read_text())


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """The local AWS endpoint for integration tests: moto served over HTTP on a free loopback port."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
