"""The module's own test files (terraform/modules/observatory/tests/*.tftest.hcl: its variable rules, refused
with `expect_failures` and accepted with asserts on its outputs, planned by real Terraform with a mock AWS
provider) run by one `terraform test` process; each run block is a test here, so a failing case fails the
suite with its name and Terraform's diagnostics."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from datastore.vocabulary import ARCHITECTURES, LAB_RUNTIMES
from tools import build, terraform
from tools.probe_layers import otel_fits

from .tree import REPO_ROOT, TerraformTree

TESTS_DIR = REPO_ROOT / "terraform" / "modules" / "observatory" / "tests"
ARTIFACTS_DIR = "modules/observatory/tests/build"  # the test files' `artifacts_dir`, in the session's copy
RUN = re.compile(r'^run\s+"([^"]+)"', re.M)

pytestmark = pytest.mark.slow


def declared() -> list[tuple[str, str]]:
    """(file, run) of every run block, as terraform names them (tests/NAME.tftest.hcl)."""
    return [
        (f"tests/{path.name}", run)
        for path in sorted(TESTS_DIR.glob("*.tftest.hcl"))
        for run in RUN.findall(path.read_text())
    ]


def stand_in_manifest() -> dict[str, dict[str, str]]:
    """A build manifest naming every zip the module may ask for (no zip is planned, only named): the probe
    code, and per runtime and architecture the collector, each dependency set that has requirements for
    that runtime and the otel layer (3.10+). Hashes are of the name: the mock provider never reads a file."""
    names = ["probe-code"]
    for runtime in LAB_RUNTIMES:
        sets = [s for s in build.DEPENDENCY_SETS if _has_requirements(s, runtime)]
        for arch in ARCHITECTURES:
            names += [f"collector-{runtime}-{arch}", *(f"deps-{s}-{runtime}-{arch}" for s in sets)]
            names += [f"deps-otel-{runtime}-{arch}"] if otel_fits(runtime) else []
    manifest = {}
    for name in names:
        digest = hashlib.sha256(name.encode()).digest()
        manifest[name] = {"path": f"{name}.zip", "sha256_hex": digest.hex(),
                          "sha256_b64": base64.b64encode(digest).decode()}
    return manifest


def _has_requirements(dependency_set: str, runtime: str) -> bool:
    try:
        build.requirements_for(REPO_ROOT, dependency_set, runtime)
    except build.BuildError:
        return False
    return True


@pytest.fixture(scope="module")
def results(terraform_tree: TerraformTree) -> dict[tuple[str, str], terraform.TestRun]:
    """Every run of `terraform test` in the session's copy of the module, beside a stand-in manifest."""
    artifacts = terraform_tree.root / ARTIFACTS_DIR
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "manifest.json").write_text(json.dumps(stand_in_manifest(), indent=2, sort_keys=True))
    return {(run.file, run.run): run for run in terraform.test(terraform_tree.workspace("module"))}


def test_terraform_runs_every_declared_case(results: dict[tuple[str, str], terraform.TestRun]) -> None:
    assert sorted(results) == sorted(declared())
    assert len(results) >= 30


@pytest.mark.parametrize(
    ("file", "run"),
    declared(),
    ids=[f"{Path(f).name.removesuffix('.tftest.hcl')}::{r}" for f, r in declared()],
)
def test_case(results: dict[tuple[str, str], terraform.TestRun], file: str, run: str) -> None:
    result = results[(file, run)]
    if result.status == "skip":
        failed = [r.run for (f, _), r in results.items() if f == file and r.status in ("fail", "error")]
        assert failed, f"terraform skipped {run} with no failed run before it in {file}"
        pytest.skip(f"terraform skipped it after {', '.join(failed)} of {file} failed")
    assert result.status == "pass", f"{file} run {run}: {result.status}\n" + "\n".join(result.diagnostics)
