"""OTLP traces as the lab's trace store keeps them: one flat JSON document per span.

Three ways in, one shape out:
- OTLP/HTTP `POST /v1/traces`, `application/x-protobuf` (an `ExportTraceServiceRequest`, decoded with
  opentelemetry-proto) or `application/json` (OTLP's JSON mapping: ids in hex, enums as numbers, 64-bit
  integers as strings), optionally gzip-encoded;
- OTLP over UDP as ADOT sends it on Lambda to the X-Ray daemon address: the daemon header line, then `T1S`
  (sampled) or `T1U` (unsampled) and the base64 of an `ExportTraceServiceRequest`.

A kept span: {trace_id, span_id, parent_span_id (hex, "" for a root), name, kind, start_unix_nano,
end_unix_nano, attributes {key: value}, events [{name, attributes}], status {code, message}, resource
{key: value}, scope {name, version}, transport}.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

__all__ = ["OtlpError", "decode_http", "decode_udp", "flatten"]

UDP_PREFIXES = {"T1S": "otlp-udp-sampled", "T1U": "otlp-udp-unsampled"}
PROTOBUF = "application/x-protobuf"
JSON = "application/json"


class OtlpError(Exception):
    """A request or datagram that is not OTLP traces."""


def _hex_id(value: Any, encoding: str) -> str:
    """A trace or span id as hex: OTLP/JSON writes hex; protobuf's JSON mapping (MessageToDict) base64."""
    if not value:
        return ""
    text = str(value)
    if encoding == "hex":
        return text.lower()
    try:
        return base64.b64decode(text, validate=True).hex()
    except (binascii.Error, ValueError) as exc:
        raise OtlpError(f"id {text!r} is not base64") from exc


def _value(any_value: dict[str, Any]) -> Any:
    """The Python value of an OTLP AnyValue in its JSON form."""
    if "stringValue" in any_value:
        return any_value["stringValue"]
    if "boolValue" in any_value:
        return bool(any_value["boolValue"])
    if "intValue" in any_value:
        return int(any_value["intValue"])
    if "doubleValue" in any_value:
        return float(any_value["doubleValue"])
    if "arrayValue" in any_value:
        return [_value(v) for v in any_value["arrayValue"].get("values", [])]
    if "kvlistValue" in any_value:
        return _attributes(any_value["kvlistValue"].get("values", []))
    if "bytesValue" in any_value:
        return any_value["bytesValue"]
    return None


def _attributes(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    return {pair["key"]: _value(pair.get("value", {})) for pair in pairs if "key" in pair}


def flatten(request: dict[str, Any], transport: str, id_encoding: str = "hex") -> list[dict[str, Any]]:
    """The spans of one ExportTraceServiceRequest in its JSON form (camelCase keys), flattened."""
    if not isinstance(request, dict) or not isinstance(request.get("resourceSpans", []), list):
        raise OtlpError("not an ExportTraceServiceRequest: no resourceSpans list")
    spans: list[dict[str, Any]] = []
    for resource_spans in request.get("resourceSpans", []):
        resource = _attributes(resource_spans.get("resource", {}).get("attributes", []))
        for scope_spans in resource_spans.get("scopeSpans", []):
            scope = scope_spans.get("scope", {})
            for span in scope_spans.get("spans", []):
                status = span.get("status", {})
                spans.append(
                    {
                        "trace_id": _hex_id(span.get("traceId"), id_encoding),
                        "span_id": _hex_id(span.get("spanId"), id_encoding),
                        "parent_span_id": _hex_id(span.get("parentSpanId"), id_encoding),
                        "name": span.get("name", ""),
                        "kind": span.get("kind", 0),
                        "start_unix_nano": int(span.get("startTimeUnixNano", 0)),
                        "end_unix_nano": int(span.get("endTimeUnixNano", 0)),
                        "attributes": _attributes(span.get("attributes", [])),
                        "events": [
                            {"name": e.get("name", ""), "attributes": _attributes(e.get("attributes", []))}
                            for e in span.get("events", [])
                        ],
                        "status": {"code": status.get("code", 0), "message": status.get("message", "")},
                        "resource": resource,
                        "scope": {"name": scope.get("name", ""), "version": scope.get("version", "")},
                        "transport": transport,
                    }
                )
    return spans


def _from_protobuf(body: bytes, transport: str) -> list[dict[str, Any]]:
    message = ExportTraceServiceRequest()
    try:
        message.ParseFromString(body)
    except DecodeError as exc:
        raise OtlpError(f"not an ExportTraceServiceRequest: {exc}") from exc
    # enums as numbers, as OTLP/JSON writes them; bytes (ids) come out base64
    as_json = MessageToDict(message, use_integers_for_enums=True)
    return flatten(as_json, transport, id_encoding="base64")


def decode_http(body: bytes, content_type: str, content_encoding: str = "") -> list[dict[str, Any]]:
    """The spans of one OTLP/HTTP traces request body (raises OtlpError, or ValueError for the media type)."""
    if content_encoding.strip().lower() == "gzip":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError) as exc:
            raise OtlpError(f"gzip body does not decompress: {exc}") from exc
    media = content_type.split(";", 1)[0].strip().lower()
    if media == PROTOBUF:
        return _from_protobuf(body, "otlp-http-protobuf")
    if media == JSON:
        try:
            request = json.loads(body)
        except ValueError as exc:
            raise OtlpError(f"not JSON: {exc}") from exc
        return flatten(request, "otlp-http-json", id_encoding="hex")
    raise ValueError(f"unsupported media type {media!r}: {PROTOBUF} or {JSON}")


def decode_udp(body: str) -> list[dict[str, Any]]:
    """The spans of one ADOT UDP message body (after the daemon header line): `T1S`/`T1U` + base64."""
    prefix, payload = body[:3], body[3:]
    if prefix not in UDP_PREFIXES:
        raise OtlpError(f"not an OTLP traces datagram (prefix {prefix!r})")
    try:
        raw = base64.b64decode(payload.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise OtlpError("OTLP datagram is not base64") from exc
    return _from_protobuf(raw, UDP_PREFIXES[prefix])
