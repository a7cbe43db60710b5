"""Every error status of the emulator over real sockets, the token rules, timeouts toward AWS, the logs."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from .conftest import TOKEN_HEADER, unique, wait_for


@pytest.fixture
def running(shared_emulator):  # type: ignore[no-untyped-def]
    """The module's emulator: standalone, default settings, on the AWS endpoint."""
    return shared_emulator


@pytest.fixture
def secret(aws) -> str:  # type: ignore[no-untyped-def]
    name = unique("errors")
    aws["secretsmanager"].create_secret(Name=name, SecretString="never-logged-value")
    return name


def test_token_rules(running, secret) -> None:  # type: ignore[no-untyped-def]
    path = f"/secretsmanager/get?secretId={secret}"
    missing = running.session.get(running.url + path)
    assert (missing.status_code, missing.text) == (403, "Bad Token")
    wrong = running.get(path, token="not-the-session-token")
    assert (wrong.status_code, wrong.text) == (403, "Bad Token")
    empty = running.get(path, token="")
    assert empty.status_code == 403
    for header in (
        TOKEN_HEADER,
        TOKEN_HEADER.lower(),
        TOKEN_HEADER.upper(),
    ):  # header names are case-insensitive
        ok = running.session.get(running.url + path, headers={header: running.token})
        assert ok.status_code == 200, header


def test_forwarded_requests_are_refused(running, secret) -> None:  # type: ignore[no-untyped-def]
    response = running.get(f"/secretsmanager/get?secretId={secret}", **{"X-Forwarded-For": "10.0.0.1"})
    assert response.status_code == 400


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD"])
def test_only_get_is_allowed(running, secret, method: str) -> None:  # type: ignore[no-untyped-def]
    response = running.session.request(
        method, running.url + f"/secretsmanager/get?secretId={secret}", headers={TOKEN_HEADER: running.token}
    )
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/secretsmanager/get?secretId=x&refreshNow=true", 400, "unknown parameter: refreshNow"),
        ("/systemsmanager/parameters/get?name=x&decrypt=true", 400, "unknown parameter: decrypt"),
        ("/secretsmanager/get", 400, "missing parameter secretId"),
        ("/systemsmanager/parameters/get", 400, "missing parameter name"),
        ("/systemsmanager/parameters/get?name=x&withDecryption=maybe", 400, None),
        ("/secretsmanager/", 404, "Not found"),
        ("/v1/some-secret", 404, "Not found"),
        ("/", 404, "Not found"),
    ],
)
def test_bad_requests(running, path: str, status: int, text: str | None) -> None:  # type: ignore[no-untyped-def]
    response = running.get(path)
    assert response.status_code == status
    if text is not None:
        assert response.text == text


def test_malformed_request_line_gets_400(running) -> None:  # type: ignore[no-untyped-def]
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 400 ")


def test_inbound_connection_cap_answers_429(emulator, aws_endpoint, secret) -> None:  # type: ignore[no-untyped-def]
    running = emulator(aws_endpoint, SLO_EXTENSION_MAX_INBOUND_CONNECTIONS="2")
    request = (
        f"GET /secretsmanager/get?secretId={secret} HTTP/1.1\r\n"
        f"Host: x\r\n{TOKEN_HEADER}: {running.token}\r\n\r\n"
    ).encode()
    held = []
    try:
        for _ in range(2):  # two keep-alive connections, each served once so the server has counted them
            sock = socket.create_connection(("127.0.0.1", running.port), timeout=10)
            sock.sendall(request)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
            held.append(sock)
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as third:
            third.sendall(request)
            assert third.recv(65536).startswith(b"HTTP/1.1 429 ")
    finally:
        for sock in held:
            sock.close()
    # once the connections are gone, requests are served again (the cap counts open connections)
    url = running.url + f"/secretsmanager/get?secretId={secret}"
    wait_for(
        lambda: requests.get(url, headers={TOKEN_HEADER: running.token}).status_code == 200,
        "served again after the connections closed",
    )


def test_timeout_toward_aws_is_504(emulator, black_hole) -> None:  # type: ignore[no-untyped-def]
    running = emulator(
        black_hole, SECRETS_MANAGER_TIMEOUT_MILLIS="300", SSM_PARAMETER_STORE_TIMEOUT_MILLIS="300"
    )
    for response in (running.secret("hangs"), running.parameter("/hangs")):
        assert response.status_code == 504
        assert response.json()["__type"] == "TimeoutError"


def test_connection_error_toward_aws_is_502(emulator) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import free_port

    running = emulator(f"http://127.0.0.1:{free_port()}", AWS_MAX_ATTEMPTS="1")
    response = running.secret("unreachable")
    assert response.status_code == 502
    assert response.json()["__type"] == "ConnectionError"


def test_logs_warnings_config_and_never_a_value(emulator, aws_endpoint, aws, secret) -> None:  # type: ignore[no-untyped-def]
    parameter = "/" + unique("errors") + "/secure"
    aws["ssm"].put_parameter(Name=parameter, Value="never-logged-parameter", Type="SecureString")
    running = emulator(
        aws_endpoint,
        PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL="DEBUG",
        SECRETS_MANAGER_TTL="900",
        PARAMETERS_SECRETS_EXTENSION_CACHE_SIZ="10",
    )
    assert running.secret(secret).status_code == 200
    assert running.secret(secret).status_code == 200
    assert running.parameter(parameter, withDecryption="true").status_code == 200
    assert running.secret(unique("missing")).status_code != 200
    running.get(f"/secretsmanager/get?secretId={secret}", token="wrong")
    running.stop()
    log = running.log()
    assert "SECRETS_MANAGER_TTL=900" in log and "clamped to 300" in log
    assert "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZ is ignored" in log
    assert "did you mean PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE" in log
    config_line = next(line for line in log.splitlines() if "effective configuration" in line)
    config = json.loads(config_line.split("effective configuration: ", 1)[1])
    assert config["secrets_manager_ttl"] == 300 and config["token"] == "set"
    for value in ("never-logged-value", "never-logged-parameter", running.token):
        assert value not in log


def test_log_level_none_is_silent(emulator, aws_endpoint) -> None:  # type: ignore[no-untyped-def]
    running = emulator(
        aws_endpoint, PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL="NONE", PARAMETERS_SECRETS_TYPO="1"
    )
    running.get("/secretsmanager/get?secretId=x", token="wrong")
    running.stop()
    assert running.log() == ""


def test_invalid_configuration_exits_with_a_clear_error(emulator, aws_endpoint) -> None:  # type: ignore[no-untyped-def]
    running = emulator(aws_endpoint, wait=False, PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE="5000")
    assert running.process.wait(30) == 2
    assert "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE=5000 is out of range" in running.log()


@pytest.fixture(scope="module")
def lab_endpoint(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The lab's own local AWS endpoint (moto over verified TLS), with its CA bundle."""
    from lab.endpoint.background import start_endpoint, stop_endpoint
    from tests.conftest import free_port

    state = tmp_path_factory.mktemp("lab-endpoint")
    info = start_endpoint(state, port=free_port())
    try:
        yield info
    finally:
        stop_endpoint(state)


def test_fetches_over_tls_with_the_ca_bundle(emulator, lab_endpoint) -> None:  # type: ignore[no-untyped-def]
    import boto3

    name = unique("tls")
    boto3.client(
        "secretsmanager",
        endpoint_url=lab_endpoint.url,
        verify=lab_endpoint.ca_bundle,
        region_name="us-east-1",
    ).create_secret(Name=name, SecretString="over-tls")
    trusted = emulator(lab_endpoint.url, AWS_CA_BUNDLE=lab_endpoint.ca_bundle)
    assert trusted.secret(name).json()["SecretString"] == "over-tls"
    untrusted = emulator(lab_endpoint.url, AWS_MAX_ATTEMPTS="1")  # the lab CA is not trusted: TLS fails
    response = untrusted.secret(name)
    assert response.status_code == 502
    assert response.json()["__type"] == "ConnectionError"


def test_missing_credentials_are_a_visible_500(emulator, aws_endpoint) -> None:  # type: ignore[no-untyped-def]
    running = emulator(
        aws_endpoint, unset=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), AWS_EC2_METADATA_DISABLED="true"
    )
    response = running.secret("any")
    assert response.status_code == 500
    assert response.json() == {"__type": "InternalFailure"}
    running.stop()
    assert "NoCredentialsError" in running.log()


@pytest.mark.parametrize(
    ("params", "field", "constraint"),
    [
        ({"versionId": "abc"}, "versionId", "Member must have length greater than or equal to 32"),
        ({"versionId": "v" * 65}, "versionId", "Member must have length less than or equal to 64"),
        ({"versionStage": ""}, "versionStage", "Member must have length greater than or equal to 1"),
        ({"versionStage": "s" * 257}, "versionStage", "Member must have length less than or equal to 256"),
    ],
)
def test_an_invalid_version_is_a_400_validation_exception(  # type: ignore[no-untyped-def]
    running, secret, params: dict[str, str], field: str, constraint: str
) -> None:
    """Secrets Manager refuses these with 400 ValidationException; the extension passes its error through."""
    response = running.secret(secret, **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["__type"] == "ValidationException", body
    assert body["message"].startswith("1 validation error detected: Value ")
    assert f"at '{field}' failed to satisfy constraint: {constraint}" in body["message"]


def test_both_invalid_are_counted_in_one_validation_exception(running, secret) -> None:  # type: ignore[no-untyped-def]
    response = running.secret(secret, versionId="abc", versionStage="")
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("2 validation errors detected: ") and "'versionId'" in message
    assert "'versionStage'" in message


def test_an_id_cannot_forge_a_log_line(emulator, aws_endpoint) -> None:  # type: ignore[no-untyped-def]
    running = emulator(aws_endpoint, PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL="DEBUG")
    forged = "[slo-parameters-secrets] ERROR forged by the caller"
    assert running.secret(f"no-such-secret\n{forged}").status_code in (400, 404)
    running.stop()
    lines = running.log().splitlines()
    assert not any(line.startswith(forged) for line in lines), lines
    assert any(f"no-such-secret\\n{forged}" in line for line in lines), lines
