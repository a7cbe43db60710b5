"""The tracing modes: `off` never touches the SDK, `patch_all` patches once, and a failure never raises."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from functions.probe import tracing
from functions.probe.tracing import Tracer, prepare


class FakeRecorder:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.opened: list[tuple[str, dict[str, Any]]] = []
        self.ended = 0

    def configure(self, **_: Any) -> None:
        pass

    def begin_subsegment(self, name: str) -> Any:
        if self.fail:
            raise RuntimeError("no daemon")
        annotations: dict[str, Any] = {}
        self.opened.append((name, annotations))
        return types.SimpleNamespace(put_annotation=annotations.__setitem__)

    def end_subsegment(self) -> None:
        self.ended += 1


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """A stand-in `aws_xray_sdk.core` counting patch_all() calls; tracing's once-only state reset."""
    state = types.SimpleNamespace(recorder=FakeRecorder(), patches=0, patch_error=None)

    def patch_all() -> None:
        state.patches += 1
        if state.patch_error is not None:
            raise state.patch_error

    core = types.ModuleType("aws_xray_sdk.core")
    core.xray_recorder = state.recorder  # type: ignore[attr-defined]
    core.patch_all = patch_all  # type: ignore[attr-defined]
    package = types.ModuleType("aws_xray_sdk")
    package.core = core  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "aws_xray_sdk", package)
    monkeypatch.setitem(sys.modules, "aws_xray_sdk.core", core)
    monkeypatch.setattr(tracing, "_PREPARED", set())
    monkeypatch.setattr(tracing, "_PATCHED", False)
    return state


def test_off_opens_nothing(sdk: types.SimpleNamespace) -> None:
    tracer = Tracer("off")
    with tracer.subsegment("cold_miss", {"store": "ssm"}):
        pass
    assert sdk.recorder.opened == [] and sdk.patches == 0 and not tracing.patched()


def test_subsegments_annotate_and_patch_nothing(sdk: types.SimpleNamespace) -> None:
    assert prepare("subsegments") is False
    with Tracer("subsegments").subsegment("warm_hits", {"store": "ssm", "memory_mb": 128}):
        pass
    assert sdk.recorder.opened == [("warm_hits", {"store": "ssm", "memory_mb": 128})]
    assert sdk.recorder.ended == 1 and sdk.patches == 0


def test_patch_all_patches_once_per_environment(sdk: types.SimpleNamespace) -> None:
    assert prepare("patch_all") is True  # INIT
    tracer = Tracer("patch_all")  # the first invocation: already patched
    assert prepare("patch_all") is True and sdk.patches == 1 and tracing.patched()
    with tracer.subsegment("cold_miss", {"store": "secretsmanager"}):
        pass
    assert [name for name, _ in sdk.recorder.opened] == ["cold_miss"]  # the probe's own subsegments stay


def test_patch_all_without_init_patches_when_the_tracer_is_made(sdk: types.SimpleNamespace) -> None:
    Tracer("patch_all")
    assert sdk.patches == 1


def test_a_failing_patch_all_is_tried_once_and_never_raised(sdk: types.SimpleNamespace) -> None:
    sdk.patch_error = RuntimeError("cannot patch")
    assert prepare("patch_all") is False
    tracer = Tracer("patch_all")
    assert sdk.patches == 1 and not tracing.patched()
    with tracer.subsegment("cold_miss", {}):
        pass
    assert [name for name, _ in sdk.recorder.opened] == ["cold_miss"]


def test_a_failing_recorder_never_stops_the_measurement(sdk: types.SimpleNamespace) -> None:
    sdk.recorder.fail = True
    ran = False
    with Tracer("patch_all").subsegment("warm_hits", {}):
        ran = True
    assert ran and sdk.recorder.ended == 0


def test_without_the_sdk_every_mode_still_measures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aws_xray_sdk", None)  # import fails
    monkeypatch.setitem(sys.modules, "aws_xray_sdk.core", None)
    monkeypatch.setattr(tracing, "_PREPARED", set())
    monkeypatch.setattr(tracing, "_PATCHED", False)
    for mode in ("off", "subsegments", "patch_all"):
        with Tracer(mode).subsegment("cold_miss", {}):  # type: ignore[arg-type]
            pass
    assert not tracing.patched()
