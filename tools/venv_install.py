"""Requirements into a virtualenv: with uv where it can be had, with pip otherwise; both see pip's settings.

    python -m tools.venv_install --python .venv/bin/python -r requirements/dev.in -c requirements/lock.txt

uv (the version pinned in requirements/uv.txt) is installed into the venv with the venv's own pip, then
installs the requirements; pinned by the same constraints, it installs the same versions as pip, and the
same files, compiled to bytecode as pip compiles them. If uv cannot be installed, if pip's configuration
holds a setting uv would not honour, or if uv's install fails, pip installs the requirements (as before uv);
`--installer pip` asks for pip. uv reads none of pip's configuration, so the indexes, find-links,
constraints, CA bundle, trusted hosts, proxy and timeout that `pip config list` shows are handed to it as its
own options; like pip, it takes the best match across every index (`unsafe-best-match`), not the first
index naming the package. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
UV_REQUIREMENTS = REPO_ROOT / "requirements" / "uv.txt"

# pip setting → uv option, one per value (pip's multi-valued settings are whitespace-separated)
UV_OPTIONS = {"index-url": "--index-url", "extra-index-url": "--extra-index-url",
              "find-links": "--find-links", "constraint": "--constraint",
              "trusted-host": "--allow-insecure-host"}
UV_ENVIRONMENT = {"cert": ("SSL_CERT_FILE",), "client-cert": ("SSL_CLIENT_CERT",),
                  "timeout": ("UV_HTTP_TIMEOUT",), "default-timeout": ("UV_HTTP_TIMEOUT",),
                  "proxy": ("HTTPS_PROXY", "HTTP_PROXY")}
# pip settings that change how pip talks or what it prints, not what it installs
IGNORED = {"disable-pip-version-check", "no-color", "progress-bar", "quiet", "verbose", "cache-dir",
           "no-cache-dir", "retries", "root-user-action", "no-input", "require-virtualenv", "log"}
TRUE = {"1", "true", "yes", "on"}

Runner = Callable[[Sequence[str], dict[str, str] | None], int]


def run(argv: Sequence[str], env: dict[str, str] | None = None) -> int:
    """Run a command, its output on ours; its exit status."""
    return subprocess.run(list(argv), env=env, check=False).returncode


def pip_config_list(python: Path) -> str:
    """What `pip config list` prints for the venv's pip (CalledProcessError if it fails)."""
    return subprocess.run([str(python), "-m", "pip", "config", "list"], capture_output=True, text=True,
                          check=True).stdout


def pip_settings(listing: str) -> dict[str, str]:
    """pip's effective settings for `pip install`, from `pip config list`: `:env:` (PIP_*) over `install.`
    over `global.` (the files are already merged, user over global)."""
    found: dict[str, dict[str, str]] = {}
    for line in listing.splitlines():
        key, sep, value = line.partition("=")
        section, dot, name = key.rpartition(".")
        if sep and dot and section in (":env:", "install", "global"):
            found.setdefault(section, {})[name] = str(ast.literal_eval(value))
    return found.get("global", {}) | found.get("install", {}) | found.get(":env:", {})


class UnsupportedSettingError(Exception):
    """pip's configuration holds a setting that uv would not honour the same way."""


def uv_arguments(settings: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """uv's options and environment equivalent to pip's settings (UnsupportedSettingError if one has none)."""
    options, unknown = ["--index-strategy", "unsafe-best-match"], []
    environment: dict[str, str] = {}
    for name, value in settings.items():
        if name in UV_OPTIONS:
            for item in value.split():
                options += [UV_OPTIONS[name], item]
        elif name == "no-index":
            options += ["--no-index"] if value.lower() in TRUE else []
        elif name in UV_ENVIRONMENT:
            environment |= dict.fromkeys(UV_ENVIRONMENT[name], value)
        elif name not in IGNORED:
            unknown.append(name)
    if unknown:
        raise UnsupportedSettingError(f"pip is configured with {', '.join(sorted(unknown))}")
    return options, environment


def uv_version(requirements: Path = UV_REQUIREMENTS) -> str:
    """The pinned `uv==X` of requirements/uv.txt."""
    pins = [line.strip() for line in requirements.read_text().splitlines() if line.startswith("uv==")]
    return pins[0].removeprefix("uv==")


def install(
    python: Path, requirements: Path, constraints: Path | None, installer: str = "uv",
    runner: Runner = run, read_config: Callable[[Path], str] = pip_config_list,
    say: Callable[[str], None] = print,
) -> str:
    """Install `requirements` (pinned by `constraints`) into the venv of `python`; which installer did it."""
    pin = ["--constraint", str(constraints)] if constraints else []
    pip = [str(python), "-m", "pip"]
    if installer == "uv":
        try:
            options, environment = uv_arguments(pip_settings(read_config(python)))
        except (subprocess.CalledProcessError, UnsupportedSettingError) as exc:
            say(f"venv: pip's settings cannot be handed to uv ({exc}); pip installs instead")
        else:
            version = uv_version()
            uv = python.parent / "uv"
            if runner([*pip, "install", "--quiet", "-r", str(UV_REQUIREMENTS)], None) != 0:
                say(f"venv: uv {version} could not be installed; pip installs instead")
            elif runner([str(uv), "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python),
                         "-r", str(requirements), *pin, *options], os.environ | environment) != 0:
                say(f"venv: uv {version} could not install {requirements.name}; pip installs instead")
            else:
                return f"uv {version}"
    if runner([*pip, "install", "--quiet", "-r", str(requirements), *pin], None) != 0:
        raise SystemExit(f"venv: pip could not install {requirements}")
    return "pip"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", type=Path, required=True, help="the venv's interpreter")
    parser.add_argument("-r", "--requirements", type=Path, required=True)
    parser.add_argument("-c", "--constraints", type=Path)
    parser.add_argument("--installer", choices=("uv", "pip"), default="uv")
    args = parser.parse_args(argv)
    started = time.monotonic()
    used = install(args.python, args.requirements, args.constraints, args.installer)
    print(f"venv: pinned dependencies installed in {time.monotonic() - started:.0f} s (with {used})")


if __name__ == "__main__":
    main()
