"""The Cloud Extensions emulator over HTTP in-process (moto's mock_aws behind it): every documented status."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws

from lab.cloud_extensions.app import Runtime
from lab.cloud_extensions.aws import AwsClients
from lab.cloud_extensions.settings import load_settings, parse_profile
from lab.extension.server import ExtensionServer

ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
TOKEN = {"X-Aws-Parameters-Secrets-Token": "testing"}


class Served:
    """A running emulator and a client that signs as a Lambda function does."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.server = ExtensionServer(runtime, 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.port}"

    def get(
        self, target: str, headers: dict[str, str] | None = None, sign: bool = True, secret: str = "testing"
    ) -> tuple[int, str | None, dict[str, Any], dict[str, str]]:
        request = AWSRequest(method="GET", url=self.base + target, headers={**TOKEN, **(headers or {})})
        if sign:
            SigV4Auth(Credentials("testing", secret, "testing"), "secretsmanager", "us-east-1").add_auth(
                request
            )
        raw = urllib.request.Request(self.base + target, headers=dict(request.headers.items()))
        try:
            with urllib.request.urlopen(raw) as response:
                status, answer = response.status, response
                body = response.read()
        except urllib.error.HTTPError as error:
            status, answer, body = error.code, error, error.read()
        payload = json.loads(body) if body else {}
        return status, answer.headers.get("X-Amzn-Errortype"), payload, dict(answer.headers.items())

    def ssm(self) -> Any:
        return boto3.client(
            "ssm",
            endpoint_url=self.base + "/parameterstore",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            aws_session_token="testing",
        )


def serve(
    profile: dict | None = None, clients: AwsClients | None = None, ready: bool = True, **changes: Any
) -> Served:
    env = {**ENV, "OBSERVATORY_LAB_CLOUD_EXTENSIONS_PROFILE": json.dumps(profile or {})}
    settings = replace(load_settings(env, port=0, standalone=True), **changes)
    runtime = Runtime(settings, clients)
    if ready:
        runtime.ready.set()
    return Served(runtime)


@pytest.fixture
def aws() -> Iterator[Any]:
    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        sm.create_secret(Name="app/db", SecretString="s3cr3t-v1")
        boto3.client("ssm", region_name="us-east-1").put_parameter(
            Name="/app/host", Value="db.local", Type="String"
        )
        yield sm


def test_both_routes_serve_the_secret_and_share_the_cache(aws: Any) -> None:
    served = serve()
    status, _, body, _ = served.get("/secretsmanager/get?secretId=app%2Fdb")
    assert (status, body["Name"], body["SecretString"]) == (200, "app/db", "s3cr3t-v1")
    assert served.get("/secretsmanager/app/db")[2]["SecretString"] == "s3cr3t-v1"
    assert served.get("/secretsmanager/app%2Fdb")[2]["SecretString"] == "s3cr3t-v1"
    assert served.runtime.clients.calls == {"get_secret_value": 1}  # one fetch; the rest from the cache


def test_refresh_now_bypasses_the_cache(aws: Any) -> None:
    served = serve()
    served.get("/secretsmanager/app/db")
    aws.put_secret_value(SecretId="app/db", SecretString="s3cr3t-v2")
    assert served.get("/secretsmanager/app/db")[2]["SecretString"] == "s3cr3t-v1"
    assert served.get("/secretsmanager/app/db?refreshNow=TRUE")[2]["SecretString"] == "s3cr3t-v2"
    assert served.get("/secretsmanager/app/db")[2]["SecretString"] == "s3cr3t-v2"


def test_version_stage_and_version_id(aws: Any) -> None:
    first = aws.describe_secret(SecretId="app/db")["VersionIdsToStages"]
    aws.put_secret_value(SecretId="app/db", SecretString="s3cr3t-v2")
    served = serve()
    assert served.get("/secretsmanager/app/db?versionStage=AWSPREVIOUS")[2]["SecretString"] == "s3cr3t-v1"
    old_id = next(iter(first))
    assert (
        served.get(f"/secretsmanager/get?secretId=app/db&versionId={old_id}")[2]["SecretString"]
        == "s3cr3t-v1"
    )


@pytest.mark.parametrize(
    ("target", "headers", "status", "error_type"),
    [
        ("/secretsmanager/get", {}, 400, "BadRequestException"),  # missing secretId
        ("/secretsmanager/app/db?colour=red", {}, 400, "BadRequestException"),  # a parameter that isn't valid
        ("/secretsmanager/app/db?refreshNow=maybe", {}, 400, "BadRequestException"),
        ("/secretsmanager/app/db", {"X-Forwarded-For": "10.0.0.1"}, 400, "BadRequestException"),
        ("/secretsmanager/app/db?versionId=short", {}, 400, "ValidationException"),
        ("/secretsmanager/app/db?versionStage=" + "S" * 257, {}, 400, "ValidationException"),
        ("/nothing/here", {}, 400, "ValidationException"),  # an unknown operation
        (
            "/secretsmanager/app/db",
            {"X-Aws-Parameters-Secrets-Token": "wrong"},
            403,
            "InvalidSsrfTokenException",
        ),
        ("/secretsmanager/no-such-secret", {}, 404, "ResourceNotFoundException"),  # moto's status, passed on
    ],
)
def test_refusals_carry_their_type(
    aws: Any, target: str, headers: dict, status: int, error_type: str
) -> None:
    answer = serve().get(target, headers)
    assert answer[:2] == (status, error_type)
    # the extension's own errors: {"message": ...}; the runtime's (an unknown path): {"Message": ...}
    assert set(answer[2]) == ({"Message"} if target == "/nothing/here" else {"message"})


def test_signature_checks_are_the_runtimes(aws: Any) -> None:
    served = serve()
    status, error_type, body, _ = served.get("/secretsmanager/app/db", sign=False)
    assert (status, error_type, "Message" in body) == (401, "MissingAuthenticationToken", True)
    assert served.get("/secretsmanager/app/db", secret="not-the-runtimes")[:2] == (
        403,
        "SignatureDoesNotMatch",
    )


def test_the_ssrf_check_can_be_turned_off_and_forwarding_is_still_refused(aws: Any) -> None:
    served = serve({"secretsmanager": {"ssrfTokenHeaderCheck": False}})
    assert served.get("/secretsmanager/app/db", {"X-Aws-Parameters-Secrets-Token": "wrong"})[0] == 200
    assert served.get("/secretsmanager/app/db", {"X-Forwarded-For": "1.2.3.4"})[:2] == (
        400,
        "BadRequestException",
    )


def test_503_until_loaded(aws: Any) -> None:
    served = serve(ready=False)
    assert served.get("/secretsmanager/app/db")[:2] == (503, "ServiceUnavailableException")
    served.runtime.ready.set()
    assert served.get("/secretsmanager/app/db")[0] == 200


class _Blocking:
    """A Secrets Manager client whose calls wait until released (requests stay in flight)."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def get_secret_value(self, **_: Any) -> dict:
        self.entered.set()
        self.release.wait(10)
        return {"Name": "x", "SecretString": "v", "VersionId": "1" * 32, "VersionStages": ["AWSCURRENT"]}


def test_429_above_the_in_flight_limit_with_retry_after() -> None:
    blocking = _Blocking()
    served = serve(clients=AwsClients("us-east-1", None, {"secretsmanager": blocking}), max_in_flight=1)
    first = threading.Thread(target=served.get, args=("/secretsmanager/x",))
    first.start()
    assert blocking.entered.wait(5)
    status, error_type, _, headers = served.get("/secretsmanager/y")
    blocking.release.set()
    first.join(5)
    assert (status, error_type, headers.get("Retry-After")) == (429, "ThrottlingException", "1")
    assert served.get("/secretsmanager/y")[0] == 200  # the slot is free again


class _Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def get_secret_value(self, **_: Any) -> dict:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status", "error_type"),
    [
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), 502, "ConnectionError"),
        (
            ClientError({"Error": {"Code": "Weird", "Message": "?"}}, "GetSecretValue"),
            502,
            "BadGatewayException",
        ),
        (RuntimeError("a bug"), 500, "InternalFailure"),
    ],
)
def test_upstream_failures(error: Exception, status: int, error_type: str) -> None:
    served = serve(clients=AwsClients("us-east-1", None, {"secretsmanager": _Failing(error)}))
    answer = served.get("/secretsmanager/x")
    assert answer[:2] == (status, error_type)
    if status == 500:
        assert answer[2] == {}  # AWS: the body is empty


def test_after_the_ttl_describe_secret_revalidates_and_fetches_only_a_new_version(aws: Any) -> None:
    now = [1000.0]
    served = serve()
    served.runtime.secrets.cache = type(served.runtime.secrets.cache)(10, clock=lambda: now[0])
    served.get("/secretsmanager/app/db")
    now[0] += 301  # past the TTL (300 s)
    assert served.get("/secretsmanager/app/db")[2]["SecretString"] == "s3cr3t-v1"
    assert served.runtime.clients.calls == {"get_secret_value": 1, "describe_secret": 1}
    aws.put_secret_value(SecretId="app/db", SecretString="s3cr3t-v2")
    now[0] += 301
    assert served.get("/secretsmanager/app/db")[2]["SecretString"] == "s3cr3t-v2"
    assert served.runtime.clients.calls == {"get_secret_value": 2, "describe_secret": 2}


def test_prefetch_fills_the_cache_with_batch_get_secret_value(aws: Any) -> None:
    served = serve({"secretsmanager": {"prefetch": {"secrets": [{"secretId": "app/db"}]}}})
    served.runtime.secrets.prefetch()
    assert served.get("/secretsmanager/app/db")[2]["SecretString"] == "s3cr3t-v1"
    assert served.runtime.clients.calls == {"batch_get_secret_value": 1}
    assert (served.runtime.secrets.hits, served.runtime.secrets.misses) == (1, 0)


def test_parameter_store_serves_a_boto3_ssm_client(aws: Any) -> None:
    served = serve()
    ssm = served.ssm()
    assert ssm.get_parameter(Name="/app/host")["Parameter"]["Value"] == "db.local"
    found = ssm.get_parameters(Names=["/app/host", "/missing"])
    assert [p["Value"] for p in found["Parameters"]] == ["db.local"] and found["InvalidParameters"] == [
        "/missing"
    ]
    with pytest.raises(ClientError) as raised:
        ssm.get_parameter(Name="/missing")
    assert raised.value.response["Error"]["Code"] == "ParameterNotFound"
    assert served.runtime.clients.calls == {"get_parameter": 2, "get_parameters": 1}


def test_parameter_store_refuses_a_bad_signature_with_400_access_denied(aws: Any) -> None:
    served = serve()
    bad = boto3.client(
        "ssm",
        endpoint_url=served.base + "/parameterstore",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="wrong",
        aws_session_token="testing",
    )
    with pytest.raises(ClientError) as raised:
        bad.get_parameter(Name="/app/host")
    response = raised.value.response
    assert (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]) == (
        400,
        "AccessDeniedException",
    )
    assert response["ResponseMetadata"]["HTTPHeaders"]["cloudextensions-error-reason"] == "SIGNATURE_MISMATCH"


def test_the_profile_parser_is_the_one_the_emulator_uses() -> None:
    assert parse_profile('{"parameterstore": {"ttlSeconds": 5}}').parameters.ttl_seconds == 5
