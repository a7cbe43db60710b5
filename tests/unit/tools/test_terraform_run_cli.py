"""tools.terraform_run: plans, asks, and applies only the saved plan after an explicit 'yes'."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import terraform_run

from .terraform_double import calls


def commands(log: Path) -> list[str]:
    return [next(a for a in call["args"] if not a.startswith("-")) for call in calls(log)]


def test_anything_but_yes_changes_nothing(
    fake_terraform: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = terraform_run.main([str(tmp_path), "apply"], read=lambda _: "y", account=lambda: "account 1")
    assert code == 2
    assert commands(fake_terraform) == ["init", "plan"]
    assert "CLOUD-CHANGING" in capsys.readouterr().err


def test_yes_applies_the_saved_plan(fake_terraform: Path, tmp_path: Path) -> None:
    questions: list[str] = []
    code = terraform_run.main(
        [str(tmp_path), "destroy"], read=lambda q: questions.append(q) or "yes", account=lambda: "account 1"
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

    assert terraform_run.main([str(tmp_path), "apply", "--yes"], read=never, account=lambda: "a") == 0
    assert commands(fake_terraform) == ["init", "plan", "apply", "output"]


def test_end_of_input_is_not_a_yes() -> None:
    def closed(_: str) -> str:
        raise EOFError

    assert terraform_run.confirm("?", closed) is False
