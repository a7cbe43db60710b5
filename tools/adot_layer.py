"""The lab's ADOT layer (build kind `adot-layer`): AWS's distribution for OpenTelemetry laid out as AWS's ADOT
Python layer is, for the lab to publish and the `adot` probes to run behind `AWS_LAMBDA_EXEC_WRAPPER`.

`adot-layer-{runtime}-{arch}.zip`: `otel-instrument` (the wrapper, executable) at the layer's root, and
under `python/` the handler wrapper `otel_wrapper.py` with `aws-opentelemetry-distro` and its dependencies,
installed from `lab/adot/requirements.txt` (pinned to the release AWS's current layer carries). As AWS's
layer build does, the gRPC exporter, the system-metrics instrumentation and urllib3 (the runtime's botocore
brings its own) are left out. The distribution needs Python 3.10+: for an older runtime the layer is
skipped, saying so.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tools.zips import EXEC_MODE, Entry

KIND = "adot-layer"
MIN_MINOR = 10  # aws-opentelemetry-distro: Requires-Python >=3.10
WRAPPER = "otel-instrument"
HANDLER_WRAPPER = "otel_wrapper.py"
# what AWS's layer build removes from python/ (lambda-layer/src/Dockerfile): the gRPC exporter (and grpcio),
# the system-metrics instrumentation (and psutil), urllib3
LEFT_OUT = (
    "grpc/",
    "grpcio-",
    "opentelemetry/exporter/otlp/proto/grpc/",
    "opentelemetry_exporter_otlp_proto_grpc-",
    "opentelemetry/instrumentation/system_metrics/",
    "opentelemetry_instrumentation_system_metrics-",
    "psutil/",
    "psutil-",
    "urllib3/",
    "urllib3-",
)


def layer_sources(repo: Path, runtime: str) -> tuple[list[Entry], Path] | str:
    """The layer's own files and its requirements, or why this runtime gets no layer."""
    folder = repo / "lab" / "adot"
    minor = int(runtime.removeprefix("python3."))
    if minor < MIN_MINOR:
        return f"aws-opentelemetry-distro needs Python 3.{MIN_MINOR}+"
    names = (WRAPPER, HANDLER_WRAPPER, "requirements.txt")
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        return f"{folder / missing[0]} does not exist"
    entries = [
        Entry(WRAPPER, folder / WRAPPER, EXEC_MODE),
        Entry(f"python/{HANDLER_WRAPPER}", folder / HANDLER_WRAPPER),
    ]
    return entries, folder / "requirements.txt"


def kept(arcname: str) -> bool:
    """Whether an installed dependency file belongs in the layer (see LEFT_OUT)."""
    if not arcname.startswith("python/"):
        return True
    relative = arcname.removeprefix("python/")
    return not any(relative.startswith(prefix) for prefix in LEFT_OUT)


def dependencies_kept(kind: str, entries: Iterable[Entry]) -> list[Entry]:
    """An artifact's installed dependencies: all of them, except what the ADOT layer leaves out."""
    return [e for e in entries if kind != KIND or kept(e.arcname)]
