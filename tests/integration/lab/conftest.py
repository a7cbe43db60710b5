"""Fixtures for the lab's integration tests: the lab endpoint itself (TLS, keep-alive) on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.endpoint import EndpointInfo, start_endpoint, stop_endpoint
from tests.conftest import free_port


@pytest.fixture(scope="module")
def lab_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EndpointInfo]:
    """A lab endpoint process (moto over TLS) on a free port, stopped by pid afterwards."""
    state = Path(tmp_path_factory.mktemp("lab-state"))
    info = start_endpoint(state, port=free_port())
    try:
        yield info
    finally:
        stop_endpoint(state)
