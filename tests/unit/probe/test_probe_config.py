"""The probe's configuration: defaults, and a clear ConfigError for each way it can be broken."""

from __future__ import annotations

import sys

import pytest

from functions.probe.config import ConfigError, ProbeConfig, probe_keys, tracing_from_env

BASE = {
    "OBSERVATORY_STRATEGY": "extension",
    "OBSERVATORY_ARCHITECTURE": "x86_64",
    "OBSERVATORY_ENVIRONMENT": "aws",
    "OBSERVATORY_SECRET_ID": "slo-canary-secret",
    "OBSERVATORY_PARAMETER_NAME": "/slo/canary/secure",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    "AWS_REGION": "eu-west-1",
    "AWS_SESSION_TOKEN": "token",
}


def config(**changes: str | None) -> ProbeConfig:
    env = dict(BASE)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return ProbeConfig.from_env(env)


def test_defaults_on_aws() -> None:
    c = config()
    assert c.probe_key == "extension-128-x86_64"
    assert c.warm_samples == 100 and c.cache_ttl_seconds == 60
    assert c.cpu_emulation == "aws" and c.cold_cause == "first_start"
    assert c.extension_port == 2773 and c.extension_layer is None
    assert c.stores == ("secretsmanager", "ssm")
    assert c.function_name == "local" and c.region == "eu-west-1"
    assert c.runtime.startswith("python3.")
    assert c.fixture("ssm") == "/slo/canary/secure"


def test_sdk_takes_fewer_warm_samples_by_default() -> None:
    assert config(OBSERVATORY_STRATEGY="sdk").warm_samples == 10
    assert config(OBSERVATORY_STRATEGY="sdk", OBSERVATORY_WARM_SAMPLES="30").warm_samples == 30


def test_caching_lib_reads_secrets_manager_only() -> None:
    assert config(OBSERVATORY_STRATEGY="caching_lib").stores == ("secretsmanager",)


def test_lab_values_are_read() -> None:
    c = config(
        OBSERVATORY_ENVIRONMENT="lab",
        OBSERVATORY_CPU_EMULATION="cgroup-v2",
        OBSERVATORY_COLD_CAUSE="forced",
        AWS_ENDPOINT_URL="http://127.0.0.1:4566",
        PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="2999",
        OBSERVATORY_EXTENSION_LAYER="arn:x",
    )
    assert (c.cpu_emulation, c.cold_cause, c.endpoint_url, c.extension_port, c.extension_layer) == (
        "cgroup-v2",
        "forced",
        "http://127.0.0.1:4566",
        2999,
        "arn:x",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"OBSERVATORY_STRATEGY": "magic"}, "OBSERVATORY_STRATEGY='magic' is not one of"),
        ({"OBSERVATORY_STRATEGY": None}, "OBSERVATORY_STRATEGY is required"),
        ({"OBSERVATORY_ARCHITECTURE": "sparc"}, "OBSERVATORY_ARCHITECTURE='sparc'"),
        ({"OBSERVATORY_ENVIRONMENT": "moon"}, "OBSERVATORY_ENVIRONMENT='moon'"),
        ({"OBSERVATORY_SECRET_ID": ""}, "OBSERVATORY_SECRET_ID is required"),
        ({"OBSERVATORY_PARAMETER_NAME": None}, "OBSERVATORY_PARAMETER_NAME is required"),
        ({"OBSERVATORY_WARM_SAMPLES": "many"}, "OBSERVATORY_WARM_SAMPLES='many' is not an integer"),
        ({"OBSERVATORY_WARM_SAMPLES": "0"}, "OBSERVATORY_WARM_SAMPLES=0 is outside 1..10000"),
        ({"OBSERVATORY_WARM_SAMPLES": "10001"}, "outside 1..10000"),
        ({"OBSERVATORY_CACHE_TTL_SECONDS": "-5"}, "OBSERVATORY_CACHE_TTL_SECONDS=-5 is outside"),
        ({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": None}, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE is required"),
        ({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "64"}, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=64 is outside"),
        ({"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "70000"}, "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=70000"),
        ({"AWS_REGION": None}, "AWS_REGION (or AWS_DEFAULT_REGION) is required"),
        ({"AWS_SESSION_TOKEN": None}, "AWS_SESSION_TOKEN is required by the extension strategy"),
        ({"OBSERVATORY_CPU_EMULATION": "turbo"}, "OBSERVATORY_CPU_EMULATION='turbo'"),
        ({"OBSERVATORY_ENVIRONMENT": "lab"}, "OBSERVATORY_CPU_EMULATION is required"),
        ({"OBSERVATORY_COLD_CAUSE": "boredom"}, "OBSERVATORY_COLD_CAUSE='boredom'"),
        (
            {"OBSERVATORY_PROBE_KEY": "sdk-128-x86_64"},
            "does not match strategy, memory, architecture",
        ),
        ({"OBSERVATORY_TRACING": "everything"}, "OBSERVATORY_TRACING='everything' is not one of off, "),
        ({"OBSERVATORY_STORES": "dynamodb"}, "OBSERVATORY_STORES names 'dynamodb': not a store"),
        ({"OBSERVATORY_STORES": " , "}, "OBSERVATORY_STORES names no store"),
        ({"OBSERVATORY_LAB_HOST_REF_MS": "fast"}, "OBSERVATORY_LAB_HOST_REF_MS='fast' is not a number"),
        ({"OBSERVATORY_LAB_HOST_REF_MS": "-3"}, "OBSERVATORY_LAB_HOST_REF_MS='-3' is outside"),
        ({"OBSERVATORY_LAB_HOST_REF_MS": "0"}, "OBSERVATORY_LAB_HOST_REF_MS='0' is outside"),
        ({"OBSERVATORY_LAB_HOST_REF_MS": "nan"}, "OBSERVATORY_LAB_HOST_REF_MS='nan' is outside"),
        ({"OBSERVATORY_LAB_HOST_CPU": "x" * 300}, "OBSERVATORY_LAB_HOST_CPU is longer than 256"),
    ],
)
def test_broken_configuration_is_named(changes: dict[str, str | None], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config(**changes)
    assert message in str(caught.value)


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        ProbeConfig.from_env({})
    text = str(caught.value)
    for name in ("OBSERVATORY_STRATEGY", "OBSERVATORY_ARCHITECTURE", "OBSERVATORY_SECRET_ID", "AWS_REGION"):
        assert name in text


def test_region_falls_back_to_default_region() -> None:
    assert config(AWS_REGION=None, AWS_DEFAULT_REGION="ap-northeast-1").region == "ap-northeast-1"


def test_configuration_is_frozen() -> None:
    c = config()
    with pytest.raises(AttributeError):
        c.strategy = "sdk"  # type: ignore[misc]


# ------------------------------------------------------------------------- tracing, stores, host (issue 13)
def test_tracing_defaults_to_subsegments_and_takes_each_mode() -> None:
    assert config().tracing == "subsegments"
    for mode in ("off", "subsegments", "patch_all"):
        assert config(OBSERVATORY_TRACING=mode).tracing == mode


def test_tracing_at_init_reads_the_mode_alone() -> None:
    assert tracing_from_env({}) == "subsegments"
    assert tracing_from_env({"OBSERVATORY_TRACING": " patch_all "}) == "patch_all"
    assert tracing_from_env({"OBSERVATORY_TRACING": "off"}) == "off"
    assert (
        tracing_from_env({"OBSERVATORY_TRACING": "bogus"}) == "off"
    )  # from_env names it at the first invoke


def test_the_probe_key_carries_runtime_and_tracing_suffixes() -> None:
    py = "py" + runtime_digits()
    assert config(OBSERVATORY_TRACING="patch_all").probe_key == "extension-128-x86_64-patch_all"
    assert config(OBSERVATORY_PROBE_KEY=f"extension-128-x86_64-{py}").probe_key.endswith(py)
    key = f"extension-128-x86_64-{py}-patch_all"
    assert config(OBSERVATORY_TRACING="patch_all", OBSERVATORY_PROBE_KEY=key).probe_key == key
    assert (
        config(OBSERVATORY_TRACING="off", OBSERVATORY_PROBE_KEY="extension-128-x86_64-off").tracing == "off"
    )
    for wrong in (
        "extension-128-x86_64-patch_all",
        "extension-128-x86_64-py27",
        f"extension-128-x86_64-{py}-off",
    ):
        with pytest.raises(ConfigError, match="OBSERVATORY_PROBE_KEY"):
            config(OBSERVATORY_PROBE_KEY=wrong)
    with pytest.raises(ConfigError, match="OBSERVATORY_PROBE_KEY"):
        config(OBSERVATORY_TRACING="off", OBSERVATORY_PROBE_KEY="extension-128-x86_64")


def test_probe_keys_of_the_interface_examples() -> None:
    assert probe_keys("extension", 128, "x86_64", "python3.9", "patch_all")[1] == (
        "extension-128-x86_64-py39-patch_all"
    )
    assert probe_keys("dict", 1769, "x86_64", "python3.11", "off")[0] == "dict-1769-x86_64-off"
    assert probe_keys("sdk", 128, "arm64", "python3.13", "subsegments") == (
        "sdk-128-arm64",
        "sdk-128-arm64-py313",
    )


def test_stores_can_be_restricted_in_the_strategy_order() -> None:
    assert config(OBSERVATORY_STORES="secretsmanager").stores == ("secretsmanager",)
    assert config(OBSERVATORY_STORES="ssm, secretsmanager,ssm").stores == ("secretsmanager", "ssm")
    assert config(OBSERVATORY_STORES="").stores == ("secretsmanager", "ssm")  # empty: not set


def test_a_store_the_strategy_does_not_read_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'ssm': not read by the caching_lib strategy"):
        config(OBSERVATORY_STRATEGY="caching_lib", OBSERVATORY_STORES="ssm")


def test_host_is_null_on_aws_and_read_in_the_lab() -> None:
    assert config().host is None
    c = config(
        OBSERVATORY_LAB_HOST_CPU="  Intel(R) Xeon(R)   Platinum 8375C CPU @ 2.90GHz ",
        OBSERVATORY_LAB_HOST_REF_MS="412.3",
    )
    assert c.host == {"cpu": "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", "reference_ms": 412.3}
    assert config(OBSERVATORY_LAB_HOST_CPU="AMD EPYC 7R13").host == {
        "cpu": "AMD EPYC 7R13",
        "reference_ms": None,
    }


def runtime_digits() -> str:
    return f"{sys.version_info.major}{sys.version_info.minor}"


def test_cloud_extensions_reads_its_prefetch_variant_and_port() -> None:
    plain = config(OBSERVATORY_STRATEGY="cloud_extensions", AWS_SESSION_TOKEN=None)
    assert (plain.prefetch, plain.cloud_extensions_port, plain.probe_key) == (
        False,
        5333,
        "cloud_extensions-128-x86_64",
    )
    lab = config(
        OBSERVATORY_STRATEGY="cloud_extensions",
        OBSERVATORY_PREFETCH="true",
        OBSERVATORY_LAB_CLOUD_EXTENSIONS_PORT="41733",
        OBSERVATORY_PROBE_KEY="cloud_extensions-128-x86_64-prefetch",
    )
    assert (lab.prefetch, lab.cloud_extensions_port) == (True, 41733)
    assert config().prefetch is None  # other strategies have no variant
    assert probe_keys("cloud_extensions", 128, "arm64", "python3.9", "off", True) == (
        "cloud_extensions-128-arm64-off-prefetch",
        "cloud_extensions-128-arm64-py39-off-prefetch",
    )


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"OBSERVATORY_STRATEGY": "cloud_extensions", "OBSERVATORY_PREFETCH": "yes"}, "is not true or false"),
        ({"OBSERVATORY_PREFETCH": "true"}, "the extension strategy has no prefetch"),
        (
            {
                "OBSERVATORY_STRATEGY": "cloud_extensions",
                "OBSERVATORY_PREFETCH": "true",
                "OBSERVATORY_PROBE_KEY": "cloud_extensions-128-x86_64",
            },
            "does not match",
        ),
        (
            {"OBSERVATORY_STRATEGY": "cloud_extensions", "OBSERVATORY_LAB_CLOUD_EXTENSIONS_PORT": "0"},
            "outside",
        ),
    ],
)
def test_cloud_extensions_configuration_errors_are_named(changes: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        config(**changes)


def test_a_probe_writing_to_another_regions_table_carries_its_own_region_in_its_key() -> None:
    """Several regions share one home table: the key ends in `@{region}` there, so keys stay unique."""
    region = BASE["AWS_REGION"]
    assert config(OBSERVATORY_PROBE_KEY=f"extension-128-x86_64@{region}").probe_key == (
        f"extension-128-x86_64@{region}"
    )
    with pytest.raises(ConfigError, match="OBSERVATORY_PROBE_KEY"):
        config(OBSERVATORY_PROBE_KEY="extension-128-x86_64@eu-west-9")  # not where the probe runs
