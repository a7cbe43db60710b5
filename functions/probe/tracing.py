"""X-Ray as `OBSERVATORY_TRACING` says (contract §1); quiet where X-Ray is absent, never in the way.

- `off`: the X-Ray SDK is never imported: what a function without tracing pays.
- `subsegments` (the default): the probe's own trace only, one subsegment around the cold miss and one around
  the warm series of each store. Nothing is patched: patching botocore or requests would add a subsegment per
  hit (one per series is the rule) and its cost to the very thing being timed.
- `patch_all`: the 2022 run's tracing, `aws_xray_sdk.core.patch_all()` once per execution environment at INIT
  (before any client exists), so every botocore and requests call opens a subsegment of its own, plus the
  probe's subsegments. It exists to replay the 2022 run and to measure what tracing costs a fetch.

A tracing failure (no SDK, no daemon, no segment) is logged at debug and never raised.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from .vocabulary import DEFAULT_TRACING, Tracing

_LOG = logging.getLogger(__name__)
_PATCH_TRIED = False  # patch_all() is attempted once per execution environment
_PATCHED = False


def _recorder() -> Any:
    """aws-xray-sdk's global recorder, set to say nothing where no segment exists (local runs, tests)."""
    from aws_xray_sdk.core import xray_recorder

    # AWS_XRAY_CONTEXT_MISSING, when set, still wins.
    xray_recorder.configure(context_missing="IGNORE_ERROR")
    logging.getLogger("aws_xray_sdk").setLevel(logging.ERROR)
    return xray_recorder


def prepare(mode: Tracing) -> bool:
    """INIT: under `patch_all`, patch every library the SDK supports (before any client is created), once per
    execution environment; True when patched. Other modes do nothing (and import nothing)."""
    global _PATCH_TRIED, _PATCHED
    if mode != "patch_all" or _PATCH_TRIED:
        return _PATCHED
    _PATCH_TRIED = True
    try:
        _recorder()
        from aws_xray_sdk.core import patch_all

        patch_all()
        _PATCHED = True
    except Exception as exc:  # tracing must never stop a measurement
        _LOG.debug("x-ray patch_all failed: %s", type(exc).__name__)
    return _PATCHED


def patched() -> bool:
    """Whether patch_all() ran in this execution environment."""
    return _PATCHED


class Tracer:
    """Opens annotated subsegments with aws-xray-sdk (unless `off`); a failure is logged at debug only."""

    def __init__(self, mode: Tracing = DEFAULT_TRACING) -> None:
        self.mode = mode
        self._recorder: Any = None
        if mode == "off":
            return
        prepare(mode)  # a no-op when INIT already patched (or mode is `subsegments`)
        try:
            self._recorder = _recorder()
        except Exception as exc:
            _LOG.debug("x-ray unavailable: %s", type(exc).__name__)

    @contextlib.contextmanager
    def subsegment(self, name: str, annotations: dict[str, str | int]) -> Iterator[None]:
        """A subsegment named `name` carrying `annotations` (identity only, never a value)."""
        subsegment = None
        if self._recorder is not None:
            try:
                subsegment = self._recorder.begin_subsegment(name)
                if subsegment is not None:
                    for key, value in annotations.items():
                        subsegment.put_annotation(key, value)
            except Exception as exc:
                _LOG.debug("x-ray subsegment not started: %s", type(exc).__name__)
                subsegment = None
        try:
            yield
        finally:
            if subsegment is not None:
                try:
                    self._recorder.end_subsegment()
                except Exception as exc:
                    _LOG.debug("x-ray subsegment not ended: %s", type(exc).__name__)
