"""functions.probe.versions: what each row records to explain a shift (interpreter, SDK, library, build)."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pytest

from functions.probe import versions


@pytest.mark.parametrize(
    ("strategy", "library"),
    [
        ("extension", "requests"),
        ("sdk", "boto3"),
        ("dict", "boto3"),
        ("caching_lib", "aws-secretsmanager-caching"),
        ("powertools", "aws-lambda-powertools"),
    ],
)
def test_each_strategy_records_its_library_and_the_sdk(strategy: str, library: str) -> None:
    from importlib import metadata

    got = versions.versions(strategy)  # type: ignore[arg-type]
    assert got["python"] == platform.python_version() and got["python"].count(".") == 2  # 3.11.7, not 3.11
    assert got["boto3"] == metadata.version("boto3") and got["botocore"] == metadata.version("botocore")
    assert got["library"] == f"{library}=={metadata.version(library)}"


def test_the_build_digest_comes_from_the_zip(tmp_path: Path) -> None:
    path = tmp_path / "BUILD.json"
    assert versions.build_digest(path) is None  # a source tree has none
    path.write_text(json.dumps({"inputs_sha256": "ab" * 32}))
    assert versions.build_digest(path) == "sha256:" + "ab" * 32
    path.write_text("not json")
    assert versions.build_digest(path) is None
