"""Issue 17: spans arrive and none is lost, in every tracing mode, and the secret never leaves the probe.

The probe runs in the lab runtime (tracing_fleet.py) in each mode with each of two strategies: `sdk` (every
fetch one AWS call: GetSecretValue, GetParameter) and `extension` (every fetch one HTTP request to the
Parameters and Secrets extension on localhost, the session token in its header). One cold invocation, then two
more in the same environment, which the lab freezes (SIGSTOP) after each; once it is frozen, what reached the
trace store is counted, and it must be exactly what the mode promises (`promised`), invocation by invocation:
a span held back by a frozen environment would be missing from its own invocation's count, and one sent late
would be extra in the next one's.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lab.endpoint.clients import EndpointClients
from lab.runtime import LambdaService
from lab.xray import XRayListener

from .conftest import Deployer
from .tracing_fleet import (
    MODES,
    OWN,
    STORES,
    STRATEGIES,
    WARM,
    Counts,
    Run,
    build_artifacts,
    dump,
    record,
    run_fleet,
)

pytestmark = pytest.mark.slow


@dataclass
class Fleet:
    runs: list[Run]
    canary: str
    secret_id: str
    parameter: str
    segments_file: Path
    spans_file: Path


@pytest.fixture(scope="module")
def fleet(aws_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Ten probes (two strategies x five modes), each invoked cold then twice warm, counted one by one."""
    root = tmp_path_factory.mktemp("tracing-modes")
    artifacts = build_artifacts(root / "out")
    clients = EndpointClients(endpoint_url=aws_endpoint)
    canary = f"tracing-canary-{uuid.uuid4().hex}"
    seed = {
        "secret_id": f"tracing-secret-{uuid.uuid4().hex[:6]}",
        "parameter": f"/tracing/{uuid.uuid4().hex[:6]}",
    }
    clients.client("secretsmanager").create_secret(Name=seed["secret_id"], SecretString=canary)
    clients.client("ssm").put_parameter(Name=seed["parameter"], Value=canary, Type="SecureString")
    deployer = Deployer(clients, root / "build")
    deployer.artifacts.mkdir()
    segments_file = root / "traces" / "xray-segments.jsonl"
    with XRayListener(path=segments_file) as store:
        service = LambdaService(
            clients=clients, artifacts_dir=deployer.artifacts, work_dir=root / "work", xray=store,
            init_timeout_s=30, retry_delays_s=(0.1, 0.2),
        )  # fmt: skip
        try:
            runs = run_fleet(deployer, service, store, artifacts, seed)
        finally:
            service.close()
    assert store.spans_path is not None
    yield Fleet(runs, canary, seed["secret_id"], seed["parameter"], segments_file, store.spans_path)


def calls_per_store(run: Run, index: int) -> dict[str, int]:
    """How many requests the strategy sent per store in one invocation, from what it does: `sdk` one API call
    per fetch (the miss and each of the WARM hits; no cache), which the record's `api_calls` (botocore's
    before-send, every attempt) must confirm; `extension` one HTTP request per fetch, plus one per "not ready"
    retry while the extension starts (`ready_retries`, the only number not fixed beforehand)."""
    stores = {s["store"]: s for s in record(run, index)["stores"]}
    assert sorted(stores) == sorted(STORES) and all(s["errors"] == [] for s in stores.values()), stores
    if run.strategy == "sdk":
        assert {name: s["api_calls"] for name, s in stores.items()} == {name: 1 + WARM for name in STORES}
        return {name: 1 + WARM for name in STORES}
    return {name: 1 + WARM + s["ready_retries"] for name, s in stores.items()}


def promised(run: Run, index: int) -> Counts:
    """What one invocation sends to the trace store, by mode:
    - Lambda's segment of the invocation (the lab's service writes it, as Lambda does): 1 X-Ray document
      wherever the function's tracing is Active, i.e. every mode but `off` (PassThrough);
    - the probe's own `cold_miss` and `warm_hits` per store: X-Ray subsegments (`subsegments`, `patch_all`;
      streamed one per datagram, as the X-Ray SDK does in Lambda) or spans (`otel`, `adot`); none for `off`;
    - per request sent (calls_per_store): `patch_all` one subsegment (botocore's or requests'), `otel` one
      span (botocore's, or requests' with urllib3's under it suppressed), `adot` one span (botocore's, or
      urllib3's: the layer disables requests'); `subsegments` patches nothing and `off` traces nothing;
    - `adot` only: the layer's Lambda instrumentation's span around the handler."""
    platform = 0 if run.mode == "off" else 1
    own = len(OWN) * len(STORES)
    calls = sum(calls_per_store(run, index).values())
    return {
        "off": Counts(0, 0),
        "subsegments": Counts(platform + own, 0),
        "patch_all": Counts(platform + own + calls, 0),
        "otel": Counts(platform, own + calls),
        "adot": Counts(platform, 1 + own + calls),
    }[run.mode]


def test_every_mode_sends_exactly_what_it_promises_cold_and_after_each_freeze(fleet: Fleet) -> None:
    assert [(r.strategy, r.mode) for r in fleet.runs] == [(s, m) for s in STRATEGIES for m in MODES]
    for run in fleet.runs:
        assert all(result.ok for result in run.results), [r.payload for r in run.results]
        assert [r.cold for r in run.results] == [True, False, False] and len(run.environments) == 1
        assert run.frozen == [True, True, True]  # counted while the environment was frozen
        promises = [promised(run, i) for i in range(len(run.results))]
        assert run.added == promises, (run.strategy, run.mode, dump(run))
        for i in range(len(run.results)):
            identity = record(run, i)["identity"]
            assert identity["tracing"] == run.mode
            library = (identity["versions"] or {}).get("tracing")
            assert (library is None) == (run.mode == "off"), library
    # the store kept every document it counted in its files, one line each
    added = [c for r in fleet.runs for c in r.added]
    kept = Counts(*(len(f.read_text().splitlines()) for f in (fleet.segments_file, fleet.spans_file)))
    assert Counts(sum(c.segments for c in added), sum(c.spans for c in added)) == kept


def test_the_adot_probe_runs_the_distribution_release_its_layer_is_built_from(fleet: Fleet) -> None:
    pin = (Path(__file__).resolve().parents[4] / "lab" / "adot" / "requirements.txt").read_text()
    [pinned] = [line.strip() for line in pin.splitlines() if line.startswith("aws-opentelemetry-distro==")]
    for run in (r for r in fleet.runs if r.mode == "adot"):
        assert record(run, 0)["identity"]["versions"]["tracing"] == pinned
        assert {s["resource"]["telemetry.auto.version"] for i in range(3) for s in run.spans[i]} == {
            pinned.split("==")[1] + "-aws"
        }


def _children(parents: dict[str, str], links: list[tuple[str, str]]) -> Counter[str]:
    """How many documents hang under each of the probe's own sections, by the section's name."""
    return Counter(parents[parent] for _, parent in links if parent in parents)


def test_every_call_nests_under_the_probe_s_section_around_it(fleet: Fleet) -> None:
    for run in (r for r in fleet.runs if r.mode not in ("off", "subsegments")):
        for i in range(len(run.results)):
            expected = Counter()
            for calls in calls_per_store(run, i).values():
                expected["cold_miss"] += calls - WARM
                expected["warm_hits"] += WARM
            [platform] = [s for s in run.segments[i] if s.get("origin") == "AWS::Lambda::Function"]
            if run.mode == "patch_all":
                docs = [s for s in run.segments[i] if s is not platform]
                assert {s["trace_id"] for s in docs} == {platform["trace_id"]}  # the invocation's trace
                own = {s["id"]: s["name"] for s in docs if s["name"] in OWN}
                assert {s["parent_id"] for s in docs if s["name"] in OWN} == {platform["id"]}
                links = [(s["id"], s["parent_id"]) for s in docs if s["name"] not in OWN]
            else:
                spans = run.spans[i]
                own = {s["span_id"]: s["name"] for s in spans if s["name"] in OWN}
                links = [(s["span_id"], s["parent_span_id"]) for s in spans if s["name"] not in OWN]
                if run.mode == "adot":  # the handler's span continues Lambda's trace, and holds the probe's
                    [handler] = [s for s in spans if s["name"] == run.name]
                    assert handler["parent_span_id"] == platform["id"]
                    assert handler["trace_id"] == platform["trace_id"].replace("1-", "", 1).replace("-", "")
                    assert {s["parent_span_id"] for s in spans if s["name"] in OWN} == {handler["span_id"]}
                    links = [link for link in links if link[0] != handler["span_id"]]
            assert _children(own, links) == expected, (run.strategy, run.mode, i, dump(run))
            assert len(links) == sum(expected.values())  # no call outside the probe's sections


def _forms(secret: str) -> list[str]:
    return [secret, secret.encode().hex(), base64.b64encode(secret.encode()).decode()]


def _files(fleet: Fleet) -> dict[Path, str]:
    logs = {r.log_path for run in fleet.runs for r in run.results if r.log_path is not None}
    assert len(logs) == len(fleet.runs)  # one environment (one log) per probe
    return {path: path.read_text(errors="replace") for path in [fleet.segments_file, fleet.spans_file, *logs]}


def test_neither_the_value_nor_a_credential_reaches_a_trace_file_or_a_log(fleet: Fleet) -> None:
    files = _files(fleet)
    assert all(text for text in files.values())
    secrets = _forms(fleet.canary)
    # each environment's session token (also the extension's request header) and secret access key
    credentials = {token for run in fleet.runs for token in run.tokens}
    assert len(credentials) == 2 * len(fleet.runs)
    for path, text in files.items():
        assert [form for form in secrets if form in text] == [], path
        assert [c[:8] for c in credentials if c in text] == [], path


def _attributes(fleet: Fleet) -> list[tuple[str, str, dict[str, Any]]]:
    """(mode, span name, attributes) of every instrumentation's span and patch_all's call subsegments."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    for run in fleet.runs:
        for i in range(len(run.results)):
            found += [
                (run.mode, s["name"], s["attributes"])
                for s in run.spans[i]
                if s["name"] not in (*OWN, run.name)
            ]
            found += [
                (run.mode, s["name"], {k: s[k] for k in ("aws", "http") if k in s})
                for s in run.segments[i]
                if s.get("type") == "subsegment" and s["name"] not in OWN
            ]
    return found


def test_what_each_call_s_span_records_names_the_secret_never_its_value(fleet: Fleet) -> None:
    found = _attributes(fleet)
    names = Counter(name for _, name, _ in found)
    assert set(names) == {
        "Secrets Manager.GetSecretValue", "SSM.GetParameter", "GET", "secretsmanager", "ssm", "localhost",
    }  # fmt: skip
    for mode, name, attributes in found:
        text = json.dumps(attributes)
        assert "header" not in text.lower(), (mode, name)  # no request or response header is captured
        assert "tracing-canary-" not in text and "SecretString" not in text and '"Value"' not in text
        if name == "GET":  # the extension's localhost call: its URL names the secret or the parameter
            assert attributes["http.url"].split("?")[1] in (
                f"secretId={fleet.secret_id}",
                f"name={fleet.parameter.replace('/', '%2F')}&withDecryption=true",
            ), attributes["http.url"]
        if name == "Secrets Manager.GetSecretValue":  # the secret's ARN, never its value
            assert fleet.secret_id in attributes["aws.secretsmanager.secret.arn"]
