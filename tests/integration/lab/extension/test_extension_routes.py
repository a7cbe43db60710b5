"""Every route and query parameter of the emulator, against moto served over HTTP."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import unique

SECRET_KEYS = {"ARN", "Name", "VersionId", "SecretString", "SecretBinary", "VersionStages", "CreatedDate"}
PARAMETER_KEYS = {
    "ARN", "DataType", "LastModifiedDate", "Name", "Selector", "SourceResult", "Type", "Value", "Version",
}  # fmt: skip


@pytest.fixture
def running(shared_emulator):  # type: ignore[no-untyped-def]
    """The module's emulator: standalone, default settings, on the AWS endpoint."""
    return shared_emulator


def test_secret_by_name_and_by_arn(running, aws) -> None:  # type: ignore[no-untyped-def]
    name = unique("route-secret")
    created = aws["secretsmanager"].create_secret(Name=name, SecretString="s3cret-by-name")
    by_name = running.secret(name)
    assert by_name.status_code == 200
    body = by_name.json()
    assert set(body) == SECRET_KEYS | {"ResultMetadata"}
    assert body["SecretString"] == "s3cret-by-name"
    assert body["SecretBinary"] is None
    assert body["Name"] == name and body["ARN"] == created["ARN"]
    assert body["VersionId"] == created["VersionId"]
    assert body["VersionStages"] == ["AWSCURRENT"]
    assert body["CreatedDate"].endswith("Z")
    assert body["ResultMetadata"] == {}
    by_arn = running.secret(created["ARN"])
    assert by_arn.status_code == 200
    assert by_arn.json()["SecretString"] == "s3cret-by-name"
    assert by_arn.headers["Content-Type"].startswith("application/json")


def test_secret_versions_and_stages(running, aws) -> None:  # type: ignore[no-untyped-def]
    name = unique("route-versions")
    first = aws["secretsmanager"].create_secret(Name=name, SecretString="one")
    second = aws["secretsmanager"].put_secret_value(SecretId=name, SecretString="two")
    assert running.secret(name).json()["SecretString"] == "two"
    assert running.secret(name, versionStage="AWSCURRENT").json()["SecretString"] == "two"
    previous = running.secret(name, versionStage="AWSPREVIOUS").json()
    assert (previous["SecretString"], previous["VersionId"]) == ("one", first["VersionId"])
    assert running.secret(name, versionId=first["VersionId"]).json()["SecretString"] == "one"
    assert running.secret(name, versionId=second["VersionId"]).json()["SecretString"] == "two"
    both = running.secret(name, versionId=second["VersionId"], versionStage="AWSCURRENT")
    assert both.json()["SecretString"] == "two"


def test_binary_secret_is_base64(running, aws) -> None:  # type: ignore[no-untyped-def]
    name = unique("route-binary")
    aws["secretsmanager"].create_secret(Name=name, SecretBinary=b"\x00\xffbinary")
    body = running.secret(name).json()
    assert body["SecretString"] is None
    assert base64.b64decode(body["SecretBinary"]) == b"\x00\xffbinary"


def test_secret_name_with_special_characters(running, aws) -> None:  # type: ignore[no-untyped-def]
    name = unique("route/special+chars=@.")
    aws["secretsmanager"].create_secret(Name=name, SecretString="special")
    # requests percent-encodes the value: '/', '+', '=' and '@' arrive encoded
    assert running.secret(name).json()["SecretString"] == "special"


def test_parameter_percent_encoded_path_and_trailing_slash(running, aws) -> None:  # type: ignore[no-untyped-def]
    name = "/" + unique("route") + "/plain/value"
    aws["ssm"].put_parameter(Name=name, Value="plain-value", Type="String")
    encoded = name.replace("/", "%2F")
    for path in ("/systemsmanager/parameters/get", "/systemsmanager/parameters/get/"):
        response = running.get(f"{path}?name={encoded}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"Parameter", "ResultMetadata"}
        assert set(body["Parameter"]) == PARAMETER_KEYS
        assert body["Parameter"]["Value"] == "plain-value"
        assert body["Parameter"]["Name"] == name
        assert body["Parameter"]["Type"] == "String"
        assert body["Parameter"]["Version"] == 1
        assert body["ResultMetadata"] == {}


def test_parameter_by_arn(running, aws) -> None:  # type: ignore[no-untyped-def]
    name = "/" + unique("route") + "/by-arn"
    aws["ssm"].put_parameter(Name=name, Value="arn-value", Type="String")
    arn = aws["ssm"].get_parameter(Name=name)["Parameter"]["ARN"]
    response = running.parameter(arn)
    assert response.status_code == 200, response.text
    assert response.json()["Parameter"]["Value"] == "arn-value"


def test_secure_string_with_and_without_decryption(running, aws) -> None:  # type: ignore[no-untyped-def]
    name = "/" + unique("route") + "/secure"
    aws["ssm"].put_parameter(Name=name, Value="decrypted-value", Type="SecureString")
    plain = running.parameter(name, withDecryption="true").json()["Parameter"]
    assert (plain["Type"], plain["Value"]) == ("SecureString", "decrypted-value")
    assert running.parameter(name, withDecryption="TRUE").json()["Parameter"]["Value"] == "decrypted-value"
    for params in ({}, {"withDecryption": "false"}):
        encrypted = running.parameter(name, **params).json()["Parameter"]
        assert encrypted["Value"] != "decrypted-value"
    direct = aws["ssm"].get_parameter(Name=name, WithDecryption=False)["Parameter"]["Value"]
    assert running.parameter(name).json()["Parameter"]["Value"] == direct


def test_parameter_versions_labels_and_first_selector_wins(running, aws) -> None:  # type: ignore[no-untyped-def]
    name = "/" + unique("route") + "/versions"
    aws["ssm"].put_parameter(Name=name, Value="v1", Type="String")
    aws["ssm"].put_parameter(Name=name, Value="v2", Type="String", Overwrite=True)
    aws["ssm"].label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable"])
    enc = name.replace("/", "%2F")

    def value(query: str) -> Any:
        response = running.get(f"/systemsmanager/parameters/get?name={enc}&{query}")
        assert response.status_code == 200, (query, response.text)
        return response.json()["Parameter"]["Value"]

    assert running.parameter(name).json()["Parameter"]["Value"] == "v2"
    assert value("version=1") == "v1"
    assert value("version=2") == "v2"
    assert value("label=stable") == "v1"
    assert value("version=2&label=stable") == "v2"  # version first: the label is ignored
    assert value("label=stable&version=2") == "v1"  # label first: the version is ignored


def test_secrets_manager_reference_through_parameter_store(running, aws) -> None:  # type: ignore[no-untyped-def]
    secret = unique("route-reference")
    aws["secretsmanager"].create_secret(Name=secret, SecretString="referenced")
    ref = f"/aws/reference/secretsmanager/{secret}"
    body = running.parameter(ref, withDecryption="true").json()
    assert body["Parameter"]["Value"] == "referenced"
    refused = running.parameter(ref)  # AWS requires decryption for references: its error passes through
    assert refused.status_code == 400
    assert refused.json()["__type"] == "ValidationException"


def test_public_parameter(running) -> None:  # type: ignore[no-untyped-def]
    response = running.parameter("/aws/service/global-infrastructure/regions/us-east-1/longName")
    assert response.status_code == 200, response.text
    assert response.json()["Parameter"]["Value"] == "US East (N. Virginia)"


@pytest.mark.parametrize("store", ["secretsmanager", "ssm"])
def test_aws_errors_pass_through_with_status_and_json(running, aws, store: str) -> None:  # type: ignore[no-untyped-def]
    missing = unique("route-missing")
    if store == "secretsmanager":
        with pytest.raises(ClientError) as direct:
            aws["secretsmanager"].get_secret_value(SecretId=missing)
        response = running.secret(missing)
    else:
        with pytest.raises(ClientError) as direct:
            aws["ssm"].get_parameter(Name="/" + missing)
        response = running.parameter("/" + missing)
    assert response.status_code == direct.value.response["ResponseMetadata"]["HTTPStatusCode"]
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["__type"] == direct.value.response["Error"]["Code"]
    assert body["message"] == direct.value.response["Error"]["Message"]


def test_ping_needs_no_token(running) -> None:  # type: ignore[no-untyped-def]
    response = running.session.get(running.url + "/ping")
    assert (response.status_code, response.text) == (200, "healthy")
