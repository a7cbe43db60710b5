"""The lab's records in `.lab/`: the deployment Terraform made, and the running `lab up`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.errors import LabError
from lab.state import UP_FILE, Deployment, UpRecord, read_up, require_deployment, write_up


def test_deployment_from_terraform_outputs() -> None:
    outputs = {
        "dynamodb_table_name": {"value": "slo-measurements", "type": "string", "sensitive": False},
        "probe_function_names": {"value": {"dict-128-x86_64": "slo-probe-dict-128-x86_64"}, "type": ["map"]},
        "collector_function_name": {"value": "slo-collector", "type": "string"},
        "dead_letter_queue_url": {"value": "https://127.0.0.1:4566/123456789012/slo-dlq", "type": "string"},
    }
    deployment = Deployment.from_outputs(outputs)
    assert deployment.table_name == "slo-measurements"
    assert deployment.probe_function_names == {"dict-128-x86_64": "slo-probe-dict-128-x86_64"}
    with pytest.raises(LabError, match="collector_function_name"):
        Deployment.from_outputs({k: v for k, v in outputs.items() if k != "collector_function_name"})


def test_deployment_round_trips_through_the_state_dir(tmp_path: Path) -> None:
    deployment = Deployment("t", {"k": "f"}, "c", "q", {"k": {"memory_mb": 128}})
    deployment.save(tmp_path)
    assert Deployment.load(tmp_path) == deployment
    assert Deployment.load(tmp_path / "missing") is None


def test_a_deployment_recorded_by_an_older_lab_still_loads(tmp_path: Path) -> None:
    (tmp_path / "deployment.json").write_text(json.dumps({
        "table_name": "t", "probe_function_names": {}, "collector_function_name": "c",
        "dead_letter_queue_url": "", "schedule_group_name": "g", "fleet": {}}))
    assert require_deployment(tmp_path).table_name == "t"


def test_without_a_deployment_the_error_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="`python -m lab up` applies terraform/envs/local"):
        require_deployment(tmp_path)


def test_the_up_record_names_a_live_lab_up_and_a_stale_one_is_removed(tmp_path: Path) -> None:
    write_up(tmp_path, UpRecord(os.getpid(), "2026-11-27T05:00:00+00:00", "https://127.0.0.1:1", None, None))
    record = read_up(tmp_path)
    assert record is not None and record.pid == os.getpid()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_up(tmp_path, UpRecord(dead.pid, "2026-11-27T05:00:00+00:00", "https://127.0.0.1:1", None, None))
    assert read_up(tmp_path) is None
    assert not (tmp_path / UP_FILE).exists()
