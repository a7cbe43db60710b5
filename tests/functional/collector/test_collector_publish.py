"""The compactor publishes each settled day's open data files to S3 (moto in process): when, what, again."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import boto3
import pandas as pd
import pytest

from collector import compactor, publish
from collector.publish import PublishError, PublishSettings
from datastore import clients, writes
from datastore.clients import ConfigError

from .conftest import TABLE
from .test_collector_compactor import DAY1, DAY2, DAY3, SETTLE, at, settings, write_day
from .test_collector_table import make_row

BUCKET = "slo-open-data-test"
PUBLISH = PublishSettings(BUCKET, "open/")


@pytest.fixture()
def s3(ddb: Any) -> Any:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    clients.reset_clients()
    return client


def keys(s3: Any) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def parquet(s3: Any, key: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))


def run(ddb: Any, now: datetime, **extra: Any) -> dict[str, Any]:
    return compactor.run(settings(catch_up_days=2), client=ddb, now=now, publish=PUBLISH, **extra)


def test_a_settled_day_is_published_once_with_its_rows_digests_readme_and_schema(ddb: Any, s3: Any) -> None:
    rows = write_day(ddb, DAY1)
    early = run(ddb, at(DAY2, 3))  # digested, not settled yet: not published
    assert [d["day"] for d in early["digested"]] == ["2026-11-25", "2026-11-24"] and early["published"] == []
    assert keys(s3) == []
    settled = run(ddb, at(DAY2, 7))
    assert [d["day"] for d in settled["published"]] == ["2026-11-25"]  # DAY1 - 1 has no data: no files
    assert keys(s3) == [
        "open/README.md", "open/digests-csv/2026-11-25.csv", "open/digests/2026-11-25.parquet",
        "open/rows/2026-11-25.parquet", "open/schema.json",
    ]  # fmt: skip
    got = parquet(s3, "open/rows/2026-11-25.parquet")
    assert sorted(got["invocation_id"]) == sorted(r["invocation_id"] for r in rows)
    digests = parquet(s3, "open/digests/2026-11-25.parquet")
    assert digests["rows"].sum() == len(rows) and set(digests["store"]) == {"secretsmanager", "ssm"}
    head = s3.head_object(Bucket=BUCKET, Key="open/digests/2026-11-25.parquet")
    assert head["ContentType"] == "application/vnd.apache.parquet"
    assert head["Metadata"] == {"digest-computed-at": "2026-11-26T07:00:00.000000Z"}
    assert run(ddb, at(DAY2, 8))["published"] == []  # published and unchanged: left alone


def test_a_day_recomputed_after_it_was_published_is_published_again(ddb: Any, s3: Any) -> None:
    write_day(ddb, DAY1)
    run(ddb, at(DAY2, 7))
    writes.write_rows(
        [make_row(at(DAY1, 23), "very-late", "ssm", warm_ms=[9.0])], client=ddb, table_name=TABLE
    )
    backfill = at(DAY2, 9)
    compactor.compact_day(DAY1, client=ddb, table_name=TABLE, retention_days=30, now=backfill)
    again = run(ddb, at(DAY2, 10), days=[])
    assert [d["day"] for d in again["published"]] == ["2026-11-25"] and again["published"][0]["rows"] == 9


def test_an_upload_cut_short_is_published_by_the_next_run(
    ddb: Any, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_day(ddb, DAY1)
    real = publish._upload
    calls: list[str] = []

    def flaky(client: Any, folder: Any, relative: str, *rest: Any) -> None:
        calls.append(relative)
        if relative.startswith("digests/"):
            raise publish.ClientError({"Error": {"Code": "SlowDown", "Message": "later"}}, "PutObject")
        real(client, folder, relative, *rest)

    monkeypatch.setattr(publish, "_upload", flaky)
    with pytest.raises(PublishError, match="publishing to s3://slo-open-data-test/open/ failed"):
        run(ddb, at(DAY2, 7))
    assert calls[-1] == "digests/2026-11-25.parquet"  # the mark of a published day goes last
    assert "open/digests/2026-11-25.parquet" not in keys(s3)
    monkeypatch.setattr(publish, "_upload", real)
    assert [d["day"] for d in run(ddb, at(DAY2, 8))["published"]] == ["2026-11-25"]


def test_time_running_short_leaves_days_for_the_next_run(ddb: Any, s3: Any) -> None:
    write_day(ddb, DAY1)
    write_day(ddb, DAY2)
    compactor.run(settings(catch_up_days=2), client=ddb, now=at(DAY3, 7), days=[DAY2, DAY1])  # no bucket
    result = publish.publish_pending(PUBLISH, settings(catch_up_days=2), client=ddb, now=at(DAY3, 8),
                                     remaining_s=lambda: 30.0)  # fmt: skip
    assert result == {"published": [], "left_to_publish": ["2026-11-25", "2026-11-26"]}


def test_which_days_to_publish() -> None:
    digested = {DAY1: at(DAY2, 7), DAY2: at(DAY3, 1)}  # DAY1 final; DAY2 digested before it settled
    assert publish.days_to_publish(at(DAY3, 2), digested, {}, SETTLE) == [DAY1]
    assert publish.days_to_publish(at(DAY3, 2), digested, {DAY1: at(DAY2, 7)}, SETTLE) == []
    assert publish.days_to_publish(at(DAY3, 2), digested, {DAY1: at(DAY2, 6, 59)}, SETTLE) == [DAY1]
    assert publish.days_to_publish(at(DAY2, 6), {DAY1: at(DAY2, 7)}, {}, SETTLE) == []  # not settled at `now`


def test_settings_from_the_environment() -> None:
    assert PublishSettings.from_env({}) == PublishSettings(None, "")
    assert PublishSettings.from_env(
        {"OBSERVATORY_PUBLISH_BUCKET": "b", "OBSERVATORY_PUBLISH_PREFIX": "/x/y/"}
    ) == (PublishSettings("b", "x/y/"))
    with pytest.raises(ConfigError, match="must be a bucket name"):
        PublishSettings.from_env({"OBSERVATORY_PUBLISH_BUCKET": "s3://b/x"})


def test_without_a_bucket_the_run_says_nothing_of_publishing(ddb: Any) -> None:
    assert "published" not in compactor.run(settings(catch_up_days=1), client=ddb, now=at(DAY2, 7),
                                            publish=PublishSettings())  # fmt: skip
    assert isinstance(DAY1, date)
