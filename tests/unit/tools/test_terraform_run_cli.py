"""tools.terraform_run: plans, asks, and applies only the saved plan after an explicit 'yes'."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import preflight, terraform_run
from tools.preflight_checks import Finding, Fleet

from .terraform_double import calls


def commands(log: Path) -> list[str]:
    return [next(a for a in call["args"] if not a.startswith("-")) for call in calls(log)]


FLEET = Fleet(
    probes=2,
    strategies=frozenset({"sdk"}),
    architectures=frozenset({"x86_64"}),
    memory_sizes=(128,),
    runtimes=("python3.13",),
    interval_s=900,
    window_s=300,
)


@pytest.fixture(autouse=True)
def env_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The env's settings and the preflight, without terraform console or an account: AWS_REGION names the
    region (tests/conftest.py sets it), nothing blocks."""
    monkeypatch.setattr(terraform_run, "read_settings", lambda _: preflight.Settings(FLEET, None))
    monkeypatch.setattr(terraform_run, "run_preflight", lambda settings, where: [Finding("ok", "x", "fine")])


def test_anything_but_yes_changes_nothing(
    fake_terraform: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = terraform_run.main(
        [str(tmp_path), "apply"], read=lambda _: "y", account=lambda region: f"account 1 in {region}"
    )
    assert code == 2
    assert commands(fake_terraform) == ["init", "plan"]
    assert "CLOUD-CHANGING" in capsys.readouterr().err


def test_yes_applies_the_saved_plan(fake_terraform: Path, tmp_path: Path) -> None:
    questions: list[str] = []
    code = terraform_run.main(
        [str(tmp_path), "destroy"],
        read=lambda q: questions.append(q) or "yes",
        account=lambda region: f"account 1 in {region}",
    )
    assert code == 0
    _init, plan, apply = calls(fake_terraform)
    assert "-destroy" in plan["args"]
    plan_file = next(a.split("=", 1)[1] for a in plan["args"] if a.startswith("-out="))
    assert apply["args"][-1] == plan_file
    assert "destroy" in questions[0] and "account 1" in questions[0]


def test_yes_flag_skips_the_question(fake_terraform: Path, tmp_path: Path) -> None:
    def never(_: str) -> str:
        raise AssertionError("asked")

    assert terraform_run.main([str(tmp_path), "apply", "--yes"], read=never, account=lambda region: "a") == 0
    assert commands(fake_terraform) == ["init", "plan", "apply", "output"]


def test_end_of_input_is_not_a_yes() -> None:
    def closed(_: str) -> str:
        raise EOFError

    assert terraform_run.confirm("?", closed) is False


def test_the_region_and_its_source_are_shown_and_passed_to_terraform(
    fake_terraform: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-northeast-1")
    questions: list[str] = []
    code = terraform_run.main(
        [str(tmp_path), "apply"],
        read=lambda q: questions.append(q) or "no",
        account=lambda r: f"account 1 in {r}",
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "region ap-northeast-1 (from AWS_REGION)" in err
    assert "account 1 in ap-northeast-1" in questions[0] and "region ap-northeast-1" in questions[0]
    plan = calls(fake_terraform)[1]
    assert "-var=region=ap-northeast-1" in plan["args"]


def test_region_flag_wins_and_destroy_uses_the_same_rule(fake_terraform: Path, tmp_path: Path) -> None:
    code = terraform_run.main(
        [str(tmp_path), "destroy", "--region", "eu-west-1", "--yes"], account=lambda r: f"account 1 in {r}"
    )
    assert code == 0
    assert "-var=region=eu-west-1" in calls(fake_terraform)[1]["args"]


def test_a_blocking_preflight_stops_apply_before_the_plan(
    fake_terraform: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        terraform_run, "run_preflight", lambda settings, where: [Finding("block", "concurrency", "too wide")]
    )
    code = terraform_run.main([str(tmp_path), "apply", "--yes"], account=lambda r: "a")
    assert code == 1
    assert commands(fake_terraform) == []
    out = capsys.readouterr()
    assert "preflight BLOCK concurrency: too wide" in out.out
    assert "nothing was changed" in out.err
