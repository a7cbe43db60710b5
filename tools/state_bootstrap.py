"""CLOUD-CHANGING: `make bootstrap`, the S3 bucket that keeps envs/aws's Terraform state (once per account).

    python -m tools.state_bootstrap [--yes] [--var-file FILE]

Plans terraform/bootstrap, shows the account, asks for `yes`, applies (tools.terraform_run), then writes its
`backend_config` output to terraform/envs/aws/backend.hcl (tools.remote_state): from then on `make deploy`
keeps envs/aws's state in the bucket, locked with S3's lock file. The bootstrap's own state (one bucket and
its settings) stays in terraform/bootstrap/terraform.tfstate.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools import cli, remote_state, terraform, terraform_run

REPO_ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP_DIR = REPO_ROOT / "terraform" / "bootstrap"
AWS_ENV = REPO_ROOT / "terraform" / "envs" / "aws"


def main(argv: list[str] | None = None) -> int:
    """Apply terraform/bootstrap after confirmation, then write envs/aws/backend.hcl."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.state_bootstrap",
        description="CLOUD-CHANGING: create the S3 bucket for envs/aws's state and point envs/aws at it.",
        epilog=cli.environment_help(terraform_run.ENVIRONMENT),
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation (automation)")
    parser.add_argument("--var-file", type=Path, action="append", default=[], help="tfvars for the bootstrap")
    parser.add_argument("--bootstrap-dir", type=Path, default=BOOTSTRAP_DIR, help="the bootstrap root")
    parser.add_argument("--env-dir", type=Path, default=AWS_ENV, help="the env that gets backend.hcl")
    args = parser.parse_args(argv)
    failures = (remote_state.RemoteStateError, terraform.TerraformError)
    return cli.run("state_bootstrap", lambda: _bootstrap(args), failures=failures)


def _bootstrap(args: argparse.Namespace) -> int:
    run_args = [str(args.bootstrap_dir), "apply", "--local-state", "--no-preflight"]
    run_args += ["--yes"] if args.yes else []
    run_args += [f"--var-file={path}" for path in args.var_file]
    code = terraform_run.main(run_args)
    if code != 0:
        return code
    outputs = terraform.output(terraform.Workspace(args.bootstrap_dir.resolve()))
    config = remote_state.write_backend_config(str(outputs.get("backend_config") or ""), args.env_dir)
    print(f"wrote {config}: `make deploy` now keeps envs/aws's state in s3://{outputs.get('bucket_name')}.")
    state = args.env_dir / "terraform.tfstate"
    if state.exists():
        print(
            f"{state} holds this clone's state so far: move it into the bucket once with\n"
            f"  terraform -chdir={args.env_dir} init -migrate-state "
            f"-backend-config={remote_state.BACKEND_CONFIG}"
        )
    print(f"Keep {args.bootstrap_dir / 'terraform.tfstate'}: it is the bucket's own state.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
