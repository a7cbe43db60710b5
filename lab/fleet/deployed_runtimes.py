"""The runtimes the fleet of terraform/envs/local deploys, known before anything starts: their interpreters
are checked (a missing one is refused, naming the command that installs it) and their environments made.

Terraform decides them: `var.runtime` (the collector's and compactor's, and the probes' by default) and
`var.fleet.runtimes` (the probes'; null → `[var.runtime]`; an older envs/local: `var.runtimes`, or without
either `[var.runtime]`), with the overrides a command applies (e.g. `lab replay`'s `fleet`). Asking Terraform
costs an `init` and a `console` (seconds), so the answer is cached in `.lab/runtimes/fleet.json`, keyed as
the build keys its own answers (`tools.build_targets.inputs_key`: the environment's own files and every
`TF_VAR_*`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lab.errors import LabError
from lab.settings import LOCAL_ENV
from tools.build_targets import inputs_key

CACHE_FILE = "fleet.json"
VARIABLES = ("runtime", "runtimes")
DECLARES_FLEET = re.compile(r'variable\s+"fleet"\s*\{')
DECLARES_RUNTIMES = re.compile(r'variable\s+"runtimes"\s*\{')

Evaluate = Callable[[Path, str], Any]


def _terraform_evaluate(env_dir: Path, expression: str) -> Any:
    from tools import terraform

    try:
        return terraform.evaluate(env_dir, expression)
    except terraform.TerraformError as exc:
        raise LabError(f"cannot read the runtimes {env_dir} deploys: {exc}") from exc


def runtimes_expression(env_dir: Path) -> str:
    """Where the environment's probes' runtimes are: `var.fleet.runtimes` (the `fleet` object envs/aws takes
    too), `var.runtimes` (an envs/local of before it), or `null` (older still: `runtime` only)."""
    texts = [p.read_text() for p in env_dir.glob("*.tf")]
    if any(DECLARES_FLEET.search(text) for text in texts):
        return "var.fleet.runtimes"
    return "var.runtimes" if any(DECLARES_RUNTIMES.search(text) for text in texts) else "null"


def declares_runtimes(env_dir: Path) -> bool:
    """True when the environment declares its probes' runtimes (older ones have `runtime` only)."""
    return runtimes_expression(env_dir) != "null"


def combine(runtime: str, runtimes: Sequence[str] | None) -> list[str]:
    """Every runtime deployed: the environment's own first, then the probes' (null → the environment's)."""
    return list(dict.fromkeys([runtime, *(runtimes if runtimes is not None else [runtime])]))


def fleet_runtimes(
    cache_dir: Path,
    variables: Mapping[str, Any] | None = None,
    *,
    env_dir: Path = LOCAL_ENV,
    evaluate: Evaluate = _terraform_evaluate,
    environ: Mapping[str, str] = os.environ,
) -> list[str]:
    """The runtimes `terraform apply` of `env_dir` with `variables` (overrides) deploys."""
    overrides = dict(variables or {})
    fleet = overrides.get("fleet")
    if isinstance(fleet, Mapping):  # a `fleet` passed is the whole object: no runtimes in it means null
        overrides["runtimes"] = fleet.get("runtimes")
    listed = runtimes_expression(env_dir)
    has_list = listed != "null"
    answer: dict[str, Any] = {}
    if "runtime" not in overrides or (has_list and "runtimes" not in overrides):
        path = cache_dir / CACHE_FILE
        key = inputs_key(env_dir, environ)
        try:
            cached = json.loads(path.read_text()) if path.is_file() else {}
        except ValueError:
            cached = {}
        if cached.get("key") == key:
            answer = cached.get("value", {})
        else:
            answer = dict(evaluate(env_dir, f"{{runtime = var.runtime, runtimes = {listed}}}"))
            cache_dir.mkdir(parents=True, exist_ok=True)
            staging = path.with_suffix(f".{os.getpid()}.tmp")
            staging.write_text(json.dumps({"key": key, "value": answer}, indent=2) + "\n")
            staging.replace(path)
    answer.update({k: v for k, v in overrides.items() if k in VARIABLES})
    runtime = answer.get("runtime")
    runtimes = answer.get("runtimes")
    if not isinstance(runtime, str) or not (runtimes is None or isinstance(runtimes, list)):
        raise LabError(f"{env_dir}: runtime {runtime!r} / runtimes {runtimes!r} are not runtime names")
    return combine(runtime, [str(r) for r in runtimes] if runtimes is not None else None)
