"""CLOUD-CHANGING: apply or destroy a Terraform environment (`make deploy` / `make destroy`).

    python -m tools.terraform_run terraform/envs/aws apply [--region R] [--yes] [--var-file FILE]
    python -m tools.terraform_run terraform/envs/aws destroy [--region R] [--yes]

Chooses the region by tools/region.py's rule (--region / make's REGION=, TF_VAR_region, the env's tfvars,
AWS_REGION, the profile) and says which and why before anything else; `apply` runs the preflight
(tools/preflight.py) and stops when a line blocks. Then plans with that region, shows the plan, says which AWS
account and region will change, and asks for `yes` (unless --yes), then applies exactly the saved plan. State
lives in S3 when the env has a `backend.hcl` (`make bootstrap` writes it; tools/remote_state.py), else in its
local terraform.tfstate, and then the first run in a clone says what that risks (`--local-state`: a root that
keeps local state on purpose, the bootstrap).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tools import cli, preflight, region, remote_state, terraform
from tools.preflight import Settings, read_settings
from tools.preflight_checks import Finding

BANNER = "=" * 100
ENVIRONMENT = (
    terraform.ENVIRONMENT
    | region.ENVIRONMENT
    | {  # what it reads from the environment (--help)
        "AWS_PROFILE": "the AWS credentials the plan and the apply use, the account it names, and its region "
        "when nothing else names one (or the rest of AWS's credential chain: AWS_ACCESS_KEY_ID, "
        "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, SSO)",
    }
)


def caller_account(region_name: str) -> str:
    """The AWS account and principal the default credential chain resolves to, or why it is unknown."""
    try:
        import boto3

        identity = boto3.client("sts", region_name=region_name).get_caller_identity()
        return f"account {identity['Account']} as {identity['Arn']}"
    except Exception as exc:  # shown to the person deciding, never swallowed silently
        return f"unknown account ({type(exc).__name__}: {exc})"


def run_preflight(settings: Settings, where: tuple[str, str]) -> list[Finding]:
    """The preflight's findings for this deployment (tools/preflight.py), with the default credentials."""
    return preflight.check(settings, where, preflight.session_for(where[0]))


def confirm(question: str, read: Callable[[str], str] = input) -> bool:
    """True only if the person types exactly 'yes'."""
    try:
        return read(question).strip() == "yes"
    except EOFError:
        return False


def main(
    argv: list[str] | None = None,
    read: Callable[[str], str] = input,
    account: Callable[[str], str] = caller_account,
) -> int:
    """Plan, confirm, apply the saved plan. Exit 0 on success, 1 on failure, 2 when not confirmed, 130 on
    Ctrl-C (tools.cli)."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.terraform_run",
        description="CLOUD-CHANGING: plan, confirm, then apply or destroy a Terraform environment.",
        epilog=cli.environment_help(ENVIRONMENT),
    )
    parser.add_argument("env_dir", type=Path, help="root configuration, e.g. terraform/envs/aws")
    parser.add_argument("action", choices=["apply", "destroy"], help="what to do to the deployment")
    parser.add_argument("--region", default=None, help="where to deploy (make: REGION=); see tools/region.py")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation (automation)")
    parser.add_argument("--var-file", type=Path, action="append", default=[], help="extra tfvars file(s)")
    parser.add_argument("--local-state", action="store_true", help="this root keeps local state on purpose")
    parser.add_argument(
        "--no-preflight", action="store_true", help="a root without a fleet (the bootstrap): no preflight"
    )
    args = parser.parse_args(argv)
    failures = (terraform.TerraformError, remote_state.RemoteStateError)
    return cli.run("terraform_run", lambda: _run(args, read, account), failures=failures)


def _run(args: argparse.Namespace, read: Callable[[str], str], account: Callable[[str], str]) -> int:
    ws = terraform.Workspace(args.env_dir.resolve())
    # a root without a fleet (the state bootstrap) has nothing for the preflight to check
    settings = None if args.no_preflight else read_settings(args.env_dir)
    configured = settings.region if settings is not None else None
    where = preflight.deployment_region(args.region, configured, os.environ, args.env_dir)
    print(f"terraform_run: {region.describe(*where)}", file=sys.stderr)
    if (
        args.action == "apply"
        and settings is not None
        and not preflight.report(run_preflight(settings, where))
    ):
        print("Preflight blocked the deployment: nothing was changed.", file=sys.stderr)
        return 1
    target = f"{account(where[0])}, {region.describe(*where)}"
    backend_config = remote_state.backend_config(ws.env_dir)
    if backend_config is None and not args.local_state:
        warning = remote_state.local_state_warning(ws.env_dir)
        if warning:
            print(warning, file=sys.stderr)
    verb = "CREATE/CHANGE" if args.action == "apply" else "DESTROY"
    print(
        f"{BANNER}\nCLOUD-CHANGING: terraform {args.action} of {args.env_dir} will {verb} real resources in "
        f"{target}.\n{BANNER}",
        file=sys.stderr,
    )
    var_args = [f"-var=region={where[0]}", *(f"-var-file={path.resolve()}" for path in args.var_file)]
    try:
        terraform.init(ws, echo=True, backend_config=backend_config)
    except terraform.TerraformError as exc:
        if backend_config is None or not (ws.env_dir / "terraform.tfstate").exists():
            raise
        raise terraform.TerraformError(
            f"{exc}\n{ws.env_dir} has a local terraform.tfstate and a backend.hcl: move the state into the "
            f"bucket once: `terraform -chdir={ws.env_dir} init -migrate-state -backend-config=backend.hcl`"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="slo-tf-run-") as tmp:
        plan_file = Path(tmp) / "plan.tfplan"
        plan_args = ["plan", "-input=false", f"-out={plan_file}", *var_args]
        if args.action == "destroy":
            plan_args.append("-destroy")
        terraform.run(ws, plan_args, echo=True)
        question = f"Type 'yes' to {args.action} this plan in {target}: "
        if not args.yes and not confirm(question, read):
            print("Not confirmed: nothing was changed.", file=sys.stderr)
            return 2
        terraform.run(ws, ["apply", "-input=false", str(plan_file)], echo=True)
    if args.action == "apply":
        for name, value in terraform.output(ws).items():
            print(f"{name} = {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
