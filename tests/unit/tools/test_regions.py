"""`make deploy-regions`: the home region first on apply and last on destroy, one workspace (state) per
region, each region's variables as terraform reads them, and a failed region stops the rest."""

from __future__ import annotations

import pytest

from tools import regions


def test_the_home_region_is_applied_first_and_destroyed_last_each_in_its_own_state() -> None:
    applied = regions.plan_runs(["us-east-1", "ap-northeast-1", "eu-west-1"], "apply")
    assert [(r.region, r.workspace) for r in applied] == [
        ("us-east-1", "default"),  # the state `make deploy` uses
        ("ap-northeast-1", "ap-northeast-1"),
        ("eu-west-1", "eu-west-1"),
    ]
    assert {r.home_region for r in applied} == {"us-east-1"}
    destroyed = regions.plan_runs(["us-east-1", "ap-northeast-1", "eu-west-1"], "destroy")
    assert [r.region for r in destroyed] == ["ap-northeast-1", "eu-west-1", "us-east-1"]


@pytest.mark.parametrize(
    ("names", "message"),
    [([], "no region given"), (["us-east-1", "Tokyo"], "not an AWS region code: Tokyo"),
     (["us-east-1", "us-east-1"], "named twice: us-east-1")],
)  # fmt: skip
def test_what_cannot_be_one_fleet_is_refused(names: list[str], message: str) -> None:
    with pytest.raises(regions.RegionsError, match=message):
        regions.plan_runs(names, "apply")


def test_each_region_runs_terraform_run_with_its_variables_and_workspace() -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def runner(command: list[str], env: dict[str, str]) -> int:
        calls.append((command, env))
        return 0

    assert regions.main(["terraform/envs/aws", "apply", "us-east-1", "ap-northeast-1", "--yes"], runner) == 0
    assert [c[0][2:] for c in calls] == [["tools.terraform_run", "terraform/envs/aws", "apply", "--yes"]] * 2
    assert [(e["TF_VAR_region"], e["TF_VAR_home_region"], e["TF_WORKSPACE"]) for _, e in calls] == [
        ("us-east-1", "us-east-1", "default"),
        ("ap-northeast-1", "us-east-1", "ap-northeast-1"),
    ]


def test_a_failed_region_stops_the_rest_and_says_where(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []

    def runner(command: list[str], env: dict[str, str]) -> int:
        seen.append(env["TF_VAR_region"])
        return 1 if env["TF_VAR_region"] == "ap-northeast-1" else 0

    argv = ["terraform/envs/aws", "destroy", "us-east-1", "ap-northeast-1", "eu-west-1"]
    assert regions.main(argv, runner) == 1
    assert seen == ["ap-northeast-1"]  # destroy: the home region last, never reached
    assert "stopped at ap-northeast-1 (exit 1); done: none; not started: eu-west-1, us-east-1" in (
        capsys.readouterr().err
    )
    assert regions.main(["terraform/envs/aws", "apply", "Tokyo"], runner) == 2  # usage: nothing run
    assert seen == ["ap-northeast-1"]
