"""The runtime the build makes zips for is the one Terraform will deploy: asked of real terraform, following
the environment's defaults and the user's terraform.tfvars."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tools import build_targets

from .tree import TerraformTree

pytestmark = pytest.mark.slow


def test_the_build_follows_each_environments_runtime_setting(
    terraform_tree: TerraformTree, tmp_path: Path
) -> None:
    aws, local = terraform_tree.sibling("aws", "aws-build"), terraform_tree.sibling("local", "local-build")
    cache = tmp_path / "cache"
    resolve = functools.partial(build_targets.terraform_build, tree=terraform_tree.root)  # the session's copy
    runtimes = functools.partial(build_targets.env_runtimes, cache=cache, resolve=resolve, environ={})
    assert runtimes([local, aws]) == ["python3.11", "python3.13"]
    (aws / "terraform.tfvars").write_text('runtime = "python3.12"\n')
    assert runtimes([local, aws]) == ["python3.11", "python3.12"]
    assert not (aws / ".terraform").exists()  # Terraform ran on a copy of the copy
    # the fleet's runtimes, the dependency set and the OpenTelemetry modes' runtimes come the same way:
    # envs/local's default tracing comparison (python3.11) asks for the otel and the ADOT layers
    assert build_targets.env_builds([local], cache, resolve, environ={}) == [
        build_targets.EnvBuild("python3.11", ("python3.11",), "current", ("python3.11",), ("python3.11",))
    ]
    (local / "terraform.tfvars").write_text(
        'fleet = { runtimes = ["python3.9"] }\ndependency_set = "2022"\ntracing_comparison = {}\n'
    )
    assert build_targets.env_builds([local], cache, resolve, environ={}) == [
        build_targets.EnvBuild("python3.11", ("python3.9",), "2022")
    ]
