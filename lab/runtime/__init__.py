"""The lab's local Lambda service: execution environments, Runtime/Extensions API, CPU tiers, async."""

from __future__ import annotations

from .cgroups import CFS_PERIOD_MS, quota_us
from .control_plane import ClientFactory
from .lambda_errors import (
    CgroupError,
    CodeMismatchError,
    FunctionNotFoundError,
    LabRuntimeError,
    LambdaServiceError,
)
from .results import AsyncOutcome, InvocationResult
from .service import LambdaService

__all__ = [
    "CFS_PERIOD_MS",
    "AsyncOutcome",
    "CgroupError",
    "ClientFactory",
    "CodeMismatchError",
    "FunctionNotFoundError",
    "InvocationResult",
    "LabRuntimeError",
    "LambdaService",
    "LambdaServiceError",
    "quota_us",
]
