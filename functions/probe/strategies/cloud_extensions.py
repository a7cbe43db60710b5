"""`cloud_extensions`: AWS Systems Manager Cloud Extensions on localhost, called as AWS's Lambda examples do.

- Secrets Manager extension: a GET to `/secretsmanager/get?secretId=…` on the runtime's port, signed with
  SigV4 by botocore's `SigV4Auth` (service `secretsmanager`, the function's region, the environment's
  credentials: the profile's default `runtimeCredentials` authentication) and sent with `urllib`, as AWS's
  Lambda function example for the extension does. The SSRF token header check is off in the profile
  Terraform makes (AWS's example turns it off because every caller signs), so no token header is sent.
- Parameter Store extension: a boto3 SSM client with `endpoint_url=http://localhost:{port}/parameterstore`,
  which signs for `ssm` with the same credentials, one attempt per call (`_aws.client_config`).

The signing is the function's own CPU work, so it is timed apart (`last_sign_ns`), inside the fetch the probe
times: for secrets from building the request to its signed headers; for parameters between botocore's
`before-sign` event and the end of its `request-created` handlers' signing step (hooks registered after the
client's signer, so they run right after it). A 503 is "not ready" (the runtime is still loading); any other
error status is an error of that sample typed from `X-Amzn-Errortype` (`HTTP{status}` without one).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from botocore.session import get_session

from ..config import ProbeConfig
from ..vocabulary import Store
from . import _aws
from .base import ExtensionHTTPError, NotReadyError, Strategy

SECRETS_SIGNING_NAME = "secretsmanager"  # the Parameter Store extension's is `ssm` (boto3's SSM client)
NOT_READY_STATUS = 503
ERROR_TYPE_HEADER = "X-Amzn-Errortype"
TIMEOUT_S = 30.0
MAX_ERROR_BODY = 4096


class CloudExtensionsUnreachableError(ConnectionError):
    """Nothing answers on the Cloud Extensions runtime's port."""


class CloudExtensionsStrategy(Strategy):
    """The runtime caches; the probe does not. Like the Parameters and Secrets extension, its cache cannot be
    emptied from the function (`refreshNow` would bypass it: a forced upstream read, not a miss of the cache),
    so the first fetch's guarantee comes from `freshness`; with prefetch on, the secret is in the cache before
    the first fetch (`prefetched`)."""

    name = "cloud_extensions"
    counts_api_calls = False  # the extension's calls to AWS happen outside the function
    miss_guarantee = None
    times_signing = True

    def __init__(
        self,
        config: ProbeConfig,
        clients: Mapping[str, Any] | None = None,
        credentials: Any = None,
        opener: urllib.request.OpenerDirector | None = None,
    ) -> None:
        super().__init__(config, clients)
        self._given_credentials = credentials
        self._given_opener = opener
        self._sign_started: int | None = None

    def _init(self) -> None:
        base = f"http://localhost:{self.config.cloud_extensions_port}"
        self._secret_url = f"{base}/secretsmanager/get?secretId={quote(self.config.secret_id, safe='')}"
        self._credentials = self._given_credentials or get_session().get_credentials()
        if self._credentials is None:
            raise NoCredentialsError()
        # urllib as AWS's example; no proxy (Lambda has none, and localhost must never go through one)
        self._opener = self._given_opener or urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._ssm: Any = None
        if "ssm" in self.config.stores:
            self._ssm = self._injected.get("ssm") or _aws.boto3_client(
                self.config, "ssm", endpoint_url=f"{base}/parameterstore"
            )
            events = self._ssm.meta.events
            events.register_last("before-sign.ssm", self._sign_begins)
            events.register("request-created.ssm", self._sign_ends)  # after the client's own signer

    def prefetched(self, store: Store) -> bool:
        """With prefetch on, the profile prefetches the secret (BatchGetSecretValue) as the runtime starts."""
        return bool(self.config.prefetch) and store == "secretsmanager"

    def fetch(self, store: Store) -> str | bytes:
        self.last_sign_ns = None
        if store == "secretsmanager":
            return self._secret()
        return self._parameter()

    # ---- Secrets Manager: signed GET ---------------------------------------------------------------------
    def _secret(self) -> str:
        started = time.perf_counter_ns()
        request = AWSRequest(method="GET", url=self._secret_url)
        credentials = self._credentials.get_frozen_credentials()
        SigV4Auth(credentials, SECRETS_SIGNING_NAME, self.config.region).add_auth(request)
        headers = dict(request.headers.items())
        self.last_sign_ns = time.perf_counter_ns() - started
        outgoing = urllib.request.Request(self._secret_url, headers=headers, method="GET")
        try:
            with self._opener.open(outgoing, timeout=TIMEOUT_S) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise _http_error(exc.code, exc.headers, exc.read(MAX_ERROR_BODY)) from None
        except urllib.error.URLError as exc:
            raise self._unreachable(exc) from None
        value = body.get("SecretString")
        return value if value is not None else str(body["SecretBinary"])

    # ---- Parameter Store: boto3 SSM client on the extension's endpoint ----------------------------------
    def _parameter(self) -> str:
        self._sign_started = None
        try:
            response = self._ssm.get_parameter(Name=self.config.parameter_name, WithDecryption=True)
        except ClientError as exc:
            meta = exc.response.get("ResponseMetadata", {})
            status = meta.get("HTTPStatusCode")
            code = exc.response.get("Error", {}).get("Code")
            if status == NOT_READY_STATUS:
                raise NotReadyError("Cloud Extensions runtime not ready (503)") from None
            if isinstance(status, int) and (not code or code == str(status)):  # no AWS code in the body
                headers = meta.get("HTTPHeaders", {})
                raise _http_error(status, headers, b"") from None
            raise
        except EndpointConnectionError as exc:
            raise self._unreachable(exc) from None
        return str(response["Parameter"]["Value"])

    def _sign_begins(self, **_: Any) -> None:
        self._sign_started = time.perf_counter_ns()

    def _sign_ends(self, **_: Any) -> None:
        if self._sign_started is not None:
            self.last_sign_ns = time.perf_counter_ns() - self._sign_started
            self._sign_started = None

    def _unreachable(self, exc: Exception) -> CloudExtensionsUnreachableError:
        port = self.config.cloud_extensions_port
        return CloudExtensionsUnreachableError(
            f"Cloud Extensions unreachable on localhost:{port} ({type(exc).__name__})"
        )


def _http_error(status: int, headers: Any, body: bytes) -> Exception:
    """503: not ready; anything else: an error typed from X-Amzn-Errortype (`HTTP{status}` without one)."""
    if status == NOT_READY_STATUS:
        return NotReadyError("Cloud Extensions runtime not ready (503)")
    raw_type = _header(headers, ERROR_TYPE_HEADER)
    aws_type = raw_type.split(":", 1)[0].strip() if raw_type else None
    message = ""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        for key in ("message", "Message"):
            if isinstance(parsed.get(key), str):
                message = parsed[key]
                break
    return ExtensionHTTPError(status, aws_type or None, message)


def _header(headers: Any, name: str) -> str | None:
    """A header's value whatever the mapping's case rules (http.client's message, botocore's dict)."""
    if headers is None:
        return None
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return None


STRATEGY = CloudExtensionsStrategy
