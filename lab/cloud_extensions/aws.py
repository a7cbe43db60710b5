"""The calls the two extensions make to AWS (the lab's endpoint): lazy boto3 clients, one error type.

Every failure is an `AwsFailure` with the status and type the extension answers with, and whether it is
transient (throttling, a server error, a connection failure): what `ignoreTransientErrors` may serve a stale
value over.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("lab.cloud_extensions")

# Secrets Manager errors the extension passes through with their own status (lab's list: the errors
# GetSecretValue and DescribeSecret declare); any other error of Secrets Manager is 502 BadGatewayException.
DECLARED_SECRET_ERRORS = frozenset(
    {
        "ResourceNotFoundException",
        "InvalidParameterException",
        "InvalidRequestException",
        "DecryptionFailure",
        "InternalServiceError",
        "AccessDeniedException",
        "ThrottlingException",
    }
)


class AwsFailure(Exception):
    """An AWS call failed: the answer to give, and whether the failure is transient."""

    def __init__(self, status: int, error_type: str, message: str, transient: bool) -> None:
        super().__init__(f"{status} {error_type}: {message}")
        self.status, self.error_type, self.message, self.transient = status, error_type, message, transient


class AwsClients:
    """One boto3 client per service, created on first use (or injected)."""

    def __init__(self, region: str, endpoint_url: str | None, clients: dict[str, Any] | None = None) -> None:
        self.region, self.endpoint_url = region, endpoint_url
        self._clients: dict[str, Any] = dict(clients or {})
        self._lock = threading.Lock()
        self.calls: dict[str, int] = {}  # operation -> count (what the emulator asked of AWS)

    def client(self, service: str) -> Any:
        existing = self._clients.get(service)
        if existing is not None:
            return existing
        with self._lock:
            if service not in self._clients:
                import boto3
                from botocore.config import Config

                self._clients[service] = boto3.session.Session().client(
                    service,
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=Config(user_agent_extra="slo-cloud-extensions-emulator", max_pool_connections=10),
                )
            return self._clients[service]

    def warm(self) -> None:
        """Create the clients now, during the extension's start (its load)."""
        for service in ("secretsmanager", "ssm"):
            self.client(service)

    def call(
        self, service: str, operation: str, declared: frozenset[str] | None = None, **kwargs: Any
    ) -> dict:
        """Call `operation`; AwsFailure on any failure (`declared`: errors passed through, others 502)."""
        from botocore.exceptions import ClientError, ConnectionError, HTTPClientError, ReadTimeoutError

        self.calls[operation] = self.calls.get(operation, 0) + 1
        try:
            return dict(getattr(self.client(service), operation)(**kwargs))
        except (ConnectionError, HTTPClientError, ReadTimeoutError) as error:
            log.warning("%s %s: connection error: %s", service, operation, type(error).__name__)
            raise AwsFailure(502, "ConnectionError", f"could not reach {service}", True) from None
        except ClientError as error:
            detail = error.response.get("Error", {})
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500)
            code = str(detail.get("Code") or "InternalFailure")
            message = str(detail.get("Message") or "")
            transient = status >= 500 or "Throttl" in code
            if declared is not None and code not in declared:
                raise AwsFailure(
                    502, "BadGatewayException", f"{service} returned {code}", transient
                ) from None
            raise AwsFailure(status, code, message, transient) from None
