"""Fetching from Secrets Manager and SSM Parameter Store, and shaping the answers as the extension does.

Clients are created lazily (and can be injected), so importing this module costs nothing and the same code
runs against AWS, a local endpoint or a mock. Every outcome is a `Reply` (status, content type, body): AWS
errors pass through with their HTTP status and a JSON body, timeouts become 504 and connection errors 502,
as the Secrets Manager Agent does.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .config import Settings
from .vocabulary import STORES, Store

log = logging.getLogger("lab.extension")

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"

SECRET_FIELDS = ("ARN", "Name", "VersionId", "SecretString", "SecretBinary", "VersionStages", "CreatedDate")
PARAMETER_FIELDS = (
    "ARN",
    "DataType",
    "LastModifiedDate",
    "Name",
    "Selector",
    "SourceResult",
    "Type",
    "Value",
    "Version",
)


@dataclass(frozen=True)
class Reply:
    """One HTTP answer of the emulator."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()  # further response headers (the Cloud Extensions emulator's)

    @classmethod
    def text(cls, status: int, message: str) -> Reply:
        """A plain-text answer (the Agent's style for its own errors)."""
        return cls(status, message.encode(), TEXT)

    @classmethod
    def error(cls, status: int, code: str, message: str) -> Reply:
        """A JSON error body in the AWS JSON 1.1 shape the Agent uses: {"__type", "message"}."""
        return cls(status, json.dumps({"__type": code, "message": message}).encode(), JSON)


class FetchTimeoutError(Exception):
    """The AWS call did not finish within the configured timeout."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    return value


def secret_body(response: dict[str, Any]) -> bytes:
    """The GetSecretValue response as the extension returns it (absent fields as null, binary as base64)."""
    shaped = {name: _jsonable(response.get(name)) for name in SECRET_FIELDS}
    shaped["ResultMetadata"] = {}
    return json.dumps(shaped).encode()


def parameter_body(response: dict[str, Any]) -> bytes:
    """The GetParameter response as the extension returns it."""
    parameter = response.get("Parameter", {})
    shaped = {name: _jsonable(parameter.get(name)) for name in PARAMETER_FIELDS}
    return json.dumps({"Parameter": shaped, "ResultMetadata": {}}).encode()


def _with_deadline(call: Callable[[], Any], timeout: float | None) -> Any:
    """Run `call`, giving up after `timeout` seconds (the call is abandoned; its result is dropped)."""
    if timeout is None:
        return call()
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the waiting thread
            outcome["error"] = error
        finally:
            done.set()

    threading.Thread(target=run, name="aws-fetch", daemon=True).start()
    if not done.wait(timeout):
        raise FetchTimeoutError
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class AwsFetcher:
    """Calls GetSecretValue and GetParameter, one lazily created client per store."""

    def __init__(self, settings: Settings, secrets_client: Any = None, ssm_client: Any = None) -> None:
        self._settings = settings
        self._clients: dict[str, Any] = {}
        if secrets_client is not None:
            self._clients["secretsmanager"] = secrets_client
        if ssm_client is not None:
            self._clients["ssm"] = ssm_client
        self._lock = threading.Lock()
        self._session: Any = None

    def client(self, store: Store) -> Any:
        """The boto3 client of `store` (`secretsmanager` or `ssm`), created on first use."""
        existing = self._clients.get(store)
        if existing is not None:
            return existing
        with self._lock:
            if store not in self._clients:
                import boto3
                from botocore.config import Config

                timeout = self._settings.timeout_for(store)
                options: dict[str, Any] = {"max_pool_connections": self._settings.max_connections}
                if timeout is not None:
                    options.update(connect_timeout=timeout, read_timeout=timeout)
                if self._session is None:
                    self._session = boto3.session.Session()
                self._clients[store] = self._session.client(
                    store,
                    region_name=self._settings.region,
                    endpoint_url=self._settings.endpoint_url,
                    config=Config(user_agent_extra="slo-parameters-secrets-emulator", **options),
                )
            return self._clients[store]

    def warm(self) -> None:
        """Create both clients now (during INIT, as the managed extension sets itself up before serving)."""
        for store in STORES:
            try:
                self.client(store)
            except Exception as error:  # e.g. no region: every fetch will answer 500 and log why
                log.warning("cannot create the %s client: %s", store, type(error).__name__)

    def get_secret(self, secret_id: str, version_id: str | None, version_stage: str | None) -> Reply:
        """GetSecretValue, as a Reply."""
        kwargs = {"SecretId": secret_id}
        if version_id is not None:
            kwargs["VersionId"] = version_id
        if version_stage is not None:
            kwargs["VersionStage"] = version_stage
        return self._call("secretsmanager", "get_secret_value", kwargs, secret_body)

    def get_parameter(self, name: str, with_decryption: bool) -> Reply:
        """GetParameter (name may carry a `:version` or `:label` selector), as a Reply."""
        return self._call(
            "ssm", "get_parameter", {"Name": name, "WithDecryption": with_decryption}, parameter_body
        )

    def _call(
        self, store: Store, operation: str, kwargs: dict[str, Any], shape: Callable[[dict], bytes]
    ) -> Reply:
        from botocore.exceptions import (
            ClientError,
            ConnectTimeoutError,
            HTTPClientError,
            ParamValidationError,
            ReadTimeoutError,
        )
        from botocore.exceptions import (
            ConnectionError as BotoConnectionError,
        )

        try:
            method = getattr(self.client(store), operation)  # created outside the timeout
            response = _with_deadline(lambda: method(**kwargs), self._settings.timeout_for(store))
        except (FetchTimeoutError, ConnectTimeoutError, ReadTimeoutError):
            log.warning("%s: timeout toward AWS", store)
            return Reply.error(504, "TimeoutError", "Timeout")
        except (BotoConnectionError, HTTPClientError) as error:  # refused, reset, TLS failure, proxy, ...
            log.warning("%s: connection error toward AWS: %s", store, type(error).__name__)
            return Reply.error(502, "ConnectionError", "Read Error")
        except ClientError as error:
            meta = error.response.get("ResponseMetadata", {})
            detail = error.response.get("Error", {})
            status = int(meta.get("HTTPStatusCode") or 500)
            code = str(detail.get("Code") or "InternalFailure")
            log.info("%s: AWS answered %s %s", store, status, code)
            return Reply.error(status, code, str(detail.get("Message") or ""))
        except ParamValidationError as error:  # refused before sending: AWS would refuse it the same way
            log.info("%s: invalid request: %s", store, type(error).__name__)
            report = " ".join(str(error.kwargs.get("report", "")).split())
            return Reply.error(400, "ValidationException", report)
        except Exception as error:  # credentials missing, bad endpoint, ...: visible, never silent
            log.error("%s: fetch failed: %s", store, type(error).__name__)
            return Reply(500, b'{"__type":"InternalFailure"}', JSON)
        return Reply(200, shape(response), JSON)
