"""Where envs/aws keeps its Terraform state: S3 with a lock file when `backend.hcl` is there, else a local
file.

`make bootstrap` (tools/state_bootstrap.py) applies terraform/bootstrap (one versioned, encrypted, private,
TLS-only bucket per account and region; its own small state stays local in terraform/bootstrap/) and
writes its `backend_config` output to `terraform/envs/aws/backend.hcl`, a partial S3 backend configuration
(bucket, key, region, use_lockfile: S3's native lock file, no DynamoDB table). Both that file and
`backend_override.tf` (the `backend "s3" {}` block it completes) are gitignored: a clone without them
keeps its state in `terraform.tfstate` beside the configuration, and `make deploy` says once what that risks.
"""

from __future__ import annotations

from pathlib import Path

BACKEND_CONFIG = "backend.hcl"
BACKEND_OVERRIDE = "backend_override.tf"
OVERRIDE_TEXT = (
    "# Written by tools/remote_state.py because backend.hcl is here (gitignored, like this file):\n"
    "# the S3 backend that backend.hcl completes. Delete both to go back to local state.\n"
    'terraform {\n  backend "s3" {}\n}\n'
)
WARNED_MARKER = "slo-local-state-warned"  # in the env's data dir (.terraform): said once per clone
LOCAL_STATE_WARNING = """\
NOTE: {env} keeps its Terraform state in a local file ({state}), in this clone only.
  If this clone is lost, every resource the deployment made stays in the account (and billed) with nothing
  that knows about it: each must be found and deleted by hand, or imported. Two people deploying from two
  clones each create their own copy, and the second apply fails on names the first already took.
  `make bootstrap` creates a versioned, encrypted S3 bucket for the state (once per account) and writes
  {config}; the next `make deploy` keeps the state there, with S3's lock file. (Said once for this clone.)"""


class RemoteStateError(Exception):
    """The backend files of an environment contradict each other, or the bootstrap gave no configuration."""


def backend_config(env_dir: Path) -> Path | None:
    """The env's `backend.hcl` when it has one (state in S3), after making sure the `backend "s3" {}` block
    it completes is there; None when the env keeps local state. RemoteStateError when only the block is."""
    config, override = env_dir / BACKEND_CONFIG, env_dir / BACKEND_OVERRIDE
    if config.is_file():
        if not override.is_file() or override.read_text() != OVERRIDE_TEXT:
            override.write_text(OVERRIDE_TEXT)
        return config
    if override.exists():
        raise RemoteStateError(
            f"{override} selects the S3 backend but {config} is missing: restore {BACKEND_CONFIG} (`make "
            f"bootstrap` writes it) or delete {BACKEND_OVERRIDE} to keep local state"
        )
    return None


def local_state_warning(env_dir: Path, data_dir: Path | None = None) -> str | None:
    """What a deployment with local state risks, the first time it is asked for in this clone (a marker in
    the env's data dir remembers it was said); None after that, and when the env's state is in S3."""
    if backend_config(env_dir) is not None:
        return None
    marker = (data_dir or env_dir / ".terraform") / WARNED_MARKER
    if marker.exists():
        return None
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("make deploy said once what local state risks (tools/remote_state.py)\n")
    return LOCAL_STATE_WARNING.format(
        env=env_dir.name if env_dir.parent.name != "envs" else f"envs/{env_dir.name}",
        state=env_dir / "terraform.tfstate",
        config=env_dir / BACKEND_CONFIG,
    )


def write_backend_config(text: str, env_dir: Path) -> Path:
    """Write the bootstrap's `backend_config` output as the env's backend.hcl (and its override block)."""
    if "use_lockfile" not in text or "bucket" not in text:
        raise RemoteStateError(f"the bootstrap's backend_config output is no backend configuration: {text!r}")
    config = env_dir / BACKEND_CONFIG
    config.write_text(text)
    backend_config(env_dir)
    return config
