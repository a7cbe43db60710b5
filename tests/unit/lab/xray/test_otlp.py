"""Unit tests of the trace store's OTLP side: protobuf and JSON over HTTP, ADOT's UDP datagrams."""

from __future__ import annotations

import base64
import gzip
import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from lab.xray import XRayListener, parse_message
from lab.xray.otlp import OtlpError, decode_http, decode_udp

TRACE = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
SPAN = bytes.fromhex("b7ad6b7169203331")
PARENT = bytes.fromhex("00f067aa0ba902b7")

EXPECTED = {
    "trace_id": TRACE.hex(),
    "span_id": SPAN.hex(),
    "parent_span_id": PARENT.hex(),
    "name": "SecretsManager.GetSecretValue",
    "kind": 3,
    "start_unix_nano": 1_700_000_000_000_000_000,
    "end_unix_nano": 1_700_000_000_005_000_000,
    "attributes": {"rpc.service": "SecretsManager", "http.status_code": 200, "retried": False},
    "events": [{"name": "retry", "attributes": {"attempt": 1.5}}],
    "status": {"code": 0, "message": ""},
    "resource": {"faas.name": "probe"},
    "scope": {"name": "opentelemetry.instrumentation.botocore", "version": "0.65b0"},
}


ATTEMPT = KeyValue(key="attempt", value=AnyValue(double_value=1.5))


def request() -> ExportTraceServiceRequest:
    span = Span(
        trace_id=TRACE,
        span_id=SPAN,
        parent_span_id=PARENT,
        name="SecretsManager.GetSecretValue",
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=1_700_000_000_000_000_000,
        end_time_unix_nano=1_700_000_000_005_000_000,
        attributes=[
            KeyValue(key="rpc.service", value=AnyValue(string_value="SecretsManager")),
            KeyValue(key="http.status_code", value=AnyValue(int_value=200)),
            KeyValue(key="retried", value=AnyValue(bool_value=False)),
        ],
        events=[Span.Event(name="retry", attributes=[ATTEMPT])],
    )
    message = ExportTraceServiceRequest()
    resource_spans: ResourceSpans = message.resource_spans.add()
    resource_spans.resource.attributes.append(KeyValue(key="faas.name", value=AnyValue(string_value="probe")))
    scope_spans: ScopeSpans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "opentelemetry.instrumentation.botocore"
    scope_spans.scope.version = "0.65b0"
    scope_spans.spans.append(span)
    return message


DOUBLE = {"doubleValue": 1.5}


def as_otlp_json() -> dict:
    """The same request in OTLP's JSON encoding: hex ids, 64-bit integers as strings, enums as numbers."""
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "faas.name", "value": {"stringValue": "probe"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "opentelemetry.instrumentation.botocore", "version": "0.65b0"},
                        "spans": [
                            {
                                "traceId": TRACE.hex().upper(),
                                "spanId": SPAN.hex(),
                                "parentSpanId": PARENT.hex(),
                                "name": "SecretsManager.GetSecretValue",
                                "kind": 3,
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000000005000000",
                                "attributes": [
                                    {"key": "rpc.service", "value": {"stringValue": "SecretsManager"}},
                                    {"key": "http.status_code", "value": {"intValue": "200"}},
                                    {"key": "retried", "value": {"boolValue": False}},
                                ],
                                "events": [
                                    {"name": "retry", "attributes": [{"key": "attempt", "value": DOUBLE}]}
                                ],
                            }
                        ],
                    }
                ],
            }
        ]
    }


def test_protobuf_json_and_gzip_bodies_decode_to_the_same_span() -> None:
    body = request().SerializeToString()
    [from_protobuf] = decode_http(body, "application/x-protobuf")
    [from_json] = decode_http(json.dumps(as_otlp_json()).encode(), "application/json; charset=utf-8")
    [from_gzip] = decode_http(gzip.compress(body), "application/x-protobuf", "gzip")
    assert from_protobuf == {**EXPECTED, "transport": "otlp-http-protobuf"}
    assert from_json == {**EXPECTED, "transport": "otlp-http-json"}
    assert from_gzip == from_protobuf


def test_bodies_that_are_not_otlp_traces_are_refused() -> None:
    with pytest.raises(OtlpError):
        decode_http(b"\xff\xff\xff", "application/x-protobuf")
    with pytest.raises(OtlpError):
        decode_http(b"{not json", "application/json")
    with pytest.raises(OtlpError):
        decode_http(b'{"resourceSpans": 3}', "application/json")
    with pytest.raises(ValueError, match="unsupported media type"):
        decode_http(b"", "text/plain")
    with pytest.raises(OtlpError):
        decode_udp("M1" + base64.b64encode(b"metrics").decode())


def test_adot_udp_datagrams_are_spans_and_segments_stay_segments() -> None:
    payload = base64.b64encode(request().SerializeToString()).decode()
    kind, spans = parse_message(b'{"format":"json","version":1}\nT1U' + payload.encode())
    assert kind == "spans" and spans == [{**EXPECTED, "transport": "otlp-udp-unsampled"}]
    kind, segment = parse_message(b'{"format": "json", "version": 1}\n{"name": "probe"}')
    assert (kind, segment) == ("segment", {"name": "probe"})


def post(url: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_store_keeps_spans_from_http_and_udp_in_memory_and_in_its_file(tmp_path: Path) -> None:
    with XRayListener(path=tmp_path / "segments.jsonl") as store:
        assert store.otlp_endpoint is not None and store.otlp_endpoint.startswith("http://127.0.0.1:")
        traces = f"{store.otlp_endpoint}/v1/traces"
        assert post(traces, request().SerializeToString(), "application/x-protobuf") == (200, b"")
        assert post(traces, json.dumps(as_otlp_json()).encode(), "application/json") == (200, b"{}")
        assert post(traces, b"\x01\x02", "application/x-protobuf")[0] == 400
        assert post(traces, b"hello", "text/plain")[0] == 415
        assert post(f"{store.otlp_endpoint}/v1/metrics", b"", "application/x-protobuf")[0] == 404
        host, port = store.address.split(":")
        datagram = b'{"format":"json","version":1}\nT1S' + base64.b64encode(request().SerializeToString())
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(datagram, (host, int(port)))
        for _ in range(100):
            if len(store.spans()) == 3:
                break
            time.sleep(0.01)
        transports = [s["transport"] for s in store.spans()]
        assert transports == ["otlp-http-protobuf", "otlp-http-json", "otlp-udp-sampled"]
        assert store.spans(trace_id=TRACE.hex(), name="other") == []
        assert store.segments() == [] and store.rejected == 0
    kept = [json.loads(line) for line in (tmp_path / "otlp-spans.jsonl").read_text().splitlines()]
    assert [s["transport"] for s in kept] == transports
    assert all(s["span_id"] == SPAN.hex() for s in kept)
