"""The Secrets Manager extension: the query and path routes, the cache, refreshNow, revalidation, prefetch.

As AWS documents it: cached values until the TTL; after it, `DescribeSecret` and a new `GetSecretValue` only
if the version changed; a stale value over a transient error when `ignoreTransientErrors` is on; `refreshNow`
bypasses the cache and never falls back; prefetch with `BatchGetSecretValue` in the background, cached by name
for AWSCURRENT. The shared parts (cache, per-key locks, reply shape) come from lab/extension.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, unquote

from lab.extension.aws import Reply, secret_body
from lab.extension.cache import KeyedLocks, TtlLruCache

from .aws import DECLARED_SECRET_ERRORS, AwsClients, AwsFailure
from .replies import secrets_error
from .settings import SecretsSettings

log = logging.getLogger("lab.cloud_extensions")

BASE = "/secretsmanager"
OPTIONAL = ("versionId", "versionStage", "refreshNow", "roleArn")
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
BATCH = 20  # BatchGetSecretValue's most secrets per call
Key = tuple[str, "str | None", "str | None"]


class SecretsExtension:
    """One instance per emulator; every connection thread calls `handle`."""

    def __init__(
        self,
        settings: SecretsSettings,
        clients: AwsClients,
        ssrf_token: str | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self.cache = TtlLruCache(settings.max_entries, clock)
        self.locks = KeyedLocks()
        self._token = (ssrf_token or "").encode()
        self._headers = tuple(name.lower() for name in settings.ssrf_headers)
        self._count = threading.Lock()
        self.hits = 0
        self.misses = 0

    # --- the request -----------------------------------------------------------------------------------
    def check_headers(self, headers: Mapping[str, str]) -> Reply | None:
        """The forwarding refusal and the SSRF token check (both before anything else of the extension's)."""
        if "x-forwarded-for" in headers:
            return secrets_error(400, "BadRequestException", "X-Forwarded-For is not allowed")
        if self.settings.ssrf_check:
            sent = [headers[name].encode() for name in self._headers if name in headers]
            if not self._token or not any(hmac.compare_digest(value, self._token) for value in sent):
                return secrets_error(403, "InvalidSsrfTokenException", "missing or invalid SSRF token")
        return None

    def handle(self, method: str, path: str, query: str) -> Reply:
        """Answer a request under /secretsmanager (headers already checked)."""
        if method != "GET":
            return secrets_error(400, "ValidationException", f"{method} does not match the API: use GET")
        pairs = parse_qsl(query, keep_blank_values=True)
        allowed = ("secretId", *OPTIONAL) if path == f"{BASE}/get" else OPTIONAL
        params: dict[str, str] = {}
        for name, value in pairs:
            if name not in allowed:
                return secrets_error(400, "BadRequestException", f"unknown parameter: {name}")
            params.setdefault(name, value)
        secret_id = params.get("secretId") if path == f"{BASE}/get" else unquote(path[len(BASE) + 1 :])
        if not secret_id:
            return secrets_error(400, "BadRequestException", "missing secretId")
        refresh = BOOLEANS.get(params.get("refreshNow", "false").lower())
        if refresh is None:
            return secrets_error(400, "BadRequestException", "refreshNow must be true, false, 1 or 0")
        version_id, version_stage = params.get("versionId"), params.get("versionStage")
        if version_id is not None and not 32 <= len(version_id) <= 64:
            return secrets_error(400, "ValidationException", "versionId must be 32 to 64 characters")
        if version_stage is not None and not 1 <= len(version_stage) <= 256:
            return secrets_error(400, "ValidationException", "versionStage must be 1 to 256 characters")
        if "roleArn" in params:
            return secrets_error(
                400, "BadRequestException", "roleArn (role chaining) is not emulated by the lab"
            )
        return self.get((secret_id, version_id, version_stage), refresh)

    # --- the cache -------------------------------------------------------------------------------------
    def get(self, key: Key, refresh: bool = False) -> Reply:
        """The secret of `key` from the cache, revalidated or fetched as needed."""
        if self.settings.ttl_seconds == 0:
            self._counted(hit=False)
            return self._fetch(key, store=False)
        entry = None if refresh else self.cache.get_entry(key)
        if entry is not None and entry[1]:
            self._counted(hit=True)
            return Reply(200, entry[0])
        self._counted(hit=False)
        with self.locks.hold(key):
            if refresh:
                return self._fetch(key)
            entry = self.cache.get_entry(key)  # another request may have fetched it while this one waited
            if entry is None:
                return self._fetch(key)
            if entry[1]:
                return Reply(200, entry[0])
            return self._revalidate(key, entry[0])

    def _fetch(self, key: Key, store: bool = True) -> Reply:
        secret_id, version_id, version_stage = key
        kwargs = {"SecretId": secret_id}
        if version_id is not None:
            kwargs["VersionId"] = version_id
        if version_stage is not None:
            kwargs["VersionStage"] = version_stage
        try:
            response = self.clients.call(
                "secretsmanager", "get_secret_value", DECLARED_SECRET_ERRORS, **kwargs
            )
        except AwsFailure as failure:
            return secrets_error(failure.status, failure.error_type, failure.message)
        body = secret_body(response)
        if store:
            self.cache.put(key, body, self.settings.ttl_seconds)
        return Reply(200, body)

    def _revalidate(self, key: Key, stale: bytes) -> Reply:
        """After the TTL: DescribeSecret, and GetSecretValue only if the version changed."""
        secret_id, version_id, version_stage = key
        cached_version = json.loads(stale).get("VersionId")
        try:
            described = self.clients.call(
                "secretsmanager", "describe_secret", DECLARED_SECRET_ERRORS, SecretId=secret_id
            )
        except AwsFailure as failure:
            if failure.transient and self.settings.ignore_transient_errors:
                log.warning("DescribeSecret failed (%s): serving the expired value", failure.error_type)
                return Reply(200, stale)
            self.cache.put(key, stale, 0)  # keep nothing fresh; the next request tries again
            return secrets_error(failure.status, failure.error_type, failure.message)
        stages = described.get("VersionIdsToStages") or {}
        if version_id is not None:
            unchanged = version_id in stages
        else:
            wanted = version_stage or "AWSCURRENT"
            unchanged = wanted in stages.get(cached_version, [])
        if unchanged:
            self.cache.put(key, stale, self.settings.ttl_seconds)
            return Reply(200, stale)
        reply = self._fetch(key)
        if reply.status != 200 and self.settings.ignore_transient_errors and reply.status >= 500:
            return Reply(200, stale)
        return reply

    def _counted(self, hit: bool) -> None:
        with self._count:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    # --- prefetch --------------------------------------------------------------------------------------
    def prefetch(self) -> None:
        """Load the prefetch list with BatchGetSecretValue (in the background, once loaded)."""
        ids = list(self.settings.prefetch)
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            with contextlib.ExitStack() as held:  # a request for one of these waits for the batch
                for secret_id in batch:
                    held.enter_context(self.locks.hold((secret_id, None, None)))
                try:
                    response = self.clients.call(
                        "secretsmanager", "batch_get_secret_value", None, SecretIdList=batch
                    )
                except AwsFailure as failure:
                    log.warning("prefetch of %d secrets failed: %s", len(batch), failure.error_type)
                    continue
                for value in response.get("SecretValues") or []:
                    self.cache.put(
                        (str(value["Name"]), None, None), secret_body(value), self.settings.ttl_seconds
                    )
                for error in response.get("Errors") or []:
                    log.warning("prefetch: %s for one secret", error.get("ErrorCode"))
        if ids:
            log.info("prefetch done: %d secrets asked for", len(ids))
