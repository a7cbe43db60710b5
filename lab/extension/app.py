"""Request handling, independent of the socket: validation, routing, cache, fetch.

The order of the checks follows the Secrets Manager Agent (connection cap, forwarding header, token, method,
route); the routes, parameters and the not-ready answer follow the managed extension's documentation.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl

from .aws import AwsFetcher, Reply
from .cache import KeyedLocks, TtlLruCache
from .config import Settings
from .logsafe import loggable
from .vocabulary import Store

log = logging.getLogger("lab.extension")

TOKEN_HEADER = "x-aws-parameters-secrets-token"
NOT_READY = "not ready to serve traffic, please wait"
SECRET_PARAMETERS = ("secretId", "versionId", "versionStage")
SSM_PARAMETERS = ("name", "version", "label", "withDecryption")
SSM_PATHS = ("/systemsmanager/parameters/get", "/systemsmanager/parameters/get/")
# GetSecretValue's length constraints (Secrets Manager API reference); AWS refuses a value outside them with
# 400 ValidationException, which the extension passes through. botocore checks only the minimums, client-side.
SECRET_LENGTHS = {"secretId": (1, 2048), "versionId": (32, 64), "versionStage": (1, 256)}


class Extension:
    """The emulator's behaviour: one instance per process, shared by every connection thread."""

    def __init__(self, settings: Settings, fetcher: AwsFetcher | None = None, ready: bool = True) -> None:
        self.settings = settings
        self.fetcher = fetcher or AwsFetcher(settings)
        self.cache = TtlLruCache(settings.cache_size) if settings.caching else None
        self.locks = KeyedLocks()
        self.ready = threading.Event()
        if ready:
            self.ready.set()
        self._token = (settings.token or "").encode()

    # --- the request -------------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes = b"") -> Reply:
        """Answer one request; `headers` has lower-case names (the body is not used by any route)."""
        path, _, query = target.partition("?")
        if path != "/ping":
            if "x-forwarded-for" in headers:
                log.warning("rejected a request carrying X-Forwarded-For")
                return Reply.text(400, "Forwarded")
            sent = headers.get(TOKEN_HEADER, "").encode()
            if not self._token or not hmac.compare_digest(sent, self._token):
                log.warning("rejected a request with a %s token", "wrong" if sent else "missing")
                return Reply.text(403, "Bad Token")
        if method != "GET":
            return Reply.text(405, "Not allowed")
        if path == "/ping":
            return Reply.text(200, "healthy")
        if path == "/secretsmanager/get":
            return self._when_ready(self._secret, query)
        if path in SSM_PATHS:
            return self._when_ready(self._parameter, query)
        return Reply.text(404, "Not found")

    def _when_ready(self, route: Callable[[str], Reply], query: str) -> Reply:
        if not self.ready.is_set():
            return Reply.text(400, NOT_READY)
        return route(query)

    # --- the routes --------------------------------------------------------------------------------------
    def _secret(self, query: str) -> Reply:
        params, bad = _parse(query, SECRET_PARAMETERS)
        if bad:
            return Reply.text(400, f"unknown parameter: {bad}")
        secret_id = params.get("secretId")
        if not secret_id:
            return Reply.text(400, "missing parameter secretId")
        invalid = _length_errors(params, SECRET_LENGTHS)
        if invalid:
            return Reply.error(400, "ValidationException", invalid)
        version_id, version_stage = params.get("versionId"), params.get("versionStage")
        key = ("secretsmanager", secret_id, version_id, version_stage)
        return self._cached(
            "secretsmanager", key, lambda: self.fetcher.get_secret(secret_id, version_id, version_stage)
        )

    def _parameter(self, query: str) -> Reply:
        pairs = parse_qsl(query, keep_blank_values=True)
        params, bad = _parse(query, SSM_PARAMETERS, pairs)
        if bad:
            return Reply.text(400, f"unknown parameter: {bad}")
        name = params.get("name")
        if not name:
            return Reply.text(400, "missing parameter name")
        decrypt_raw = params.get("withDecryption", "false").lower()
        if decrypt_raw not in ("true", "false"):
            return Reply.text(400, "invalid withDecryption value: use true or false")
        with_decryption = decrypt_raw == "true"
        # If both version and label are given, only the first one in the query is used.
        selector = next((value for key, value in pairs if key in ("version", "label")), None)
        full_name = f"{name}:{selector}" if selector else name
        key = ("ssm", full_name, with_decryption)
        return self._cached("ssm", key, lambda: self.fetcher.get_parameter(full_name, with_decryption))

    # --- the cache ---------------------------------------------------------------------------------------
    def _cached(self, store: Store, key: tuple, fetch: Callable[[], Reply]) -> Reply:
        ttl = self.settings.ttl_for(store)
        if self.cache is None or ttl == 0:
            log.debug("%s %s: cache bypassed", store, loggable(key[1]))
            return fetch()
        body = self.cache.get(key)
        if body is not None:
            return Reply(200, body)
        with self.locks.hold(key):
            body = self.cache.get(key)  # another thread may have fetched it while we waited
            if body is not None:
                return Reply(200, body)
            reply = fetch()
            if reply.status == 200:
                self.cache.put(key, reply.body, ttl)
            log.debug("%s %s: miss, AWS answered %s", store, loggable(key[1]), reply.status)
            return reply


def _length_errors(params: Mapping[str, str], lengths: Mapping[str, tuple[int, int]]) -> str | None:
    """AWS's ValidationException message for the parameters outside their length constraints, or None."""
    errors = []
    for name, (low, high) in lengths.items():
        value = params.get(name)
        if value is None or low <= len(value) <= high:
            continue
        rule = f"greater than or equal to {low}" if len(value) < low else f"less than or equal to {high}"
        errors.append(
            f"Value '{value}' at '{name}' failed to satisfy constraint: Member must have length {rule}"
        )
    if not errors:
        return None
    return f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected: {'; '.join(errors)}"


def _parse(
    query: str, allowed: tuple[str, ...], pairs: list[tuple[str, str]] | None = None
) -> tuple[dict[str, str], str | None]:
    """The first value of each allowed parameter, and the first unknown parameter name (or None)."""
    params: dict[str, str] = {}
    for key, value in pairs if pairs is not None else parse_qsl(query, keep_blank_values=True):
        if key not in allowed:
            return params, key
        params.setdefault(key, value)
    return params, None
