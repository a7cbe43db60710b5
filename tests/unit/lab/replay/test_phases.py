"""`python -m lab replay 2022` without a lab: its command line, its refusals, the interpreter it looks for,
and the order of its phases (a fake phase runner hands back hand-made rows)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lab.cli import parser
from lab.cli.console import Console
from lab.errors import LabError
from lab.fleet.hostspeed import read_cpu_model
from lab.replay import phases
from lab.settings import LabConfig
from tests.unit.lab.replay.test_report import fleet


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = parser.main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_help_says_what_it_does_how_long_and_what_it_needs(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_main(["replay", "--help"], capsys)
    text = " ".join(output.split())
    assert code == 0 and "usage: python -m lab replay" in text
    for needed in ("python3.9", "patch_all()", "requests 2.28.1", "aws-xray-sdk 2.10.0", "about 4 minutes",
                   "pyenv install 3.9", "--dependency-set 2022", "RESULT ext128_p50_ms=", "the lab not up"):
        assert needed in text, needed


def test_only_the_2022_run_can_be_replayed(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_main(["replay", "2021"], capsys)
    assert code == 2 and "invalid choice: '2021'" in output


def test_the_command_hands_its_options_to_replay(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def fake(config: LabConfig, console: Console, year: str) -> int:
        seen.update(config=config, year=year)
        return 0

    monkeypatch.setattr(phases, "replay", fake)
    code, _ = run_main(["--state-dir", str(tmp_path), "replay", "2022", "--port", "45999",
                        "--artifacts-dir", str(tmp_path / "b"), "--round-timeout-s", "60"], capsys)
    assert code == 0 and seen["year"] == "2022"
    assert (seen["config"].port, seen["config"].artifacts_dir, seen["config"].round_timeout_s) == (
        45999, tmp_path / "b", 60.0)
    assert seen["config"].cpu_period_ms == LabConfig.cpu_period_ms  # Lambda's period: not an option here


def test_without_build_output_it_refuses_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_main(["--state-dir", str(tmp_path / "s"), "replay", "2022", "--artifacts-dir",
                             str(tmp_path / "none")], capsys)
    assert code == 1 and "no build output" in output
    assert not (tmp_path / "s" / "endpoint.json").exists()


def test_the_2022_variables_are_the_interfaces() -> None:
    assert phases.VARIABLES_2022 == {
        "fleet": {
            "runtimes": ["python3.9"], "tracing": ["patch_all"], "architectures": ["x86_64"],
            "strategies": ["extension", "sdk", "dict"], "memory_sizes": [128, 1769],
            "stores": ["secretsmanager"],
        },
        "dependency_set": "2022", "warm_samples": 100, "sdk_warm_samples": 100,
    }
    # today's defaults: the same probes; runtime, tracing, architecture and libraries are envs/local's own
    fleet = {k: v for k, v in phases.VARIABLES_2022["fleet"].items()
             if k not in ("runtimes", "tracing", "architectures")}
    kept = {k: v for k, v in phases.VARIABLES_2022.items() if k != "dependency_set"}
    assert {**kept, "fleet": fleet} == phases.VARIABLES_TODAY


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_cpu_model_comes_from_proc_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\n"
                       "model name\t: Intel(R) Xeon(R) Processor\n")
    assert read_cpu_model(cpuinfo) == "Intel(R) Xeon(R) Processor"
    assert read_cpu_model(tmp_path / "missing")  # platform's answer, never empty


@pytest.fixture
def config(tmp_path: Path) -> LabConfig:
    build = tmp_path / "build"
    build.mkdir()
    (build / "manifest.json").write_text(json.dumps({
        "deps-2022-python3.9-x86_64": {"path": "deps-2022-python3.9-x86_64.zip", "kind": "deps"}}))
    return LabConfig(state_dir=tmp_path / "state", artifacts_dir=build)


@pytest.fixture
def no_lab_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    import lab.up

    monkeypatch.setattr(lab.up, "check_prerequisites", lambda *args, **kwargs: None)


@pytest.mark.usefixtures("no_lab_checks")
def test_refusals_name_what_to_do(config: LabConfig) -> None:
    phases.check_replay(config, Console(quiet=True), "x86_64")  # everything there: no refusal
    with pytest.raises(LabError, match="this machine is aarch64"):
        phases.check_replay(config, Console(quiet=True), "aarch64")
    (config.artifacts_dir / "manifest.json").write_text("{}")
    with pytest.raises(LabError, match=r"no 2022 dependency layer .* --dependency-set 2022 .*`make replay`"):
        phases.check_replay(config, Console(quiet=True), "x86_64")


def test_the_lab_s_checks_are_asked_for_the_2022_runtimes(
    config: LabConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python3.9's interpreter (with the command that installs it) is the lab's own check, given the 2022
    variables; what it found is what the replay runs with."""
    import lab.up

    asked: list[Any] = []
    found = object()

    def check(*args: Any, **kwargs: Any) -> object:
        asked.append(kwargs.get("variables"))
        return found

    monkeypatch.setattr(lab.up, "check_prerequisites", check)
    assert phases.check_replay(config, Console(quiet=True), "x86_64") is found
    assert asked == [phases.VARIABLES_2022] and asked[0]["fleet"]["runtimes"] == ["python3.9"]


def test_a_lab_that_is_up_is_refused_before_anything_starts(
    config: LabConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lab.up

    def already_up(*args: Any, **kwargs: Any) -> None:
        raise LabError("the lab is already up (pid 1); stop it with `python -m lab down`")

    monkeypatch.setattr(lab.up, "check_prerequisites", already_up)
    ran: list[phases.Phase] = []

    def run(config: LabConfig, console: Console, phase: phases.Phase) -> list[dict[str, Any]]:
        ran.append(phase)
        return []

    with pytest.raises(LabError, match="already up"):
        phases.replay(config, Console(quiet=True), machine="x86_64", run=run)
    assert ran == []


def _today(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(r, runtime="python3.11", python_version="3.11.7", tracing="subsegments") for r in rows]


def test_replay_runs_2022_then_today_and_prints_the_report_last_line_result(
    config: LabConfig, tmp_path: Path
) -> None:
    order: list[str] = []

    def run(config: LabConfig, console: Console, phase: phases.Phase) -> list[dict[str, Any]]:
        order.append(phase.label)
        if phase is phases.PHASE_2022:
            return fleet([40.0] * 100, [1.6] * 100)
        return _today(fleet([20.0] * 100, [0.5] * 100))

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("model name\t: Test CPU @ 1.00GHz\n")
    printed: list[str] = []
    code = phases.replay(config, Console(quiet=True), "2022", machine="x86_64", run=run,
                         check=lambda *args: None, cpuinfo=cpuinfo, out=printed.append)
    assert code == 0
    assert order == ["lab, 2022 config", "lab, today"]
    assert "Test CPU @ 1.00GHz" in "\n".join(printed)
    assert printed[-1] == ("RESULT ext128_p50_ms=40.00 ext1769_p50_ms=1.60 ext_ratio=25.00 near20=1.00 "
                           "dict_ratio=0.80 sdk_miss128_ms=150.00 sdk_miss1769_ms=40.00")


def test_when_todays_defaults_fail_the_2022_comparison_still_prints(config: LabConfig) -> None:
    def run(config: LabConfig, console: Console, phase: phases.Phase) -> list[dict[str, Any]]:
        if phase is phases.PHASE_TODAY:
            raise LabError("terraform apply of terraform/envs/local failed: boom")
        return fleet([40.0] * 100, [1.6] * 100)

    printed: list[str] = []
    code = phases.replay(config, Console(quiet=True), machine="x86_64", run=run,
                         check=lambda *args: None, out=printed.append)
    assert code == 1
    assert "  - lab, today: not run: terraform apply of terraform/envs/local failed: boom" in printed
    assert printed[-1].startswith("RESULT ext128_p50_ms=40.00 ")


def test_a_probe_without_rows_makes_the_exit_status_1(config: LabConfig) -> None:
    rows = [r for r in fleet([40.0] * 100, [1.6] * 100) if r["strategy"] != "sdk"]
    printed: list[str] = []
    code = phases.replay(config, Console(quiet=True), machine="x86_64",
                         run=lambda c, console, phase: rows, check=lambda *args: None, out=printed.append)
    assert code == 1 and "sdk_miss128_ms=nan" in printed[-1]


def test_rows_that_did_not_run_python39_with_patch_all_fail_the_replay(config: LabConfig) -> None:
    rows = _today(fleet([40.0] * 100, [1.6] * 100))  # e.g. an envs/local that ignored the new variables
    printed: list[str] = []
    code = phases.replay(config, Console(quiet=True), machine="x86_64",
                         run=lambda c, console, phase: rows, check=lambda *args: None, out=printed.append)
    assert code == 1
    assert any("rows say runtime python3.11, not python3.9" in line for line in printed)
