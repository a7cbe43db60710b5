"""AppTest on every page against the local AWS endpoint, with rows written by the collector."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from datastore.vocabulary import STRATEGIES
from tests.conftest import REPO_ROOT, free_port

from .conftest import FAILING_PROBE, HOST_CPU, Table

APP = str(REPO_ROOT / "dashboard" / "streamlit_app.py")
PAGES = [
    "app_pages/overview.py",
    "app_pages/trends.py",
    "app_pages/memory_tiers.py",
    "app_pages/distributions.py",
    "app_pages/runtimes_tracing.py",
    "app_pages/reference.py",
    "app_pages/runs.py",
]


def _figures(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _run(at: AppTest) -> AppTest:
    at.run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_overview_leads_with_the_answer_then_health_headline_and_failing_probe(
    fleet_table: Table, app_env: Any
) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    assert at.title[0].value == "Overview"
    # the answer first: the verdict in a sentence, then the figure of p50 per strategy × tier
    assert at.markdown[0].value.startswith("#### At 128 MB an extension hit costs")
    assert "× a dict; at 1,769 MB" in at.markdown[0].value
    (tiers,) = _figures(at)
    assert (
        tiers["layout"]["yaxis"]["type"] == "log"
        and tiers["layout"]["xaxis"]["title"]["text"] == "Memory (MB)"
    )
    # health opens by itself: a probe is failing
    assert at.expander[0].label.startswith("Fleet health: 1 failing")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Failing now"] == "1"
    probes = 2 * len(STRATEGIES)  # every strategy at 128 and 1,769 MB
    assert metrics["Reporting now"] == f"{probes} of {probes}"
    assert any(FAILING_PROBE in e.value and "failed" in e.value for e in at.error)
    assert "Cold miss p50" in metrics and metrics["Cold miss p50"].endswith("ms")
    # What moved: like with like, and counts that say what they count
    assert any("store rows count one row per store" in c.value for c in at.caption)
    assert any("invocations" in m.value and "store rows: ok" in m.value for m in at.markdown)
    # the reference-style tables: warm hits and cold misses, one row per strategy × tier
    warm = at.dataframe[1].value
    assert list(warm.columns[:8]) == [
        "Strategy",
        "Memory (MB)",
        "Samples",
        "Min (ms)",
        "Max (ms)",
        "Mean (ms)",
        "Median (ms)",
        "p90 (ms)",
    ]
    assert len(warm) == probes
    failed = warm.set_index(["Strategy", "Memory (MB)"]).loc[("Powertools parameters", 128), "Failed rows"]
    assert failed > 0  # failed rows are counted, not averaged away
    # what the figures rest on: every row the collector wrote, of every probe
    rests = [c.value for c in at.caption if c.value.startswith("These figures rest on")]
    assert len(rests) == 1 and f"and {fleet_table.rows:,} rows of {probes} probes (" in rests[0], rests
    # the tables in view as one CSV; the export command for the rest
    (download,) = at.get("download_button")
    assert download.proto.label == "Download these tables (CSV)"
    first = date.fromisoformat(at.caption[0].value.split(": ")[1][:10])  # "Last 7 days: 2026-11-20 to …"
    today = datetime.now(UTC).date()
    commands = [c.value for c in at.caption if "python -m collector.export" in c.value]
    if first < today:  # closed days in range: the command exports them
        expected = f"--table {fleet_table.name} --from {first} --to {today - timedelta(days=1)} --out "
        assert len(commands) == 1 and expected in commands[0], commands
    else:
        assert commands == []


def test_every_page_renders_its_charts(fleet_table: Table, app_env: Any) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    expected = {
        "app_pages/trends.py": 1,
        "app_pages/memory_tiers.py": 3,
        "app_pages/distributions.py": 1,
        "app_pages/runtimes_tracing.py": 0,  # one runtime, one tracing mode: what to add instead
        "app_pages/reference.py": 1,
        "app_pages/runs.py": 0,
        "app_pages/overview.py": 1,
    }
    for page in PAGES:
        _run(at.switch_page(page))
        figures = _figures(at)
        assert len(figures) == expected[page], page
        for fig in figures:
            layout = fig["layout"]
            titles = [
                v["title"]["text"]
                for k, v in layout.items()
                if k.startswith(("xaxis", "yaxis")) and isinstance(v, dict) and v.get("title")
            ]
            numeric = [t for t in titles if t != "Strategy · memory tier"]  # the one categorical axis
            assert numeric and all("(" in t for t in numeric), (page, titles)  # every number has its unit
            assert fig["data"], page


def test_trends_marks_the_layer_change_and_failures(fleet_table: Table, app_env: Any) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/trends.py"))
    fig = _figures(at)[0]
    names = [t.get("name") for t in fig["data"]]
    assert "Extension (localhost:2773) · 128 MB" in names
    assert any(t.get("type") == "bar" and t["name"].startswith("failed") for t in fig["data"])
    assert any("extension layer" in str(t.get("hovertext")) for t in fig["data"])
    at.radio(key="trend_metric").set_value("cold_miss")
    at.select_slider(key="trend_q").set_value(90)
    _run(at)
    fig = _figures(at)[0]
    assert fig["layout"]["yaxis"]["title"]["text"] == "Cold-miss latency (ms)"
    assert "p90" in fig["layout"]["title"]["text"]


def test_memory_tiers_names_cheapest_and_fastest(fleet_table: Table, app_env: Any) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/memory_tiers.py"))
    at.number_input(key="cost_rate").set_value(10.0)
    _run(at)
    verdict = at.success[0].value
    assert "At 10 fetches/s" in verdict and "**cheapest**" in verdict and "**fastest**" in verdict
    assert any("An estimate" in c.value and "prices-us-east-1.json" in c.value for c in at.caption)
    assert any("One latency model for every strategy" in c.value for c in at.caption)
    memory = _figures(at)[0]
    assert (
        memory["layout"]["xaxis"]["type"] == "log"
        and memory["layout"]["xaxis"]["title"]["text"] == "Memory (MB)"
    )


def test_reference_shows_source_and_ours(fleet_table: Table, app_env: Any) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/reference.py"))
    assert "2022-10" in at.markdown[0].value and "ap-northeast-1" in at.markdown[0].value
    assert any("Classmethod DevelopersIO" in c.value for c in at.caption)
    warm = at.dataframe[0].value
    assert set(warm["Run"]) == {"2022 reference", "ours"}
    ours = warm[(warm["Run"] == "ours") & (warm["Strategy"] == "Extension (localhost:2773)")]
    assert (ours["Samples"] > 0).all()


def test_runs_filters_and_offers_csv(fleet_table: Table, app_env: Any) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/runs.py"))
    total = fleet_table.rows
    assert len(at.dataframe[0].value) == min(total, 500)  # 500 a page
    assert any(c.value.startswith(f"{total:,} rows (") for c in at.caption)
    at.multiselect(key="runs_status").set_value(["failed"])
    _run(at)
    failed = at.dataframe[0].value
    assert 0 < len(failed) < total and set(failed["Status"]) == {"failed"}
    assert set(failed["Probe"]) == {FAILING_PROBE}
    assert at.get("download_button")


def test_sidebar_filter_applies_without_a_new_query(
    fleet_table: Table, app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datastore import digest_table, reads

    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/runs.py"))  # Runs reads its own window once
    calls: list[Any] = []
    for module, name in ((reads, "read_rows"), (digest_table, "read_digest_wires")):
        real = getattr(module, name)

        def counting(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            calls.append(args)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)
    at.sidebar.multiselect(key="f_strategy").set_value(["dict"])
    _run(at)
    assert set(at.dataframe[0].value["Strategy"]) == {"dict cache"}
    _run(at.switch_page("app_pages/overview.py"))
    assert calls == []  # served from the cached digests and rows


def test_runs_reads_only_the_window_it_shows(fleet_table: Table, app_env: Any) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/runs.py"))
    # the last 24 hours: all 6 hours written, 500 a page
    assert any(c.value.startswith(f"{fleet_table.rows:,} rows (") for c in at.caption)
    assert len(at.dataframe[0].value) == min(fleet_table.rows, 500)
    at.selectbox(key="runs_window").set_value("Last hour")
    _run(at)
    last_hour = at.dataframe[0].value
    assert 0 < len(last_hour) < fleet_table.rows
    assert any("read for this page only" in c.value for c in at.caption)


def test_empty_table_says_why_and_what_to_do(empty_table: Table, app_env: Any) -> None:
    app_env(empty_table)
    at = _run(AppTest.from_file(APP, default_timeout=60))
    assert "No rows yet" in at.info[0].value and "about a minute" in at.info[0].value
    assert not at.get("plotly_chart")


def test_unreachable_endpoint_is_a_clear_message(app_env: Any) -> None:
    app_env(endpoint=f"http://127.0.0.1:{free_port()}", name="slo-measurements")
    at = _run(AppTest.from_file(APP, default_timeout=60))
    message = at.error[0].value
    assert "Cannot reach the AWS endpoint" in message and "make up" in message
    assert "Traceback" not in message


def test_missing_table_is_a_clear_message(fleet_table: Table, app_env: Any) -> None:
    app_env(endpoint=fleet_table.endpoint, name="slo-no-such-table")
    at = _run(AppTest.from_file(APP, default_timeout=60))
    assert "does not exist" in at.error[0].value and "OBSERVATORY_TABLE_NAME" in at.error[0].value


def test_missing_credentials_is_a_clear_message(
    fleet_table: Table, app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_env(fleet_table)
    monkeypatch.setenv("AWS_PROFILE", "slo-no-such-profile")
    at = _run(AppTest.from_file(APP, default_timeout=60))
    message = at.error[0].value
    # the profile named is unknown: the message says which, and where it was looked for (issue 22)
    assert "AWS_PROFILE" in message and "slo-no-such-profile" in message and "Traceback" not in message


def test_distributions_switches_to_a_binned_histogram(fleet_table: Table, app_env: Any) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/distributions.py"))
    ecdf = _figures(at)[0]
    assert ecdf["layout"]["xaxis"]["type"] == "log"
    assert any(t["name"].startswith("Extension (localhost:2773) · 128 MB") for t in ecdf["data"])
    at.radio(key="dist_kind").set_value("histogram")
    _run(at)
    hist = _figures(at)[0]
    assert {t["type"] for t in hist["data"]} == {"bar"}
    assert hist["layout"]["yaxis"]["title"]["text"] == "Share of warm hits (%)"


def test_a_fleet_that_only_failed_is_shown_as_failing_on_every_page(
    failed_table: Table, app_env: Any
) -> None:
    app_env(failed_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Failing now"] == str(2 * len(STRATEGIES))
    assert metrics["Failure rate · last 7 days"] == "100.0%"
    assert metrics["Cold miss p50"] == "—"  # nothing measured: no number is made up
    for page in PAGES[1:]:
        _run(at.switch_page(page))
    _run(at.switch_page("app_pages/runs.py"))
    assert set(at.dataframe[0].value["Status"]) == {"failed"}
    _run(at.switch_page("app_pages/distributions.py"))
    assert "No warm hits" in at.info[0].value


def test_filters_never_hide_a_failed_invocation(fleet_table: Table, app_env: Any) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    at.sidebar.multiselect(key="f_environment").set_value(["lab"])
    at.sidebar.multiselect(key="f_store").set_value(["secretsmanager"])
    _run(at.switch_page("app_pages/runs.py"))
    rows = at.dataframe[0].value
    failed = rows[rows["Status"] == "failed"]
    assert len(failed) > 0 and set(failed["Probe"]) == {FAILING_PROBE}  # no environment, store "none": kept
    assert set(rows["Store"]) == {"Secrets Manager", "(invocation failed)"}


def test_runtimes_and_tracing_with_one_mode_say_how_to_add_the_others(
    fleet_table: Table, app_env: Any
) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/runtimes_tracing.py"))
    assert at.title[0].value == "Runtimes & tracing"
    assert [h.value for h in at.header] == ["What tracing costs", "Runtime upgrade"]
    tracing, runtime = (i.value for i in at.info)
    assert "Nothing to compare yet" in tracing and "Subsegments (default)" in tracing
    assert "`tracing`" in tracing and "terraform/envs/local" in tracing and "patch_all" in tracing
    assert "Nothing to compare yet" in runtime and "`runtimes`" in runtime and "python3.11" in runtime
    assert not at.get("plotly_chart")
    # the sidebar offers the new dimensions, from the digests' identity
    assert at.sidebar.multiselect(key="f_tracing").options == ["Subsegments (default)"]
    assert at.sidebar.multiselect(key="f_runtime").options == ["python3.11"]


def test_reference_without_host_or_2022_configuration_says_so(fleet_table: Table, app_env: Any) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/reference.py"))
    assert "Ours: every probe in view" in at.info[0].value and "make up-2022" in at.info[0].value
    assert any("**not recorded**" in m.value for m in at.markdown)
    assert any("context, not a correction" in c.value for c in at.caption)


def test_tracing_cost_and_runtime_upgrade_compare_equal_probes(dimensions_table: Table, app_env: Any) -> None:
    app_env(dimensions_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/runtimes_tracing.py"))
    assert not at.info
    tracing, runtime = _figures(at)
    names = {t["name"] for t in tracing["data"]}
    assert names == {"Off (no tracing)", "Subsegments (default)", "patch_all() (2022 run)"}
    assert tracing["layout"]["yaxis"]["type"] == "log"
    assert {t["name"] for t in runtime["data"]} == {"python3.9", "python3.11", "python3.13"}
    costs = at.dataframe[0].value
    ext = costs[
        (costs["Strategy"] == "Extension (localhost:2773)")
        & (costs["Memory (MB)"] == 128)
        & (costs["Runtime"] == "python3.11")
        & (costs["Latency"] == "Warm hit")
        & (costs["Store"] == "Secrets Manager")
    ].set_index("Tracing")
    assert list(ext.index) == ["Off (no tracing)", "Subsegments (default)", "patch_all() (2022 run)"]
    assert set(ext["Compared with"]) == {"Off (no tracing)"}
    assert abs(ext.loc["patch_all() (2022 run)", "p50 ratio (×)"] - 2.0) < 0.05  # 1.6 / 0.8
    upgrade = at.dataframe[1].value
    py = upgrade[(upgrade["Tracing"] == "Subsegments (default)") & (upgrade["Latency"] == "Warm hit")]
    assert set(py["Runtime"]) == {"python3.11", "python3.13"} and set(py["Compared with"]) == {"python3.11"}
    assert any("python3.9: 3.9.20" in m.value and "python3.13: 3.13.1" in m.value for m in at.markdown)
    # each bar's libraries; python3.9 ran older ones, so the page does not claim everything else held equal
    assert "library versions differ" in runtime["layout"]["title"]["text"]
    ext9 = upgrade[
        (upgrade["Strategy"] == "Extension (localhost:2773)")
        & (upgrade["Runtime"] == "python3.9")
        & (upgrade["Latency"] == "Warm hit")
    ]
    assert set(ext9["Libraries"]) == {"boto3 1.42.25 · requests 2.32.5"}
    assert set(py.loc[py["Strategy"] == "dict cache", "Libraries"]) == {"boto3 1.44.8"}  # said once
    assert any("Not the interpreter alone" in w.value for w in at.warning)
    # one tracing mode chosen in the sidebar: nothing to compare, and how to get more
    at.sidebar.multiselect(key="f_tracing").set_value(["patch_all"])
    _run(at)
    assert "Nothing to compare yet" in at.info[0].value and "Tracing filter" in at.info[0].value
    assert len(_figures(at)) == 1  # patch_all on python3.9 and python3.11: the runtime upgrade remains


def test_reference_prefers_the_2022_configuration_and_names_the_host(
    dimensions_table: Table, app_env: Any
) -> None:
    app_env(dimensions_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/reference.py"))
    said = at.success[0].value
    assert "2022 configuration" in said and "extension-128-x86_64-py39-patch_all" in said
    assert "extension-128-x86_64-off" not in said
    assert any(HOST_CPU in m.value and "412.3 ms" in m.value for m in at.markdown)
    warm = at.dataframe[0].value
    ours = warm[(warm["Run"] == "ours") & (warm["Strategy"] == "Extension (localhost:2773)")]
    assert (ours["Samples"] > 0).all()
