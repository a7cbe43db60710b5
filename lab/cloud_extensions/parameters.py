"""The Parameter Store extension: the SSM JSON 1.1 API (GetParameter, GetParameters) at /parameterstore.

As AWS documents it: both operations share the cache entries; a value *or an error* is served for
`ttlSeconds`; not-found, access denied, a bad KMS key or an invalid request drop the value and cache the
error; a transient failure serves the cached value for another TTL; GetParameters lists missing names in
`InvalidParameters` with status 200.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from typing import Any

from lab.extension.aws import Reply
from lab.extension.cache import KeyedLocks, TtlLruCache

from .aws import AwsClients, AwsFailure
from .replies import json11_error, json11_ok
from .settings import ParameterSettings

log = logging.getLogger("lab.cloud_extensions")

PATH = "/parameterstore"
TARGETS = ("AmazonSSM.GetParameter", "AmazonSSM.GetParameters")
MAX_NAME = 2048
MAX_NAMES = 10
_ERROR = b"!"  # a cached error: b"!" + JSON [status, type, message]


def _wire(parameter: dict[str, Any]) -> dict[str, Any]:
    """A Parameter as the JSON 1.1 protocol carries it (timestamps as epoch seconds)."""
    return {k: (v.timestamp() if isinstance(v, dt.datetime) else v) for k, v in parameter.items()}


class ParameterExtension:
    """One instance per emulator; every connection thread calls `handle`."""

    def __init__(self, settings: ParameterSettings, clients: AwsClients) -> None:
        self.settings = settings
        self.clients = clients
        self.cache = TtlLruCache(settings.cache_size)
        self.locks = KeyedLocks()
        self._count = threading.Lock()
        self.hits = 0
        self.misses = 0

    def handle(self, method: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer a request to /parameterstore (authentication already checked)."""
        target = headers.get("x-amz-target", "")
        if method != "POST" or target not in TARGETS:
            return json11_error(400, "ValidationException", "No operation matches the request")
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return json11_error(400, "ValidationException", "the body is not JSON")
        if not isinstance(request, dict):
            return json11_error(400, "ValidationException", "the body is not a JSON object")
        decrypt = request.get("WithDecryption", False)
        if not isinstance(decrypt, bool):
            return json11_error(400, "ValidationException", "WithDecryption must be a boolean")
        if target == "AmazonSSM.GetParameter":
            name = request.get("Name")
            if not isinstance(name, str) or not name or len(name) > MAX_NAME:
                return json11_error(400, "ValidationException", f"Name must be 1 to {MAX_NAME} characters")
            return self._one(name, decrypt)
        names = request.get("Names")
        if (
            not isinstance(names, list)
            or not 1 <= len(names) <= MAX_NAMES
            or not all(isinstance(n, str) and n and len(n) <= MAX_NAME for n in names)
        ):
            return json11_error(400, "ValidationException", f"Names must list 1 to {MAX_NAMES} names")
        return self._many(list(dict.fromkeys(names)), decrypt)

    # --- GetParameter ----------------------------------------------------------------------------------
    def _one(self, name: str, decrypt: bool) -> Reply:
        key = (name, decrypt)
        cached = self._lookup(key)
        if cached is None:
            with self.locks.hold(key):
                cached = self._lookup(key, count=False)
                if cached is None:
                    cached = self._fetch_one(key)
        if cached.startswith(_ERROR):
            status, error_type, message = json.loads(cached[1:])
            return json11_error(status, error_type, message)
        return json11_ok({"Parameter": json.loads(cached)})

    def _fetch_one(self, key: tuple[str, bool]) -> bytes:
        stale = self.cache.get_entry(key)
        try:
            response = self.clients.call("ssm", "get_parameter", Name=key[0], WithDecryption=key[1])
        except AwsFailure as failure:
            if failure.transient and stale is not None and not stale[0].startswith(_ERROR):
                self._store(key, stale[0])  # serve the cached value for another TTL
                return stale[0]
            value = _ERROR + json.dumps([failure.status, failure.error_type, failure.message]).encode()
            if not failure.transient:
                self._store(key, value)
            return value
        value = json.dumps(_wire(response["Parameter"])).encode()
        self._store(key, value)
        return value

    # --- GetParameters ---------------------------------------------------------------------------------
    def _many(self, names: list[str], decrypt: bool) -> Reply:
        found: dict[str, bytes] = {}
        missing = []
        for name in names:
            cached = self._lookup((name, decrypt))
            if cached is None:
                missing.append(name)
            else:
                found[name] = cached
        if missing:
            try:
                response = self.clients.call("ssm", "get_parameters", Names=missing, WithDecryption=decrypt)
            except AwsFailure as failure:
                return json11_error(failure.status, failure.error_type, failure.message)
            for parameter in response.get("Parameters") or []:
                requested = str(parameter["Name"]) + str(parameter.get("Selector") or "")
                value = json.dumps(_wire(parameter)).encode()
                self._store((requested, decrypt), value)
                found[requested] = value
        parameters, invalid = [], []
        for name in names:
            entry = found.get(name)
            if entry is None or entry.startswith(_ERROR):
                invalid.append(name)
            else:
                parameters.append(json.loads(entry))
        return json11_ok({"Parameters": parameters, "InvalidParameters": invalid})

    # --- the cache -------------------------------------------------------------------------------------
    def _lookup(self, key: tuple[str, bool], count: bool = True) -> bytes | None:
        value = self.cache.get(key) if self.settings.ttl_seconds else None
        if count:
            with self._count:
                if value is None:
                    self.misses += 1
                else:
                    self.hits += 1
        return value

    def _store(self, key: tuple[str, bool], value: bytes) -> None:
        if self.settings.ttl_seconds:
            self.cache.put(key, value, self.settings.ttl_seconds)
