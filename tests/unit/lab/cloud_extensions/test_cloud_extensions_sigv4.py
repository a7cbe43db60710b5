"""SigV4 verification against requests signed by botocore itself (the client a Lambda function uses)."""

from __future__ import annotations

import calendar
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from lab.cloud_extensions.sigv4 import Credentials, verify

CREDS = Credentials("AKIDRUNTIME", "runtime-secret", "runtime-token")
HOST = "127.0.0.1:5333"


def signed(
    target: str,
    method: str = "GET",
    body: bytes = b"",
    key: str = "AKIDRUNTIME",
    secret: str = "runtime-secret",
    token: str | None = "runtime-token",
    service: str = "secretsmanager",
    region: str = "us-east-1",
) -> tuple[dict[str, str], float]:
    """The headers as the server reads them (lower-case) and the time the request was signed."""
    request = AWSRequest(method=method, url=f"http://{HOST}{target}", data=body)
    SigV4Auth(BotoCredentials(key, secret, token), service, region).add_auth(request)
    prepared = request.prepare()
    headers = {name.lower(): value for name, value in prepared.headers.items()}
    headers["host"] = HOST
    signed_at = calendar.timegm(time.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ"))
    return headers, float(signed_at)


@pytest.mark.parametrize(
    "target",
    [
        "/secretsmanager/get?secretId=app%2Fdb&versionStage=AWSCURRENT",
        "/secretsmanager/prod%2Fdb?refreshNow=1",
        "/secretsmanager/prod/db",
        "/secretsmanager/get?secretId=a+b&versionId=0123456789abcdef0123456789abcdef",
    ],
)
def test_a_request_signed_with_the_runtimes_credentials_passes(target: str) -> None:
    headers, at = signed(target)
    assert verify("GET", target, headers, b"", CREDS, "us-east-1", "secretsmanager", clock=lambda: at) is None


def test_a_signed_post_with_a_body_passes_and_a_changed_body_does_not() -> None:
    body = b'{"Name": "/app/db-host"}'
    headers, at = signed("/parameterstore", "POST", body, service="ssm")
    assert (
        verify("POST", "/parameterstore", headers, body, CREDS, "us-east-1", "ssm", clock=lambda: at) is None
    )
    refused = verify(
        "POST", "/parameterstore", headers, b'{"Name": "/x"}', CREDS, "us-east-1", "ssm", lambda: at
    )
    assert refused is not None and (refused.status, refused.error_type) == (403, "SignatureDoesNotMatch")


def test_unsigned_is_401_missing_authentication_token() -> None:
    refused = verify("GET", "/secretsmanager/x", {"host": HOST}, b"", CREDS, "us-east-1", "secretsmanager")
    assert refused is not None
    assert (refused.status, refused.error_type, refused.reason) == (
        401,
        "MissingAuthenticationToken",
        "MISSING_AUTHENTICATION",
    )


@pytest.mark.parametrize(
    ("change", "error_type"),
    [
        ({"secret": "another-secret"}, "SignatureDoesNotMatch"),
        ({"key": "AKIDSOMEONEELSE"}, "InvalidClientTokenId"),
        ({"token": "another-token"}, "InvalidClientTokenId"),
        ({"token": None}, "InvalidClientTokenId"),
        ({"region": "eu-west-1"}, "SignatureDoesNotMatch"),
        ({"service": "ssm"}, "SignatureDoesNotMatch"),
    ],
)
def test_other_credentials_or_scope_are_403(change: dict, error_type: str) -> None:
    headers, at = signed("/secretsmanager/x", **change)
    refused = verify(
        "GET", "/secretsmanager/x", headers, b"", CREDS, "us-east-1", "secretsmanager", lambda: at
    )
    assert refused is not None and (refused.status, refused.error_type) == (403, error_type)


def test_a_tampered_target_or_signature_is_403() -> None:
    headers, at = signed("/secretsmanager/x")
    refused = verify(
        "GET", "/secretsmanager/y", headers, b"", CREDS, "us-east-1", "secretsmanager", lambda: at
    )
    assert refused is not None and refused.error_type == "SignatureDoesNotMatch"
    headers["authorization"] = headers["authorization"][:-1] + (
        "0" if headers["authorization"][-1] != "0" else "1"
    )
    refused = verify(
        "GET", "/secretsmanager/x", headers, b"", CREDS, "us-east-1", "secretsmanager", lambda: at
    )
    assert refused is not None and refused.error_type == "SignatureDoesNotMatch"


@pytest.mark.parametrize(("offset", "passes"), [(-5.0, True), (5.0, True), (-6.0, False), (6.0, False)])
def test_a_request_time_more_than_5_s_off_is_403(offset: float, passes: bool) -> None:
    headers, at = signed("/secretsmanager/x")
    refused = verify(
        "GET", "/secretsmanager/x", headers, b"", CREDS, "us-east-1", "secretsmanager", lambda: at + offset
    )
    if passes:
        assert refused is None
    else:
        assert refused is not None and (refused.status, refused.reason) == (403, "SIGNATURE_EXPIRED")
