"""The lab's profile settings: defaults from the reference doc, every malformed setting refused with a fix."""

from __future__ import annotations

import json

import pytest

from lab.cloud_extensions.__main__ import main
from lab.cloud_extensions.settings import (
    ParameterSettings,
    Profile,
    SecretsSettings,
    SettingsError,
    load_settings,
    parse_profile,
)

ENV = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"}


def test_no_profile_is_every_default() -> None:
    assert parse_profile(None) == Profile()
    settings = load_settings(ENV)
    assert settings.port == 5333 and settings.profile.authentication == "runtimeCredentials"
    assert settings.profile.secrets.ssrf_check is True  # AWS: on by default
    assert settings.profile.parameters == ParameterSettings(ttl_seconds=120)  # AWS: default 120 s


def test_a_full_profile_is_read() -> None:
    profile = parse_profile(
        json.dumps(
            {
                "authentication": {"none": True},
                "secretsmanager": {
                    "region": "eu-west-1",
                    "ignoreTransientErrors": False,
                    "cache": {"ttlSeconds": 60, "maxEntries": 10},
                    "ssrfTokenHeaderCheck": False,
                    "ssrfTokenHeaders": ["X-Vault-Token"],
                    "prefetch": {"secrets": [{"secretId": "a"}, {"secretId": "b"}, {"secretId": "a"}]},
                },
                "parameterstore": {"ttlSeconds": 7200, "cacheSize": 5},
            }
        )
    )
    assert profile.authentication == "none"
    assert profile.secrets == SecretsSettings(
        "eu-west-1", False, 60, 10, False, ("X-Vault-Token",), ("a", "b")
    )
    assert profile.parameters == ParameterSettings(ttl_seconds=3600, cache_size=5)  # AWS clamps to the range


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"secretsmanager": {"ttl": 5}}', "unknown key 'ttl'"),
        ('{"other": {}}', "unknown key 'other'"),
        ('{"secretsmanager": {"cache": {"ttlSeconds": 3601}}}', "ttlSeconds must be 0..3600"),
        ('{"secretsmanager": {"cache": {"ttlSeconds": "60"}}}', "must be a whole number"),
        ('{"secretsmanager": {"cache": {"maxEntries": 0}}}', "maxEntries must be 1..10000"),
        ('{"secretsmanager": {"ssrfTokenHeaderCheck": "yes"}}', "must be true or false"),
        ('{"secretsmanager": {"ssrfTokenHeaders": []}}', "list of 1..10 HTTP header names"),
        ('{"secretsmanager": {"region": "moon"}}', "must be a region name"),
        ('{"secretsmanager": {"prefetch": {"secrets": [{}]}}}', "secretId must be a secret name or ARN"),
        (
            '{"secretsmanager": {"prefetch": {"secrets": [{"secretId": "a", "roleArn": "x"}]}}}',
            "not emulated",
        ),
        ('{"authentication": {}}', "exactly one"),
        ('{"authentication": {"extensionKey": {}}}', "not emulated"),
        ('{"authentication": {"none": false}}', "must be true"),
        ('{"parameterstore": {"ttlSeconds": 1.5}}', "must be a whole number"),
    ],
)
def test_a_malformed_profile_is_refused_with_what_to_fix(text: str, says: str) -> None:
    with pytest.raises(SettingsError, match=says.replace("(", r"\(").replace("[", r"\[")):
        parse_profile(text)


@pytest.mark.parametrize(
    ("drop_or_set", "says"),
    [
        ({"AWS_REGION": None}, "set AWS_REGION"),
        ({"AWS_SECRET_ACCESS_KEY": None}, "needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        ({"OBSERVATORY_LAB_CLOUD_EXTENSIONS_PORT": "0"}, "port number"),
        ({"AWS_CLOUDEXTENSIONS_LOG_LEVEL": "LOUD"}, "must be one of"),
    ],
)
def test_a_missing_or_malformed_variable_is_refused(drop_or_set: dict, says: str) -> None:
    env = {**ENV, **{k: v for k, v in drop_or_set.items() if v is not None}}
    for name, value in drop_or_set.items():
        if value is None:
            env.pop(name)
    with pytest.raises(SettingsError, match=says):
        load_settings(env)


def test_the_emulator_stops_at_start_with_exit_2_and_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    env = {
        **ENV,
        "OBSERVATORY_LAB_CLOUD_EXTENSIONS_PROFILE": '{"secretsmanager": {"cache": {"ttlSeconds": -1}}}',
    }
    assert main(["--standalone"], env) == 2
    assert "secretsmanager.cache.ttlSeconds must be 0..3600, not -1" in capsys.readouterr().err


def test_help_names_every_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"], ENV)
    text = capsys.readouterr().out
    for name in (
        "OBSERVATORY_LAB_CLOUD_EXTENSIONS_PROFILE",
        "OBSERVATORY_LAB_CLOUD_EXTENSIONS_PORT",
        "AWS_CLOUDEXTENSIONS_LOG_LEVEL",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_LAMBDA_RUNTIME_API",
    ):
        assert name in text
