"""dashboard.data and dashboard.config: cache packing, error classification, settings from the environment."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest
from botocore import exceptions as bce

from collector.table import TableError
from dashboard import data, ui
from dashboard.config import ConfigError, load_settings

from .frames import frame, row


def _loaded() -> data.Loaded:
    df = frame(
        [
            row("2026-11-27T05:00", warm_ms=[1.0, 2.5, 3.0]),
            row("2026-11-27T05:00", strategy="dict", status="failed", store="none", cold_miss_ms=None),
            row("2026-11-27T05:05", warm_ms=[0.0004]),
        ]
    )
    now = datetime(2026, 11, 27, 6, tzinfo=UTC)
    return data.Loaded(df, now, now, now)


def test_pack_round_trips_the_contract_frame() -> None:
    loaded = _loaded()
    back = data.unpack(pickle.loads(pickle.dumps(data.pack(loaded))))
    assert list(back.frame.columns) == list(loaded.frame.columns)
    assert back.frame.dtypes.equals(loaded.frame.dtypes)
    assert [list(v) for v in back.frame["warm_ms"]] == [[1.0, 2.5, 3.0], [], [0.0004]]
    assert back.frame.drop(columns="warm_ms").equals(loaded.frame.drop(columns="warm_ms"))


def test_settings_read_from_environment_with_defaults() -> None:
    s = load_settings({}, region_lookup=lambda profile, config_file: "us-east-1")  # the profile's region
    assert (s.table_name, s.endpoint_url, s.region, s.cache_ttl_seconds, s.load_days) == (
        "slo-measurements",
        None,
        "us-east-1",
        60,
        30,
    )
    s = load_settings(
        {
            "OBSERVATORY_TABLE_NAME": "t",
            "AWS_ENDPOINT_URL": "https://127.0.0.1:4566",
            "AWS_REGION": "eu-west-1",
            "AWS_CA_BUNDLE": "/ca.pem",
            "OBSERVATORY_DASHBOARD_TTL_SECONDS": "5",
            "OBSERVATORY_SCHEDULE_SECONDS": "300",
        }
    )
    assert (s.table_name, s.endpoint_url, s.region, s.ca_bundle, s.cache_ttl_seconds, s.schedule_seconds) == (
        "t",
        "https://127.0.0.1:4566",
        "eu-west-1",
        "/ca.pem",
        5,
        300,
    )
    assert "127.0.0.1:4566" in s.where
    with pytest.raises(ConfigError, match="OBSERVATORY_DASHBOARD_DAYS"):
        load_settings({"OBSERVATORY_DASHBOARD_DAYS": "many"})
    with pytest.raises(ConfigError, match="at least 1"):
        load_settings({"OBSERVATORY_DASHBOARD_TTL_SECONDS": "0"})


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (bce.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), data.UNREACHABLE),
        (bce.NoCredentialsError(), data.CREDENTIALS),
        (bce.ProfileNotFound(profile="x"), data.CREDENTIALS),
        (bce.ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "Query"), data.MISSING_TABLE),
        (bce.ClientError({"Error": {"Code": "UnrecognizedClientException"}}, "Query"), data.CREDENTIALS),
        (ValueError("odd"), data.OTHER),
    ],
)
def test_classify_walks_the_store_error_chain(error: Exception, kind: str) -> None:
    settings = load_settings({"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    try:
        try:
            raise error
        except Exception as inner:
            raise TableError("reading failed") from inner
    except TableError as outer:
        result = data.classify(outer, settings)
    assert result.kind == kind
    assert result.hint and "Traceback" not in result.message


def test_rows_csv_keeps_samples_in_one_cell() -> None:
    text = ui.rows_csv(_loaded().frame)
    header, first = text.splitlines()[:2]
    assert header.split(",")[0] == "ts" and "warm_ms" in header
    assert "1 2.5 3" in first


def test_fmt_ms_uses_microseconds_below_one_ms() -> None:
    assert ui.fmt_ms(0.00041) == "0.41 µs"
    assert ui.fmt_ms(39.9) == "39.9 ms"
    assert ui.fmt_ms(None) == "—"


def test_split_window_queries_closed_days_apart_from_yesterday_and_today() -> None:
    start, boundary = data.split_window(datetime(2026, 11, 27, 5, 30, tzinfo=UTC), 30)
    assert start == datetime(2026, 10, 28, tzinfo=UTC)
    assert boundary == datetime(2026, 11, 26, tzinfo=UTC)  # yesterday is re-read: late rows land there


def test_concat_keeps_rows_and_samples_aligned() -> None:
    loaded = _loaded()
    first = data.Loaded(
        loaded.frame.iloc[:1].reset_index(drop=True), loaded.start, loaded.end, loaded.loaded_at
    )
    rest = data.Loaded(
        loaded.frame.iloc[1:].reset_index(drop=True), loaded.start, loaded.end, loaded.loaded_at
    )
    both = data.unpack(data.concat([data.pack(first), data.pack(rest)]))
    assert [list(v) for v in both.frame["warm_ms"]] == [[1.0, 2.5, 3.0], [], [0.0004]]
    assert list(both.frame["strategy"]) == ["extension", "dict", "extension"]
