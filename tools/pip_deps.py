"""The probe's, the collector's and the extension's dependencies, pip-installed for Lambda's Linux and cached.

Wheels only, for manylinux2014 of the target architecture and the runtime's CPython, installed into a tree
under `{cache}/deps` named by a hash of the requirements: an unchanged requirements file is never installed
twice, and an interrupted install never leaves a tree that looks complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tools.zips import BuildError, Entry, display

PIP_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
CACHE_VERSION = "1"  # bump to invalidate every cached dependency tree

# pip reads its own settings from the environment; tools.build's pip and tools.venv_install's see them
PIP_ENVIRONMENT = {
    "PIP_<setting>": "pip's own settings (PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX, PIP_CERT, ...), "
    "used by the pip that installs the dependencies"
}
Installer = Callable[[Path, Path, str, str], None]  # (requirements, target, arch, python_version)


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
        say(f"  dependencies of {display(requirements)} for {arch}: cached")
        return target
    say(
        f"  dependencies of {display(requirements)} for {arch}: installing with pip ({PIP_PLATFORMS[arch]}, "
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
