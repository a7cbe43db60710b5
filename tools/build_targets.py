"""What each Terraform environment deploys, as Terraform itself resolves it: one setting drives both the
build and the deployment.

Each environment (terraform/envs/aws, terraform/envs/local) declares `local.build`: the `runtime` of its
functions (the collector's, and the probes' default), the distinct `runtimes` its probe fleet uses (the
fleet's `runtimes`, else `[runtime]`), the probes' `dependency_set`, and the runtimes of its `otel` probes
(`otel_runtimes`: their OpenTelemetry layer) and of its `adot` probes (`adot_runtimes`: the lab's ADOT
layer). They come from variables: defaults, the user's terraform.tfvars, *.auto.tfvars or TF_VAR_*.
`make build` asks Terraform for them and builds the zips for exactly those, so the build and the plan cannot
disagree (they did when the build used whatever Python ran it).

Asking costs a `terraform init` and `console` (seconds), so each answer is cached in the build's cache,
keyed by the environment's own files and every TF_VAR_*: the only places its root variables can be set.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import terraform

# Files of a root configuration that can set or default its variables.
RUNTIME_INPUTS = ("*.tf", "*.tf.json", "*.tfvars", "*.tfvars.json")
CACHE_FILE = "runtimes.json"
BUILD_EXPRESSION = "local.build"


@dataclass(frozen=True)
class EnvBuild:
    """What an environment deploys: its functions' runtime, its probes' runtimes and dependency set, and the
    runtimes its otel and adot probes run on."""

    runtime: str
    runtimes: tuple[str, ...]
    dependency_set: str = "current"
    otel_runtimes: tuple[str, ...] = ()
    adot_runtimes: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: Any, env_dir: Path) -> EnvBuild:
        """From `local.build` as Terraform encodes it (raises terraform.TerraformError when malformed)."""
        if (
            isinstance(value, dict)
            and isinstance(value.get("runtime"), str)
            and isinstance(value.get("runtimes"), list)
            and value["runtimes"]
            and all(isinstance(r, str) for r in value["runtimes"])
            and isinstance(value.get("dependency_set", "current"), str)
            and all(_names(value.get(field, [])) for field in ("otel_runtimes", "adot_runtimes"))
        ):
            return cls(
                value["runtime"],
                tuple(dict.fromkeys(value["runtimes"])),
                value.get("dependency_set", "current"),
                tuple(dict.fromkeys(value.get("otel_runtimes", []))),
                tuple(dict.fromkeys(value.get("adot_runtimes", []))),
            )
        raise terraform.TerraformError(
            f"{BUILD_EXPRESSION} of {env_dir} is {value!r}, not "
            "{runtime, runtimes, dependency_set, otel_runtimes, adot_runtimes}"
        )

    def tracing_layers(self, runtime: str) -> list[str]:
        """The tracing modes whose layer a probe runtime needs: `otel`, `adot`."""
        return [m for m, on in (("otel", self.otel_runtimes), ("adot", self.adot_runtimes)) if runtime in on]

    def encode(self) -> dict[str, Any]:
        return {
            "runtime": self.runtime,
            "runtimes": list(self.runtimes),
            "dependency_set": self.dependency_set,
            "otel_runtimes": list(self.otel_runtimes),
            "adot_runtimes": list(self.adot_runtimes),
        }


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


Resolver = Callable[[Path], EnvBuild]


def terraform_build(env_dir: Path, tree: Path = terraform.TERRAFORM_TREE) -> EnvBuild:
    """`local.build` of the environment (inside `tree`, the repository's terraform/), evaluated by Terraform
    (raises terraform.TerraformError)."""
    return EnvBuild.parse(terraform.evaluate(env_dir, BUILD_EXPRESSION, tree), env_dir)


def inputs_key(env_dir: Path, environ: Mapping[str, str]) -> str:
    """A hash of everything that decides what the environment deploys."""
    digest = hashlib.sha256(b"build-inputs 3\n")  # 3: local.build gained otel_runtimes, adot_runtimes
    for path in sorted({p for pattern in RUNTIME_INPUTS for p in env_dir.glob(pattern) if p.is_file()}):
        digest.update(f"{path.name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    for name in sorted(key for key in environ if key.startswith("TF_VAR_")):
        digest.update(f"{name}={environ[name]}\n".encode())
    return digest.hexdigest()


def env_builds(
    env_dirs: Sequence[Path],
    cache: Path,
    resolve: Resolver = terraform_build,
    environ: Mapping[str, str] = os.environ,
) -> list[EnvBuild]:
    """What each environment deploys, in order: from the cache when its inputs are unchanged, else asked of
    Terraform and remembered."""
    envs = [env.resolve() for env in env_dirs]
    path = cache / CACHE_FILE
    try:
        known: dict[str, dict[str, Any]] = json.loads(path.read_text()) if path.is_file() else {}
    except ValueError:
        known = {}
    keys = {env: inputs_key(env, environ) for env in envs}
    missing = [env for env in dict.fromkeys(envs) if known.get(str(env), {}).get("key") != keys[env]]
    if missing:
        # one at a time: concurrent `terraform init`s must not share a TF_PLUGIN_CACHE_DIR
        for env in missing:
            known[str(env)] = {"key": keys[env], "build": resolve(env).encode()}
        cache.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(f".{os.getpid()}.tmp")
        staging.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
        staging.replace(path)
    return [EnvBuild.parse(known[str(env)]["build"], env) for env in envs]


def env_runtimes(
    env_dirs: Sequence[Path],
    cache: Path,
    resolve: Resolver = terraform_build,
    environ: Mapping[str, str] = os.environ,
) -> list[str]:
    """The `runtime` of each environment, in order (see env_builds)."""
    return [wanted.runtime for wanted in env_builds(env_dirs, cache, resolve, environ)]
