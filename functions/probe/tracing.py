"""Tracing as `OBSERVATORY_TRACING` says (contract §1); quiet where no trace store is, never in the way.

- `off`: no tracing library is imported (Terraform makes the function's tracing PassThrough): the baseline.
- `subsegments` (the default): the X-Ray SDK, the probe's own trace only, one subsegment around the cold miss
  and one around the warm series of each store. Nothing is patched: patching botocore or requests would add a
  subsegment per hit (one per series is the rule) and its cost to the very thing being timed.
- `patch_all`: the 2022 run's tracing, `aws_xray_sdk.core.patch_all()` once per execution environment at INIT
  (before any client exists), so every botocore and requests call opens a subsegment of its own, plus the
  probe's subsegments. It exists to replay the 2022 run and to measure what tracing costs a fetch.
- `otel`: the OpenTelemetry SDK set up at INIT (`otel.setup`): botocore and HTTP-client instrumentations, the
  probe's spans named as the subsegments are, flushed at the end of every invocation.
- `adot`: AWS's distribution, set up by its layer's wrapper before INIT imports the handler; the probe adds
  its spans to the provider the distribution configured, if any.

A tracing failure (no library, no daemon, no segment, no provider) is logged at debug and never raised.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, MutableMapping
from typing import Any

from .vocabulary import DEFAULT_TRACING, Tracing

_LOG = logging.getLogger(__name__)
_PREPARED: set[str] = set()  # the modes whose INIT work was attempted in this execution environment
_PATCHED = False
_PROVIDER: Any = None  # `otel`: the tracer provider set up at INIT
TRACER_NAME = "slo.probe"


def _recorder() -> Any:
    """aws-xray-sdk's global recorder, set to say nothing where no segment exists (local runs, tests)."""
    from aws_xray_sdk.core import xray_recorder

    # AWS_XRAY_CONTEXT_MISSING, when set, still wins.
    xray_recorder.configure(context_missing="IGNORE_ERROR")
    logging.getLogger("aws_xray_sdk").setLevel(logging.ERROR)
    return xray_recorder


def prepare(mode: Tracing, env: MutableMapping[str, str] | None = None) -> bool:
    """INIT, once per execution environment: `patch_all` patches every library the X-Ray SDK supports, `otel`
    sets the OpenTelemetry SDK up (both before any client is created); True when that happened. Other modes do
    nothing (and import nothing)."""
    global _PATCHED, _PROVIDER
    if mode not in ("patch_all", "otel") or mode in _PREPARED:
        return _PATCHED if mode == "patch_all" else _PROVIDER is not None
    _PREPARED.add(mode)
    try:
        if mode == "patch_all":
            _recorder()
            from aws_xray_sdk.core import patch_all

            patch_all()
            _PATCHED = True
            return True
        from . import otel

        _PROVIDER = otel.setup(os.environ if env is None else env)
        return True
    except Exception as exc:  # tracing must never stop a measurement
        _LOG.debug("tracing set-up (%s) failed: %s", mode, type(exc).__name__)
        return False


def patched() -> bool:
    """Whether patch_all() ran in this execution environment."""
    return _PATCHED


class Tracer:
    """Opens the probe's annotated sections as X-Ray subsegments or OpenTelemetry spans (nothing when `off`);
    a failure is logged at debug only."""

    def __init__(self, mode: Tracing = DEFAULT_TRACING) -> None:
        self.mode = mode
        self._recorder: Any = None
        self._tracer: Any = None  # OpenTelemetry
        self._provider: Any = None  # the one this tracer flushes (`otel`; ADOT's layer flushes its own)
        if mode == "off":
            return
        prepare(mode)  # a no-op when INIT already did it (or the mode needs nothing at INIT)
        try:
            if mode in ("subsegments", "patch_all"):
                self._recorder = _recorder()
            else:
                from . import otel

                provider = _PROVIDER if mode == "otel" else otel.configured_provider()
                if provider is not None:
                    self._tracer = provider.get_tracer(TRACER_NAME)
                    self._provider = provider if mode == "otel" else None
        except Exception as exc:
            _LOG.debug("tracing unavailable (%s): %s", mode, type(exc).__name__)

    @contextlib.contextmanager
    def subsegment(self, name: str, annotations: dict[str, str | int]) -> Iterator[None]:
        """A subsegment (or span) named `name` carrying `annotations` (identity only, never a value)."""
        if self._tracer is not None:
            with self._span(name, annotations):
                yield
            return
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

    @contextlib.contextmanager
    def _span(self, name: str, annotations: dict[str, str | int]) -> Iterator[None]:
        """An OpenTelemetry span, current while the block runs (so instrumented calls nest under it)."""
        stack = contextlib.ExitStack()
        try:
            attributes = {f"slo.{key}": value for key, value in annotations.items()}
            stack.enter_context(self._tracer.start_as_current_span(name, attributes=attributes))
        except Exception as exc:
            _LOG.debug("opentelemetry span not started: %s", type(exc).__name__)
        with stack:
            yield

    def flush(self) -> None:
        """`otel`: export every span held before the invocation returns (the environment may freeze after)."""
        if self._provider is not None:
            from . import otel

            otel.flush(self._provider)
