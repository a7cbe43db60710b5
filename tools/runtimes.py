"""The Lambda runtime each Terraform environment deploys, as Terraform itself resolves it: one setting
drives both the build and the deployment.

`runtime` is an ordinary variable of terraform/envs/aws (default python3.13) and terraform/envs/local (the
lab's python3.11): its default, or the user's terraform.tfvars, *.auto.tfvars or TF_VAR_runtime. `make build`
asks Terraform for it and builds the zips for exactly that runtime, so the build and the plan cannot disagree
(they did when the build used whatever Python ran it).

Asking costs a `terraform init` and `console` (seconds), so each answer is cached in the build's cache,
keyed by the environment's own files and TF_VAR_runtime: the only places its root variable can be set.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tools import terraform

# Files of a root configuration that can set or default its `runtime` variable.
RUNTIME_INPUTS = ("*.tf", "*.tf.json", "*.tfvars", "*.tfvars.json")
CACHE_FILE = "runtimes.json"

Resolver = Callable[[Path], str]


def terraform_runtime(env_dir: Path) -> str:
    """`var.runtime` of the environment, evaluated by Terraform (raises terraform.TerraformError)."""
    value = terraform.evaluate(env_dir, "var.runtime")
    if not isinstance(value, str):
        raise terraform.TerraformError(f"var.runtime of {env_dir} is {value!r}, not a runtime name")
    return value


def inputs_key(env_dir: Path, environ: Mapping[str, str]) -> str:
    """A hash of everything that decides the environment's runtime."""
    digest = hashlib.sha256(b"runtime-inputs 1\n")
    for path in sorted({p for pattern in RUNTIME_INPUTS for p in env_dir.glob(pattern) if p.is_file()}):
        digest.update(f"{path.name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    digest.update(f"TF_VAR_runtime={environ.get('TF_VAR_runtime', '')}\n".encode())
    return digest.hexdigest()


def env_runtimes(
    env_dirs: Sequence[Path],
    cache: Path,
    resolve: Resolver = terraform_runtime,
    environ: Mapping[str, str] = os.environ,
) -> list[str]:
    """The runtime of each environment, in order: from the cache when its inputs are unchanged, else asked of
    Terraform and remembered."""
    envs = [env.resolve() for env in env_dirs]
    path = cache / CACHE_FILE
    try:
        known: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.is_file() else {}
    except ValueError:
        known = {}
    keys = {env: inputs_key(env, environ) for env in envs}
    missing = [env for env in dict.fromkeys(envs) if known.get(str(env), {}).get("key") != keys[env]]
    if missing:
        # one at a time: concurrent `terraform init`s must not share a TF_PLUGIN_CACHE_DIR
        for env in missing:
            known[str(env)] = {"key": keys[env], "runtime": resolve(env)}
        cache.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(f".{os.getpid()}.tmp")
        staging.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
        staging.replace(path)
    return [known[str(env)]["runtime"] for env in envs]
