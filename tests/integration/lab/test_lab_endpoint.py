"""The lab endpoint: verified TLS with the lab's CA, connections kept alive, clear errors, stopped by pid."""

from __future__ import annotations

import http.client
import ssl
from pathlib import Path

import boto3
import botocore.exceptions
import pytest

from lab.endpoint import (
    EndpointError,
    EndpointInfo,
    PortInUseError,
    endpoint_status,
    start_endpoint,
    stop_endpoint,
)
from lab.processes.supervisor import pid_alive
from tests.conftest import free_port


def test_boto3_keeps_one_tls_connection_for_many_calls(lab_endpoint: EndpointInfo) -> None:
    client = boto3.client("ssm", endpoint_url=lab_endpoint.url, verify=lab_endpoint.ca_bundle)
    client.put_parameter(Name="/lab/keepalive", Value="v", Type="String", Overwrite=True)
    for _ in range(5):
        assert client.get_parameter(Name="/lab/keepalive")["Parameter"]["Value"] == "v"
    pool = client._endpoint.http_session._manager.connection_from_url(lab_endpoint.url)
    assert pool.num_requests == 6
    assert pool.num_connections == 1  # one TLS handshake, then reuse


def test_the_server_keeps_the_connection_open_between_requests(lab_endpoint: EndpointInfo) -> None:
    context = ssl.create_default_context(cafile=lab_endpoint.ca_bundle)
    conn = http.client.HTTPSConnection(lab_endpoint.host, lab_endpoint.port, context=context)
    try:
        local_ports = set()
        for _ in range(3):
            conn.request("GET", "/moto-api/")
            response = conn.getresponse()
            response.read()
            assert response.version == 11 and not response.will_close
            assert conn.sock is not None
            local_ports.add(conn.sock.getsockname()[1])
        assert len(local_ports) == 1
    finally:
        conn.close()


def test_a_client_without_the_lab_ca_is_refused(lab_endpoint: EndpointInfo) -> None:
    client = boto3.client("ssm", endpoint_url=lab_endpoint.url, verify=True)
    with pytest.raises(botocore.exceptions.SSLError):
        client.describe_parameters()


def test_certificate_names_localhost_too(lab_endpoint: EndpointInfo) -> None:
    url = f"https://localhost:{lab_endpoint.port}"
    client = boto3.client("sqs", endpoint_url=url, verify=lab_endpoint.ca_bundle)
    client.create_queue(QueueName="lab-localhost")
    assert any(u.endswith("/lab-localhost") for u in client.list_queues()["QueueUrls"])


def test_port_in_use_and_double_start_are_clear_errors(lab_endpoint: EndpointInfo, tmp_path: Path) -> None:
    with pytest.raises(PortInUseError, match=f"port {lab_endpoint.port} .* already in use"):
        start_endpoint(tmp_path / "other", port=lab_endpoint.port)
    state = Path(lab_endpoint.log).parent
    with pytest.raises(EndpointError, match="already running"):
        start_endpoint(state, port=free_port())


def test_stop_by_pid_leaves_nothing_running(tmp_path: Path) -> None:
    info = start_endpoint(tmp_path, port=free_port())
    assert endpoint_status(tmp_path) == info
    stopped = stop_endpoint(tmp_path)
    assert stopped is not None and stopped.pid == info.pid
    assert not pid_alive(info.pid)
    assert endpoint_status(tmp_path) is None
    assert stop_endpoint(tmp_path) is None  # stopping twice is harmless
