"""Each runtime's environment in `.lab/runtimes/python3.X/`: a venv of that runtime's interpreter holding
what Lambda's runtime holds (`awslambdaric`, the boto3 it ships), pinned in
`lab/runtime/requirements/python3.X.txt`.

Made once: a marker (`ready.json`) records the hash of the requirements and the interpreter it was made with;
either changing rebuilds it. Safe across threads and processes (`lab up` and `lab run` at once): one file
lock per runtime. The packages are installed by the lab's own pip into the venv's site-packages, binary
wheels only, then compiled by the runtime's interpreter (Lambda's runtime ships compiled; a cold start must
not pay for compiling boto3).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from .interpreters import Interpreter, find_interpreter, runtime_version
from .lambda_errors import RuntimeEnvironmentError

REQUIREMENTS_DIR = Path(__file__).resolve().parent / "requirements"
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / ".lab" / "runtimes"  # the default state dir's
MARKER = "ready.json"
INSTALL_TIMEOUT_S = 600.0
COMPILE_CODE = "import compileall, sys; compileall.compile_dir(sys.argv[1], quiet=2, workers=0)"

Finder = Callable[[str], Interpreter]
Runner = Callable[[Sequence[str]], None]


def run_command(argv: Sequence[str]) -> None:
    """Run a setup command; RuntimeEnvironmentError with its output's tail if it fails."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeEnvironmentError(f"`{' '.join(argv)}` failed: {exc}") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RuntimeEnvironmentError(f"`{' '.join(argv)}` exited with {done.returncode}:\n{tail}")


def supported_runtimes(requirements_dir: Path = REQUIREMENTS_DIR) -> list[str]:
    """The runtimes the lab has an environment recipe for, oldest first."""
    found = [p.stem for p in requirements_dir.glob("python3.*.txt")]
    return sorted(found, key=runtime_version)


class RuntimeEnvironments:
    """The runtimes' environments under `root`; `ensure(runtime)` (or calling it) gives the Interpreter that
    runs that runtime's functions, making its environment first if needed."""

    def __init__(
        self,
        root: Path = DEFAULT_ROOT,
        log: Callable[[str], None] = print,
        *,
        finder: Finder = find_interpreter,
        run: Runner = run_command,
        requirements_dir: Path = REQUIREMENTS_DIR,
        pip: Sequence[str] = (sys.executable, "-m", "pip"),
    ) -> None:
        self.root = Path(root)
        self._log = log
        self._find = finder
        self._run = run
        self._requirements_dir = requirements_dir
        self._pip = list(pip)
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._found: dict[str, Interpreter] = {}
        self._ready: dict[str, Interpreter] = {}

    def requirements(self, runtime: str) -> Path:
        """`requirements/python3.X.txt`; RuntimeEnvironmentError if the lab has none for `runtime`."""
        runtime_version(runtime)
        path = self._requirements_dir / f"{runtime}.txt"
        if not path.is_file():
            known = ", ".join(supported_runtimes(self._requirements_dir))
            raise RuntimeEnvironmentError(
                f"the lab cannot run {runtime}: it knows {known} ({path} is missing)")
        return path

    def interpreter(self, runtime: str) -> Interpreter:
        """The machine's interpreter of `runtime` (InterpreterNotFoundError says how to install it)."""
        self.requirements(runtime)
        with self._lock:
            found = self._found.get(runtime)
        if found is None:
            found = self._find(runtime)
            with self._lock:
                self._found[runtime] = found
        return found

    def check(self, runtimes: Sequence[str]) -> list[Interpreter]:
        """Every runtime's interpreter, or one error naming every missing one and how to install each."""
        found: list[Interpreter] = []
        problems: list[str] = []
        for runtime in dict.fromkeys(runtimes):
            try:
                found.append(self.interpreter(runtime))
            except RuntimeEnvironmentError as exc:
                problems.append(str(exc))
        if problems:
            raise RuntimeEnvironmentError("; ".join(problems))
        return found

    def directory(self, runtime: str) -> Path:
        return self.root / runtime

    def _key(self, runtime: str, base: Interpreter) -> str:
        digest = hashlib.sha256(self.requirements(runtime).read_bytes())
        digest.update(f"\0{base.executable}\0{base.version_text}".encode())
        return digest.hexdigest()

    def ensure(self, runtime: str) -> Interpreter:
        """The interpreter of `runtime`'s environment, made (or remade, if its inputs changed) first."""
        with self._lock:
            ready = self._ready.get(runtime)
            lock = self._locks.setdefault(runtime, threading.Lock())
        if ready is not None:
            return ready
        with lock:
            with self._lock:
                ready = self._ready.get(runtime)
            if ready is not None:
                return ready
            base = self.interpreter(runtime)
            key = self._key(runtime, base)
            with self._file_lock(runtime):
                ready = self._read_marker(runtime, key) or self._build(runtime, base, key)
            with self._lock:
                self._ready[runtime] = ready
            return ready

    __call__ = ensure

    @contextlib.contextmanager
    def _file_lock(self, runtime: str) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / f"{runtime}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _python(self, runtime: str) -> Path:
        return self.directory(runtime) / "venv" / "bin" / "python"

    def _read_marker(self, runtime: str, key: str) -> Interpreter | None:
        marker = self.directory(runtime) / MARKER
        try:
            data = json.loads(marker.read_text())
            if data.get("key") != key or not self._python(runtime).exists():
                return None
            version = tuple(int(v) for v in data["version"])
            return Interpreter(runtime, str(self._python(runtime)), (version[0], version[1], version[2]))
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def _build(self, runtime: str, base: Interpreter, key: str) -> Interpreter:
        """Make the venv from scratch: the interpreter's venv, the pinned packages, compiled."""
        directory = self.directory(runtime)
        requirements = self.requirements(runtime)
        started = time.monotonic()
        self._log(f"runtime {runtime}: making its environment in {directory} (python {base.version_text} "
                  f"at {base.executable}, {requirements.name}) …")
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        venv = directory / "venv"
        major, minor = base.version[:2]
        site = venv / "lib" / f"python{major}.{minor}" / "site-packages"
        self._run([base.executable, "-m", "venv", "--without-pip", str(venv)])
        self._log(f"runtime {runtime}: installing {requirements.name} …")
        self._run([*self._pip, "install", "--quiet", "--no-input", "--disable-pip-version-check",
                   "--no-compile", "--no-deps", "--only-binary=:all:", "--python-version", f"{major}.{minor}",
                   "--target", str(site), "--upgrade", "-r", str(requirements)])
        self._log(f"runtime {runtime}: compiling …")
        # a file that does not compile (a test module of some package) is no reason to fail: exit 0 anyway
        self._run([str(venv / "bin" / "python"), "-c", COMPILE_CODE, str(site)])
        (directory / MARKER).write_text(json.dumps({
            "key": key, "runtime": runtime, "base": base.executable, "version": list(base.version),
            "requirements": requirements.name,
        }, indent=2) + "\n")
        self._log(f"runtime {runtime}: ready in {time.monotonic() - started:.1f} s")
        return Interpreter(runtime, str(self._python(runtime)), base.version)
