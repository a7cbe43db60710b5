"""One copy of terraform/ per session, initialised once, shared by every Terraform test.

`terraform_tree` copies the repository's terraform/ (nothing is ever written into the repository) and runs
`terraform init` once in each root the tests use: envs/aws, envs/local and modules/observatory (the root of
its `terraform test` files). The providers and modules each init installs live outside the tree, in one data
dir per root (`TerraformTree.workspace` points TF_DATA_DIR at it), so `terraform.evaluate` (which copies the
tree) copies no provider.

Tests do not share state through it: each test passes its own `-state` file, and a test that needs an env of
its own (an override file, a terraform.tfvars) takes `TerraformTree.sibling`, a copy of the env's files beside
the others (so relative module sources still resolve) that shares the env's data dir.
"""

from __future__ import annotations

import shutil

import pytest

from tools import terraform

from .tree import IGNORED, REPO_ROOT, ROOTS, TerraformTree


@pytest.fixture(scope="session")
def terraform_tree(tmp_path_factory: pytest.TempPathFactory) -> TerraformTree:
    """terraform/ copied and initialised once for the whole session."""
    base = tmp_path_factory.mktemp("terraform-session")
    root = base / "terraform"
    shutil.copytree(REPO_ROOT / "terraform", root, symlinks=True, ignore=IGNORED)
    tree = TerraformTree(root, {name: base / "data" / name for name in ROOTS})
    for name in ROOTS:
        terraform.init(tree.workspace(name))
    return tree
