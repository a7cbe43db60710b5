"""The real probe code zip and dependency layer: pip-installed for Linux, byte-identical across builds, and
runnable as Lambda runs them (the code in /var/task, the layer's python/ in /opt/python).

Builds with real pip (PyPI) into two separate caches, then runs the handler from the unpacked zip and layer,
with no site-packages at all, against the local AWS endpoint over HTTP. The python3.9 layers (current and
2022) are built too: each holds exactly its pins, for CPython 3.9.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest

from tools import build as b

REPO = Path(__file__).resolve().parents[3]
CANARY = "integration-canary-5d1e"
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
# the otel probes' OpenTelemetry layer comes with the probe's on the runtimes it supports (3.10+)
OTEL = (f"deps-otel-{RUNTIME}-x86_64",) if sys.version_info >= (3, 10) else ()
NAMES = ("probe-code", f"deps-current-{RUNTIME}-x86_64", *OTEL)

RUN_HANDLER = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]  # /var/task, then /opt/python, as Lambda orders them
from probe.handler import handler
record = handler({"source": "observatory.schedule"}, None)
print(json.dumps({"record": record, "boto3": sys.modules["boto3"].__file__}))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The probe code zip and the layer for this interpreter's runtime on x86_64, built twice with fresh
    dependency caches."""
    root = tmp_path_factory.mktemp("build")
    outs = []
    for attempt in ("one", "two"):
        out = root / attempt
        b.build(out, RUNTIME, ["x86_64"], ["probe"], cache=root / f"cache-{attempt}", say=lambda _: None)
        outs.append(out)
    return outs[0], outs[1]


@pytest.mark.slow
def test_two_builds_are_byte_identical(built: tuple[Path, Path]) -> None:
    one, two = built
    manifest = json.loads((one / "manifest.json").read_text())
    assert sorted(manifest) == sorted(NAMES)
    for name in NAMES:
        zip_one = (one / f"{name}.zip").read_bytes()
        assert zip_one == (two / f"{name}.zip").read_bytes()
        assert manifest[name]["sha256_hex"] == hashlib.sha256(zip_one).hexdigest()
    assert (one / "manifest.json").read_bytes() == (two / "manifest.json").read_bytes()


def _pins(requirements: Path) -> list[str]:
    return [
        line.strip()
        for line in requirements.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def _assert_holds_exactly(names: list[str], pins: list[str], prefix: str) -> None:
    dist_infos = {
        n[len(prefix) :].split("/")[0].lower().replace("_", "-") for n in names if ".dist-info/" in n
    }
    expected = set()
    for pin in pins:
        package, version = pin.split("==")
        expected.add(f"{package.lower().replace('_', '-')}-{version}.dist-info")
    assert dist_infos == expected


@pytest.mark.slow
def test_the_code_zip_holds_the_probe_and_the_layer_its_pinned_dependencies(built: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(built[0] / "probe-code.zip") as archive:
        code = archive.namelist()
        infos = archive.infolist()
    assert (
        "probe/handler.py" in code and "probe/strategies/powertools.py" in code and "probe/BUILD.json" in code
    )
    assert all(n.startswith("probe/") and not n.endswith((".pyc", ".txt")) for n in code)  # code only
    with zipfile.ZipFile(built[0] / f"deps-current-{RUNTIME}-x86_64.zip") as archive:
        names = archive.namelist()
        infos += archive.infolist()
    assert all(n.startswith("python/") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith("python/bin/")]
    _assert_holds_exactly(names, _pins(b.requirements_for(REPO, "current", RUNTIME)), "python/")
    assert any(n.endswith("x86_64-linux-gnu.so") for n in names)  # Linux wheels, not this machine's cache
    assert {(i.date_time, (i.external_attr >> 16) & 0o777) for i in infos} == {((1980, 1, 1, 0, 0, 0), 0o644)}


@pytest.mark.slow
def test_the_python39_layers_hold_their_own_pins(tmp_path: Path) -> None:
    out = tmp_path / "build"
    cache = b.REPO / "build" / ".cache"  # the cache `make build` fills; fresh caches are tested above
    b.build(
        out,
        "python3.9",
        ["x86_64"],
        ["deps"],
        cache=cache,
        say=lambda _: None,
        dependency_sets=["current", "2022"],
    )
    for dependency_set, pinned in (("current", "requests==2.32.5"), ("2022", "requests==2.28.1")):
        requirements = REPO / "functions/probe/requirements" / f"{dependency_set}-python3.9.txt"
        assert b.requirements_for(REPO, dependency_set, "python3.9") == requirements
        assert pinned in _pins(requirements)
        with zipfile.ZipFile(out / f"deps-{dependency_set}-python3.9-x86_64.zip") as archive:
            names = archive.namelist()
        _assert_holds_exactly(names, _pins(requirements), "python/")
        tags = {re.search(r"cpython-(\d+)-", n).group(1) for n in names if re.search(r"cpython-\d+-", n)}
        assert tags == {"39"}, dependency_set  # compiled for CPython 3.9 (wrapt, charset_normalizer)


@pytest.mark.slow
def test_unpacked_zip_runs_the_handler_alone(
    built: tuple[Path, Path], aws_endpoint: str, tmp_path: Path
) -> None:
    unpacked, opt = tmp_path / "task", tmp_path / "opt"
    with zipfile.ZipFile(built[0] / "probe-code.zip") as archive:
        archive.extractall(unpacked)
    with zipfile.ZipFile(built[0] / f"deps-current-{RUNTIME}-x86_64.zip") as archive:
        archive.extractall(opt)
    boto3.client("secretsmanager", endpoint_url=aws_endpoint, region_name="us-east-1").create_secret(
        Name="zip-canary", SecretString=CANARY
    )
    boto3.client("ssm", endpoint_url=aws_endpoint, region_name="us-east-1").put_parameter(
        Name="/zip/canary", Value=CANARY, Type="SecureString", Overwrite=True
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "OBSERVATORY_STRATEGY": "powertools",
        "OBSERVATORY_ARCHITECTURE": "x86_64",
        "OBSERVATORY_ENVIRONMENT": "lab",
        "OBSERVATORY_CPU_EMULATION": "none",
        "OBSERVATORY_SECRET_ID": "zip-canary",
        "OBSERVATORY_PARAMETER_NAME": "/zip/canary",
        "OBSERVATORY_WARM_SAMPLES": "5",
    }
    # -S: no site-packages, so everything the handler imports must come from the zip.
    done = subprocess.run(
        [sys.executable, "-S", "-c", RUN_HANDLER, str(unpacked), str(opt / "python")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["boto3"].startswith(str(opt / "python"))  # the layer's SDK
    record = result["record"]
    digest = hashlib.sha256(CANARY.encode()).hexdigest()
    assert [(s["store"], s["value_sha256"], s["errors"]) for s in record["stores"]] == [
        ("secretsmanager", digest, []),
        ("ssm", digest, []),
    ]
    assert CANARY not in done.stdout + done.stderr
    versions = record["identity"]["versions"]  # from the zip: its own library versions and its build digest
    build = json.loads((unpacked / "probe" / "BUILD.json").read_text())["inputs_sha256"]
    assert versions["build"] == f"sha256:{build}"
    assert versions["library"].startswith("aws-lambda-powertools==")
