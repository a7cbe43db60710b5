"""The pool of execution environments: warm reuse, cold starts, retirement when idle or stale, shutdown."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .artifacts import ArtifactIndex
from .cgroups import CgroupManager
from .environment import ExecutionEnvironment, new_env_id
from .lambda_errors import LambdaServiceError
from .spec import EnvSettings, FunctionSpec
from .unpacked import UnpackedZips


class EnvironmentPool:
    """Every live environment, by function. Thread-safe; `close()` stops them all.

    An idle environment of the same code serves the next invocation (warm); anything else starts a new one
    (cold, with its cause: `first_start`, `idle_expiry` or `forced`). Idle for `idle_timeout_s`: retired.
    """

    def __init__(
        self,
        artifacts: ArtifactIndex,
        work_dir: Path,
        cgroups: CgroupManager,
        settings: EnvSettings,
        layer_sha: Callable[[str], str],
        idle_timeout_s: float,
        log: Callable[[str], None],
    ) -> None:
        if idle_timeout_s <= 0:
            raise ValueError("idle_timeout_s must be positive")
        self.artifacts = artifacts
        self.work_dir = work_dir
        self.unpacked = UnpackedZips(work_dir / "unpacked")
        self.cgroups = cgroups
        self.settings = settings
        self.idle_timeout_s = idle_timeout_s
        self._layer_sha = layer_sha
        self._emit = log
        self._lock = threading.Lock()
        self._envs: dict[str, list[ExecutionEnvironment]] = {}
        self._next_cause: dict[str, str] = {}
        self._closed = False
        self._stop_reaper = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name="lab-reaper", daemon=True)
        self._reaper.start()

    def acquire(self, spec: FunctionSpec, force_cold: bool) -> tuple[ExecutionEnvironment, bool]:
        """A warm idle environment of the same code, or a new one (INIT not yet run); returned busy, with
        whether it is cold. Idle environments of other code (or all of them, `force_cold`) are retired."""
        stale: list[ExecutionEnvironment] = []
        chosen: ExecutionEnvironment | None = None
        with self._lock:
            if self._closed:
                raise LambdaServiceError("the lab's Lambda service is closed")
            for env in list(self._envs.get(spec.name, [])):
                if env.state != "idle":
                    continue
                if force_cold or not env.spec.same_code(spec):
                    stale.append(env)
                    self._envs[spec.name].remove(env)
                    continue
                if chosen is None:
                    chosen = env
                    env.state = "busy"
            if chosen is None:
                cause = "forced" if force_cold else self._next_cause.get(spec.name, "first_start")
                self._next_cause[spec.name] = "first_start"
        for env in stale:
            env.stop("spindown")
        if chosen is not None:
            return chosen, False
        env = self._create(spec, cause)
        with self._lock:
            closed = self._closed
            if not closed:
                self._envs.setdefault(spec.name, []).append(env)
        if closed:  # close() ran while this environment was being prepared: it must not outlive the pool
            env.stop("spindown")
            raise LambdaServiceError("the lab's Lambda service is closed")
        return env, True

    def _create(self, spec: FunctionSpec, cause: str) -> ExecutionEnvironment:
        """Find the runtime's interpreter, check the code, unpack it and its layers, and make the cgroup (INIT
        runs in `start`)."""
        python = self.settings.runtime_python(spec.runtime)  # made once per runtime; before INIT's clock
        code_zip = self.artifacts.find(spec.code_sha256, f"function {spec.name}")
        layers = [(arn, self._layer_sha(arn)) for arn in spec.layers]
        layer_zips = [(self.artifacts.find(sha, f"layer {arn} of {spec.name}"), sha) for arn, sha in layers]
        env_id = new_env_id()
        directory = self.work_dir / "envs" / f"{spec.name}-{env_id}"
        try:
            self.unpacked.place(code_zip, spec.code_sha256, directory / "task")
            (directory / "opt").mkdir(parents=True, exist_ok=True)
            for layer_zip, sha in layer_zips:  # in order: a later layer's file wins, as on Lambda
                self.unpacked.place(layer_zip, sha, directory / "opt")
        except Exception:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        group = self.cgroups.create(env_id, spec.memory_mb)
        return ExecutionEnvironment(
            spec=spec,
            env_id=env_id,
            directory=directory,
            log_path=self.work_dir / "logs" / spec.name / f"{env_id}.log",
            group=group,
            cold_cause=cause,
            settings=self.settings,
            python=python,
        )

    def retire(self, env: ExecutionEnvironment, reason: str) -> None:
        """Take `env` out of the pool and stop it (SHUTDOWN with `reason`)."""
        with self._lock:
            envs = self._envs.get(env.spec.name, [])
            if env in envs:
                envs.remove(env)
        env.stop(reason)

    def retire_all(self, function_name: str | None = None) -> int:
        """Stop idle environments (of one function, or all); the next start of each is cold (`forced`)."""
        with self._lock:
            chosen = [
                env
                for name, envs in self._envs.items()
                for env in envs
                if env.state == "idle" and function_name in (None, name)
            ]
            for env in chosen:
                self._envs[env.spec.name].remove(env)
                self._next_cause[env.spec.name] = "forced"
        for env in chosen:
            env.stop("spindown")
        return len(chosen)

    def _reap_loop(self) -> None:
        """Retire environments idle for `idle_timeout_s`; their function's next start is `idle_expiry`."""
        interval = min(1.0, self.idle_timeout_s / 4)
        while not self._stop_reaper.wait(interval):
            expired: list[ExecutionEnvironment] = []
            with self._lock:
                now = time.monotonic()
                for name, envs in self._envs.items():
                    for env in list(envs):
                        if env.state == "idle" and now - env.last_used >= self.idle_timeout_s:
                            envs.remove(env)
                            expired.append(env)
                            self._next_cause[name] = "idle_expiry"
            for env in expired:
                self._emit(
                    f"{env.spec.name}: environment {env.env_id} idle for {self.idle_timeout_s:g} s, retired"
                )
                env.stop("spindown")

    def status(self) -> list[dict[str, Any]]:
        """One dict per live environment (see `ExecutionEnvironment.status`)."""
        with self._lock:
            envs = [env for envs in self._envs.values() for env in envs]
        return [env.status() for env in envs]

    def close(self) -> None:
        """SHUTDOWN to every environment and kill what remains; no environment is made after this. The
        environments stop side by side (each may wait out its extensions' SHUTDOWN grace), not one by one."""
        with self._lock:
            self._closed = True
            envs = [env for envs in self._envs.values() for env in envs]
            self._envs.clear()
        self._stop_reaper.set()

        def stop(env: ExecutionEnvironment) -> None:
            try:
                env.stop("spindown")
            except Exception as exc:  # keep going: every environment must be stopped
                self._emit(f"could not stop environment {env.env_id} cleanly: {exc}")

        stoppers = [threading.Thread(target=stop, args=(env,), name=f"lab-stop-{env.env_id}") for env in envs]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        self._reaper.join(timeout=5)
        self.unpacked.clear()
