"""The compactor's Lambda entry publishing open data to S3 on the local AWS endpoint over HTTP (moto server).

As in Lambda: settings from the environment (the variables Terraform sets), clients made lazily from
`AWS_ENDPOINT_URL`, the real clock. Then the files are read back over HTTP with pandas."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pandas as pd
import pytest

from collector import compactor
from datastore import clients, schema, writes
from tests.functional.collector.test_collector_table import make_row


class _Context:
    def get_remaining_time_in_millis(self) -> int:
        return 600_000


@pytest.fixture()
def deployed(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    suffix = uuid.uuid4().hex[:8]
    ddb = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    table, bucket = f"slo-observations-{suffix}", f"slo-open-data-{suffix}"
    schema.create_table(ddb, table)
    s3.create_bucket(Bucket=bucket)
    for name, value in {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "OBSERVATORY_TABLE_NAME": table,
        "OBSERVATORY_DIGEST_SETTLE_SECONDS": "0",
        "OBSERVATORY_DIGEST_CATCH_UP_DAYS": "3",
        "OBSERVATORY_PUBLISH_BUCKET": bucket,
        "OBSERVATORY_PUBLISH_PREFIX": "observatory",
    }.items():
        monkeypatch.setenv(name, value)
    clients.reset_clients()
    try:
        yield {"ddb": ddb, "s3": s3, "table": table, "bucket": bucket, "endpoint": aws_endpoint}
    finally:
        clients.reset_clients()
        for entry in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=entry["Key"])
        s3.delete_bucket(Bucket=bucket)
        ddb.delete_table(TableName=table)


def test_the_handler_digests_then_publishes_the_settled_days_over_http(deployed: dict[str, Any]) -> None:
    day = datetime.now(UTC).date() - timedelta(days=2)
    t0 = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
    rows = [make_row(t0 + timedelta(minutes=i), f"inv-{i}", store, warm_ms=[10.0 + i, 20.0])
            for i in range(5) for store in ("secretsmanager", "ssm")]  # fmt: skip
    writes.write_rows(rows, client=deployed["ddb"], table_name=deployed["table"])

    result = compactor.handler({"source": "observatory.compactor"}, _Context())

    assert str(day) in [d["day"] for d in result["digested"]]
    assert [d["day"] for d in result["published"]] == [str(day)]
    s3, bucket = deployed["s3"], deployed["bucket"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted([
        "observatory/README.md", "observatory/schema.json", f"observatory/rows/{day}.parquet",
        f"observatory/digests/{day}.parquet", f"observatory/digests-csv/{day}.csv",
    ])  # fmt: skip
    body = s3.get_object(Bucket=bucket, Key=f"observatory/rows/{day}.parquet")["Body"].read()
    assert sorted(pd.read_parquet(io.BytesIO(body))["invocation_id"]) == sorted(
        r["invocation_id"] for r in rows
    )
    csv = s3.get_object(Bucket=bucket, Key=f"observatory/digests-csv/{day}.csv")["Body"].read()
    digests = pd.read_csv(io.BytesIO(csv))
    assert digests[["store", "rows", "warm_hit_n"]].values.tolist() == [
        ["secretsmanager", 5, 10],
        ["ssm", 5, 10],
    ]
    # a second run finds the day published and leaves it alone
    clients.reset_clients()
    assert compactor.handler({"days": []}, _Context())["published"] == []
