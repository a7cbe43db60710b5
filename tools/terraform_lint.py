"""`make lint` for Terraform: fmt -check, validate of both environments and the state bootstrap, checkov
with no failed check.

    python -m tools.terraform_lint [--skip-checkov]

checkov runs from its own virtualenv (`.venv-checkov`, created on demand from requirements/checkov.txt)
because its pinned dependencies clash with the project's. Each checkov skip sits next to its resource
with a one-line reason.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tools import cli, terraform, venv_install

REPO_ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = REPO_ROOT / "terraform"
ENVS = ("aws", "local")
ENVIRONMENT = {k: v for k, v in terraform.ENVIRONMENT.items() if k != "TF_VAR_<name>"}  # validate sets none
CHECKOV_VENV = REPO_ROOT / ".venv-checkov"
CHECKOV_REQUIREMENTS = REPO_ROOT / "requirements" / "checkov.txt"


class LintError(Exception):
    """A Terraform lint step failed."""


def check_fmt(root: Path = TERRAFORM_DIR) -> None:
    """`terraform fmt -check -recursive`: fails listing the files that need `terraform fmt`."""
    completed = subprocess.run(
        [terraform.binary(), "fmt", "-check", "-recursive", "-no-color", str(root)],
        env=terraform.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise LintError(
            "terraform fmt -check failed; run `terraform fmt -recursive terraform` to fix:\n"
            + (completed.stdout + completed.stderr).strip()
        )


def check_validate(env_dir: Path) -> None:
    """`terraform init -backend=false` then `terraform validate` of one root configuration."""
    ws = terraform.Workspace(env_dir)
    try:
        terraform.init(ws, backend=False)
        terraform.validate(ws)
    except terraform.TerraformError as exc:
        raise LintError(str(exc)) from exc


def checkov_binary(venv: Path = CHECKOV_VENV) -> Path:
    """checkov in its own virtualenv, created from requirements/checkov.txt the first time it is needed."""
    binary = venv / "bin" / "checkov"
    if binary.exists():
        return binary
    print(f"creating {venv} for checkov ({CHECKOV_REQUIREMENTS.name}) ...", file=sys.stderr)
    step = [sys.executable, "-m", "venv", str(venv)]
    if subprocess.run(step, check=False).returncode != 0:
        raise LintError(f"could not install checkov: `{' '.join(step)}` failed")
    try:  # `make venv`'s installer: uv, or pip where uv cannot be had
        venv_install.install(venv / "bin" / "python", CHECKOV_REQUIREMENTS, None,
                             say=lambda text: print(text, file=sys.stderr))
    except venv_install.VenvInstallError as exc:
        raise LintError(f"could not install checkov: {exc}") from exc
    return binary


def check_checkov(root: Path = TERRAFORM_DIR) -> str:
    """checkov over the module and both environments, offline; fails on any failed check."""
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    completed = subprocess.run(
        [
            str(checkov_binary()),
            "--directory",
            str(root),
            "--framework",
            "terraform",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "cli",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    report = completed.stdout.strip()
    if completed.returncode != 0:
        raise LintError(f"checkov reported failed checks:\n{report}\n{completed.stderr[-2000:]}")
    return report


def main(argv: list[str] | None = None) -> int:
    """Run every step, print each outcome, exit 1 if any failed."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.terraform_lint",
        description="terraform fmt -check; validate envs/aws, envs/local, bootstrap; checkov: no failure.",
        epilog=cli.environment_help(ENVIRONMENT),
    )
    parser.add_argument("--skip-checkov", action="store_true", help="only fmt and validate")
    args = parser.parse_args(argv)
    return cli.run("terraform_lint", lambda: _lint(args), failures=(LintError, terraform.TerraformError))


def _lint(args: argparse.Namespace) -> int:

    steps: list[tuple[str, Callable[[], object]]] = [("terraform fmt -check", check_fmt)]
    for env in ENVS:
        validate = functools.partial(check_validate, TERRAFORM_DIR / "envs" / env)
        steps.append((f"terraform validate envs/{env}", validate))
    bootstrap = functools.partial(check_validate, TERRAFORM_DIR / "bootstrap")
    steps.append(("terraform validate bootstrap", bootstrap))
    if not args.skip_checkov:
        steps.append(("checkov", check_checkov))
    failed = 0
    for label, step in steps:
        try:
            result = step()
        except (LintError, terraform.TerraformError) as exc:
            failed += 1
            print(f"FAIL {label}\n{exc}", file=sys.stderr)
            continue
        summary = ""
        if isinstance(result, str):
            summary = next((line for line in result.splitlines() if line.startswith("Passed checks")), "")
        print(f"ok   {label}" + (f" ({summary})" if summary else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
