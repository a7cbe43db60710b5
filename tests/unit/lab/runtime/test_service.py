"""Unit tests of lab.runtime.service: the service built from a client factory, without any environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.runtime import FunctionNotFoundError, LambdaService, LambdaServiceError

from .conftest import FakeClients


def make(clients: FakeClients, tmp_path: Path, **kwargs: object) -> LambdaService:
    return LambdaService(
        clients=clients,
        artifacts_dir=tmp_path / "build",
        work_dir=tmp_path / "work",
        log=lambda _: None,
        cgroup_mode="none",
        **kwargs,  # type: ignore[arg-type]
    )


def test_the_service_reaches_the_endpoint_only_through_its_clients(
    clients: FakeClients, tmp_path: Path
) -> None:
    with make(clients, tmp_path) as service:
        assert clients.made == []  # no client until the first call
        with pytest.raises(FunctionNotFoundError, match=r"https://127\.0\.0\.1:4566"):
            service.invoke("missing")
        with pytest.raises(FunctionNotFoundError):
            service.invoke_async("missing")
        assert clients.made == ["lambda"]
        assert service.outcomes == [] and service.status() == [] and service.wait_idle(1)


def test_close_is_idempotent_and_final(clients: FakeClients, tmp_path: Path) -> None:
    clients.lambda_.deploy("f")
    service = make(clients, tmp_path)
    service.close()
    service.close()
    with pytest.raises(LambdaServiceError, match="closed"):
        service.invoke("f")
    with pytest.raises(LambdaServiceError, match="closed"):
        service.invoke_async("f")


@pytest.mark.parametrize("bad", [{"max_concurrent_probes": 0}, {"idle_timeout_s": 0.0}])
def test_nonsense_settings_are_refused(clients: FakeClients, tmp_path: Path, bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        make(clients, tmp_path, **bad)
