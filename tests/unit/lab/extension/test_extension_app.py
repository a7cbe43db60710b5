"""Request handling without sockets or AWS: a recording fetcher stands in for boto3."""

from __future__ import annotations

import json

import pytest

from lab.extension.app import NOT_READY, Extension
from lab.extension.aws import Reply
from lab.extension.config import load_settings

TOKEN = {"x-aws-parameters-secrets-token": "tok"}


class RecordingFetcher:
    """Answers every fetch with 200 and records what was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def get_secret(self, secret_id: str, version_id: str | None, version_stage: str | None) -> Reply:
        self.calls.append(("secret", secret_id, version_id, version_stage))
        return Reply(200, f'{{"n": {len(self.calls)}}}'.encode())

    def get_parameter(self, name: str, with_decryption: bool) -> Reply:
        self.calls.append(("parameter", name, with_decryption))
        return Reply(200, f'{{"n": {len(self.calls)}}}'.encode())


def make(env: dict[str, str] | None = None, ready: bool = True) -> tuple[Extension, RecordingFetcher]:
    settings, _ = load_settings({"AWS_SESSION_TOKEN": "tok", **(env or {})})
    fetcher = RecordingFetcher()
    return Extension(settings, fetcher=fetcher, ready=ready), fetcher  # type: ignore[arg-type]


def test_first_of_version_and_label_is_used() -> None:
    ext, fetcher = make()
    ext.handle("GET", "/systemsmanager/parameters/get?name=%2Fa%2Fb&label=prod&version=3", TOKEN)
    ext.handle(
        "GET", "/systemsmanager/parameters/get/?version=3&name=%2Fa%2Fb&label=prod&withDecryption=TRUE", TOKEN
    )
    assert fetcher.calls == [("parameter", "/a/b:prod", False), ("parameter", "/a/b:3", True)]


def test_hits_are_served_from_the_cache_per_key() -> None:
    ext, fetcher = make()
    for _ in range(3):
        assert ext.handle("GET", "/secretsmanager/get?secretId=s", TOKEN).body == b'{"n": 1}'
    ext.handle("GET", "/secretsmanager/get?secretId=s&versionStage=AWSPREVIOUS", TOKEN)
    ext.handle("GET", "/systemsmanager/parameters/get?name=p&withDecryption=true", TOKEN)
    ext.handle("GET", "/systemsmanager/parameters/get?name=p", TOKEN)
    assert len(fetcher.calls) == 4


@pytest.mark.parametrize(
    "env",
    [
        {"SECRETS_MANAGER_TTL": "0"},
        {"PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE": "0"},
        {"PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED": "FALSE"},
    ],
)
def test_bypass_sends_every_request_to_aws(env: dict[str, str]) -> None:
    ext, fetcher = make(env)
    for _ in range(3):
        ext.handle("GET", "/secretsmanager/get?secretId=s", TOKEN)
    assert len(fetcher.calls) == 3


def test_ttl_zero_bypasses_only_its_store() -> None:
    ext, fetcher = make({"SSM_PARAMETER_STORE_TTL": "0"})
    for _ in range(2):
        ext.handle("GET", "/secretsmanager/get?secretId=s", TOKEN)
        ext.handle("GET", "/systemsmanager/parameters/get?name=p", TOKEN)
    assert [c[0] for c in fetcher.calls] == ["secret", "parameter", "parameter"]


@pytest.mark.parametrize(
    ("method", "target", "headers", "status", "body"),
    [
        ("GET", "/secretsmanager/get?secretId=s", {}, 403, b"Bad Token"),
        (
            "GET",
            "/secretsmanager/get?secretId=s",
            {"x-aws-parameters-secrets-token": "nope"},
            403,
            b"Bad Token",
        ),
        ("GET", "/secretsmanager/get?secretId=s", {**TOKEN, "x-forwarded-for": "1.2.3.4"}, 400, b"Forwarded"),
        ("POST", "/secretsmanager/get?secretId=s", TOKEN, 405, b"Not allowed"),
        (
            "GET",
            "/secretsmanager/get?secretId=s&refreshNow=true",
            TOKEN,
            400,
            b"unknown parameter: refreshNow",
        ),
        ("GET", "/systemsmanager/parameters/get?name=p&Version=1", TOKEN, 400, b"unknown parameter: Version"),
        ("GET", "/secretsmanager/get", TOKEN, 400, b"missing parameter secretId"),
        ("GET", "/systemsmanager/parameters/get?withDecryption=true", TOKEN, 400, b"missing parameter name"),
        ("GET", "/systemsmanager/parameters/get?name=p&withDecryption=yes", TOKEN, 400, None),
        ("GET", "/secretsmanager/get/?secretId=s", TOKEN, 404, b"Not found"),
        ("GET", "/other", TOKEN, 404, b"Not found"),
        ("GET", "/ping", {}, 200, b"healthy"),
    ],
)
def test_error_statuses(method: str, target: str, headers: dict, status: int, body: bytes | None) -> None:
    ext, fetcher = make()
    reply = ext.handle(method, target, headers)
    assert reply.status == status
    if body is not None:
        assert reply.body == body
    assert fetcher.calls == []


def test_not_ready_until_told() -> None:
    ext, _ = make(ready=False)
    reply = ext.handle("GET", "/secretsmanager/get?secretId=s", TOKEN)
    assert (reply.status, reply.body) == (400, NOT_READY.encode())
    assert ext.handle("GET", "/ping", {}).status == 200
    ext.ready.set()
    assert ext.handle("GET", "/secretsmanager/get?secretId=s", TOKEN).status == 200


def test_no_token_configured_refuses_everything() -> None:
    settings, _ = load_settings({})
    ext = Extension(settings, fetcher=RecordingFetcher())  # type: ignore[arg-type]
    assert (
        ext.handle("GET", "/secretsmanager/get?secretId=s", {"x-aws-parameters-secrets-token": ""}).status
        == 403
    )


def test_an_invalid_version_never_reaches_aws() -> None:
    ext, fetcher = make()
    reply = ext.handle("GET", "/secretsmanager/get?secretId=s&versionId=abc", TOKEN)
    assert (reply.status, fetcher.calls) == (400, [])
    valid = "a" * 32
    assert ext.handle("GET", f"/secretsmanager/get?secretId=s&versionId={valid}", TOKEN).status == 200
    assert fetcher.calls == [("secret", "s", valid, None)]


def test_a_request_botocore_refuses_is_a_400_validation_exception() -> None:
    """A constraint botocore checks before sending (and the routes do not) is AWS's 400, not a 500."""
    from botocore.exceptions import ParamValidationError

    from lab.extension.aws import AwsFetcher

    REPORT = "Invalid length for parameter Name, value: 0, valid min length: 1"

    class Refusing:
        def get_parameter(self, **_: object) -> None:
            raise ParamValidationError(report=REPORT)

    settings, _ = load_settings({"AWS_SESSION_TOKEN": "tok"})
    reply = AwsFetcher(settings, ssm_client=Refusing()).get_parameter("", False)
    assert reply.status == 400
    assert json.loads(reply.body) == {
        "__type": "ValidationException",
        "message": REPORT,
    }
