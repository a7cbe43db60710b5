"""Settings of the extension emulator: defaults, ranges, clamping, bypass rules, unknown-variable warnings."""

from __future__ import annotations

import dataclasses

import pytest

from lab.extension.__main__ import parse_args, settings_from
from lab.extension.config import ConfigError, Settings, load_settings


def test_defaults_are_the_documented_ones() -> None:
    settings, warnings = load_settings({})
    assert warnings == []
    assert settings.cache_enabled is True
    assert settings.cache_size == 1000
    assert settings.http_port == 2773
    assert settings.max_connections == 3
    assert settings.log_level == "INFO"
    assert settings.secrets_manager_ttl == 300
    assert settings.ssm_parameter_store_ttl == 300
    assert settings.timeout_for("secretsmanager") is None
    assert settings.timeout_for("ssm") is None
    assert settings.caching


def test_settings_are_frozen() -> None:
    settings, _ = load_settings({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.http_port = 1  # type: ignore[misc]


@pytest.mark.parametrize("name", ["SECRETS_MANAGER_TTL", "SSM_PARAMETER_STORE_TTL"])
def test_ttl_above_300_warns_and_clamps(name: str) -> None:
    settings, warnings = load_settings({name: "900"})
    assert getattr(settings, name.lower()) == 300
    assert len(warnings) == 1 and name in warnings[0] and "clamped to 300" in warnings[0]


def test_per_store_ttls_and_timeouts() -> None:
    settings, _ = load_settings(
        {
            "SECRETS_MANAGER_TTL": "7",
            "SSM_PARAMETER_STORE_TTL": "0",
            "SECRETS_MANAGER_TIMEOUT_MILLIS": "250",
            "SSM_PARAMETER_STORE_TIMEOUT_MILLIS": "0",
        }
    )
    assert settings.ttl_for("secretsmanager") == 7
    assert settings.ttl_for("ssm") == 0
    assert settings.timeout_for("secretsmanager") == 0.25
    assert settings.timeout_for("ssm") is None


@pytest.mark.parametrize(
    ("env", "caching"),
    [
        ({"PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED": "FALSE"}, False),
        ({"PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED": "false"}, False),
        ({"PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE": "0"}, False),
        (
            {
                "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED": "TRUE",
                "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE": "1",
            },
            True,
        ),
    ],
)
def test_cache_bypass_rules(env: dict[str, str], caching: bool) -> None:
    settings, _ = load_settings(env)
    assert settings.caching is caching


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE", "1001"),
        ("PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE", "-1"),
        ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "0"),
        ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "65536"),
        ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "http"),
        ("PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS", "0"),
        ("PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED", "yes"),
        ("PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL", "TRACE"),
        ("SECRETS_MANAGER_TTL", "-5"),
        ("SSM_PARAMETER_STORE_TTL", "1.5"),
        ("SECRETS_MANAGER_TIMEOUT_MILLIS", "-1"),
        ("SLO_EXTENSION_MAX_INBOUND_CONNECTIONS", "0"),
    ],
)
def test_invalid_values_are_refused_with_the_variable_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_log_levels_accept_any_case_and_warning_alias() -> None:
    assert load_settings({"PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL": "debug"})[0].log_level == "DEBUG"
    assert load_settings({"PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL": "warning"})[0].log_level == "WARN"
    assert load_settings({"PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL": "NONE"})[0].log_level == "NONE"


def test_unknown_parameters_secrets_variables_warn_with_a_suggestion() -> None:
    _, warnings = load_settings(
        {"PARAMETERS_SECRETS_EXTENSION_CACHE_SIZ": "5", "PARAMETERS_SECRETS_WHATEVER": "1", "OTHER_VAR": "x"}
    )
    assert len(warnings) == 2
    misspelled = next(w for w in warnings if "CACHE_SIZ " in w)
    assert "did you mean PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE" in misspelled
    assert any("PARAMETERS_SECRETS_WHATEVER" in w for w in warnings)
    assert not any("OTHER_VAR" in w for w in warnings)


def test_token_comes_from_the_session_token_and_is_never_described() -> None:
    settings, _ = load_settings({"AWS_SESSION_TOKEN": "s3cr3t-token"})
    assert settings.token == "s3cr3t-token"
    assert "s3cr3t-token" not in settings.describe()
    assert "s3cr3t-token" not in repr(settings)
    assert load_settings({"AWS_SESSION_TOKEN": "a", "SLO_EXTENSION_TOKEN": "b"})[0].token == "b"


def test_aws_environment_is_captured() -> None:
    settings, _ = load_settings(
        {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_LAMBDA_RUNTIME_API": "h:9",
        }
    )
    assert settings == Settings(
        endpoint_url="http://127.0.0.1:1", region="eu-west-1", runtime_api="h:9", token=None
    )


def test_command_line_overrides_the_environment() -> None:
    args = parse_args(["--port", "3000", "--log-level", "DEBUG", "--standalone", "--extension-name", "x"])
    settings, _ = settings_from(
        args, {"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "2773", "AWS_LAMBDA_RUNTIME_API": "h"}
    )
    assert (settings.http_port, settings.log_level, settings.runtime_api, settings.extension_name) == (
        3000,
        "DEBUG",
        None,
        "x",
    )


def test_help_documents_every_variable(capsys: pytest.CaptureFixture[str]) -> None:
    from lab.extension.config import DOCUMENTED_VARIABLES, EMULATOR_VARIABLES

    with pytest.raises(SystemExit):
        parse_args(["--help"])
    text = capsys.readouterr().out
    for name in [*DOCUMENTED_VARIABLES, *EMULATOR_VARIABLES, "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API"]:
        assert name in text
    for option in ("--port", "--log-level", "--standalone", "--extension-name", "--print-config"):
        assert option in text


def test_print_config_shows_clamped_values_and_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    from lab.extension.__main__ import main

    code = main(["--print-config"], {"SSM_PARAMETER_STORE_TTL": "301", "AWS_SESSION_TOKEN": "hidden-token"})
    out, err = capsys.readouterr()
    assert code == 0
    assert '"ssm_parameter_store_ttl": 300' in out and '"token": "set"' in out
    assert "hidden-token" not in out + err
    assert "clamped to 300" in err


def test_invalid_configuration_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    from lab.extension.__main__ import main

    assert main(["--print-config"], {"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "99999"}) == 2
    assert "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=99999 is out of range" in capsys.readouterr().err
