"""`python -m lab`: argument errors, and clear errors before anything starts (no network, no processes)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lab.cli import parser
from tests.conftest import REPO_ROOT, free_port


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = parser.main(argv)
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["up", "--exit"], "--exit needs --rounds N"),
        (["run", "--rounds", "0"], "must be at least 1, got 0"),
        (["run", "--rounds", "many"], "'many' is not a whole number"),
        (["up", "--port", "70000"], "70000 is not a TCP port"),
        (["up", "--cpu-period-ms", "0"], "must be above 0"),
        (["invoke"], "the following arguments are required: FUNCTION"),
        (["fly"], "invalid choice: 'fly'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_main(argv, capsys)
    assert code == 2
    assert message in output


@pytest.mark.parametrize("command", ["up", "run", "invoke", "status", "down"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_main([command, "--help"], capsys)
    assert code == 0 and f"usage: python -m lab {command}" in output


def test_help_runs_as_a_module() -> None:
    result = subprocess.run([sys.executable, "-m", "lab", "--help"], capture_output=True, text=True,
                            cwd=REPO_ROOT, check=False)
    assert result.returncode == 0
    for command in ("up", "run", "invoke", "status", "down"):
        assert command in result.stdout


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--rounds", "2"], "the lab's endpoint is not running: start the lab with `python -m lab up`"),
    (["invoke", "dict-128-x86_64"], "the lab's endpoint is not running"),
])
def test_commands_that_need_the_lab_say_it_is_down(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_main(["--state-dir", str(tmp_path), *argv], capsys)
    assert code == 1 and message in output


def test_status_and_down_with_nothing_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_main(["--state-dir", str(tmp_path), "status"], capsys)
    assert code == 1 and "endpoint:  not running" in output
    code, output = run_main(["--state-dir", str(tmp_path), "down"], capsys)
    assert code == 0 and "nothing was running" in output


def test_a_stale_pid_file_is_not_taken_for_a_running_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "endpoint.json").write_text(json.dumps({
        "url": "https://127.0.0.1:1", "host": "127.0.0.1", "port": 1, "pid": dead.pid,
        "ca_bundle": "x", "log": "y"}))
    code, output = run_main(["--state-dir", str(tmp_path), "run"], capsys)
    assert code == 1 and "not running" in output
    assert not (tmp_path / "endpoint.json").exists()


def _artifacts(tmp_path: Path) -> Path:
    build = tmp_path / "build"
    build.mkdir()
    (build / "manifest.json").write_text("{}")
    return build


def test_up_without_terraform_says_how_to_get_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TERRAFORM_BIN", raising=False)  # one that is set must exist (tools.terraform.binary)
    monkeypatch.setenv("PATH", str(tmp_path))
    code, output = run_main(["--state-dir", str(tmp_path / "s"), "up", "--rounds", "1", "--exit",
                             "--artifacts-dir", str(_artifacts(tmp_path))], capsys)
    assert code == 1 and "terraform was not found on PATH" in output


def test_up_without_build_output_says_to_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_main(["--state-dir", str(tmp_path), "up", "--artifacts-dir", str(tmp_path / "none")],
                            capsys)
    assert code == 1 and "no build output" in output and "make build" in output


@pytest.mark.parametrize("flag", ["--port", "--dashboard-port"])
def test_up_with_a_taken_port_says_which(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        other = free_port()
        ports = {"--port": str(other), "--dashboard-port": str(other)} | {flag: str(port)}
        argv = ["--state-dir", str(tmp_path / "s"), "up", "--artifacts-dir", str(_artifacts(tmp_path))]
        for name, value in ports.items():
            argv += [name, value]
        code, output = run_main(argv, capsys)
    assert code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in output
    assert not (tmp_path / "s" / "endpoint.json").exists()  # nothing was started


def test_up_options_default_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_LAB_PORT", "45123")
    monkeypatch.setenv("OBSERVATORY_DASHBOARD_PORT", "45124")
    monkeypatch.setenv("OBSERVATORY_LAB_ROUNDS", "2")
    monkeypatch.setenv("OBSERVATORY_LAB_EXIT", "1")
    args = parser.with_environment(parser.build_parser().parse_args(["up"]))
    assert (args.port, args.dashboard_port, args.rounds, args.exit) == (45123, 45124, 2, True)
    assert parser.with_environment(parser.build_parser().parse_args(["up", "--port", "4000"])).port == 4000




def test_up_with_the_2022_config_refuses_a_build_without_its_layer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parser.platform, "machine", lambda: "x86_64")
    code, output = run_main(["--state-dir", str(tmp_path / "s"), "up", "--replay-config", "2022",
                             "--artifacts-dir", str(_artifacts(tmp_path))], capsys)
    assert code == 1 and "no 2022 dependency layer" in output and "make up-2022" in output
    assert not (tmp_path / "s").exists()  # refused before anything started


def test_up_with_the_2022_config_deploys_the_replays_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fleet is the one `lab replay 2022` deploys, so the Reference page finds it in the table."""
    import lab.replay.phases
    import lab.up

    artifacts = _artifacts(tmp_path)
    manifest = json.loads((artifacts / "manifest.json").read_text())
    manifest["deps-2022-python3.9-x86_64"] = {"path": lab.replay.phases.DEPS_2022}
    (artifacts / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(parser.platform, "machine", lambda: "x86_64")
    asked: list[object] = []
    monkeypatch.setattr(lab.up, "up", lambda *args, **kwargs: asked.append(kwargs["variables"]) or 0)
    code, output = run_main(["--state-dir", str(tmp_path / "s"), "up", "--replay-config", "2022",
                             "--artifacts-dir", str(artifacts)], capsys)
    assert code == 0 and asked == [lab.replay.phases.VARIABLES_2022]
    assert "the 2022 run's configuration" in output and '"python3.9"' in output


# Issue 22, finding 4: a --state-dir that is a file, or cannot be written, is refused before anything starts.
@pytest.mark.parametrize("command", [["up"], ["down"], ["replay", "2022"], ["run"], ["invoke", "x"]])
def test_a_state_dir_that_is_a_file_is_one_line_and_status_2(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    code, output = run_main(["--state-dir", str(a_file), *command], capsys)
    assert code == 2, output
    assert f"--state-dir {a_file} is not a directory" in output and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1


@pytest.mark.parametrize("place", ["/proc/slo-lab-state", "/sys/slo-lab-state", "/proc"])
@pytest.mark.parametrize("command", [["up"], ["replay", "2022"]])
def test_a_state_dir_that_cannot_be_written_is_one_line_and_status_2(
    place: str, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_main(["--state-dir", place, *command], capsys)
    assert code == 2, output
    assert f"--state-dir {place} cannot be written" in output and "Traceback" not in output


def test_down_with_a_state_dir_that_cannot_be_written_is_refused_if_it_exists(
    capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_main(["--state-dir", "/proc", "down"], capsys)
    assert code == 2 and "--state-dir /proc cannot be written" in output


# Issue 22, finding 8 (the lab's part): refused at once, and environment variables that do what --help says.
def test_up_refuses_one_port_for_the_endpoint_and_the_dashboard_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import lab.up

    monkeypatch.setattr(lab.up, "up", lambda *args, **kwargs: pytest.fail("up started"))
    port = str(free_port())
    argv = ["--state-dir", str(tmp_path / "s"), "up", "--port", port, "--dashboard-port", port]
    code, output = run_main(argv, capsys)
    assert code == 2 and f"--port and --dashboard-port are both {port}" in output
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("value", ["abc", "70000", "0"])
def test_a_bad_port_variable_does_not_block_down_help_or_status(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBSERVATORY_LAB_PORT", value)
    monkeypatch.setenv("OBSERVATORY_DASHBOARD_PORT", value)
    code, output = run_main(["--state-dir", str(tmp_path), "down"], capsys)
    assert code == 0 and "nothing was running" in output
    code, output = run_main(["--state-dir", str(tmp_path), "status"], capsys)
    assert code == 1 and "endpoint:  not running" in output
    code, output = run_main(["--help"], capsys)
    assert code == 0


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("OBSERVATORY_LAB_PORT", "abc", "'abc' is not a whole number"),
    ("OBSERVATORY_LAB_PORT", "70000", "70000 is not a TCP port"),
    ("OBSERVATORY_DASHBOARD_PORT", "-1", "must be at least 1"),
    ("OBSERVATORY_LAB_ROUNDS", "lots", "'lots' is not a whole number"),
    ("OBSERVATORY_LAB_EXIT", "maybe", "'maybe' is not 1 or 0"),
])
def test_up_refuses_a_bad_variable_in_one_line_naming_it(
    variable: str, value: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(variable, value)
    code, output = run_main(["--state-dir", str(tmp_path), "up"], capsys)
    assert code == 2 and f"${variable}: {message}" in output
    assert len(output.strip().splitlines()) == 1


def test_replay_refuses_a_bad_port_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBSERVATORY_LAB_PORT", "port")
    code, output = run_main(["--state-dir", str(tmp_path), "replay", "2022"], capsys)
    assert code == 2 and "$OBSERVATORY_LAB_PORT: 'port' is not a whole number" in output


@pytest.mark.parametrize(("value", "exits"), [("1", True), ("true", True), ("yes", True), ("0", False),
                                              ("false", False), ("", False)])
def test_the_exit_variable_reads_the_usual_spellings(
    value: str, exits: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBSERVATORY_LAB_EXIT", value)
    monkeypatch.setenv("OBSERVATORY_LAB_ROUNDS", "1")
    args = parser.build_parser().parse_args(["up"])
    assert parser.with_environment(args).exit is exits


def test_help_names_every_variable_the_lab_reads() -> None:
    result = subprocess.run([sys.executable, "-m", "lab", "--help"], capture_output=True, text=True,
                            cwd=REPO_ROOT, check=False)
    assert result.returncode == 0
    for variable in ("OBSERVATORY_LAB_DIR", "OBSERVATORY_LAB_PORT", "OBSERVATORY_DASHBOARD_PORT",
                     "OBSERVATORY_LAB_ROUNDS", "OBSERVATORY_LAB_EXIT", "OBSERVATORY_LAB_DEBUG",
                     "TERRAFORM_BIN", "TF_PLUGIN_MIRROR", "PYENV_ROOT"):
        assert variable in result.stdout, variable
