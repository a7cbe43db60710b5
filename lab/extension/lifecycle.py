"""The Lambda Extensions API client: register, then follow INVOKE and SHUTDOWN events.

The managed extension is usable only during INVOKE: until the first INVOKE event arrives, requests are
answered 400 `not ready to serve traffic, please wait`. Uses only the standard library.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable

from .logsafe import loggable

log = logging.getLogger("lab.extension")

API_VERSION = "2020-01-01"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP proxy


class ExtensionsApiError(RuntimeError):
    """The Extensions API refused or failed a call."""


class ExtensionsApiClient:
    """Registers one external extension and long-polls its events."""

    def __init__(self, runtime_api: str, name: str) -> None:
        self.base = f"http://{runtime_api}/{API_VERSION}/extension"
        self.name = name
        self.identifier: str | None = None

    def _call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        headers: dict | None = None,
        timeout: float | None = None,
    ) -> tuple[dict, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base}/{path}", data=data, method=method, headers=headers or {}
        )
        if self.identifier:
            request.add_header("Lambda-Extension-Identifier", self.identifier)
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                raw = response.read()
                return dict(response.headers.items()), (json.loads(raw) if raw.strip() else {})
        except urllib.error.HTTPError as error:
            raise ExtensionsApiError(f"{method} {path}: HTTP {error.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise ExtensionsApiError(f"{method} {path}: {type(error).__name__}: {error}") from None

    def register(self, events: tuple[str, ...] = ("INVOKE", "SHUTDOWN")) -> str:
        """Register for `events`; returns the Lambda-Extension-Identifier."""
        headers, _ = self._call(
            "POST", "register", {"events": list(events)}, {"Lambda-Extension-Name": self.name}, timeout=30
        )
        identifier = next((v for k, v in headers.items() if k.lower() == "lambda-extension-identifier"), None)
        if not identifier:
            raise ExtensionsApiError("register: no Lambda-Extension-Identifier in the answer")
        self.identifier = identifier
        return identifier

    def next_event(self) -> dict:
        """Block until the next event (a long poll without timeout, as Lambda expects)."""
        _, event = self._call("GET", "event/next")
        return event

    def exit_error(self, error_type: str) -> None:
        """Report a fatal error before exiting (best effort)."""
        try:
            self._call(
                "POST",
                "exit/error",
                {"errorMessage": error_type, "errorType": error_type},
                {"Lambda-Extension-Function-Error-Type": error_type},
                timeout=5,
            )
        except ExtensionsApiError as error:
            log.warning("could not report %s: %s", loggable(error_type), loggable(error))


def follow_events(client: ExtensionsApiClient, on_first_invoke: Callable[[], None]) -> str:
    """Call `on_first_invoke` at the first INVOKE; return the shutdown reason at SHUTDOWN."""
    invoked = False
    while True:
        event = client.next_event()
        kind = event.get("eventType")
        if kind == "INVOKE":
            if not invoked:
                invoked = True
                on_first_invoke()
                log.info("first INVOKE received: serving")
        elif kind == "SHUTDOWN":
            reason = str(event.get("shutdownReason", "unknown"))
            log.info("SHUTDOWN received (%s)", loggable(reason))
            return reason
        else:
            log.warning("ignored an event of unknown type %s", loggable(repr(kind)))
