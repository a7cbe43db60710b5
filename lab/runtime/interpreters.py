"""Finding the interpreter of a Lambda runtime on this machine: `python3.X` on PATH, then a pyenv install.

A candidate counts only once it has run and said its version (a pyenv shim for a version that is not selected
exists on PATH but fails), and the executable recorded is the one that ran (`sys.executable`), not the shim.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .lambda_errors import InterpreterNotFoundError

RUNTIME_PATTERN = re.compile(r"^python(3)\.(\d+)$")
PROBE_CODE = "import json, sys; print(json.dumps([list(sys.version_info[:3]), sys.executable]))"
PROBE_TIMEOUT_S = 15.0

Version = tuple[int, int, int]
Probe = Callable[[Path], tuple[Version, str] | None]


@dataclass(frozen=True)
class Interpreter:
    """The Python that runs a runtime's functions: its executable and full version."""

    runtime: str  # e.g. python3.12
    executable: str
    version: Version

    @property
    def version_text(self) -> str:
        return ".".join(str(part) for part in self.version)


def runtime_version(runtime: str) -> tuple[int, int]:
    """(3, 12) for `python3.12`; InterpreterNotFoundError for anything that is not a Python runtime."""
    match = RUNTIME_PATTERN.match(runtime)
    if match is None:
        raise InterpreterNotFoundError(f"{runtime or 'no runtime'!r} is not a Python runtime (python3.X)")
    return int(match.group(1)), int(match.group(2))


def default_pyenv_root(environ: dict[str, str] | None = None) -> Path:
    """$PYENV_ROOT, else ~/.pyenv."""
    env = os.environ if environ is None else environ
    return Path(env.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _patch_key(path: Path) -> tuple[int, ...]:
    """Sort key of `versions/3.12.1/bin/python3.12`: (1,), newest first when reversed; odd names last."""
    name = path.parent.parent.name
    rest = name.split(".", 2)[2] if name.count(".") >= 2 else ""
    return (int(rest),) if rest.isdigit() else (-1,)


def candidates(runtime: str, path_dirs: Sequence[str], pyenv_root: Path) -> list[Path]:
    """Where `runtime`'s interpreter may be, in the order tried: PATH, then pyenv's versions newest first."""
    major, minor = runtime_version(runtime)
    name = f"python{major}.{minor}"
    found: list[Path] = []
    for directory in path_dirs:
        path = Path(directory) / name
        if directory and path.is_file() and os.access(path, os.X_OK):
            found.append(path)
    versions = pyenv_root / "versions"
    installed = versions.glob(f"{major}.{minor}.*/bin/{name}") if versions.is_dir() else []
    found.extend(sorted(installed, key=_patch_key, reverse=True))
    return list(dict.fromkeys(found))


def probe(path: Path) -> tuple[Version, str] | None:
    """Run the candidate; its (version, sys.executable), or None if it does not run."""
    try:
        done = subprocess.run([str(path), "-c", PROBE_CODE], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S, check=False)
        if done.returncode != 0:
            return None
        parts, executable = json.loads(done.stdout.strip().splitlines()[-1])
        return (int(parts[0]), int(parts[1]), int(parts[2])), str(executable)
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError, TypeError):
        return None


def install_hint(runtime: str, pyenv_root: Path, has_pyenv: bool) -> str:
    """The command that would install `runtime`'s interpreter here."""
    major, minor = runtime_version(runtime)
    if has_pyenv:
        return f"`pyenv install {major}.{minor}`"
    return (f"`apt install python{major}.{minor}` (where the distribution packages it), or pyenv "
            f"(https://github.com/pyenv/pyenv) and `pyenv install {major}.{minor}`")


def find_interpreter(
    runtime: str,
    *,
    path_dirs: Sequence[str] | None = None,
    pyenv_root: Path | None = None,
    run: Probe = probe,
) -> Interpreter:
    """The newest working interpreter of `runtime`; InterpreterNotFoundError naming the install command."""
    major, minor = runtime_version(runtime)
    dirs = os.environ.get("PATH", "").split(os.pathsep) if path_dirs is None else list(path_dirs)
    root = default_pyenv_root() if pyenv_root is None else pyenv_root
    tried = candidates(runtime, dirs, root)
    for path in tried:
        answer = run(path)
        if answer is not None and answer[0][:2] == (major, minor):
            return Interpreter(runtime, answer[1] or str(path), answer[0])
    has_pyenv = root.is_dir() or any((Path(d) / "pyenv").is_file() for d in dirs if d)
    looked = f"looked on PATH and in {root / 'versions'}/{major}.{minor}.*"
    if tried:
        looked += f"; none of {', '.join(str(p) for p in tried)} runs as {major}.{minor}"
    raise InterpreterNotFoundError(
        f"the lab needs python{major}.{minor} for the {runtime} runtime and did not find it ({looked}); "
        f"install it with {install_hint(runtime, root, has_pyenv)}"
    )
