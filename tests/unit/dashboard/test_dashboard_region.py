"""The dashboard's region: AWS_REGION, else the profile's region as boto3 resolves it, never a guess."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.config import ConfigError, load_settings, profile_region

CONFIG = """\
[default]
region = eu-west-3

[profile observatory]
region = ap-southeast-2

[profile no-region]
output = json
"""


@pytest.fixture
def config_file(tmp_path: Path) -> str:
    path = tmp_path / "config"
    path.write_text(CONFIG)
    return str(path)


def test_without_aws_region_the_profiles_region_is_used(config_file: str) -> None:
    named = load_settings({"AWS_PROFILE": "observatory", "AWS_CONFIG_FILE": config_file})
    assert named.region == "ap-southeast-2" and "AWS ap-southeast-2 (profile observatory)" in named.where
    assert load_settings({"AWS_CONFIG_FILE": config_file}).region == "eu-west-3"  # the default profile


def test_an_explicit_region_wins_over_the_profile(config_file: str) -> None:
    env = {"AWS_PROFILE": "observatory", "AWS_CONFIG_FILE": config_file}
    assert load_settings({**env, "AWS_REGION": "eu-north-1"}).region == "eu-north-1"
    assert load_settings({**env, "AWS_DEFAULT_REGION": "ca-central-1"}).region == "ca-central-1"


def test_no_region_anywhere_says_what_to_set(config_file: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="AWS_REGION") as caught:
        load_settings({"AWS_PROFILE": "no-region", "AWS_CONFIG_FILE": config_file})
    assert "'no-region'" in str(caught.value) and "region = " in str(caught.value)
    with pytest.raises(ConfigError, match="Set AWS_REGION to the region you deployed to"):
        load_settings({"AWS_CONFIG_FILE": str(tmp_path / "missing")})
    with pytest.raises(ConfigError, match="'nobody'"):
        load_settings({"AWS_PROFILE": "nobody", "AWS_CONFIG_FILE": config_file})


def test_a_local_endpoint_without_a_region_is_the_labs_region(config_file: str) -> None:
    env = {"AWS_ENDPOINT_URL": "https://127.0.0.1:4566", "AWS_CONFIG_FILE": config_file}
    assert load_settings(env).region == "us-east-1"


def test_profile_region_reads_only_the_named_file(config_file: str) -> None:
    assert profile_region("observatory", config_file) == "ap-southeast-2"
    assert profile_region(None, config_file) == "eu-west-3"
    assert profile_region("no-region", config_file) is None
    assert profile_region("nobody", config_file) is None
