"""Cache behaviour, told apart by counting the AWS calls that pass through a recording proxy."""

from __future__ import annotations

import threading

import pytest
import requests

from .conftest import unique, wait_for


def _seed_secret(aws, value: str = "cached-value") -> str:  # type: ignore[no-untyped-def]
    name = unique("cache")
    aws["secretsmanager"].create_secret(Name=name, SecretString=value)
    return name


def test_hits_do_not_call_aws(emulator, aws_proxy, aws) -> None:  # type: ignore[no-untyped-def]
    running = emulator(aws_proxy.url)
    name = _seed_secret(aws)
    parameter = "/" + unique("cache") + "/p"
    aws["ssm"].put_parameter(Name=parameter, Value="pv", Type="SecureString")
    for _ in range(5):
        assert running.secret(name).json()["SecretString"] == "cached-value"
        assert running.parameter(parameter, withDecryption="true").json()["Parameter"]["Value"] == "pv"
    assert aws_proxy.count("GetSecretValue", SecretId=name) == 1
    assert aws_proxy.count("GetParameter", Name=parameter) == 1
    # a different query is a different entry
    running.parameter(parameter)
    running.secret(name, versionStage="AWSCURRENT")
    assert aws_proxy.count("GetParameter", Name=parameter) == 2
    assert aws_proxy.count("GetSecretValue", SecretId=name) == 2


def test_rotation_is_not_seen_until_the_ttl_expires(emulator, aws_proxy, aws) -> None:  # type: ignore[no-untyped-def]
    stale = emulator(aws_proxy.url)  # default TTL 300 s
    fresh = emulator(aws_proxy.url, SECRETS_MANAGER_TTL="1")
    name = _seed_secret(aws, "before")
    assert stale.secret(name).json()["SecretString"] == "before"
    assert fresh.secret(name).json()["SecretString"] == "before"
    aws["secretsmanager"].put_secret_value(SecretId=name, SecretString="after")
    wait_for(
        lambda: fresh.secret(name).json()["SecretString"] == "after", "the 1 s entry expires and refetches"
    )
    assert stale.secret(name).json()["SecretString"] == "before"  # still cached: rotation is not detected
    assert aws_proxy.count("GetSecretValue", SecretId=name) >= 3


def test_ttl_expiry_per_store(emulator, aws_proxy, aws) -> None:  # type: ignore[no-untyped-def]
    running = emulator(aws_proxy.url, SSM_PARAMETER_STORE_TTL="1", SECRETS_MANAGER_TTL="300")
    name = _seed_secret(aws)
    parameter = "/" + unique("cache") + "/ttl"
    aws["ssm"].put_parameter(Name=parameter, Value="pv", Type="String")
    running.secret(name)
    running.parameter(parameter)

    def refetched() -> bool:
        running.parameter(parameter)
        running.secret(name)
        return aws_proxy.count("GetParameter", Name=parameter) >= 2

    wait_for(refetched, "the SSM entry (TTL 1 s) expires")
    assert aws_proxy.count("GetSecretValue", SecretId=name) == 1  # the secret's TTL is 300 s


@pytest.mark.parametrize(
    "env",
    [
        {"SECRETS_MANAGER_TTL": "0"},
        {"PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE": "0"},
        {"PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED": "FALSE"},
    ],
    ids=["ttl-0", "size-0", "disabled"],
)
def test_bypass_sends_every_request_to_aws(emulator, aws_proxy, aws, env) -> None:  # type: ignore[no-untyped-def]
    running = emulator(aws_proxy.url, **env)
    name = _seed_secret(aws)
    for _ in range(4):
        assert running.secret(name).status_code == 200
    assert aws_proxy.count("GetSecretValue", SecretId=name) == 4


def test_least_recently_used_entry_is_evicted_at_the_cap(emulator, aws_proxy, aws) -> None:  # type: ignore[no-untyped-def]
    running = emulator(aws_proxy.url, PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE="2")
    a, b, c = (_seed_secret(aws) for _ in range(3))
    for name in (a, b, a, c):  # c evicts b, the least recently used (a was used after b)
        running.secret(name)
    calls = {n: aws_proxy.count("GetSecretValue", SecretId=n) for n in (a, b, c)}
    assert calls == {a: 1, b: 1, c: 1}
    running.secret(a)
    running.secret(c)
    assert aws_proxy.count("GetSecretValue", SecretId=a) == 1  # still cached
    assert aws_proxy.count("GetSecretValue", SecretId=c) == 1
    running.secret(b)
    assert aws_proxy.count("GetSecretValue", SecretId=b) == 2  # was evicted


def test_errors_are_not_cached(emulator, aws_proxy, aws) -> None:  # type: ignore[no-untyped-def]
    running = emulator(aws_proxy.url)
    name = unique("cache-late")
    assert running.secret(name).status_code != 200
    aws["secretsmanager"].create_secret(Name=name, SecretString="now-exists")
    assert running.secret(name).json()["SecretString"] == "now-exists"


def test_slow_fetch_of_one_secret_does_not_block_another(emulator, aws_proxy, aws) -> None:  # type: ignore[no-untyped-def]
    running = emulator(aws_proxy.url)
    slow, fast, other = _seed_secret(aws, "slow"), _seed_secret(aws, "fast"), _seed_secret(aws, "other")
    running.secret(fast)  # warm
    release = aws_proxy.gate(slow)
    results: dict[str, object] = {}

    def fetch(label: str) -> None:
        with requests.Session() as session:
            results[label] = session.get(
                running.url + "/secretsmanager/get",
                params={"secretId": slow},
                headers={"X-Aws-Parameters-Secrets-Token": running.token},
                timeout=60,
            ).json()["SecretString"]

    threads = [threading.Thread(target=fetch, args=(str(i),)) for i in range(2)]
    for thread in threads:
        thread.start()
    assert aws_proxy.arrived[slow].wait(20), "the slow call reached AWS"
    # While AWS holds the slow call: a hit and a miss for other secrets are answered.
    assert running.secret(fast).json()["SecretString"] == "fast"
    assert running.secret(other).json()["SecretString"] == "other"
    assert not results
    release.set()
    for thread in threads:
        thread.join(30)
    assert results == {"0": "slow", "1": "slow"}
    # the two concurrent misses of the same key made one AWS call (the second waited for the first)
    assert aws_proxy.count("GetSecretValue", SecretId=slow) == 1
