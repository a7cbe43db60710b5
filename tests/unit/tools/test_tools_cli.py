"""Every `python -m tools.X` command line: its errors end in one place (one line on stderr, a non-zero status,
Ctrl-C included, never a traceback), and its --help names the environment variables it reads, each of which
does what the help says."""

from __future__ import annotations

import importlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tools import cost, pip_deps, preflight, terraform, terraform_lint, terraform_run, venv_install
from tools.preflight_checks import Fleet

from .terraform_double import calls

REPO = Path(__file__).resolve().parents[3]
AWS_ENV = REPO / "terraform" / "envs" / "aws"
TERRAFORM_VARIABLES = {"TERRAFORM_BIN", "TF_PLUGIN_MIRROR", "TF_VAR_"}
REGION_VARIABLES = {"TF_VAR_region", "AWS_REGION", "AWS_PROFILE"}  # tools/region.py's rule
READS = {
    "build": TERRAFORM_VARIABLES | {"PIP_"},
    "cost": TERRAFORM_VARIABLES,
    "terraform_run": TERRAFORM_VARIABLES | REGION_VARIABLES,
    "preflight": TERRAFORM_VARIABLES | REGION_VARIABLES | {"AWS_ENDPOINT_URL"},
    "region": REGION_VARIABLES,
    "terraform_lint": TERRAFORM_VARIABLES - {"TF_VAR_"},
    "venv_install": {"PIP_"},
}


@pytest.mark.parametrize("tool", sorted(READS))
def test_help_names_every_environment_variable_the_tool_reads(
    tool: str, capsys: pytest.CaptureFixture[str]
) -> None:
    module = importlib.import_module(f"tools.{tool}")
    with pytest.raises(SystemExit) as done:
        module.main(["--help"])
    assert done.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert f"python -m tools.{tool}" in shown
    assert {name.split("<")[0] for name in module.ENVIRONMENT} == READS[tool]
    for name in module.ENVIRONMENT:
        assert name in shown, f"tools.{tool} --help does not name {name}"


def _interrupted(run: Callable[[], int]) -> int:
    try:
        return run()
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped the command line as a traceback")


def _ctrl_c(*_args: object, **_kwargs: object) -> str:
    raise KeyboardInterrupt


def test_ctrl_c_at_terraform_runs_question_is_one_line_and_nothing_is_applied(
    fake_terraform: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = Fleet(1, frozenset({"sdk"}), frozenset({"x86_64"}), (128,), ("python3.13",), 900, 300)
    monkeypatch.setattr(terraform_run, "read_settings", lambda _: preflight.Settings(fleet, None))
    monkeypatch.setattr(terraform_run, "run_preflight", lambda settings, where: [])
    status = _interrupted(lambda: terraform_run.main([str(tmp_path), "apply"], read=_ctrl_c, account=str))
    assert status == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "terraform_run: interrupted"
    assert "apply" not in [next(a for a in c["args"] if not a.startswith("-")) for c in calls(fake_terraform)]


def test_ctrl_c_during_a_lint_step_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(terraform_lint, "check_fmt", _ctrl_c)
    monkeypatch.setattr(terraform_lint, "check_validate", _ctrl_c)
    assert _interrupted(lambda: terraform_lint.main(["--skip-checkov"])) == 130
    assert capsys.readouterr().err.strip() == "terraform_lint: interrupted"


def test_ctrl_c_during_the_estimate_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cost, "read_inputs", _ctrl_c)
    assert _interrupted(lambda: cost.main([str(AWS_ENV)])) == 130
    assert capsys.readouterr().err.strip() == "cost: interrupted"


def test_venv_install_refuses_a_missing_interpreter_or_requirements_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements = tmp_path / "dev.in"
    requirements.write_text("nothing==1\n")
    python = tmp_path / "venv" / "bin" / "python"
    assert venv_install.main(["--python", str(python), "-r", str(requirements)]) == 2
    assert capsys.readouterr().err.strip() == f"venv: --python {python} is not an executable file"
    missing = tmp_path / "missing.in"
    assert venv_install.main(["--python", str(REPO / ".venv" / "bin" / "python"), "-r", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"venv: -r {missing} is not a file"


# ---------------------------------------------------------------------- each variable does what --help says


def test_terraform_bin_that_is_not_an_executable_is_an_error_not_a_silent_fallback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TERRAFORM_BIN", str(tmp_path / "no-terraform"))
    with pytest.raises(terraform.TerraformError, match=r"TERRAFORM_BIN=\S*no-terraform is not an executable"):
        terraform.binary()
    assert cost.main([str(AWS_ENV)]) == 1
    assert "TERRAFORM_BIN=" in capsys.readouterr().err


def test_terraform_bin_tf_var_and_the_mirror_reach_terraform(
    fake_terraform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TF_VAR_region", "eu-west-1")
    cost.main([str(AWS_ENV)])  # the stand-in's answer is no estimate: only what terraform was given matters
    ran = calls(fake_terraform)  # TERRAFORM_BIN: the stand-in ran
    assert ran and all(call["tf_vars"] == {"TF_VAR_region": "eu-west-1"} for call in ran)
    monkeypatch.setenv("TF_PLUGIN_MIRROR", str(tmp_path / "no-mirror"))
    assert cost.main([str(AWS_ENV)]) == 1
    assert f"TF_PLUGIN_MIRROR={tmp_path / 'no-mirror'} is not a directory" in capsys.readouterr().err


def test_aws_profile_reaches_the_account_terraform_run_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "slo-no-such-profile")
    assert "slo-no-such-profile" in terraform_run.caller_account("us-east-1")


def _wheel(folder: Path, name: str) -> Path:
    """A pure-Python wheel of package `name` 1.0 (installable on any platform)."""
    path = folder / f"{name}-1.0-py3-none-any.whl"
    dist = f"{name}-1.0.dist-info"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{name}/__init__.py", "VALUE = 1\n")
        wheel.writestr(f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        tags = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        wheel.writestr(f"{dist}/WHEEL", tags)
        wheel.writestr(f"{dist}/RECORD", "")
    return path


def test_pip_settings_in_the_environment_reach_the_builds_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    links = tmp_path / "links"
    links.mkdir()
    _wheel(links, "slo_only_here")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("slo_only_here==1.0\n")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    pip_deps.pip_install(requirements, tmp_path / "target", "x86_64", "3.12")
    assert (tmp_path / "target" / "slo_only_here" / "__init__.py").is_file()


def test_pip_settings_in_the_environment_reach_venv_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/slo-wheels")
    listing = venv_install.pip_config_list(REPO / ".venv" / "bin" / "python")
    assert json.dumps(venv_install.pip_settings(listing)["find-links"]) == '"/opt/slo-wheels"'
