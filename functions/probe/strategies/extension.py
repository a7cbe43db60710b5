"""`extension`: HTTP GET to the Parameters and Secrets extension on localhost, keep-alive session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from ..config import ProbeConfig
from ..vocabulary import Store
from .base import ExtensionHTTPError, NotReadyError, Strategy

TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"
CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 30.0


class ExtensionUnreachableError(ConnectionError):
    """Nothing answers on the extension's port."""


class ExtensionStrategy(Strategy):
    """A requests.Session with keep-alive, as the reference run; the extension caches, the probe does not.

    The extension's cache cannot be emptied from the function, and the extension has no request that
    bypasses it (only environment-wide settings: a TTL or cache size of 0, which would make every hit a
    miss): its first fetch is a miss in a fresh environment or once the TTL has elapsed since this
    environment's last fetch, and otherwise recorded as a hit (`freshness`).
    """

    name = "extension"
    counts_api_calls = False
    miss_guarantee = None

    def __init__(
        self,
        config: ProbeConfig,
        clients: Mapping[str, Any] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(config, clients)
        self._given_session = session

    def _init(self) -> None:
        base = f"http://localhost:{self.config.extension_port}"
        self._urls = {
            "secretsmanager": f"{base}/secretsmanager/get?secretId={quote(self.config.secret_id, safe='')}",
            "ssm": f"{base}/systemsmanager/parameters/get?name={quote(self.config.parameter_name, safe='')}"
            "&withDecryption=true",
        }
        self._headers = {TOKEN_HEADER: self.config.session_token or ""}
        self._session = self._given_session or requests.Session()

    def fetch(self, store: Store) -> str | bytes:
        try:
            response = self._session.get(
                self._urls[store], headers=self._headers, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
            )
        except requests.ConnectionError as exc:
            raise ExtensionUnreachableError(
                f"extension unreachable on localhost:{self.config.extension_port} ({type(exc).__name__})"
            ) from None
        if response.status_code == 200:
            body = response.json()
            if store == "secretsmanager":
                value = body.get("SecretString")
                return value if value is not None else str(body["SecretBinary"])
            return str(body["Parameter"]["Value"])
        if response.status_code == 400 and "not ready" in response.text.lower():
            raise NotReadyError("extension not ready to serve traffic")
        raise _http_error(response)


def _http_error(response: requests.Response) -> ExtensionHTTPError:
    """An error from the extension's answer: the AWS error code and message it passed through, if any."""
    aws_type: str | None = None
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("__type", "Code", "code", "errorType"):
            if isinstance(body.get(key), str):
                aws_type = body[key].rsplit("#", 1)[-1]
                break
        for key in ("message", "Message", "errorMessage"):
            if isinstance(body.get(key), str):
                message = body[key]
                break
    else:
        message = response.text[:200]
    return ExtensionHTTPError(response.status_code, aws_type, message)


STRATEGY = ExtensionStrategy
