"""tools.terraform: binary lookup, provider mirror configuration, argument passing, JSON results, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import terraform

from .terraform_double import calls


def test_missing_terraform_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TERRAFORM_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(terraform.TerraformError, match=r"terraform was not found.*install Terraform"):
        terraform.binary()


def test_mirror_from_env_is_written_into_a_cli_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mirror = tmp_path / "plugins"
    mirror.mkdir()
    monkeypatch.setenv("TF_PLUGIN_MIRROR", str(mirror))
    env = terraform.environment()
    text = Path(env["TF_CLI_CONFIG_FILE"]).read_text()
    assert "provider_installation" in text and "filesystem_mirror" in text
    assert f'"{mirror.resolve()}"' in text
    assert "direct" not in text
    assert env["TF_INPUT"] == "0"


def test_a_mirror_that_does_not_exist_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TF_PLUGIN_MIRROR", str(tmp_path / "nope"))
    with pytest.raises(terraform.TerraformError, match="not a directory"):
        terraform.environment()


def test_without_a_mirror_the_users_own_config_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_PLUGIN_MIRROR", raising=False)
    monkeypatch.setattr(terraform, "DEFAULT_MIRROR", Path("/nonexistent/tf-plugins"))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", "/home/someone/.terraformrc")
    assert terraform.plugin_mirror() is None
    assert terraform.environment()["TF_CLI_CONFIG_FILE"] == "/home/someone/.terraformrc"


def test_apply_passes_variables_as_json_and_the_state_path(fake_terraform: Path, tmp_path: Path) -> None:
    ws = terraform.Workspace(
        tmp_path,
        variables={"fleet": {"memory_sizes": [128, 1769]}, "endpoint": "http://x"},
        state=tmp_path / "s.tfstate",
        data_dir=tmp_path / "data",
    )
    outputs = terraform.apply(ws)
    assert outputs == {"dynamodb_table_name": "slo-measurements"}
    apply_call, output_call = calls(fake_terraform)
    assert apply_call["args"][0] == f"-chdir={tmp_path}"
    assert apply_call["args"][1:3] == ["apply", "-auto-approve"]
    assert f"-state={tmp_path / 's.tfstate'}" in apply_call["args"]
    assert apply_call["var_file"] == {"fleet": {"memory_sizes": [128, 1769]}, "endpoint": "http://x"}
    assert apply_call["data_dir"] == str(tmp_path / "data")
    assert output_call["args"][1:3] == ["output", "-json"]


def test_plan_lists_only_real_changes(fake_terraform: Path, tmp_path: Path) -> None:
    plan = terraform.plan(terraform.Workspace(tmp_path))
    assert plan["resource_changes_pending"] == ["c.d"]
    plan_call = calls(fake_terraform)[0]
    assert "plan" in plan_call["args"] and any(a.startswith("-out=") for a in plan_call["args"])


def test_a_failing_command_raises_with_its_output(
    fake_terraform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TF_FAIL", "apply")
    with pytest.raises(terraform.TerraformError, match=r"(?s)exit 3.*something broke in apply"):
        terraform.apply(terraform.Workspace(tmp_path))


def test_init_without_backend(fake_terraform: Path, tmp_path: Path) -> None:
    terraform.init(terraform.Workspace(tmp_path), backend=False)
    assert "-backend=false" in calls(fake_terraform)[0]["args"]


def test_console_wraps_the_expression_in_jsonencode(fake_terraform: Path, tmp_path: Path) -> None:
    assert terraform.console(terraform.Workspace(tmp_path), "var.fleet") == {"expr": "jsonencode(var.fleet)"}


def test_a_missing_env_dir_is_reported(fake_terraform: Path, tmp_path: Path) -> None:
    with pytest.raises(terraform.TerraformError, match="is not a directory"):
        terraform.output(terraform.Workspace(tmp_path / "missing"))


def test_terraform_test_reports_every_run_and_a_failure_is_a_result(
    fake_terraform: Path, tmp_path: Path
) -> None:
    runs = terraform.test(terraform.Workspace(tmp_path))
    assert [(r.run, r.status) for r in runs] == [("ok", "pass"), ("bad", "error"), ("later", "skip")]
    assert runs[1].file == "tests/a.tftest.hcl" and "Missing expected failure" in runs[1].diagnostics[0]
    assert calls(fake_terraform)[0]["args"][1:3] == ["test", "-json"]


def test_terraform_test_that_runs_nothing_is_an_error(
    fake_terraform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TF_FAIL", "test")
    with pytest.raises(terraform.TerraformError, match="ran nothing"):
        terraform.test(terraform.Workspace(tmp_path))
