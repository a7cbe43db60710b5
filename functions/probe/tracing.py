"""X-Ray subsegments around the cold miss and the warm series of each store; quiet where X-Ray is absent.

Nothing is patched: the probe's own subsegments are the trace. Patching botocore or requests would add a
subsegment per hit (one per series is the rule) and its cost to the very thing being timed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

_LOG = logging.getLogger(__name__)


class Tracer:
    """Opens annotated subsegments with aws-xray-sdk; a tracing failure is logged at debug, never raised."""

    def __init__(self, enabled: bool = True) -> None:
        self._recorder: Any = None
        if not enabled:
            return
        try:
            from aws_xray_sdk.core import xray_recorder

            # Where no segment exists (local runs, tests) say nothing; AWS_XRAY_CONTEXT_MISSING still wins.
            xray_recorder.configure(context_missing="IGNORE_ERROR")
            logging.getLogger("aws_xray_sdk").setLevel(logging.ERROR)
            self._recorder = xray_recorder
        except Exception as exc:  # tracing must never stop a measurement
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
