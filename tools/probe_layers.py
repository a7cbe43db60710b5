"""The probe's requirement-file layers for tools.build (contract §6): which requirements file a dependency set
has for a runtime, and the `otel` tracing mode's layer.

- `deps-{set}-{runtime}-{arch}.zip` installs `functions/probe/requirements/{set}-{runtime}.txt`, else
  `{set}.txt` (versions differ where an older Python needs older releases);
- `deps-otel-{runtime}-{arch}.zip` (build kind `deps-otel`) installs `functions/probe/requirements/otel.txt`:
  the OpenTelemetry SDK, its OTLP/HTTP exporter and the instrumentations the `otel` mode sets up, for `otel`
  probes only (an `adot` probe carries its OpenTelemetry in the ADOT layer; both in /opt/python would be two
  versions of one package). Built for the runtimes the environments deploy `otel` probes on, 3.10+ only
  (opentelemetry 1.45 needs Python 3.10; Terraform refuses otel on python3.9). pip installs otel.txt with
  everything it needs, requests and idna among them; what the deps layer (`current`) pins is left out of the
  layer, so /opt/python holds one version of each package, the deps layer's (two layers extracted into one
  /opt, the later overwriting the earlier's files, would otherwise mix two idna versions under one name).
"""

from __future__ import annotations

import re
from pathlib import Path

from tools.zips import BuildError, Entry, display

OTEL_KIND = "deps-otel"
OTEL_MIN_MINOR = 10  # opentelemetry-sdk 1.45: Requires-Python >=3.10
OTEL_REQUIREMENTS = "otel.txt"


def requirements_folder(repo: Path) -> Path:
    return repo / "functions" / "probe" / "requirements"


def requirements_for(repo: Path, dependency_set: str, runtime: str) -> Path:
    """The requirements of a dependency set for a runtime: `{set}-{runtime}.txt`, else `{set}.txt`."""
    folder = requirements_folder(repo)
    candidates = [folder / f"{dependency_set}-{runtime}.txt", folder / f"{dependency_set}.txt"]
    for path in candidates:
        if path.is_file():
            return path
    available = sorted(p.stem for p in folder.glob(f"{dependency_set}-python3.*.txt"))
    raise BuildError(
        f"dependency set {dependency_set!r} has no requirements for {runtime}: neither "
        f"{display(candidates[0])} nor {display(candidates[1])} exists"
        + (f" (it exists for {', '.join(s.split('-', 1)[1] for s in available)})" if available else "")
    )


def has_requirements(repo: Path, dependency_set: str, runtime: str) -> bool:
    try:
        requirements_for(repo, dependency_set, runtime)
    except BuildError:
        return False
    return True


def set_runtimes(repo: Path, dependency_set: str) -> list[str]:
    """Runtimes a dependency set names a requirements file for (`{set}-python3.X.txt`)."""
    folder = requirements_folder(repo)
    return sorted(p.stem.split("-", 1)[1] for p in folder.glob(f"{dependency_set}-python3.*.txt"))


def otel_fits(runtime: str) -> bool:
    """Whether the otel layer installs for a runtime (python3.X, X >= 10; False for a name not of that form,
    which the build refuses on its own)."""
    found = re.fullmatch(r"python3\.(\d+)", runtime)
    return found is not None and int(found.group(1)) >= OTEL_MIN_MINOR


def otel_requirements(repo: Path, runtime: str) -> Path | str:
    """The otel layer's requirements for a runtime, or why the runtime gets no layer."""
    if not otel_fits(runtime):
        return f"the otel mode's OpenTelemetry needs Python 3.{OTEL_MIN_MINOR}+"
    path = requirements_folder(repo) / OTEL_REQUIREMENTS
    return path if path.is_file() else f"{display(path)} does not exist"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_names(requirements: Path) -> set[str]:
    """The distributions a requirements file pins (`name==version` lines), canonical names."""
    lines = (line.split("#", 1)[0].strip() for line in requirements.read_text().splitlines())
    return {_canonical(line.split("==", 1)[0].split("[", 1)[0]) for line in lines if "==" in line}


def without_distributions(entries: list[Entry], names: set[str], prefix: str = "python/") -> list[Entry]:
    """Installed files without those of the distributions named (every file a dist-info's RECORD lists, the
    dist-info itself among them)."""
    dropped: set[str] = set()
    folders: list[str] = []
    for entry in entries:
        found = re.fullmatch(re.escape(prefix) + r"(([^/]+?)-[^/-]+\.dist-info/)RECORD", entry.arcname)
        if found and _canonical(found.group(2)) in names:
            folders.append(prefix + found.group(1))
            rows = entry.source.read_text(encoding="utf-8").splitlines()
            dropped |= {prefix + row.rsplit(",", 2)[0] for row in rows if row.strip()}
    return [e for e in entries if e.arcname not in dropped and not e.arcname.startswith(tuple(folders))]


def dependencies_kept(kind: str, repo: Path, runtime: str, entries: list[Entry]) -> list[Entry]:
    """An artifact's installed dependencies: all of them, except, in the otel layer, what the runtime's
    `current` deps layer pins."""
    if kind != OTEL_KIND:
        return entries
    return without_distributions(entries, pinned_names(requirements_for(repo, "current", runtime)))
