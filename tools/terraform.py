"""Run Terraform from Python: the one way every tool, test and the lab drives `terraform`.

    from tools import terraform
    ws = terraform.Workspace(Path("terraform/envs/local"), variables={"endpoint": url}, state=tmp / "s")
    terraform.init(ws)
    outputs = terraform.apply(ws)          # {"dynamodb_table_name": "slo-measurements", ...}
    assert not terraform.plan(ws)["resource_changes_pending"]
    terraform.destroy(ws)
    runs = terraform.test(terraform.Workspace(Path("terraform/modules/observatory")))  # its .tftest.hcl

Providers come from a filesystem mirror when one is configured (`TF_PLUGIN_MIRROR`, else `/opt/tf-plugins`
when that directory exists): `init` writes a CLI configuration with `provider_installation
{ filesystem_mirror }` and points `TF_CLI_CONFIG_FILE` at it. Without a mirror, Terraform's own
configuration and the registry are used.
Variables travel in a generated `-var-file` (JSON), so lists and objects need no quoting.
Every terraform command runs as a process group of its own (`tools/process_group.py`): an interrupt or an
error stops terraform and the providers it started, and nothing of it outlives the call.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools import process_group
from tools.cli import UsageError

DEFAULT_MIRROR = Path("/opt/tf-plugins")
ERROR_TAIL_CHARS = 6000
# What every tool that runs terraform reads from the environment (named in each tool's --help).
ENVIRONMENT = {
    "TERRAFORM_BIN": "the terraform executable to run (default: terraform on PATH)",
    "TF_PLUGIN_MIRROR": f"a folder of providers to install from, offline (default: {DEFAULT_MIRROR} when it "
    "exists, else the registry)",
    "TF_VAR_<name>": "a variable of the Terraform environment, as terraform itself reads it",
}


class TerraformError(Exception):
    """Terraform is missing, or a terraform command failed (the message carries its output's tail)."""


@dataclass(frozen=True)
class Workspace:
    """One root configuration and where its state lives.

    env_dir:   the root module (e.g. terraform/envs/local).
    variables: input variables, any JSON-serialisable values.
    state:     local state file (`-state`); None uses the configuration's backend (terraform.tfstate).
    data_dir:  TF_DATA_DIR (the .terraform directory); None keeps it inside env_dir.
    env:       the environment terraform runs in; None inherits this process's.
    """

    env_dir: Path
    variables: Mapping[str, Any] = field(default_factory=dict)
    state: Path | None = None
    data_dir: Path | None = None
    env: Mapping[str, str] | None = None


def binary() -> str:
    """Path of the terraform executable (`TERRAFORM_BIN` or PATH), or a clear error."""
    configured = os.environ.get("TERRAFORM_BIN")
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            raise TerraformError(f"TERRAFORM_BIN={configured} is not an executable file")
        return configured
    found = shutil.which("terraform")
    if not found:
        raise TerraformError(
            "terraform was not found on PATH (nor TERRAFORM_BIN): install Terraform >= 1.11 "
            "(https://developer.hashicorp.com/terraform/install) and retry."
        )
    return found


def plugin_mirror() -> Path | None:
    """The provider filesystem mirror to install from, or None to use the registry."""
    configured = os.environ.get("TF_PLUGIN_MIRROR")
    if configured:
        mirror = Path(configured)
        if not mirror.is_dir():
            raise TerraformError(f"TF_PLUGIN_MIRROR={configured} is not a directory")
        return mirror
    return DEFAULT_MIRROR if DEFAULT_MIRROR.is_dir() else None


def cli_config_text(mirror: Path) -> str:
    """A Terraform CLI configuration installing every provider from `mirror`, nothing from the network."""
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path = {json.dumps(str(mirror.resolve()))}\n"
        "  }\n"
        "}\n"
    )


def environment(ws: Workspace | None = None) -> dict[str, str]:
    """The process environment for terraform: non-interactive, mirror configured, data dir set."""
    env = dict(os.environ if ws is None or ws.env is None else ws.env)
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    mirror = plugin_mirror()
    if mirror is not None:
        text = cli_config_text(mirror)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        config = Path(tempfile.gettempdir()) / f"slo-terraform-cli-{digest}.tfrc"
        if not config.exists() or config.read_text() != text:
            tmp = config.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text)
            tmp.replace(config)
        env["TF_CLI_CONFIG_FILE"] = str(config)
    if ws is not None and ws.data_dir is not None:
        env["TF_DATA_DIR"] = str(ws.data_dir)
    return env


def run(ws: Workspace, args: Sequence[str], *, echo: bool = False) -> str:
    """Run `terraform -chdir=ENV ARGS`; return stdout, or raise TerraformError with the output's tail.

    echo=True lets terraform write to this process's stdout/stderr (progress for a person watching).
    """
    if not ws.env_dir.is_dir():
        raise TerraformError(f"{ws.env_dir} is not a directory")
    if ws.data_dir is not None:
        ws.data_dir.mkdir(parents=True, exist_ok=True)
    command = [binary(), f"-chdir={ws.env_dir}", *args]
    if echo:
        try:
            sink = sys.stderr.fileno()  # progress straight to the person's terminal
        except (AttributeError, OSError, ValueError):
            sink = -1  # stderr is captured (tests, notebooks): relay the output once the command ends
        if sink >= 0:
            echoed = process_group.run(command, env=environment(ws), capture=False, stdout=sink)
            returncode = echoed.returncode
        else:
            relayed = process_group.run(command, env=environment(ws))
            sys.stderr.write(relayed.stdout + relayed.stderr)
            returncode = relayed.returncode
        if returncode != 0:
            raise TerraformError(f"`terraform {' '.join(args)}` in {ws.env_dir} failed (exit {returncode})")
        return ""
    completed = process_group.run(command, env=environment(ws))
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr)[-ERROR_TAIL_CHARS:]
        raise TerraformError(
            f"`terraform {' '.join(args)}` in {ws.env_dir} failed (exit {completed.returncode}):\n{output}"
        )
    return completed.stdout


def _var_args(ws: Workspace, scratch: Path) -> list[str]:
    if not ws.variables:
        return []
    var_file = scratch / "inputs.tfvars.json"
    var_file.write_text(json.dumps(dict(ws.variables), indent=2, default=str))  # Path values become strings
    return [f"-var-file={var_file}"]


def _state_args(ws: Workspace) -> list[str]:
    return [f"-state={ws.state}"] if ws.state is not None else []


def init(
    ws: Workspace, *, backend: bool = True, echo: bool = False, backend_config: Path | None = None
) -> None:
    """`terraform init`, providers from the mirror when one is configured; backend=False for validate only;
    backend_config: a partial backend configuration file (`-backend-config`, e.g. envs/aws/backend.hcl)."""
    args = ["init", "-input=false", "-no-color"]
    if not backend:
        args.append("-backend=false")
    if backend_config is not None:
        args.append(f"-backend-config={backend_config}")
    run(ws, args, echo=echo)


def validate(ws: Workspace) -> dict[str, Any]:
    """`terraform validate -json` (needs init); returns the report, raises if the configuration is invalid."""
    command = [binary(), f"-chdir={ws.env_dir}", "validate", "-json", "-no-color"]
    completed = process_group.run(command, env=environment(ws))
    report: dict[str, Any] = json.loads(completed.stdout or "{}")
    if completed.returncode != 0 or not report.get("valid", False):
        problems = [_diagnostic(d) for d in report.get("diagnostics", [])]
        raise TerraformError(f"{ws.env_dir} is not valid:\n" + "\n".join(problems or [completed.stderr]))
    return report


def _diagnostic(d: Mapping[str, Any]) -> str:
    where = d.get("range") or {}
    line = (where.get("start") or {}).get("line", "?")
    detail = d.get("detail", "")
    return f"{d.get('severity')}: {d.get('summary')} {detail} ({where.get('filename', '?')}:{line})"


def plan(ws: Workspace, *, destroy: bool = False) -> dict[str, Any]:
    """Plan without applying; the parsed `terraform show -json` plan, plus `resource_changes_pending`
    (the addresses whose planned action is not no-op)."""
    with tempfile.TemporaryDirectory(prefix="slo-tf-") as tmp:
        scratch = Path(tmp)
        plan_file = scratch / "plan.tfplan"
        args = ["plan", "-input=false", "-no-color", "-lock-timeout=60s", f"-out={plan_file}"]
        if destroy:
            args.append("-destroy")
        run(ws, [*args, *_var_args(ws, scratch), *_state_args(ws)])
        shown: dict[str, Any] = json.loads(run(ws, ["show", "-json", "-no-color", str(plan_file)]))
    shown["resource_changes_pending"] = [
        change["address"]
        for change in shown.get("resource_changes", [])
        if change.get("change", {}).get("actions") not in (["no-op"], ["read"])
    ]
    return shown


def apply(ws: Workspace, *, echo: bool = False) -> dict[str, Any]:
    """`terraform apply -auto-approve`; returns the outputs as {name: value}."""
    with tempfile.TemporaryDirectory(prefix="slo-tf-") as tmp:
        args = ["apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=60s"]
        run(ws, [*args, *_var_args(ws, Path(tmp)), *_state_args(ws)], echo=echo)
    return output(ws)


def destroy(ws: Workspace, *, echo: bool = False) -> dict[str, Any]:
    """`terraform destroy -auto-approve`; returns the state left behind (`terraform show -json`)."""
    with tempfile.TemporaryDirectory(prefix="slo-tf-") as tmp:
        args = ["destroy", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=60s"]
        run(ws, [*args, *_var_args(ws, Path(tmp)), *_state_args(ws)], echo=echo)
    return show_state(ws)


def output(ws: Workspace) -> dict[str, Any]:
    """The root outputs as {name: value} (empty before the first apply)."""
    raw: dict[str, Any] = json.loads(run(ws, ["output", "-json", "-no-color", *_state_args(ws)]) or "{}")
    return {name: item.get("value") for name, item in raw.items()}


def show_state(ws: Workspace) -> dict[str, Any]:
    """The current state as `terraform show -json` parses it."""
    args = ["show", "-json", "-no-color"]
    if ws.state is not None:
        if not ws.state.exists():
            return {}
        args.append(str(ws.state))
    return dict(json.loads(run(ws, args) or "{}"))


def console(ws: Workspace, expression: str) -> Any:
    """Evaluate `jsonencode(EXPRESSION)` with `terraform console` (variables and module values known before
    apply, no cloud calls for plain values); returns the decoded value."""
    with tempfile.TemporaryDirectory(prefix="slo-tf-") as tmp:
        command = [binary(), f"-chdir={ws.env_dir}", "console", "-no-color", *_var_args(ws, Path(tmp))]
        command += _state_args(ws)
        completed = process_group.run(command, input=f"jsonencode({expression})\n", env=environment(ws))
    try:
        if completed.returncode != 0:
            raise ValueError("non-zero exit")
        return json.loads(json.loads(completed.stdout.strip()))
    except ValueError:  # console can exit 0 with only diagnostics on stderr (invalid variables)
        raise TerraformError(
            f"terraform console could not evaluate {expression} in {ws.env_dir}:\n"
            f"{(completed.stdout + completed.stderr)[-ERROR_TAIL_CHARS:]}"
        ) from None


@dataclass(frozen=True)
class TestRun:
    """One `run` block of a `terraform test` file and how it ended: pass, fail, error or skip (terraform skips
    the rest of a file after a run errors), with its diagnostics."""

    __test__ = False  # not a pytest test class

    file: str
    run: str
    status: str
    diagnostics: tuple[str, ...] = ()


def test(ws: Workspace) -> list[TestRun]:
    """`terraform test` of the module `ws.env_dir` (its `tests/*.tftest.hcl`; needs init), one process for
    every file: each run block in the order terraform announced them. A failing run is a result, not an
    exception; TerraformError when terraform reported no run (a file it could not load, no test files)."""
    with tempfile.TemporaryDirectory(prefix="slo-tf-") as tmp:
        command = [binary(), f"-chdir={ws.env_dir}", "test", "-json", "-no-color", *_var_args(ws, Path(tmp))]
        completed = process_group.run(command, env=environment(ws))
    announced: list[tuple[str, str]] = []
    status: dict[tuple[str, str], str] = {}
    diagnostics: dict[tuple[str, str], list[str]] = {}
    for line in completed.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("type") == "test_abstract":
            announced += [(file, run) for file, runs in message["test_abstract"].items() for run in runs]
        elif message.get("type") == "test_run" and message["test_run"].get("progress") == "complete":
            status[(message["test_run"]["path"], message["test_run"]["run"])] = message["test_run"]["status"]
        elif message.get("type") == "diagnostic" and "@testrun" in message:
            key = (message.get("@testfile", ""), message["@testrun"])
            diagnostics.setdefault(key, []).append(_diagnostic(message["diagnostic"]))
    if not announced:
        raise TerraformError(
            f"`terraform test` in {ws.env_dir} ran nothing (exit {completed.returncode}):\n"
            f"{(completed.stdout + completed.stderr)[-ERROR_TAIL_CHARS:]}"
        )
    return [
        TestRun(file, run, status.get((file, run), "not reported"), tuple(diagnostics.get((file, run), [])))
        for file, run in announced
    ]


LOCAL_BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'
TERRAFORM_TREE = Path(__file__).resolve().parent.parent / "terraform"  # the repository's own
MODULES = "modules"  # the tree's modules, which its envs name by relative source (../../modules/observatory)
# Terraform's own data, and a clone's S3 backend (tools/remote_state.py): the copy's backend is local
NOT_COPIED = (".terraform", "*.tfstate*", "*.tfplan", "backend.hcl", "backend_override.tf")


class OutsideTreeError(TerraformError, UsageError):
    """An env that is not inside the Terraform tree evaluate may copy: what the user must change."""


def evaluate(env_dir: Path, expression: str, tree: Path = TERRAFORM_TREE) -> Any:
    """EXPRESSION in the root configuration `env_dir`, its variables exactly as `terraform apply` would see
    them (defaults, terraform.tfvars, *.auto.tfvars, TF_VAR_*); nothing is read from or written to the
    cloud, its state or the repository.

    `env_dir` must be inside `tree` (the repository's terraform/; OutsideTreeError otherwise). Runs `init`
    and `console` on a temporary copy of the env and of the tree's modules/ (relative module sources resolve
    as in the tree; nothing else is copied, no file reached through a link out of the tree), whose backend is
    overridden to local: a configured remote backend, its credentials and its state are never touched.
    """
    tree = tree.resolve()
    env_dir = env_dir.resolve()
    if not env_dir.is_relative_to(tree):
        raise OutsideTreeError(
            f"{env_dir} is not inside this repository's Terraform tree ({tree}): only its envs can be "
            "evaluated (copy yours under terraform/envs/)"
        )
    if not list(env_dir.glob("*.tf")):
        raise TerraformError(f"{env_dir} holds no Terraform configuration")
    parts = [env_dir] if env_dir.is_relative_to(tree / MODULES) else [tree / MODULES, env_dir]
    with tempfile.TemporaryDirectory(prefix="slo-tf-eval-") as tmp:
        copy = Path(tmp) / tree.name
        for part in parts:
            if part.is_dir():
                shutil.copytree(part, copy / part.relative_to(tree), ignore=_within(tree))
        env_copy = copy / env_dir.relative_to(tree)
        (env_copy / "zz_local_backend_override.tf").write_text(LOCAL_BACKEND_OVERRIDE)
        ws = Workspace(env_copy)
        init(ws)
        return console(ws, expression)


def _within(tree: Path) -> Callable[[str, list[str]], set[str]]:
    """A copytree `ignore` that leaves out Terraform's own data and refuses a link leading out of `tree`."""
    not_copied = shutil.ignore_patterns(*NOT_COPIED)

    def ignore(folder: str, names: list[str]) -> set[str]:
        left_out = set(not_copied(folder, names))
        for name in names:
            path = Path(folder) / name
            if name not in left_out and not path.resolve().is_relative_to(tree):
                raise OutsideTreeError(f"{path} leads out of {tree} (to {path.resolve()}): not copied")
        return left_out

    return ignore
