"""The collector's Lambda package stays lean: the handler never imports pandas (the zip has only boto3)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from collector import contract, rows
from datastore import schema
from tests.conftest import load_event

REPO = Path(__file__).resolve().parents[3]


def test_handler_imports_without_pandas_or_numpy() -> None:
    code = (
        "import sys; sys.modules['pandas'] = None; sys.modules['numpy'] = None\n"
        "import collector.handler, collector.table, collector.dlq, collector.compactor, collector.backfill\n"
        "import collector.publish, collector.export.cli  # the open data files are written in the zip too\n"
        "import datastore.schema, datastore.codec, datastore.writes, datastore.reads\n"
        "import datastore.digest_table, datastore.digest_wire, datastore.digesting\n"
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_requirements_pin_the_sdk_exactly() -> None:
    pins = [
        line
        for line in (REPO / "collector" / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    names = {line.split("==")[0] for line in pins}
    assert names >= {"boto3", "botocore", "ddsketch"}
    assert "protobuf" not in names and "numpy" not in names  # the sketch's serialisation is our own
    assert all("==" in line for line in pins)


def test_sample_record_maps_to_rows_without_any_free_text() -> None:
    record = load_event("probe_record_v1.json")
    record["stores"][1]["errors"][0]["message"] = "free text that could carry anything"
    built = rows.rows_for(contract.parse_probe_record(record))
    assert [row["store"] for row in built] == ["secretsmanager", "ssm"]
    assert "free text" not in repr(built)
    assert set(built[0]) <= set(schema.COLUMNS)
