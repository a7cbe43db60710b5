"""The runtime: routing to the two extensions, the in-flight limit, readiness, authentication.

Order of the checks (the lab's; AWS documents each answer, not their order): the in-flight limit (429), the
route, the runtime's authentication (401/403; Parameter Store: 400 AccessDeniedException), loading (503), then
the extension's own checks (X-Forwarded-For, the SSRF token, the parameters).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from lab.extension.aws import Reply

from .aws import AwsClients
from .parameters import PATH as PARAMETERS_PATH
from .parameters import ParameterExtension
from .replies import json11_error, secrets_error
from .secrets import BASE as SECRETS_BASE
from .secrets import SecretsExtension
from .settings import Settings
from .sigv4 import Credentials, Rejection, verify

log = logging.getLogger("lab.cloud_extensions")

RETRY_AFTER_SECONDS = "1"  # the lab's Retry-After on a 429 (AWS documents the header, not its value)


class Runtime:
    """The emulator's behaviour, shared by every connection thread of the server."""

    def __init__(
        self, settings: Settings, clients: AwsClients | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.clients = clients or AwsClients(
            settings.profile.secrets.region or settings.region, settings.endpoint_url
        )
        self.secrets = SecretsExtension(settings.profile.secrets, self.clients, settings.session_token)
        self.parameters = ParameterExtension(settings.profile.parameters, self.clients)
        self.ready = threading.Event()  # set when the extensions have loaded; 503 until then
        self._slots = threading.BoundedSemaphore(settings.max_in_flight)
        self._clock = clock
        self._credentials = (
            Credentials(settings.access_key, settings.secret_key, settings.session_token)
            if settings.access_key and settings.secret_key
            else None
        )

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Reply:
        """Answer one request; `headers` have lower-case names."""
        path, _, query = target.partition("?")
        parameters = path == PARAMETERS_PATH
        if not self._slots.acquire(blocking=False):
            log.warning("more than %d requests in flight: 429", self.settings.max_in_flight)
            retry = (("Retry-After", RETRY_AFTER_SECONDS),)
            if parameters:
                return json11_error(429, "ThrottlingException", "too many requests in flight", retry)
            return secrets_error(
                429, "ThrottlingException", "too many requests in flight", runtime=True, extra=retry
            )
        try:
            return self._route(method, path, query, target, headers, body)
        except Exception:  # a bug must be visible; AWS: 500 InternalFailure, empty body
            log.exception("internal error")
            return secrets_error(500, "InternalFailure", "")
        finally:
            self._slots.release()

    def _route(
        self, method: str, path: str, query: str, target: str, headers: dict[str, str], body: bytes
    ) -> Reply:
        if path == PARAMETERS_PATH:
            refused = self._authenticate(method, target, headers, body, "ssm")
            if refused is not None:
                extra = (("cloudextensions-error-reason", refused.reason),)
                return json11_error(400, "AccessDeniedException", refused.message, extra)
            if not self.ready.is_set():
                return json11_error(503, "ServiceUnavailableException", "the extension is loading")
            return self.parameters.handle(method, headers, body)
        if path == SECRETS_BASE or path.startswith(SECRETS_BASE + "/"):
            refused = self._authenticate(method, target, headers, body, "secretsmanager")
            if refused is not None:
                return secrets_error(refused.status, refused.error_type, refused.message, runtime=True)
            if not self.ready.is_set():
                return secrets_error(
                    503, "ServiceUnavailableException", "the extension is loading", runtime=True
                )
            return self.secrets.check_headers(headers) or self.secrets.handle(method, path, query)
        return secrets_error(
            400, "ValidationException", f"No operation matches the request: {path}", runtime=True
        )

    def _authenticate(
        self, method: str, target: str, headers: dict[str, str], body: bytes, service: str
    ) -> Rejection | None:
        if self.settings.profile.authentication == "none":
            return None
        assert self._credentials is not None  # load_settings requires them for runtimeCredentials
        return verify(
            method, target, headers, body, self._credentials, self.settings.region, service, self._clock
        )

    def metrics(self) -> dict[str, int]:
        """cache.hits / cache.misses per extension, and the AWS calls made (what AWS's metrics count)."""
        return {
            "secretsmanager.cache.hits": self.secrets.hits,
            "secretsmanager.cache.misses": self.secrets.misses,
            "parameterstore.cache.hits": self.parameters.hits,
            "parameterstore.cache.misses": self.parameters.misses,
            **{f"aws.{name}": count for name, count in sorted(self.clients.calls.items())},
        }
