"""Retrieval strategies: one module each, loaded by name so a function imports only its own library."""

from __future__ import annotations

import importlib
from typing import Any

from ..config import ProbeConfig
from ..vocabulary import Strategy as StrategyName
from .base import ApiCallCounter, ExtensionHTTPError, NotReadyError, Strategy

MODULES: dict[StrategyName, str] = {
    "extension": "extension",
    "sdk": "sdk",
    "dict": "dict_cache",
    "caching_lib": "caching_lib",
    "powertools": "powertools",
    "cloud_extensions": "cloud_extensions",
}

__all__ = ["MODULES", "ApiCallCounter", "ExtensionHTTPError", "NotReadyError", "Strategy", "create"]


def create(config: ProbeConfig, **inject: Any) -> Strategy:
    """The configured strategy, its module (and library) imported now; `inject` passes test doubles."""
    module = importlib.import_module(f".{MODULES[config.strategy]}", __name__)
    strategy_class: type[Strategy] = module.STRATEGY
    return strategy_class(config, **inject)
