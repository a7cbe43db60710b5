"""Build the deployable zips, deterministically: `python -m tools.build --out build` (contract §6).

Artifacts: `probe-{runtime}-{arch}.zip`, `collector-{runtime}-{arch}.zip` and `extension-layer-{arch}.zip`,
for the runtime each Terraform environment deploys (tools.runtimes asks Terraform; or `--runtime python3.X`),
plus `manifest.json` ({name: {path, sha256_hex, sha256_b64, runtime, architecture}}; `path` is relative to
the manifest's directory, `sha256_b64` is what Lambda reports as CodeSha256). Dependencies are installed
with pip for Linux and the target architecture and Python version, cached under `{out}/.cache` by a hash of
the requirements. The same tree always gives byte-identical zips (sorted entries, fixed timestamps and
permissions, no bytecode, no tests), so Terraform's code hash and the lab's change only on real changes. An
artifact whose inputs have not changed since its last build is left as it is.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from collector.vocabulary import ARCHITECTURES

REPO = Path(__file__).resolve().parent.parent
PIP_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
KINDS = ("probe", "collector", "extension-layer")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXEC_MODE = 0o755
LAYER_DIR = "slo-parameters-secrets"
CACHE_VERSION = "1"  # bump to invalidate every cached dependency tree and stamp

Installer = Callable[[Path, Path, str, str], None]  # (requirements, target, arch, python_version)


class BuildError(Exception):
    """A build cannot be completed; the message says what to fix."""


@dataclass(frozen=True)
class Entry:
    """One file in a zip: its name inside the zip, where its bytes come from, its permissions."""

    arcname: str
    source: Path
    mode: int = FILE_MODE


@dataclass
class Plan:
    """One artifact to build: first-party entries plus, optionally, requirements installed under a prefix."""

    name: str
    entries: list[Entry]
    arch: str
    requirements: Path | None = None
    deps_prefix: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"{self.name}.zip"


# --------------------------------------------------------------------------------------------- planning


def _excluded(relative: Path) -> bool:
    """Bytecode, caches and tests never enter a zip."""
    parts = relative.parts
    if any(part in ("__pycache__", "tests", "test", ".pytest_cache", ".mypy_cache") for part in parts[:-1]):
        return True
    name = parts[-1]
    return (
        name.endswith((".pyc", ".pyo"))
        or name in (".DS_Store", "conftest.py", "__pycache__")
        or (name.startswith("test_") and name.endswith(".py"))
    )


def tree_entries(source: Path, prefix: str, pattern: str = "*") -> list[Entry]:
    """Every regular file under `source` matching `pattern`, named `prefix` + its relative path."""
    entries = []
    for path in sorted(source.rglob(pattern)):
        relative = path.relative_to(source)
        if path.is_file() and not path.is_symlink() and not _excluded(relative):
            entries.append(Entry(prefix + relative.as_posix(), path))
    return entries


def plan_builds(
    repo: Path, runtime: str, archs: Iterable[str], only: Iterable[str] = ()
) -> tuple[list[Plan], list[str]]:
    """What to build from the tree at `repo`, and why anything was skipped."""
    kinds = list(only) or list(KINDS)
    plans: list[Plan] = []
    skipped: list[str] = []
    probe = repo / "functions" / "probe"
    collector = repo / "collector"
    extension = repo / "lab" / "extension"
    for arch in archs:
        if "probe" in kinds:
            if (probe / "handler.py").is_file():
                requirements = probe / "requirements.txt"
                plans.append(
                    Plan(
                        f"probe-{runtime}-{arch}",
                        tree_entries(probe, "probe/"),
                        arch,
                        requirements if requirements.is_file() else None,
                    )
                )
            else:
                skipped.append(f"probe-{runtime}-{arch}: {probe / 'handler.py'} does not exist")
        if "collector" in kinds:
            if collector.is_dir() and any(collector.glob("*.py")):
                requirements = collector / "requirements.txt"
                plan = Plan(
                    f"collector-{runtime}-{arch}",
                    tree_entries(collector, "collector/"),
                    arch,
                    requirements if requirements.is_file() else None,
                )
                if plan.requirements is None:
                    plan.notes.append("no collector/requirements.txt: code only")
                plans.append(plan)
            else:
                skipped.append(f"collector-{runtime}-{arch}: no Python code in {collector}")
        if "extension-layer" in kinds:
            launcher = extension / "launcher.sh"
            if not launcher.is_file():
                skipped.append(f"extension-layer-{arch}: {launcher} does not exist")
                continue
            entries = [Entry(f"extensions/{LAYER_DIR}", launcher, EXEC_MODE)]
            if (repo / "lab" / "__init__.py").is_file():
                entries.append(Entry(f"{LAYER_DIR}/lab/__init__.py", repo / "lab" / "__init__.py"))
            entries += tree_entries(extension, f"{LAYER_DIR}/lab/extension/", "*.py")
            requirements = extension / "requirements.txt"
            plan = Plan(
                f"extension-layer-{arch}",
                entries,
                arch,
                requirements if requirements.is_file() else None,
                deps_prefix=f"{LAYER_DIR}/",
            )
            if plan.requirements is None:
                plan.notes.append("no lab/extension/requirements.txt: code only")
            plans.append(plan)
    return plans, skipped


# ----------------------------------------------------------------------------------------- dependencies


def pip_install(requirements: Path, target: Path, arch: str, python_version: str) -> None:
    """pip install the requirements into `target` as wheels for Linux/`arch` and CPython `python_version`."""
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(target), "--platform", PIP_PLATFORMS[arch], "--implementation", "cp",
        "--python-version", python_version, "--only-binary=:all:", "-r", str(requirements),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise BuildError(f"pip could not install {requirements} for {PIP_PLATFORMS[arch]}:\n{tail}")


def dependencies(
    requirements: Path,
    arch: str,
    python_version: str,
    cache: Path,
    installer: Installer,
    say: Callable[[str], None],
) -> Path:
    """The installed dependency tree for these requirements, from the cache or installed now."""
    key = hashlib.sha256(
        "\n".join(
            [CACHE_VERSION, PIP_PLATFORMS[arch], "cp", python_version, requirements.read_text()]
        ).encode()
    ).hexdigest()[:20]
    target = cache / "deps" / f"{arch}-py{python_version}-{key}"
    if (target / ".complete").is_file():
        say(f"  dependencies of {_display(requirements)} for {arch}: cached")
        return target
    say(
        f"  dependencies of {_display(requirements)} for {arch}: installing with pip ({PIP_PLATFORMS[arch]}, "
        f"cp{python_version.replace('.', '')})"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
    try:
        installer(requirements, staging, arch, python_version)
        (staging / ".complete").write_text("ok\n")
        if target.exists() and not (target / ".complete").is_file():
            shutil.rmtree(target)  # an unfinished tree from an interrupted older build
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / ".complete").is_file():
                raise
            # another build installed the same requirements meanwhile: use its tree
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def dependency_entries(tree: Path, prefix: str) -> list[Entry]:
    """Installed packages as zip entries; pip's console scripts (`bin/`) and the cache marker stay out."""
    entries = []
    for path in sorted(tree.rglob("*")):
        relative = path.relative_to(tree)
        if relative.parts[0] in ("bin", ".complete") or not path.is_file() or path.is_symlink():
            continue
        if any(part == "__pycache__" for part in relative.parts) or path.suffix in (".pyc", ".pyo"):
            continue
        entries.append(Entry(prefix + relative.as_posix(), path))
    return entries


# ------------------------------------------------------------------------------------------------- zips


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inputs_digest(entries: list[Entry]) -> str:
    """A hash of everything that decides a zip's bytes: names, permissions, contents, format version."""
    digest = hashlib.sha256(f"zip-format {CACHE_VERSION}\n".encode())
    for entry in entries:
        digest.update(f"{entry.arcname}\0{entry.mode:o}\0{_file_sha256(entry.source)}\n".encode())
    return digest.hexdigest()


def check_entries(entries: list[Entry]) -> list[Entry]:
    """Entries sorted by name; two files claiming one name is an error, not a silent overwrite."""
    ordered = sorted(entries, key=lambda entry: entry.arcname)
    for before, after in itertools.pairwise(ordered):
        if before.arcname == after.arcname:
            raise BuildError(
                f"two files would be {after.arcname} in one zip: {before.source} and {after.source}"
            )
    return ordered


def write_zip(path: Path, entries: list[Entry]) -> None:
    """A deterministic zip: sorted entries, fixed timestamp, Unix permissions, deflate; written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    staging = Path(staging_name)
    try:
        with zipfile.ZipFile(staging, "w", allowZip64=True) as archive:
            for entry in check_entries(entries):
                info = zipfile.ZipInfo(entry.arcname, date_time=ZIP_EPOCH)
                info.create_system = 3  # Unix, so external_attr carries the permissions
                info.external_attr = (stat.S_IFREG | entry.mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entry.source.read_bytes(), compresslevel=6)
        staging.chmod(FILE_MODE)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def sha256_pair(path: Path) -> tuple[str, str]:
    """(hex, base64) SHA-256 of a file: the manifest's two forms."""
    digest = hashlib.sha256(path.read_bytes()).digest()
    return digest.hex(), base64.b64encode(digest).decode()


# -------------------------------------------------------------------------------------------- the build


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def build(
    out: Path,
    runtime: str,
    archs: Iterable[str],
    only: Iterable[str] = (),
    repo: Path = REPO,
    cache: Path | None = None,
    installer: Installer = pip_install,
    say: Callable[[str], None] = print,
) -> dict[str, dict[str, str]]:
    """Build the planned artifacts into `out`, update `out/manifest.json`, return the entries written now."""
    match = re.fullmatch(r"python(3\.\d+)", runtime)
    if match is None:
        raise BuildError(f"--runtime {runtime!r} is not of the form python3.X")
    python_version = match.group(1)
    archs = list(dict.fromkeys(archs))
    for arch in archs:
        if arch not in ARCHITECTURES:
            raise BuildError(f"--arch {arch!r} is not one of {', '.join(ARCHITECTURES)}")
    cache = cache or out / ".cache"
    plans, skipped = plan_builds(repo, runtime, archs, only)
    for reason in skipped:
        say(f"skipped {reason}")
    built: dict[str, dict[str, str]] = {}
    for plan in plans:
        say(f"{plan.filename}:")
        for note in plan.notes:
            say(f"  {note}")
        entries = list(plan.entries)
        if plan.requirements is not None:
            tree = dependencies(plan.requirements, plan.arch, python_version, cache, installer, say)
            entries += dependency_entries(tree, plan.deps_prefix)
        entries = check_entries(entries)
        if plan.name.startswith("probe-"):
            entries = check_entries([*entries, build_info(out, plan.name, entries, "probe/")])
        target = out / plan.filename
        stamp = out / ".stamps" / f"{plan.name}.json"
        digest = inputs_digest(entries)
        previous = json.loads(stamp.read_text()) if stamp.is_file() else {}
        if (
            target.is_file()
            and previous.get("inputs") == digest
            and previous.get("sha256_hex") == _file_sha256(target)
        ):
            say(f"  unchanged ({len(entries)} files), kept")
        else:
            write_zip(target, entries)
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text(json.dumps({"inputs": digest, "sha256_hex": _file_sha256(target)}) + "\n")
            say(f"  wrote {_display(target)} ({len(entries)} files, {target.stat().st_size / 1e6:.1f} MB)")
        hex_digest, b64_digest = sha256_pair(target)
        built[plan.name] = {
            "path": plan.filename,
            "sha256_hex": hex_digest,
            "sha256_b64": b64_digest,
            "runtime": runtime,  # what its dependencies were installed for
            "architecture": plan.arch,
        }
        say(f"  sha256 {hex_digest}")
    write_manifest(out, built)
    return built


def build_info(out: Path, name: str, entries: list[Entry], prefix: str) -> Entry:
    """`{prefix}BUILD.json`: the digest of the zip's other inputs, which the probe records in every row
    (`identity.versions.build`), so a shift can be matched with the build that brought it."""
    path = out / ".stamps" / f"{name}.BUILD.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"inputs_sha256": inputs_digest(entries)}) + "\n")
    return Entry(f"{prefix}BUILD.json", path)


def write_manifest(out: Path, built: dict[str, dict[str, str]]) -> Path:
    """Merge `built` into out/manifest.json, dropping entries whose zip is gone; sorted, stable bytes."""
    manifest_path = out / "manifest.json"
    manifest: dict[str, dict[str, str]] = {}
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError:
            manifest = {}
    manifest.update(built)
    manifest = {name: entry for name, entry in sorted(manifest.items()) if (out / entry["path"]).is_file()}
    out.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest_path


DEFAULT_RUNTIME_ENVS = (REPO / "terraform" / "envs" / "local", REPO / "terraform" / "envs" / "aws")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.build",
        description="Build deterministic Lambda zips (probe, collector, extension layer) and manifest.json.",
        epilog="Dependencies are installed with pip for Linux (manylinux2014) and cached under OUT/.cache. "
        "The extension layer (the lab's) is built once, with the first runtime.",
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
        help="build for the runtime this Terraform environment deploys, as Terraform resolves its `runtime` "
        "variable (tfvars, defaults), repeatable (default without --runtime: terraform/envs/local, "
        "terraform/envs/aws)",
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
        choices=KINDS,
        default=None,
        help="build only this artifact kind, repeatable (default: all)",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="dependency cache (default: OUT/.cache)")
    args = parser.parse_args(argv)
    cache = args.cache_dir or args.out / ".cache"
    runtimes = list(args.runtimes or [])
    envs = args.runtime_envs or ([] if runtimes else list(DEFAULT_RUNTIME_ENVS))
    built: dict[str, dict[str, str]] = {}
    try:
        if envs:
            from tools import terraform
            from tools.runtimes import env_runtimes

            try:
                resolved = env_runtimes(envs, cache)
            except terraform.TerraformError as exc:
                raise BuildError(f"cannot ask Terraform which runtime to build for: {exc}") from exc
            for env, runtime in zip(envs, resolved, strict=True):
                print(f"runtime {runtime}: the `runtime` of {_display(env)}")
            runtimes += resolved
        kinds = list(args.only or KINDS)
        for index, runtime in enumerate(dict.fromkeys(runtimes)):
            only = kinds if index == 0 else [kind for kind in kinds if kind != "extension-layer"]
            if only:
                built |= build(args.out, runtime, args.archs or list(ARCHITECTURES), only, cache=cache)
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(f"manifest: {_display(args.out / 'manifest.json')} ({len(built)} artifacts built or kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
