"""What a row records so a level shift can be explained: the interpreter, the SDK, the strategy's library, the
probe's build (contract §3 `identity.versions`).

Read once per execution environment, after the first measurement (reading package metadata costs
milliseconds, never inside a timed fetch). A value that cannot be known is None: the collector stores null.
"""

from __future__ import annotations

import functools
import json
import platform
from importlib import metadata
from pathlib import Path

from .vocabulary import Strategy, Tracing

# The library each strategy measures (the extension strategy's own code is its HTTP client; cloud_extensions'
# is botocore, which signs every request, as AWS's Lambda examples do).
STRATEGY_LIBRARY: dict[Strategy, str] = {
    "extension": "requests",
    "sdk": "boto3",
    "dict": "boto3",
    "caching_lib": "aws-secretsmanager-caching",
    "powertools": "aws-lambda-powertools",
    "cloud_extensions": "botocore",
}
# The tracing library each mode loads (`off` none): the X-Ray SDK, the OpenTelemetry SDK, AWS's distribution
TRACING_LIBRARY: dict[Tracing, str | None] = {
    "off": None,
    "subsegments": "aws-xray-sdk",
    "patch_all": "aws-xray-sdk",
    "otel": "opentelemetry-sdk",
    "adot": "aws-opentelemetry-distro",
}
BUILD_FILE = Path(__file__).resolve().parent / "BUILD.json"  # written into the zip by tools/build.py


def _distribution(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def build_digest(path: Path = BUILD_FILE) -> str | None:
    """`sha256:<hex>` of the probe zip's inputs (tools/build.py), or None when running from a source tree."""
    try:
        value = json.loads(path.read_text())["inputs_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return f"sha256:{value}" if isinstance(value, str) and value else None


def _pinned(name: str | None) -> str | None:
    version = _distribution(name) if name is not None else None
    return f"{name}=={version}" if version else None


@functools.cache
def versions(strategy: Strategy, tracing: Tracing | None = None) -> dict[str, str | None]:
    """`{"python": "3.11.7", "boto3", "botocore", "library": "requests==2.34.2", "build": "sha256:…",
    "tracing": "aws-xray-sdk==2.15.0"}` (`tracing` null for `off`, and where the library is not installed)."""
    library = STRATEGY_LIBRARY[strategy]
    library_version = _distribution(library)
    return {
        "python": platform.python_version(),
        "boto3": _distribution("boto3"),
        "botocore": _distribution("botocore"),
        "library": f"{library}=={library_version}" if library_version else None,
        "build": build_digest(),
        "tracing": _pinned(TRACING_LIBRARY[tracing]) if tracing is not None else None,
    }
