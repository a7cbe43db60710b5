"""The built collector zip runs on its own: only its contents on sys.path (no site-packages), real HTTP.

Uses `build/collector-python3.11-x86_64.zip` when `make build` made it, else builds the collector alone with
`tools.build` into a temporary folder. The handler from the zip writes to a table on the local endpoint.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from datastore import digest_table, reads, schema, writes
from tests.conftest import REPO_ROOT, load_event

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
NAME = f"collector-{RUNTIME}-x86_64.zip"

RUN_FROM_ZIP = """
import json, sys
sys.path.insert(0, sys.argv[1])
import collector.handler
assert "pandas" not in sys.modules
assert sys.modules["datastore.writes"].__file__.startswith(sys.argv[1])  # the data layer came in the zip
event = json.loads(sys.stdin.read())
class Context:
    aws_request_id = "zip-run"
print(json.dumps(collector.handler.handler(event, Context())))
print(sys.modules["botocore"].__file__)
"""


@pytest.fixture(scope="module")
def collector_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = REPO_ROOT / "build" / NAME
    if built.exists():
        return built
    out = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "-m", "tools.build", "--out", str(out), "--only", "collector", "--arch", "x86_64"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out / NAME


@pytest.mark.slow
def test_the_zip_alone_writes_rows_over_http(collector_zip: Path, aws_endpoint: str, tmp_path: Path) -> None:
    with zipfile.ZipFile(collector_zip) as archive:
        archive.extractall(tmp_path / "task")
    suffix = uuid.uuid4().hex[:8]
    ddb = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=aws_endpoint, region_name="us-east-1")
    table_name = f"slo-zip-{suffix}"
    schema.create_table(ddb, table_name)
    queue = sqs.create_queue(QueueName=f"slo-zip-dlq-{suffix}")["QueueUrl"]
    env = {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "OBSERVATORY_TABLE_NAME": table_name,
        "OBSERVATORY_DLQ_URL": queue,
        "PATH": "/usr/bin:/bin",
    }
    try:
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", RUN_FROM_ZIP, str(tmp_path / "task")],
            input=json.dumps(load_event("destination_success.json")),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        outcome, botocore_file = result.stdout.strip().splitlines()
        assert json.loads(outcome)["result"] == "written"
        assert botocore_file.startswith(str(tmp_path / "task"))  # the zip's SDK, not the venv's
        frame = reads.read_rows(
            datetime(2026, 11, 27, tzinfo=UTC),
            datetime(2026, 11, 28, tzinfo=UTC),
            client=ddb,
            table_name=table_name,
        )
        assert frame["store"].tolist() == ["secretsmanager", "ssm"]
    finally:
        ddb.delete_table(TableName=table_name)
        sqs.delete_queue(QueueUrl=queue)


RUN_COMPACTOR_FROM_ZIP = """
import json, sys
sys.path.insert(0, sys.argv[1])
import collector.compactor
assert "pandas" not in sys.modules and "numpy" not in sys.modules
assert sys.modules["datastore.digest_table"].__file__.startswith(sys.argv[1])
print(json.dumps(collector.compactor.handler({"days": ["2026-11-27"]}, None)))
print(sys.modules["ddsketch"].__file__)
"""


@pytest.mark.slow
def test_the_zip_alone_digests_a_day_over_http(
    collector_zip: Path, aws_endpoint: str, tmp_path: Path
) -> None:
    with zipfile.ZipFile(collector_zip) as archive:
        archive.extractall(tmp_path / "task")
    ddb = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    table_name = f"slo-zip-digest-{uuid.uuid4().hex[:8]}"
    schema.create_table(ddb, table_name)
    from collector.contract import parse_destination
    from collector.rows import rows_for

    rows = rows_for(parse_destination(load_event("destination_success.json")))
    writes.write_rows(rows, client=ddb, table_name=table_name)
    env = {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "OBSERVATORY_TABLE_NAME": table_name,
        "PATH": "/usr/bin:/bin",
    }
    try:
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", RUN_COMPACTOR_FROM_ZIP, str(tmp_path / "task")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        outcome, ddsketch_file = result.stdout.strip().splitlines()
        assert [d["rows"] for d in json.loads(outcome)["digested"]] == [2]
        assert ddsketch_file.startswith(str(tmp_path / "task"))  # the sketch library ships in the zip
        (day,) = digest_table.read_digests("2026-11-27", "2026-11-27", client=ddb, table_name=table_name)
        assert [d.probe_key for d in day.digests] == [rows[0]["probe_key"]]
        assert day.digests[0].stores["secretsmanager"].metrics["warm_hit"].n == rows[0]["warm_n"]
    finally:
        ddb.delete_table(TableName=table_name)
