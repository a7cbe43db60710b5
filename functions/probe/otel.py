"""OpenTelemetry for the `otel` and `adot` tracing modes (contract §1 `OBSERVATORY_TRACING`).

- `otel`: the probe sets the SDK up itself at INIT (`setup`): a tracer provider, the botocore, urllib, urllib3
  and requests instrumentations, and an OTLP/HTTP exporter behind a `BatchSpanProcessor` whose spans are
  flushed (`flush`) at the end of every invocation, outside every timed fetch. Why a batch, not
  `SimpleSpanProcessor`: a simple processor exports each span synchronously when it ends, and the botocore and
  HTTP spans end inside the timed fetch, so every fetch would time an HTTP POST to the trace store as well; a
  batch exports from its own thread, and the flush before the handler returns means nothing is left in it when
  Lambda freezes the environment (a span held there would be lost, or sent minutes later from a thawed
  environment).
- `adot`: AWS's distribution, set up by its Lambda layer's wrapper before the handler module is imported; the
  probe only finds the provider the distribution configured (`configured_provider`) to add its own spans, and
  leaves flushing to the layer (its Lambda instrumentation flushes after every invocation).

The exporter's destination is the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else
OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`; an X-Ray OTLP endpoint (`https://xray.{region}.amazonaws.com/v1/traces`)
is signed with SigV4 (service `xray`) from the function's credentials. No header is ever captured on a span by
the probe's setup, and the headers that carry credentials are added to the instrumentations' sanitize list in
case someone turns header capture on: a span may carry a secret's name or ARN, never its value or the session
token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

_LOG = logging.getLogger(__name__)
XRAY_OTLP = re.compile(r"^https://xray\.([a-z0-9-]+)\.amazonaws\.com/v1/traces$")
SANITIZE_VARIABLE = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS"
# Headers that carry credentials on the probe's requests: never on a span, even with header capture turned on
SENSITIVE_HEADERS = (
    "x-aws-parameters-secrets-token",
    "authorization",
    "x-amz-security-token",
)
INSTRUMENTATIONS = ("botocore", "urllib", "urllib3", "requests")


def traces_endpoint(env: Mapping[str, str]) -> str | None:
    """Where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces."""
    traces = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    if traces:
        return traces
    base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    return base.rstrip("/") + "/v1/traces" if base else None


def sanitize_headers(env: MutableMapping[str, str]) -> None:
    """Add the credential headers to the HTTP instrumentations' sanitize list (read when they instrument)."""
    listed = [name.strip() for name in env.get(SANITIZE_VARIABLE, "").split(",") if name.strip()]
    missing = [name for name in SENSITIVE_HEADERS if name not in {n.lower() for n in listed}]
    env[SANITIZE_VARIABLE] = ",".join(listed + missing)


def _signed_session(region: str) -> Any:
    """A requests.Session that signs every request with SigV4 for X-Ray's OTLP endpoint (botocore's signer and
    the function's credentials, read when each batch is sent)."""
    import botocore.session
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials_source = botocore.session.Session()

    class SigV4Session(requests.Session):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            credentials = credentials_source.get_credentials()
            if credentials is not None:
                headers = dict(kwargs.get("headers") or {})
                aws_request = AWSRequest(method=method, url=url, data=kwargs.get("data"), headers=headers)
                SigV4Auth(credentials.get_frozen_credentials(), "xray", region).add_auth(aws_request)
                kwargs["headers"] = dict(aws_request.headers.items())
            return super().request(method, url, *args, **kwargs)

    return SigV4Session()


def exporter(endpoint: str) -> Any:
    """The OTLP/HTTP (protobuf) span exporter for `endpoint`; signed when it is X-Ray's."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    match = XRAY_OTLP.match(endpoint)
    session = _signed_session(match.group(1)) if match else None
    return OTLPSpanExporter(endpoint=endpoint, session=session)


def setup(env: MutableMapping[str, str], span_exporter: Any = None) -> Any:
    """`otel` at INIT: the global tracer provider with a BatchSpanProcessor on the OTLP exporter (or on
    `span_exporter`, for tests), and the botocore and HTTP-client instrumentations; the provider."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    sanitize_headers(env)
    name = env.get("AWS_LAMBDA_FUNCTION_NAME", "") or "probe"
    resource = Resource.create(
        {"service.name": name, "faas.name": name, "cloud.provider": "aws", "cloud.platform": "aws_lambda"}
    )
    provider = TracerProvider(resource=resource)
    endpoint = traces_endpoint(env)
    if span_exporter is None and endpoint is not None:
        span_exporter = exporter(endpoint)
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)
    _instrument(provider)
    return provider


def _instrument(provider: Any) -> None:
    """The botocore and HTTP-client instrumentations the strategies' calls go through; each one that fails is
    logged at debug and skipped."""
    for name in INSTRUMENTATIONS:
        try:
            instrumentor = _instrumentor(name)
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument(tracer_provider=provider)
        except Exception as exc:  # tracing must never stop a measurement
            _LOG.debug("opentelemetry %s instrumentation failed: %s", name, type(exc).__name__)


def _instrumentor(name: str) -> Any:
    if name == "botocore":
        from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

        return BotocoreInstrumentor()
    if name == "urllib":
        from opentelemetry.instrumentation.urllib import URLLibInstrumentor

        return URLLibInstrumentor()
    if name == "urllib3":
        from opentelemetry.instrumentation.urllib3 import URLLib3Instrumentor

        return URLLib3Instrumentor()
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    return RequestsInstrumentor()


def configured_provider() -> Any:
    """`adot`: the SDK tracer provider the distribution set up, or None (no layer, or no provider configured:
    the API's proxy or no-op provider)."""
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError:
        return None
    provider = trace.get_tracer_provider()
    return provider if isinstance(provider, TracerProvider) else None


def flush(provider: Any, timeout_ms: int = 5_000) -> bool:
    """Export every span the provider's processors hold (before the invocation returns); False on failure."""
    try:
        return bool(provider.force_flush(timeout_ms))
    except Exception as exc:
        _LOG.debug("opentelemetry flush failed: %s", type(exc).__name__)
        return False
