"""Extension mode against an Extensions API double; the layer launcher; loopback-only, keep-alive sockets."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lab.extension.app import NOT_READY, Extension
from lab.extension.config import load_settings
from lab.extension.server import ExtensionServer
from tests.conftest import REPO_ROOT

from .conftest import TOKEN_HEADER, unique, wait_for


def test_not_ready_until_the_first_invoke_then_clean_shutdown(  # type: ignore[no-untyped-def]
    emulator, aws_endpoint, aws, extensions_api
) -> None:
    name = unique("lifecycle")
    aws["secretsmanager"].create_secret(Name=name, SecretString="after-invoke")
    running = emulator(aws_endpoint, AWS_LAMBDA_RUNTIME_API=extensions_api.address)
    wait_for(lambda: extensions_api.polls >= 1, "the extension registers and polls for its first event")
    assert extensions_api.registrations == [
        {"name": "slo-parameters-secrets", "body": {"events": ["INVOKE", "SHUTDOWN"]}}
    ]
    assert extensions_api.bad_identifier == 0
    # INIT: not ready, for every route; /ping answers
    not_ready = running.secret(name)
    assert (not_ready.status_code, not_ready.text) == (400, NOT_READY)
    assert running.parameter("/any").text == NOT_READY
    assert running.session.get(running.url + "/ping").status_code == 200
    # the token rules still apply while not ready
    assert running.get(f"/secretsmanager/get?secretId={name}", token="wrong").status_code == 403
    extensions_api.invoke()
    wait_for(lambda: running.secret(name).status_code == 200, "served after the first INVOKE")
    assert running.secret(name).json()["SecretString"] == "after-invoke"
    wait_for(lambda: extensions_api.polls >= 2, "the extension polls again after INVOKE")
    extensions_api.invoke()  # later INVOKEs change nothing
    wait_for(lambda: extensions_api.polls >= 3, "the extension polls after the second INVOKE")
    assert running.secret(name).status_code == 200
    extensions_api.shutdown()
    assert running.process.wait(20) == 0
    assert "SHUTDOWN received" in running.log()
    assert extensions_api.errors == []


def test_extensions_api_failure_exits_non_zero(emulator, aws_endpoint) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import free_port

    running = emulator(aws_endpoint, wait=False, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{free_port()}")
    assert running.process.wait(30) == 1
    assert "Extensions API" in running.log()


def test_standalone_exits_cleanly_on_sigterm(emulator, aws_endpoint) -> None:  # type: ignore[no-untyped-def]
    running = emulator(aws_endpoint)
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(20) == 0


def _layer(tmp_path: Path) -> Path:
    """The extension layer's tree as contract section 6 lays it out (code copied, not installed)."""
    root = tmp_path / "opt"
    (root / "extensions").mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "lab/extension/launcher.sh", root / "extensions/slo-parameters-secrets")
    code = root / "slo-parameters-secrets/lab"
    code.mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "lab/__init__.py", code / "__init__.py")
    shutil.copytree(
        REPO_ROOT / "lab/extension", code / "extension", ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


def test_launcher_runs_the_layer_copy_and_registers_under_its_file_name(  # type: ignore[no-untyped-def]
    emulator, aws_endpoint, extensions_api, tmp_path
) -> None:
    root = _layer(tmp_path)
    launcher = root / "extensions/slo-parameters-secrets"
    assert os.access(launcher, os.X_OK)
    env = {**os.environ, "SLO_EXTENSION_PYTHON": sys.executable, "PYTHONPATH": "/nonexistent"}
    printed = subprocess.run(
        ["sh", str(launcher), "--print-config"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout)["extension_name"] == "slo-parameters-secrets"
    # a symlinked executable with another name registers under that name, and still finds the layer
    link_dir = tmp_path / "elsewhere"
    link_dir.mkdir()
    (link_dir / "my-extension").symlink_to(launcher)
    running = emulator(
        aws_endpoint,
        command=[str(link_dir / "my-extension")],
        AWS_LAMBDA_RUNTIME_API=extensions_api.address,
        SLO_EXTENSION_PYTHON=sys.executable,
    )
    wait_for(lambda: extensions_api.polls >= 1, "the launched extension registers")
    assert extensions_api.registrations[0]["name"] == "my-extension"
    extensions_api.shutdown()
    assert running.process.wait(20) == 0


def test_launcher_sets_pythonpath_to_the_layer(tmp_path: Path) -> None:
    root = _layer(tmp_path)
    probe = tmp_path / "python-probe"
    probe.write_text(f'#!/bin/sh\necho "$PYTHONPATH"\nexec {sys.executable} "$@"\n')
    probe.chmod(0o755)
    result = subprocess.run(
        [str(root / "extensions/slo-parameters-secrets"), "--print-config"],
        env={**os.environ, "SLO_EXTENSION_PYTHON": str(probe)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str((root / "slo-parameters-secrets").resolve())


def test_binds_loopback_only(running_default) -> None:  # type: ignore[no-untyped-def]
    port = running_default.port
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    with pytest.raises(OSError):  # 127.0.0.2 is loopback too, but not the bound address
        socket.create_connection(("127.0.0.2", port), timeout=5).close()
    listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
    local = {line.split()[1] for line in listening if line.split()[3] == "0A"}  # 0A = LISTEN
    assert f"0100007F:{port:04X}" in local
    assert f"00000000:{port:04X}" not in local


@pytest.fixture
def running_default(shared_emulator):  # type: ignore[no-untyped-def]
    return shared_emulator


def test_keep_alive_serves_many_requests_on_one_connection(running_default, aws) -> None:  # type: ignore[no-untyped-def]
    name = unique("keepalive")
    aws["secretsmanager"].create_secret(Name=name, SecretString="kept")
    conn = http.client.HTTPConnection("127.0.0.1", running_default.port, timeout=10)
    try:
        conn.connect()
        first_socket = conn.sock
        for _ in range(5):
            conn.request(
                "GET", f"/secretsmanager/get?secretId={name}", headers={TOKEN_HEADER: running_default.token}
            )
            response = conn.getresponse()
            assert response.status == 200 and json.loads(response.read())["SecretString"] == "kept"
            assert conn.sock is first_socket
            assert response.getheader("Connection") != "close"
        conn.request("GET", "/ping", headers={"Connection": "close"})
        response = conn.getresponse()
        assert response.getheader("Connection") == "close" and response.read() == b"healthy"
    finally:
        conn.close()


def test_accepted_sockets_have_nagle_off() -> None:
    settings, _ = load_settings({"AWS_SESSION_TOKEN": "t"})
    server = ExtensionServer(Extension(settings), 0)
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5):
            accepted, _ = server.get_request()
            try:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            finally:
                accepted.close()
    finally:
        server.server_close()
