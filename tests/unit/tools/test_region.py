"""tools.region: one rule for where a deployment goes (explicit, TF_VAR_region, AWS_REGION, the profile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.region import RegionError, describe, resolve_region


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.write_text(
        "[default]\nregion = eu-west-1\n\n[profile team]\nregion = ap-northeast-1\n\n[profile bare]\n"
    )
    return path


def test_explicit_wins_over_everything(config: Path) -> None:
    env = {"TF_VAR_region": "eu-north-1", "AWS_REGION": "us-west-2", "AWS_CONFIG_FILE": str(config)}
    assert resolve_region("ca-central-1", env) == ("ca-central-1", "REGION=/--region")
    from_tfvars = resolve_region("ca-central-1", env, source="terraform.tfvars")
    assert from_tfvars == ("ca-central-1", "terraform.tfvars")


def test_then_tf_var_region_then_aws_region_then_aws_default_region(config: Path) -> None:
    env = {
        "TF_VAR_region": "eu-north-1",
        "AWS_REGION": "us-west-2",
        "AWS_DEFAULT_REGION": "sa-east-1",
        "AWS_CONFIG_FILE": str(config),
    }
    assert resolve_region(None, env) == ("eu-north-1", "TF_VAR_region")
    del env["TF_VAR_region"]
    assert resolve_region("", env) == ("us-west-2", "AWS_REGION")
    del env["AWS_REGION"]
    assert resolve_region(None, env) == ("sa-east-1", "AWS_DEFAULT_REGION")


def test_then_the_profile_in_use(config: Path) -> None:
    assert resolve_region(None, {"AWS_CONFIG_FILE": str(config), "AWS_PROFILE": "team"}) == (
        "ap-northeast-1",
        f"profile team in {config}",
    )
    assert resolve_region(None, {"AWS_CONFIG_FILE": str(config)})[0] == "eu-west-1"
    assert resolve_region(None, {"AWS_CONFIG_FILE": str(config), "AWS_DEFAULT_PROFILE": "team"})[0] == (
        "ap-northeast-1"
    )


def test_config_file_defaults_to_home(tmp_path: Path) -> None:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text("[profile x]\nregion = me-central-1\n")
    assert resolve_region(None, {"HOME": str(tmp_path), "AWS_PROFILE": "x"}) == (
        "me-central-1",
        f"profile x in {tmp_path / '.aws' / 'config'}",
    )


def test_nothing_set_is_an_error_naming_every_place(config: Path, tmp_path: Path) -> None:
    with pytest.raises(RegionError, match=r"no region chosen: set REGION=.*TF_VAR_region, AWS_REGION.*bare"):
        resolve_region(None, {"AWS_CONFIG_FILE": str(config), "AWS_PROFILE": "bare"})
    with pytest.raises(RegionError, match="no region chosen"):
        resolve_region(None, {"AWS_CONFIG_FILE": str(tmp_path / "missing")})


def test_a_value_that_is_not_a_region_is_refused_with_its_source() -> None:
    with pytest.raises(RegionError, match="AWS_REGION = 'us-east1' is not an AWS region code"):
        resolve_region(None, {"AWS_REGION": "us-east1"})
    assert resolve_region(None, {"AWS_REGION": "us-gov-west-1"})[0] == "us-gov-west-1"


def test_unreadable_config_is_one_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "config"
    broken.write_text("region = no section\n")
    with pytest.raises(RegionError, match="cannot read the AWS config file"):
        resolve_region(None, {"AWS_CONFIG_FILE": str(broken)})


def test_describe_names_the_source() -> None:
    assert describe("eu-west-1", "AWS_REGION") == "region eu-west-1 (from AWS_REGION)"
