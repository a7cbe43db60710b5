"""Re-export module, kept so `collector.aws` stays importable: the clients are `datastore.clients` now."""

from __future__ import annotations

from datastore.clients import (
    MAX_ATTEMPTS,
    READ_TIMEOUT_S,
    WRITE_TIMEOUT_S,
    client_config,
    get_client,
    reset_clients,
)

__all__ = [
    "MAX_ATTEMPTS", "READ_TIMEOUT_S", "WRITE_TIMEOUT_S", "client_config", "get_client", "reset_clients",
]  # fmt: skip
