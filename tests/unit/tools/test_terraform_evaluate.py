"""tools.terraform.evaluate (behind `tools.cost ENV` and `tools.build --runtime-from ENV`): it copies the env
and the module, nothing beyond the repository's terraform/ tree, refuses an env outside it with one line (exit
2 from the command lines), and leaves no temporary folder behind."""

from __future__ import annotations

import os
import tempfile
from fnmatch import fnmatch
from pathlib import Path

import pytest

from tools import build, cost, terraform

from .terraform_double import calls

REPO = Path(__file__).resolve().parents[3]
IGNORED = (".terraform", "*.tfstate*", "*.tfplan")  # Terraform's own data, never copied


def _files(folder: Path, base: Path) -> set[str]:
    return {
        str(f.relative_to(base))
        for f in folder.rglob("*")
        if f.is_file() and not any(fnmatch(part, pattern) for part in f.parts for pattern in IGNORED)
    }


def _outside_env(tmp_path: Path) -> tuple[Path, Path]:
    """An env two levels below a folder that also holds a big sibling folder: (env, the big file)."""
    outer = tmp_path / "outer"
    env = outer / "a" / "env"
    env.mkdir(parents=True)
    (env / "main.tf").write_text('locals {\n  build = { runtime = "python3.13" }\n}\n')
    big = outer / "big" / "blob.bin"
    big.parent.mkdir()
    big.write_bytes(os.urandom(2_000_000))
    return env, big


def test_evaluate_copies_the_env_and_the_module_and_nothing_else(fake_terraform: Path) -> None:
    terraform.evaluate(REPO / "terraform" / "envs" / "aws", "local.build")
    copied = set(calls(fake_terraform)[-1]["copied"])
    tree = REPO / "terraform"
    expected = {
        f"terraform/{name}" for name in _files(tree / "envs" / "aws", tree) | _files(tree / "modules", tree)
    }
    assert copied - {"terraform/envs/aws/zz_local_backend_override.tf"} == expected
    assert "terraform/README.md" not in copied
    assert not any(name.startswith("terraform/envs/local/") for name in copied)


def test_an_env_outside_the_repository_is_refused_before_anything_is_copied(
    fake_terraform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env, _big = _outside_env(tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert cost.main([str(env)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1, error
    assert f"{env} is not inside this repository's Terraform tree ({REPO / 'terraform'})" in error
    assert calls(fake_terraform) == []  # terraform never ran: nothing was copied for it
    assert list(scratch.iterdir()) == []


def test_the_build_refuses_a_runtime_env_outside_the_repository(
    fake_terraform: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env, _big = _outside_env(tmp_path)
    assert build.main(["--out", str(tmp_path / "out"), "--runtime-from", str(env)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1, error
    assert "is not inside this repository's Terraform tree" in error
    assert calls(fake_terraform) == []


def test_an_env_at_the_roots_first_level_is_refused_not_an_index_error(fake_terraform: Path) -> None:
    first_level = Path(tempfile.gettempdir()).resolve()
    if first_level.parent != Path("/"):
        pytest.skip(f"the temporary folder {first_level} is not at the filesystem root's first level")
    with tempfile.NamedTemporaryFile(dir=first_level, prefix="slo-test-", suffix=".tf") as handle:
        handle.write(b"# an env at the root's first level\n")
        handle.flush()
        with pytest.raises(terraform.TerraformError, match="is not inside this repository's Terraform"):
            terraform.evaluate(first_level, "local.build")
    assert calls(fake_terraform) == []


def test_a_given_tree_is_copied_without_its_big_sibling_folders(fake_terraform: Path, tmp_path: Path) -> None:
    tree = tmp_path / "repo" / "terraform"
    (tree / "modules" / "observatory").mkdir(parents=True)
    (tree / "modules" / "observatory" / "main.tf").write_text("# the module\n")
    (tree / "envs" / "x").mkdir(parents=True)
    (tree / "envs" / "x" / "main.tf").write_text('module "o" {\n  source = "../../modules/observatory"\n}\n')
    (tree / "envs" / "x" / ".terraform").mkdir()
    (tree / "envs" / "x" / ".terraform" / "provider.bin").write_bytes(b"p" * 1000)
    (tree / "envs" / "other").mkdir()
    (tree / "envs" / "other" / "main.tf").write_text("# another env\n")
    (tree / "junk").mkdir()
    (tree / "junk" / "blob.bin").write_bytes(b"j" * 1000)
    (tmp_path / "repo" / "sibling").mkdir()
    (tmp_path / "repo" / "sibling" / "blob.bin").write_bytes(b"s" * 1000)
    terraform.evaluate(tree / "envs" / "x", "local.build", tree=tree)
    assert set(calls(fake_terraform)[-1]["copied"]) == {
        "terraform/modules/observatory/main.tf",
        "terraform/envs/x/main.tf",
        "terraform/envs/x/zz_local_backend_override.tf",
    }


def test_a_link_out_of_the_tree_is_refused(fake_terraform: Path, tmp_path: Path) -> None:
    tree = tmp_path / "terraform"
    (tree / "modules").mkdir(parents=True)
    (tree / "envs" / "x").mkdir(parents=True)
    (tree / "envs" / "x" / "main.tf").write_text("# env\n")
    (tmp_path / "elsewhere").mkdir()
    (tree / "envs" / "x" / "data").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(terraform.TerraformError, match="leads out of"):
        terraform.evaluate(tree / "envs" / "x", "local.build", tree=tree)
    assert calls(fake_terraform) == []


def test_no_temporary_folder_is_left_when_terraform_fails(
    fake_terraform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    for failing in ("init", "console"):
        monkeypatch.setenv("FAKE_TF_FAIL", failing)
        with pytest.raises(terraform.TerraformError):
            terraform.evaluate(REPO / "terraform" / "envs" / "aws", "local.build")
        assert [p.name for p in scratch.iterdir() if p.name.startswith("slo-tf-eval-")] == []
