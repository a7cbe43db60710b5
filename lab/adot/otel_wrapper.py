"""The handler the lab's ADOT layer puts in front of the function's (`_HANDLER=otel_wrapper.lambda_handler`,
set by `otel-instrument`), as AWS's ADOT Python layer does.

On import it instruments AWS Lambda invocations (`AwsLambdaInstrumentor`: one span per invocation, and the
tracer provider flushed before each invocation returns, so no span waits in a batch while the environment is
frozen), parented on Lambda's trace header (`_X_AMZN_TRACE_ID`) rather than a header in the event; then it
imports the function's handler (`ORIG_HANDLER`), which the instrumentor has wrapped, and hands it on.
Instrumenting before the runtime imports the handler module would be undone by that import.
"""

import logging
import os
from importlib import import_module
from typing import Any

from opentelemetry.context import Context
from opentelemetry.instrumentation.aws_lambda import AwsLambdaInstrumentor
from opentelemetry.propagate import get_global_textmap
from opentelemetry.trace import get_current_span

TRACE_HEADER = "X-Amzn-Trace-Id"
LAMBDA_TRACE_VARIABLE = "_X_AMZN_TRACE_ID"


class HandlerError(Exception):
    """ORIG_HANDLER is missing or not `module.function`."""


if os.environ.get("OTEL_AWS_LAMBDA_FAST_START", "false").lower() == "true":
    try:  # lite mode: the distribution's reduced SDK, set up here instead of by auto-instrumentation
        from amazon.opentelemetry.distro.opentelemetry_lite_sdk import configure_lite_mode

        configure_lite_mode()
    except Exception:
        logging.getLogger(__name__).error("lite mode could not be set up", exc_info=True)


def lambda_trace_context(event: Any) -> Context:
    """The parent context: Lambda's trace header wins over one in the event's headers; none is a new trace."""
    headers = event.get("headers") if isinstance(event, dict) else None
    carrier = dict(headers) if isinstance(headers, dict) else {}
    lambda_header = os.environ.get(LAMBDA_TRACE_VARIABLE)
    if lambda_header:
        carrier = {k: v for k, v in carrier.items() if str(k).lower() != TRACE_HEADER.lower()}
        carrier[TRACE_HEADER] = lambda_header
    context = get_global_textmap().extract(carrier)
    return context if get_current_span(context).get_span_context().is_valid else Context()


AwsLambdaInstrumentor().instrument(event_context_extractor=lambda_trace_context)

_original = os.environ.get("ORIG_HANDLER")
if not _original or "." not in _original:
    raise HandlerError(f"ORIG_HANDLER is {_original!r}, not module.function")
_module_name, _function_name = _original.rsplit(".", 1)
lambda_handler = getattr(import_module(_module_name.replace("/", ".")), _function_name)
