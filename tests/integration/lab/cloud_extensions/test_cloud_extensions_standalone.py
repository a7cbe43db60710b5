"""`python -m lab.cloud_extensions --standalone` against the lab's endpoint (moto over TLS), over HTTP.

Checks the lab endpoint answers the calls the emulator needs (BatchGetSecretValue, DescribeSecret), and the
emulator as a real process: prefetch at start, a signed GET as AWS's Lambda example sends it, the Parameter
Store extension through a boto3 SSM client given its endpoint_url.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lab.endpoint import EndpointInfo
from lab.endpoint.clients import LAB_CREDENTIALS, EndpointClients
from tests.conftest import REPO_ROOT, free_port


@pytest.fixture(scope="module")
def seeded(lab_endpoint: EndpointInfo) -> EndpointClients:
    clients = EndpointClients.for_endpoint(lab_endpoint)
    sm = clients.client("secretsmanager")
    sm.create_secret(Name="ce/prefetched", SecretString="p-value")
    sm.create_secret(Name="ce/lazy", SecretString="l-value")
    clients.client("ssm").put_parameter(Name="/ce/param", Value="ps-value", Type="String")
    return clients


def test_the_lab_endpoint_answers_batch_get_secret_value_and_describe_secret(seeded: EndpointClients) -> None:
    sm = seeded.client("secretsmanager")
    batch = sm.batch_get_secret_value(SecretIdList=["ce/prefetched", "ce/lazy"])
    assert sorted(v["SecretString"] for v in batch["SecretValues"]) == ["l-value", "p-value"]
    stages = sm.describe_secret(SecretId="ce/lazy")["VersionIdsToStages"]
    assert list(stages.values()) == [["AWSCURRENT"]]


@pytest.fixture(scope="module")
def emulator(seeded: EndpointClients) -> Iterator[str]:
    port = free_port()
    profile = {"secretsmanager": {"prefetch": {"secrets": [{"secretId": "ce/prefetched"}]}}}
    env = seeded.child_process_environment(os.environ) | {
        "OBSERVATORY_LAB_CLOUD_EXTENSIONS_PROFILE": json.dumps(profile),
        "AWS_CLOUDEXTENSIONS_LOG_LEVEL": "DEBUG",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "lab.cloud_extensions", "--standalone", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while _status(base + "/secretsmanager/ce%2Fnone") in (0, 503):  # not listening yet, or loading
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the emulator did not start:\n{process.communicate()[0].decode()}")
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()  # our own child, by its handle
        output = process.communicate(timeout=10)[0].decode()
        assert process.returncode == 0, output


def _status(url: str, sign: bool = True) -> int:
    try:
        with urllib.request.urlopen(_request(url, sign)) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def _request(url: str, sign: bool = True) -> urllib.request.Request:
    """A GET signed as AWS's Lambda example signs it: botocore's SigV4Auth, service secretsmanager."""
    request = AWSRequest(
        method="GET",
        url=url,
        headers={"X-Aws-Parameters-Secrets-Token": LAB_CREDENTIALS["AWS_SESSION_TOKEN"]},
    )
    if sign:
        credentials = Credentials(
            LAB_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            LAB_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            LAB_CREDENTIALS["AWS_SESSION_TOKEN"],
        )
        SigV4Auth(credentials, "secretsmanager", "us-east-1").add_auth(request)
    return urllib.request.Request(url, headers=dict(request.headers.items()))


def _get(url: str) -> dict:
    with urllib.request.urlopen(_request(url)) as response:
        return dict(json.loads(response.read()))


def test_signed_gets_serve_prefetched_and_fetched_secrets(emulator: str) -> None:
    assert _get(emulator + "/secretsmanager/get?secretId=ce%2Fprefetched")["SecretString"] == "p-value"
    assert _get(emulator + "/secretsmanager/ce/lazy")["SecretString"] == "l-value"
    assert _status(emulator + "/secretsmanager/ce/lazy", sign=False) == 401


def test_parameter_store_through_a_boto3_ssm_client(emulator: str, seeded: EndpointClients) -> None:
    ssm = EndpointClients(endpoint_url=emulator + "/parameterstore", region=seeded.region).client("ssm")
    assert ssm.get_parameter(Name="/ce/param")["Parameter"]["Value"] == "ps-value"
