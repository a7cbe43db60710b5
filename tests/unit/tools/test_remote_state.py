"""`make deploy` and where the state lives: S3 with its lock file once backend.hcl is there
(tools.remote_state, written by `make bootstrap`), else a local file, and then it says once what that
risks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import preflight, remote_state, terraform_run
from tools.preflight_checks import Finding

from .terraform_double import calls
from .test_terraform_run_cli import FLEET


@pytest.fixture(autouse=True)
def env_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The env's settings and the preflight, without terraform console or an account (as in
    test_terraform_run_cli): the region is AWS_REGION's, nothing blocks."""
    monkeypatch.setattr(terraform_run, "read_settings", lambda _: preflight.Settings(FLEET, None))
    monkeypatch.setattr(terraform_run, "run_preflight", lambda settings, where: [Finding("ok", "x", "fine")])

BACKEND_HCL = (
    'bucket       = "slo-tfstate-123456789012-eu-west-1"\n'
    'key          = "secret-latency-observatory/aws.tfstate"\n'
    'region       = "eu-west-1"\nuse_lockfile = true\n'
)


def deploy(env: Path, *extra: str) -> int:
    return terraform_run.main([str(env), "apply", "--yes", *extra], account=lambda region: "account 1")


def test_local_state_is_explained_once_per_clone(
    fake_terraform: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / "envs" / "aws"
    env.mkdir(parents=True)
    assert deploy(env) == 0
    first = capsys.readouterr().err
    assert "If this clone is lost" in first and "make bootstrap" in first
    assert deploy(env) == 0
    assert "If this clone is lost" not in capsys.readouterr().err
    assert (env / ".terraform" / remote_state.WARNED_MARKER).is_file()


def test_with_backend_hcl_init_uses_it_and_says_nothing_of_local_state(
    fake_terraform: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / "aws"
    env.mkdir()
    (env / "backend.hcl").write_text(BACKEND_HCL)
    assert deploy(env) == 0
    init = calls(fake_terraform)[0]
    assert "init" in init["args"] and f"-backend-config={env.resolve() / 'backend.hcl'}" in init["args"]
    assert 'backend "s3" {}' in (env / remote_state.BACKEND_OVERRIDE).read_text()
    assert "If this clone is lost" not in capsys.readouterr().err


def test_the_s3_block_without_backend_hcl_stops_before_terraform(
    fake_terraform: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / "aws"
    env.mkdir()
    (env / remote_state.BACKEND_OVERRIDE).write_text(remote_state.OVERRIDE_TEXT)
    assert deploy(env) == 1
    err = capsys.readouterr().err
    assert "backend.hcl is missing" in err
    assert [c for c in calls(fake_terraform) if "init" in c["args"]] == []


def test_a_root_with_local_state_on_purpose_is_not_warned(
    fake_terraform: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy(tmp_path, "--local-state") == 0
    assert "If this clone is lost" not in capsys.readouterr().err


def test_backend_config_writes_the_block_it_completes(tmp_path: Path) -> None:
    assert remote_state.backend_config(tmp_path) is None
    config = remote_state.write_backend_config(BACKEND_HCL, tmp_path)
    assert remote_state.backend_config(tmp_path) == config
    assert (tmp_path / "backend_override.tf").read_text() == remote_state.OVERRIDE_TEXT
    with pytest.raises(remote_state.RemoteStateError, match="no backend configuration"):
        remote_state.write_backend_config("", tmp_path)
