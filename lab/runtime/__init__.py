"""The lab's local Lambda service: execution environments, Runtime/Extensions API, CPU tiers, async."""

from __future__ import annotations

from .artifacts import CodeMismatchError
from .cgroups import CFS_PERIOD_MS, CgroupError, quota_us
from .service import (
    AsyncOutcome,
    FunctionNotFoundError,
    InvocationResult,
    LambdaService,
    LambdaServiceError,
)

__all__ = [
    "CFS_PERIOD_MS",
    "AsyncOutcome",
    "CgroupError",
    "CodeMismatchError",
    "FunctionNotFoundError",
    "InvocationResult",
    "LambdaService",
    "LambdaServiceError",
    "quota_us",
]
