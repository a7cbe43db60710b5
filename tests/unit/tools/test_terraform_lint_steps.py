"""tools.terraform_lint: the fmt step fails on unformatted files and names the fix; clean files pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools import terraform_lint

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")


def test_unformatted_terraform_fails_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('locals {\n  a = 1\n  bbb = 2\n}\n')
    with pytest.raises(terraform_lint.LintError, match="terraform fmt -recursive") as caught:
        terraform_lint.check_fmt(tmp_path)
    assert "main.tf" in str(caught.value)


def test_formatted_terraform_passes(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('locals {\n  a   = 1\n  bbb = 2\n}\n')
    terraform_lint.check_fmt(tmp_path)


def test_the_repository_is_formatted() -> None:
    terraform_lint.check_fmt()
