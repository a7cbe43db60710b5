"""Build the deployable zips, deterministically: `python -m tools.build --out build` (contract §6).

Artifacts:
- `probe-code.zip`: the probe's own code (`probe/`, plus `probe/BUILD.json`), independent of runtime and
  architecture, so it is small and the same for every probe function;
- `deps-{set}-{runtime}-{arch}.zip`: a layer with the probe's dependencies under `python/`, one per dependency
  set x runtime x architecture deployed, from `functions/probe/requirements/{set}-{runtime}.txt`, else
  `{set}.txt` (versions differ where an older Python needs older releases);
- `collector-{runtime}-{arch}.zip`: the collector and compactor Lambdas (`collector/`) with the data layer
  they import (`datastore/`), `extension-layer-{arch}.zip` and `cloud-extensions-layer-{arch}.zip`;
- `adot-layer-{runtime}-{arch}.zip`: the lab's ADOT layer (tools.adot_layer), one per probe runtime (3.10+);
- `deps-otel-{runtime}-{arch}.zip`: the `otel` probes' OpenTelemetry layer (tools.probe_layers), one per
  runtime the environments deploy `otel` probes on (3.10+);
- `manifest.json`: {name: {path, sha256_hex, sha256_b64, kind, runtime, architecture, dependency_set}}
  (`path` relative to the manifest's directory; `sha256_b64` is what Lambda reports as CodeSha256; probe-code
  records no runtime or architecture, only deps a dependency_set).

What to build comes from the Terraform environments (tools.build_targets asks each for its runtime, its
fleet's runtimes and its dependency set) or from `--runtime` / `--dependency-set`. Dependencies are
pip-installed and cached (tools.pip_deps); zips are deterministic (tools.zips); an artifact whose inputs have
not changed since its last build is left as it is, so `make build` is quick when nothing changed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from datastore.vocabulary import ARCHITECTURES, LAB_RUNTIMES
from tools import adot_layer, cli, probe_layers, terraform
from tools.pip_deps import PIP_ENVIRONMENT, Installer, dependencies, dependency_entries, pip_install
from tools.probe_layers import OTEL_KIND, has_requirements, otel_fits, requirements_for, set_runtimes
from tools.zips import (
    BuildError,
    BuildUsageError,
    Entry,
    check_entries,
    display,
    file_sha256,
    inputs_digest,
    layer_entries,
    sha256_pair,
    tree_entries,
    write_manifest,
    write_zip,
)

__all__ = ["BuildError", "Entry", "build", "check_entries", "inputs_digest", "main", "plan_builds"]

REPO = Path(__file__).resolve().parent.parent
KINDS = ("probe-code", "deps", OTEL_KIND, "collector", "extension-layer", "cloud-extensions-layer",
         adot_layer.KIND)  # fmt: skip
KIND_ALIASES = {"probe": ("probe-code", "deps", OTEL_KIND)}  # `--only probe`: all a probe function needs
DEPENDENCY_SETS = ("current", "2022")
DEFAULT_DEPENDENCY_SET = "current"
LAYER_DIR = "slo-parameters-secrets"
EMULATOR_LAYERS = (  # the lab's emulators: kind, layer folder, lab packages (the first one's launcher runs)
    ("extension-layer", LAYER_DIR, ("extension",)),
    ("cloud-extensions-layer", "slo-cloud-extensions", ("cloud_extensions", "extension")),
)
DEPS_PREFIX = "python/"  # a Python layer's packages: Lambda puts /opt/python on sys.path
COLLECTOR_MIN_MINOR = 11  # the collector (and the compactor) need Python 3.11+ (datetime.UTC)
CODE_ONLY = re.compile(r"(^|/)requirements(/|[^/]*\.txt$)")  # requirement files describe layers, not code


@dataclass
class Plan:
    """One artifact to build: first-party entries plus, optionally, requirements installed under a prefix."""

    name: str
    kind: str
    entries: list[Entry]
    arch: str | None
    runtime: str | None
    requirements: Path | None = None
    deps_prefix: str = ""
    dependency_set: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"{self.name}.zip"


# --------------------------------------------------------------------------------------------- planning


def python_version(runtime: str) -> str:
    """`3.X` of a runtime the probe runs on (the vocabulary's LAB_RUNTIMES), else BuildUsageError."""
    if runtime not in LAB_RUNTIMES:
        raise BuildUsageError(f"runtime {runtime!r} is not one the probe runs on: {', '.join(LAB_RUNTIMES)}")
    return runtime.removeprefix("python")


def plan_builds(
    repo: Path,
    runtime: str,
    archs: Iterable[str],
    only: Iterable[str] = (),
    dependency_sets: Sequence[str] = (DEFAULT_DEPENDENCY_SET,),
) -> tuple[list[Plan], list[str]]:
    """What to build from the tree at `repo`, and why anything was skipped."""
    kinds = expand_kinds(only)
    plans: list[Plan] = []
    skipped: list[str] = []
    probe = repo / "functions" / "probe"
    collector = repo / "collector"
    datastore = repo / "datastore"  # the data layer the collector and the compactor import
    extension = repo / "lab" / "extension"
    if "probe-code" in kinds:
        if (probe / "handler.py").is_file():
            code = [e for e in tree_entries(probe, "probe/") if not CODE_ONLY.search(e.arcname)]
            plans.append(Plan("probe-code", "probe-code", code, None, None))
        else:
            skipped.append(f"probe-code: {probe / 'handler.py'} does not exist")
    for arch in archs:
        if "deps" in kinds:
            for dependency_set in dict.fromkeys(dependency_sets):
                requirements = requirements_for(repo, dependency_set, runtime)
                plans.append(
                    Plan(
                        f"deps-{dependency_set}-{runtime}-{arch}", "deps", [], arch, runtime, requirements,
                        deps_prefix=DEPS_PREFIX, dependency_set=dependency_set,
                    )
                )  # fmt: skip
        if "collector" in kinds:
            if _minor(runtime) < COLLECTOR_MIN_MINOR:
                skipped.append(
                    f"collector-{runtime}-{arch}: the collector needs Python 3.{COLLECTOR_MIN_MINOR}+"
                )
            elif collector.is_dir() and any(collector.glob("*.py")):
                requirements = collector / "requirements.txt"
                plan = Plan(
                    f"collector-{runtime}-{arch}",
                    "collector",
                    tree_entries(collector, "collector/") + tree_entries(datastore, "datastore/"),
                    arch,
                    runtime,
                    requirements if requirements.is_file() else None,
                )
                if plan.requirements is None:
                    plan.notes.append("no collector/requirements.txt: code only")
                plans.append(plan)
            else:
                skipped.append(f"collector-{runtime}-{arch}: no Python code in {collector}")
        if OTEL_KIND in kinds:  # the otel probes' OpenTelemetry, for a runtime of 3.10+
            otel, name = probe_layers.otel_requirements(repo, runtime), f"{OTEL_KIND}-{runtime}-{arch}"
            if isinstance(otel, str):
                skipped.append(f"{name}: {otel}")
            else:
                plans.append(Plan(name, OTEL_KIND, [], arch, runtime, otel, DEPS_PREFIX))
        if adot_layer.KIND in kinds:  # the lab's ADOT layer, for a probe runtime of 3.10+
            found, name = adot_layer.layer_sources(repo, runtime), f"{adot_layer.KIND}-{runtime}-{arch}"
            if isinstance(found, str):
                skipped.append(f"{name}: {found}")
            else:
                plans.append(Plan(name, adot_layer.KIND, found[0], arch, runtime, found[1], DEPS_PREFIX))
        for kind, layer_dir, packages in EMULATOR_LAYERS:
            if kind not in kinds:
                continue
            entries = layer_entries(repo, layer_dir, packages)
            if entries is None:
                skipped.append(f"{kind}-{arch}: {repo / 'lab' / packages[0] / 'launcher.sh'} does not exist")
                continue
            requirements = extension / "requirements.txt"  # both emulators need the same boto3
            plan = Plan(
                f"{kind}-{arch}",
                kind,
                entries,
                arch,
                runtime,
                requirements if requirements.is_file() else None,
                deps_prefix=f"{layer_dir}/",
            )
            if plan.requirements is None:
                plan.notes.append("no lab/extension/requirements.txt: code only")
            plans.append(plan)
    return plans, skipped


def expand_kinds(only: Iterable[str]) -> list[str]:
    """Artifact kinds to build: `only` (aliases expanded) or all of them."""
    kinds = [kind for name in only for kind in KIND_ALIASES.get(name, (name,))]
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise BuildError(f"unknown artifact kind {unknown[0]!r}: one of {', '.join(KINDS)}")
    return list(dict.fromkeys(kinds)) or list(KINDS)


# -------------------------------------------------------------------------------------------- the build


def build(
    out: Path,
    runtime: str,
    archs: Iterable[str],
    only: Iterable[str] = (),
    repo: Path = REPO,
    cache: Path | None = None,
    installer: Installer = pip_install,
    say: Callable[[str], None] = print,
    dependency_sets: Sequence[str] = (DEFAULT_DEPENDENCY_SET,),
) -> dict[str, dict[str, str]]:
    """Build the planned artifacts into `out`, update `out/manifest.json`, return the entries written now."""
    version = python_version(runtime)
    archs = list(dict.fromkeys(archs))
    for arch in archs:
        if arch not in ARCHITECTURES:
            raise BuildError(f"--arch {arch!r} is not one of {', '.join(ARCHITECTURES)}")
    for dependency_set in dependency_sets:
        if dependency_set not in DEPENDENCY_SETS:
            raise BuildError(
                f"--dependency-set {dependency_set!r} is not one of {', '.join(DEPENDENCY_SETS)}"
            )
    cache = cache or out / ".cache"
    plans, skipped = plan_builds(repo, runtime, archs, only, dependency_sets)
    for reason in skipped:
        say(f"skipped {reason}")
    built: dict[str, dict[str, str]] = {}
    for plan in plans:
        say(f"{plan.filename}:")
        for note in plan.notes:
            say(f"  {note}")
        entries = list(plan.entries)
        if plan.requirements is not None and plan.arch is not None:
            tree = dependencies(plan.requirements, plan.arch, version, cache, installer, say)
            installed = adot_layer.dependencies_kept(plan.kind, dependency_entries(tree, plan.deps_prefix))
            entries += probe_layers.dependencies_kept(plan.kind, repo, runtime, installed)
        entries = check_entries(entries)
        if plan.kind == "probe-code":
            entries = check_entries([*entries, build_info(out, plan.name, entries, "probe/")])
        built[plan.name] = write_artifact(out, plan, entries, say)
    write_manifest(out, built)
    return built


def write_artifact(out: Path, plan: Plan, entries: list[Entry], say: Callable[[str], None]) -> dict[str, str]:
    """Write the plan's zip unless its inputs are unchanged since the last build; its manifest entry."""
    target = out / plan.filename
    stamp = out / ".stamps" / f"{plan.name}.json"
    digest = inputs_digest(entries)
    previous = json.loads(stamp.read_text()) if stamp.is_file() else {}
    if (
        target.is_file()
        and previous.get("inputs") == digest
        and previous.get("sha256_hex") == file_sha256(target)
    ):
        say(f"  unchanged ({len(entries)} files), kept")
    else:
        write_zip(target, entries)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps({"inputs": digest, "sha256_hex": file_sha256(target)}) + "\n")
        say(f"  wrote {display(target)} ({len(entries)} files, {target.stat().st_size / 1e6:.1f} MB)")
    hex_digest, b64_digest = sha256_pair(target)
    entry = {"path": plan.filename, "sha256_hex": hex_digest, "sha256_b64": b64_digest, "kind": plan.kind}
    if plan.runtime is not None:
        entry["runtime"] = plan.runtime  # what its dependencies were installed for
    if plan.arch is not None:
        entry["architecture"] = plan.arch
    if plan.dependency_set is not None:
        entry["dependency_set"] = plan.dependency_set
    say(f"  sha256 {hex_digest}")
    return entry


def build_info(out: Path, name: str, entries: list[Entry], prefix: str) -> Entry:
    """`{prefix}BUILD.json`: the digest of the zip's other inputs, which the probe records in every row
    (`identity.versions.build`), so a shift can be matched with the build that brought it."""
    path = out / ".stamps" / f"{name}.BUILD.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"inputs_sha256": inputs_digest(entries)}) + "\n")
    return Entry(f"{prefix}BUILD.json", path)


# ------------------------------------------------------------------------------------------ command line

DEFAULT_RUNTIME_ENVS = (REPO / "terraform" / "envs" / "local", REPO / "terraform" / "envs" / "aws")
ENVIRONMENT = terraform.ENVIRONMENT | PIP_ENVIRONMENT  # what it reads from the environment (--help)


@dataclass
class Targets:
    """What one `tools.build` run builds: per runtime, its dependency sets, whether its collector and its
    tracing layers (`otel`: the otel probes' OpenTelemetry; `adot`: the lab's ADOT layer; 3.10+ only)."""

    sets: dict[str, list[str]] = field(default_factory=dict)
    collectors: list[str] = field(default_factory=list)
    tracing: dict[str, set[str]] = field(default_factory=dict)

    def add(self, runtime: str, dependency_sets: Iterable[str] = (), collector: bool = False,
            tracing: Iterable[str] = ()) -> None:  # fmt: skip
        known = self.sets.setdefault(runtime, [])
        known += [s for s in dependency_sets if s not in known]
        if collector and runtime not in self.collectors:
            self.collectors.append(runtime)
        if otel_fits(runtime):
            self.tracing.setdefault(runtime, set()).update(tracing)


def targets_from(args: argparse.Namespace, repo: Path = REPO) -> Targets:
    """The runtimes and sets to build: each environment's, then `--runtime` x `--dependency-set`."""
    targets = Targets()
    flagged = list(args.runtimes or [])
    envs = args.runtime_envs or ([] if flagged else list(DEFAULT_RUNTIME_ENVS))
    if envs:
        from tools import terraform
        from tools.build_targets import env_builds

        try:
            resolved = env_builds(envs, args.cache_dir or args.out / ".cache")
        except terraform.TerraformError as exc:
            error = BuildUsageError if isinstance(exc, cli.UsageError) else BuildError
            raise error(f"cannot ask Terraform which runtime to build for: {exc}") from exc
        for env, wanted in zip(envs, resolved, strict=True):
            print(
                f"runtime {wanted.runtime}: the `runtime` of {display(env)}; probes on "
                f"{', '.join(wanted.runtimes)} with dependency set {wanted.dependency_set}"
            )
            targets.add(wanted.runtime, collector=True)
            for runtime in wanted.runtimes:
                targets.add(runtime, [wanted.dependency_set], tracing=wanted.tracing_layers(runtime))
    asked_sets = list(args.dependency_sets or [])
    for runtime in flagged:  # by hand: every layer a probe of that runtime may need
        targets.add(runtime, asked_sets or [DEFAULT_DEPENDENCY_SET], collector=True, tracing=("otel", "adot"))
    if asked_sets and not flagged:
        for dependency_set in asked_sets:
            fitting = [rt for rt in targets.sets if has_requirements(repo, dependency_set, rt)]
            for runtime in fitting or set_runtimes(repo, dependency_set):
                targets.add(runtime, [dependency_set])
    return targets


def _minor(runtime: str) -> int:
    return int(python_version(runtime).split(".")[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.build",
        description="Build deterministic Lambda zips (probe code, dependency layers, collector, extension "
        "layer) and manifest.json.",
        epilog="Dependencies are installed with pip for Linux (manylinux2014) and cached under OUT/.cache. "
        "The probe code zip and the extension layer (the lab's) are built once, with the first environment's "
        "runtime. " + cli.environment_help(ENVIRONMENT),
    )
    parser.add_argument("--out", type=Path, default=Path("build"), help="output directory (default: build)")
    parser.add_argument(
        "--runtime",
        action="append",
        dest="runtimes",
        help="Lambda runtime python3.X to build for, repeatable (default: see --runtime-from)",
    )
    parser.add_argument(
        "--runtime-from",
        action="append",
        type=Path,
        dest="runtime_envs",
        metavar="ENV_DIR",
        help="build for what this Terraform environment deploys, as Terraform resolves its variables "
        "(`runtime`, the fleet's `runtimes`, `dependency_set`; tfvars, defaults), repeatable (default "
        "without --runtime: terraform/envs/local, terraform/envs/aws)",
    )
    parser.add_argument(
        "--dependency-set",
        action="append",
        choices=DEPENDENCY_SETS,
        dest="dependency_sets",
        help="probe dependency layer set, repeatable: with --runtime, the sets to build for it (default: "
        "current); alone, added for the runtimes it has requirements for (2022: python3.9)",
    )
    parser.add_argument(
        "--arch",
        action="append",
        choices=ARCHITECTURES,
        dest="archs",
        help="architecture, repeatable (default: x86_64 and arm64)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[*KINDS, *KIND_ALIASES],
        default=None,
        help="build only this artifact kind, repeatable (default: all; `probe` = probe-code and deps)",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="dependency cache (default: OUT/.cache)")
    args = parser.parse_args(argv)
    cache = args.cache_dir or args.out / ".cache"
    built: dict[str, dict[str, str]] = {}
    began = time.monotonic()
    try:
        cli.writable_folder(args.out, "--out")
        targets = targets_from(args)
        kinds = expand_kinds(args.only or ())
        # the runtime-independent artifacts once, with a runtime the extension's (lab's) Python can be: the
        # first environment's `runtime` (3.11+, as the collector's), else the first runtime asked for
        modern = [rt for rt in [*targets.collectors, *targets.sets] if _minor(rt) >= COLLECTOR_MIN_MINOR]
        shared = next(iter(modern), next(iter(targets.sets), None))
        for runtime, sets in targets.sets.items():
            only = [
                kind
                for kind in kinds
                if (kind in ("probe-code", *(layer[0] for layer in EMULATOR_LAYERS)) and runtime == shared)
                or (kind == "deps" and sets)
                or (kind == OTEL_KIND and "otel" in targets.tracing.get(runtime, ()))
                or (kind == adot_layer.KIND and "adot" in targets.tracing.get(runtime, ()))
                or (kind == "collector" and runtime in targets.collectors)
            ]
            if only:
                built |= build(
                    args.out,
                    runtime,
                    args.archs or list(ARCHITECTURES),
                    only,
                    cache=cache,
                    dependency_sets=sets,
                )
    except cli.caught(BuildError) as exc:  # the one place where its errors end: see tools.cli
        return cli.failed("build", exc)
    print(
        f"manifest: {display(args.out / 'manifest.json')} ({len(built)} artifacts built or kept "
        f"in {time.monotonic() - began:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
