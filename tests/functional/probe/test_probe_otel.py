"""The `otel` tracing mode: the probe's spans and the instrumentations', exported before the invocation
returns, and neither the value read nor the session token in any span, attribute, event or resource.

The OpenTelemetry SDK is set up once for this module (a global provider, as at INIT) on an in-memory exporter,
with header capture turned on for every request and response header: the worst case the sanitize list must
survive. Its instrumentations are removed again when the module's tests end.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from functions.probe import otel, tracing
from functions.probe.config import ProbeConfig
from functions.probe.timing import Probe

from .conftest import CANARY, PARAMETER_NAME, SECRET_ID
from .extension_double import DoubleState, extension_double

TOKEN = "session-token-for-tests"
CAPTURE = {
    "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST": ".*",
    "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE": ".*",
}


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CAPTURE.items():
            patch.setenv(name, value)
        import os

        provider = otel.setup(os.environ, span_exporter=exporter)
        patch.setattr(tracing, "_PROVIDER", provider)
        patch.setattr(tracing, "_PREPARED", {"otel"})
        yield exporter
        for name in otel.INSTRUMENTATIONS:
            otel._instrumentor(name).uninstrument()


def _texts(span: Any) -> list[str]:
    """Everything a span carries as text: name, attributes, events and their attributes, resource."""
    texts = [span.name, *(str(v) for v in span.attributes.values())]
    for event in span.events:
        texts += [event.name, *(str(v) for v in event.attributes.values())]
    texts += [str(v) for v in span.resource.attributes.values()]
    return texts


def _leaks(exported: list[Any]) -> list[str]:
    forms = [CANARY, CANARY.encode().hex(), base64.b64encode(CANARY.encode()).decode(), TOKEN]
    return [text for span in exported for text in _texts(span) if any(form in text for form in forms)]


def test_sdk_spans_nest_under_the_probe_s_and_are_exported_before_the_invocation_returns(
    spans: InMemorySpanExporter, aws: None, make_config: Callable[..., ProbeConfig]
) -> None:
    spans.clear()
    config = make_config("sdk", OBSERVATORY_TRACING="otel", OBSERVATORY_WARM_SAMPLES="3",
                         OBSERVATORY_PROBE_KEY="sdk-128-x86_64-otel")  # fmt: skip
    record = Probe(config).invoke("req-1", cold=True)
    assert record["errors"] == [] and record["identity"]["tracing"] == "otel"
    exported = spans.get_finished_spans()  # the batch was flushed: nothing waits for its 5 s schedule
    ours = [s for s in exported if s.name in ("cold_miss", "warm_hits")]
    assert [s.name for s in ours] == ["cold_miss", "warm_hits"] * 2  # per store, as subsegments has
    calls = [s for s in exported if s not in ours and s.parent is not None]  # not the fixtures' set-up
    # one botocore span per API call: 1 miss + 3 hits per store, each a child of the probe's span around it
    assert len(calls) == 8
    parents = {s.context.span_id: s.name for s in ours}
    assert sorted(parents[c.parent.span_id] for c in calls) == ["cold_miss"] * 2 + ["warm_hits"] * 6
    assert {c.attributes.get("rpc.method") for c in calls} == {"GetSecretValue", "GetParameter"}
    assert _leaks(exported) == []


def test_the_extension_s_token_and_the_value_never_reach_a_span(
    spans: InMemorySpanExporter, make_config: Callable[..., ProbeConfig]
) -> None:
    spans.clear()
    state = DoubleState(token=TOKEN, secrets={SECRET_ID: CANARY}, parameters={PARAMETER_NAME: CANARY})
    with extension_double(state) as port:
        config = make_config("extension", PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port),
                             OBSERVATORY_TRACING="otel", OBSERVATORY_WARM_SAMPLES="2",
                             OBSERVATORY_PROBE_KEY="extension-128-x86_64-otel")  # fmt: skip
        record = Probe(config).invoke("req-2", cold=True)
    assert record["errors"] == []
    exported = spans.get_finished_spans()
    http = [s for s in exported if s.name not in ("cold_miss", "warm_hits")]
    assert http, "the requests and urllib3 instrumentations traced the extension's calls"
    token_headers = [
        value
        for span in http
        for key, value in span.attributes.items()
        if key.endswith("x_aws_parameters_secrets_token")
    ]
    assert token_headers and all(str(v) == "('[REDACTED]',)" for v in token_headers)  # captured, sanitized
    assert _leaks(exported) == []


def test_a_warm_invocation_adds_only_its_own_spans(
    spans: InMemorySpanExporter, aws: None, make_config: Callable[..., ProbeConfig]
) -> None:
    config = make_config("dict", OBSERVATORY_TRACING="otel", OBSERVATORY_WARM_SAMPLES="4",
                         OBSERVATORY_PROBE_KEY="dict-128-x86_64-otel")  # fmt: skip
    probe = Probe(config)
    probe.invoke("req-3", cold=True)
    spans.clear()
    second = probe.invoke("req-4", cold=False)
    assert second["init_ms"] is None
    exported = spans.get_finished_spans()
    # dict: the miss is forced (one GetSecretValue / GetParameter each), the hits come from its own cache
    assert sorted(s.name for s in exported if s.name in ("cold_miss", "warm_hits")) == ["cold_miss"] * 2 + [
        "warm_hits"
    ] * 2
    calls = [s for s in exported if s.name not in ("cold_miss", "warm_hits") and s.parent is not None]
    assert len(calls) == 2


def test_the_endpoint_comes_from_the_standard_variables() -> None:
    assert otel.traces_endpoint({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318/"}) == (
        "http://127.0.0.1:4318/v1/traces"
    )
    both = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:1", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:2/t"}
    assert otel.traces_endpoint(both) == "http://b:2/t"
    assert otel.traces_endpoint({}) is None
    assert otel.XRAY_OTLP.match("https://xray.eu-west-1.amazonaws.com/v1/traces")
    env = {otel.SANITIZE_VARIABLE: "set-cookie"}
    otel.sanitize_headers(env)
    assert env[otel.SANITIZE_VARIABLE].split(",") == ["set-cookie", *otel.SENSITIVE_HEADERS]
