"""Several regions writing to one home table: a probe outside the home region has `@{region}` at the end of
its key (contract §1), so every probe key is unique in the table; the collector checks it is the record's."""

from __future__ import annotations

from typing import Any

import pytest

from collector.config import Settings
from collector.contract import InvalidRecordError, parse_destination, parse_probe_record, probe_key_fits
from collector.records import FailedInvocation
from tests.conftest import load_event


def record(**identity: Any) -> dict[str, Any]:
    sample = load_event("probe_record_v1.json")
    sample["identity"].update(identity)
    return sample


def test_a_record_from_another_region_carries_that_region_in_its_key() -> None:
    parsed = parse_probe_record(
        record(region="ap-northeast-1", probe_key="extension-128-x86_64@ap-northeast-1")
    )
    assert (parsed.identity.probe_key, parsed.identity.region) == (
        "extension-128-x86_64@ap-northeast-1",
        "ap-northeast-1",
    )
    # the key's region must be the record's: a copy of another region's key would merge two probes' histories
    with pytest.raises(InvalidRecordError, match="probe_key"):
        parse_probe_record(record(region="us-east-1", probe_key="extension-128-x86_64@ap-northeast-1"))


def test_the_region_comes_last_in_the_key() -> None:
    assert probe_key_fits(
        "cloud_extensions-128-arm64-py39-off-prefetch@eu-west-1",
        "cloud_extensions", 128, "arm64", "python3.9", "off", True, region="eu-west-1",
    )  # fmt: skip
    assert not probe_key_fits(
        "cloud_extensions-128-arm64@eu-west-1-prefetch", "cloud_extensions", 128, "arm64", None,
        "subsegments", True, region="eu-west-1",
    )  # fmt: skip
    assert not probe_key_fits(
        "sdk-128-x86_64@", "sdk", 128, "x86_64", None, "subsegments", region="eu-west-1"
    )


def test_a_failed_invocation_in_another_region_keeps_its_key() -> None:
    event = load_event("destination_retries_exhausted_handled.json")
    arn = "arn:aws:lambda:ap-northeast-1:123456789012:function:slo-probe-extension-128-x86_64:$LATEST"
    event["requestContext"]["functionArn"] = arn
    event["requestPayload"]["probe_key"] = "extension-128-x86_64@ap-northeast-1"
    failure = parse_destination(event).outcome
    assert isinstance(failure, FailedInvocation)
    assert (failure.probe_key, failure.region) == ("extension-128-x86_64@ap-northeast-1", "ap-northeast-1")
    event["requestContext"]["functionArn"] = arn.replace("ap-northeast-1", "us-east-1")
    with pytest.raises(InvalidRecordError, match="probe_key"):
        parse_destination(event)


def test_the_collector_writes_to_the_home_tables_region() -> None:
    settings = Settings.from_env(
        {"OBSERVATORY_TABLE_NAME": "slo-measurements", "OBSERVATORY_TABLE_REGION": "us-east-1"}
    )
    assert settings.table_region == "us-east-1"
    assert Settings.from_env({"OBSERVATORY_TABLE_NAME": "slo-measurements"}).table_region is None
