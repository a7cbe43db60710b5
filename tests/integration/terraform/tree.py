"""The session's copy of terraform/ (see conftest.terraform_tree): where it is, each root's data dir."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import terraform

REPO_ROOT = Path(__file__).resolve().parents[3]
ROOTS = {"aws": "envs/aws", "local": "envs/local", "module": "modules/observatory"}
# a clone's own S3 backend (`make bootstrap`'s backend.hcl) never reaches the tests' copy
IGNORED = shutil.ignore_patterns(
    ".terraform", "*.tfstate*", "*.tfplan", ".terraform.tfstate.lock.info",
    "backend.hcl", "backend_override.tf",
)


@dataclass(frozen=True)
class TerraformTree:
    """The session's copy of terraform/ and the data dir each root was initialised with."""

    root: Path
    data_dirs: dict[str, Path]

    def env(self, name: str) -> Path:
        return self.root / ROOTS[name]

    def workspace(self, name: str, directory: Path | None = None, **options: Any) -> terraform.Workspace:
        """A Workspace of root `name` (or of `directory`, a sibling of it), initialised; `options` are the
        Workspace's other fields (variables, state)."""
        return terraform.Workspace(directory or self.env(name), data_dir=self.data_dirs[name], **options)

    def sibling(self, name: str, new_name: str) -> Path:
        """A copy of env `name`'s files next to it (its own overrides and tfvars stay its own)."""
        source = self.env(name)
        target = source.parent / new_name
        shutil.copytree(source, target, symlinks=True, ignore=IGNORED)
        return target
