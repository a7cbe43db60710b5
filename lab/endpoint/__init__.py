"""The lab's local AWS endpoint: moto served over TLS with HTTP/1.1 keep-alive, as a background process."""

from __future__ import annotations

from lab.endpoint.background import (
    EndpointError,
    EndpointInfo,
    PortInUseError,
    endpoint_status,
    noted_requests,
    start_endpoint,
    stop_endpoint,
)
from lab.endpoint.tls import TlsFiles, ensure_tls

__all__ = [
    "EndpointError",
    "EndpointInfo",
    "PortInUseError",
    "TlsFiles",
    "endpoint_status",
    "ensure_tls",
    "noted_requests",
    "start_endpoint",
    "stop_endpoint",
]
