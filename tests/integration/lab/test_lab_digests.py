"""The lab's real round, digested: every percentile the dashboard shows, within the sketch's 1 % of the rows';
and the deployed compactor runs in the lab's Lambda service (the collector zip, another handler)."""

from __future__ import annotations

import datetime as dt

import pytest

from collector import table
from dashboard.digests import to_frames
from datastore.digesting import digest_rows
from tests.integration.dashboard.accuracy import check_every_percentile
from tests.integration.lab.conftest import LabRound

pytestmark = pytest.mark.slow


def test_percentiles_from_digests_match_the_rows_of_a_real_round(lab_round: LabRound) -> None:
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    rows = table.read_rows(lab_round.started - dt.timedelta(minutes=1), end,
                           client=lab_round.client("dynamodb"), table_name=lab_round.deployment.table_name)
    rows = rows[rows["probe_key"].isin(lab_round.deployment.fleet)]
    assert len(rows) and (rows["warm_n"] > 0).any()
    # today's rows, digested per hour exactly as the dashboard does for the day not digested yet
    frames = to_frames(digest_rows(rows.to_dict("records"), "hour"))
    assert check_every_percentile(frames, rows, "hour") > 100


def test_the_compactor_runs_in_the_lab(lab_round: LabRound) -> None:
    name = lab_round.deployment.compactor_function_name
    assert name, "terraform/envs/local outputs compactor_function_name"
    outcome = lab_round.service.invoke(name, {"source": "observatory.compactor"})
    assert outcome.ok, outcome.payload
    digested = outcome.payload["digested"]
    assert len(digested) == 14 and all(day["items"] == 1 for day in digested)  # empty days: one small item
    today = dt.datetime.now(dt.UTC).date()
    days = table.digested_days(today - dt.timedelta(days=14), today - dt.timedelta(days=1),
                               client=lab_round.client("dynamodb"),
                               table_name=lab_round.deployment.table_name)
    assert len(days) == 14  # every closed day looked at is now known (here: empty, the lab started today)
    again = lab_round.service.invoke(name, {"source": "observatory.compactor"})
    assert again.ok and len(again.payload["digested"]) <= 2  # only days not settled yet are recomputed
