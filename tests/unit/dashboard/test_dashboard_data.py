"""dashboard.data and dashboard.config: the window, cached parts, error classification, settings."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pytest
from botocore import exceptions as bce

from dashboard import data, ui
from dashboard.config import ConfigError, load_settings
from datastore.clients import ConfigError as TableConfigError
from datastore.schema import TableError

from .frames import digests_of, frame, row


def _rows() -> Any:
    return frame(
        [
            row("2026-11-27T05:00", warm_ms=[1.0, 2.5, 3.0]),
            row("2026-11-27T05:00", strategy="dict", status="failed", store="none", cold_miss_ms=None),
            row("2026-11-27T05:05", warm_ms=[0.0004]),
        ]
    )


def test_the_window_is_whole_days_ending_today() -> None:
    first, today = data.window(datetime(2026, 11, 27, 5, 30, tzinfo=UTC), 30)
    assert (first, today) == (date(2026, 10, 29), date(2026, 11, 27))


def test_undigested_days_are_read_in_runs_of_consecutive_days() -> None:
    days = [date(2026, 11, d) for d in (1, 2, 3, 7, 9, 10)]
    assert data._runs(days) == [
        (date(2026, 11, 1), date(2026, 11, 3)),
        (date(2026, 11, 7), date(2026, 11, 7)),
        (date(2026, 11, 9), date(2026, 11, 10)),
    ]


def test_the_cached_parts_pickle_and_combine() -> None:
    closed = data.Part(digests_of(_rows(), "day"), (date(2026, 11, 26),), 3, 20)
    recent = data.Part(digests_of(_rows().assign(ts=lambda f: f["ts"] + pd.Timedelta(days=1))), (), 3, 0)
    closed = pickle.loads(pickle.dumps(closed))  # what st.cache_data does to every part
    now = datetime(2026, 11, 28, 6, tzinfo=UTC)
    loaded = data.combine(closed, recent, date(2026, 11, 1), now)
    assert (loaded.digested_days, loaded.rows_read, loaded.row_days) == (20, 6, (date(2026, 11, 26),))
    assert list(loaded.frames.stores["hours"]) == [24, 24, 1, 1]  # closed days per day, today per hour


def test_settings_read_from_environment_with_defaults() -> None:
    s = load_settings({}, region_lookup=lambda profile, config_file: "us-east-1")  # the profile's region
    assert (s.table_name, s.endpoint_url, s.region, s.cache_ttl_seconds, s.load_days) == (
        "slo-measurements",
        None,
        "us-east-1",
        60,
        90,
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
        (TableConfigError("OBSERVATORY_TABLE_NAME is not set"), data.CONFIG),
        (ConfigError("OBSERVATORY_DASHBOARD_DAYS must be a whole number"), data.CONFIG),
        (type("ConfigError", (Exception,), {})("a stranger's class, named alike"), data.OTHER),  # by type
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
    text = ui.rows_csv(_rows())
    header, first = text.splitlines()[:2]
    assert header.split(",")[0] == "ts" and "warm_ms" in header
    assert "1 2.5 3" in first


def test_fmt_ms_uses_microseconds_below_one_ms() -> None:
    assert ui.fmt_ms(0.00041) == "0.41 µs"
    assert ui.fmt_ms(39.9) == "39.9 ms"
    assert ui.fmt_ms(None) == "—"

