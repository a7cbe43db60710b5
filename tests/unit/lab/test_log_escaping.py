"""Values taken into the lab's log lines are escaped: a newline (or any control character) in an id, a name or
an error type sent by a function or a client cannot forge a line of its own."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest

from lab.extension.app import Extension
from lab.extension.aws import Reply
from lab.extension.config import load_settings
from lab.runtime.environment import RawOutcome
from lab.runtime.invoker import Invoker

FORGED = "x\n[slo-parameters-secrets] INFO forged\r\x1b[2J"


class Fetcher:
    def get_secret(self, secret_id: str, version_id: str | None, version_stage: str | None) -> Reply:
        return Reply(200, b"{}")

    def get_parameter(self, name: str, with_decryption: bool) -> Reply:
        return Reply(200, b"{}")


@pytest.mark.parametrize(
    "target",
    [
        "/secretsmanager/get?secretId=x%0A%5Bslo-parameters-secrets%5D%20INFO%20forged%0D%1B%5B2J",
        "/systemsmanager/parameters/get?name=x%0A%5Bslo-parameters-secrets%5D%20INFO%20forged%0D%1B%5B2J",
    ],
)
@pytest.mark.parametrize("caching", ["TRUE", "FALSE"])  # the miss line and the bypass line
def test_the_extension_escapes_ids_in_its_debug_lines(
    caplog: pytest.LogCaptureFixture, target: str, caching: str
) -> None:
    settings, _ = load_settings(
        {"AWS_SESSION_TOKEN": "tok", "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED": caching}
    )
    extension = Extension(settings, fetcher=Fetcher())  # type: ignore[arg-type]
    with caplog.at_level(logging.DEBUG, logger="lab.extension"):
        assert extension.handle("GET", target, {"x-aws-parameters-secrets-token": "tok"}).status == 200
    lines = [record.getMessage() for record in caplog.records]
    assert lines, "nothing logged at DEBUG"
    for line in lines:
        assert "\n" not in line and "\r" not in line and "\x1b" not in line, repr(line)
    assert any("x\\n[slo-parameters-secrets] INFO forged\\r\\x1b[2J" in line for line in lines), lines


def test_the_runtime_escapes_a_functions_error_type() -> None:
    said: list[str] = []
    invoker = Invoker(pool=None, xray=None, log=said.append)  # type: ignore[arg-type]
    body = json.dumps({"errorType": FORGED, "errorMessage": "m"}).encode()
    spec = SimpleNamespace(name="probe-a")
    env = SimpleNamespace(log_path="/tmp/env.log", cold_cause=None, env_id="e1")
    invoker._result(spec, "req-1", RawOutcome("error", body, None, 1.0), env, False, None)  # type: ignore[arg-type]
    header = RawOutcome("error", b"{}", FORGED, 1.0)
    invoker._result(spec, "req-2", header, env, False, None)  # type: ignore[arg-type]
    assert len(said) == 2
    for line in said:
        assert "\n" not in line and "\r" not in line and "\x1b" not in line, repr(line)
        assert "x\\n[slo-parameters-secrets] INFO forged" in line
