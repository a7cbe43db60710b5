"""The interface every strategy implements, and the pieces they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from ..config import ProbeConfig
from ..vocabulary import MissGuarantee, Store


class NotReadyError(Exception):
    """The extension answered 400 "not ready to serve traffic": wait and retry."""


class ExtensionHTTPError(Exception):
    """The extension answered with an error status; `aws_type` is the AWS error code it passed on."""

    def __init__(self, status: int, aws_type: str | None, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if message else f"HTTP {status}")
        self.status = status
        self.aws_type = aws_type or f"HTTP{status}"


class ApiCallCounter:
    """Counts AWS API requests sent by the clients it is attached to (each retry is a request).

    Hooked on botocore's `before-send` event, which fires once per HTTP attempt and lets every
    handler run, so the count is right whatever else listens (X-Ray, moto, stubs).
    """

    def __init__(self) -> None:
        self.count = 0
        self._attached: set[int] = set()

    def attach(self, client: Any) -> Any:
        """Count this client's requests from now on; returns the client."""
        if id(client) not in self._attached:
            client.meta.events.register("before-send", self._on_send)
            self._attached.add(id(client))
        return client

    def _on_send(self, **_: Any) -> None:
        self.count += 1


class Strategy(ABC):
    """One way of reading a secret or parameter.

    `init` creates clients once per execution environment (the probe times it); `reset_for_miss` makes the
    next `fetch` a real miss (a fresh cache instance or a dropped entry, never a sleeping refresh);
    `fetch` returns the value and is what the probe times. `miss_guarantee` says how the strategy makes its
    first fetch a miss itself: `forced` (reset_for_miss empties its cache), `no_cache` (every fetch calls
    AWS), or None when it cannot (the extension's cache is out of the function's reach): then the probe
    decides from when this environment last fetched the store (`freshness`).

    A strategy that signs its requests itself (`times_signing`) leaves in `last_sign_ns` how long the last
    fetch spent signing (perf_counter ns, inside the fetch the probe times), or None where it could not time
    it apart; `prefetched(store)` says whether its cache was filled before the function's first fetch.
    """

    name: str = ""
    counts_api_calls = True
    miss_guarantee: MissGuarantee | None = "forced"
    times_signing = False
    last_sign_ns: int | None = None

    def __init__(self, config: ProbeConfig, clients: Mapping[str, Any] | None = None) -> None:
        self.config = config
        self.counter = ApiCallCounter()
        self._injected = dict(clients or {})
        self.initialized = False

    def init(self) -> None:
        """Create what the strategy needs (clients, sessions); called until it succeeds once."""
        self._init()
        self.initialized = True

    @abstractmethod
    def _init(self) -> None: ...

    @abstractmethod
    def fetch(self, store: Store) -> str | bytes:
        """The value of the store's fixture."""

    def reset_for_miss(self, store: Store) -> None:  # noqa: B027 - optional hook, no-op by default
        """Make the next fetch from `store` a miss."""

    def prefetched(self, store: Store) -> bool:
        """Whether the cache in front of `store` was filled before this environment's first fetch of it."""
        return False

    def api_calls(self) -> int | None:
        """AWS API requests sent so far, or None when they happen outside the function."""
        return self.counter.count if self.counts_api_calls else None
