"""`python -m lab`: bring the observatory up on this machine, run probe rounds, inspect it, take it down.

This module only parses the command line and hands each command to its home: `up` to `lab/up.py`; `replay`
to `lab/replay/`; `run`, `invoke`, `status` and `down` to `lab/cli/commands.py`. Those are imported when their
command runs, so `--help` stays quick. Every default is `lab/settings.py`'s; options of `up` also read
`OBSERVATORY_*` variables.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lab.cli.console import Console
from lab.settings import DEFAULT_STATE_DIR, LabConfig

EMULATION_OPTIONS = ("artifacts_dir", "cpu_period_ms", "idle_timeout_s", "max_concurrent_probes",
                     "round_timeout_s")
DESCRIPTION_WIDTH = 100


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (1-65535)")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value


def _count(text: str) -> int:
    return 0 if text.strip() == "0" else _positive_int(text)


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not 1 or 0 (nor true/false, yes/no)")


class UsageError(Exception):
    """An argument or variable the command cannot run with: said in one line, status 2, nothing started."""


# The options whose default a variable gives (so `make up` is configured without arguments): for each command,
# (option's dest, variable, how the variable is read, the default without it). Read only for that command, so
# a bad value blocks only the commands that use it.
FROM_ENVIRONMENT: dict[str, list[tuple[str, str, Callable[[str], Any], Any]]] = {
    "up": [("port", "OBSERVATORY_LAB_PORT", _port, LabConfig.port),
           ("dashboard_port", "OBSERVATORY_DASHBOARD_PORT", _port, LabConfig.dashboard_port),
           ("rounds", "OBSERVATORY_LAB_ROUNDS", _count, 0),
           ("exit", "OBSERVATORY_LAB_EXIT", _flag, False)],
    "replay": [("port", "OBSERVATORY_LAB_PORT", _port, LabConfig.port)],
}
ENVIRONMENT_HELP = """\
environment variables (a bad value is refused, in one line naming it, by the commands that read it):
  OBSERVATORY_LAB_DIR         --state-dir's default (.lab/ in the repository)
  OBSERVATORY_LAB_PORT        --port's default for up and replay (4566)
  OBSERVATORY_DASHBOARD_PORT  up's --dashboard-port default (8501)
  OBSERVATORY_LAB_ROUNDS      up's --rounds default (0: none before the schedule)
  OBSERVATORY_LAB_EXIT        1 (or true, yes): up exits after its rounds, as --exit
  OBSERVATORY_LAB_DEBUG       1: an unexpected error shows its traceback
  TERRAFORM_BIN               the terraform executable (default: terraform on PATH)
  TF_PLUGIN_MIRROR            install Terraform's providers from this directory (default: /opt/tf-plugins
                              where it exists, else the registry)
  TF_VAR_runtime, TF_VAR_fleet  envs/local's runtime and fleet, as Terraform reads them
  PYENV_ROOT                  pyenv's root, searched for the runtimes' interpreters after PATH (~/.pyenv)"""


def with_environment(args: argparse.Namespace) -> argparse.Namespace:
    """`args` with each option not given on the command line taken from its variable (FROM_ENVIRONMENT), else
    its default; UsageError naming a variable whose value is bad."""
    for dest, variable, parse, default in FROM_ENVIRONMENT.get(args.command, []):
        if getattr(args, dest) is not None:
            continue
        raw = os.environ.get(variable, "").strip()
        try:
            setattr(args, dest, parse(raw) if raw else default)
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"${variable}: {exc}") from None
    return args


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse, before anything starts, what the options cannot mean together and a --state-dir that cannot
    hold the lab's state: UsageError."""
    if getattr(args, "exit", False) and not args.rounds:
        raise UsageError("--exit needs --rounds N (how many rounds to run before exiting)")
    if args.command == "up" and not args.no_dashboard and args.port == args.dashboard_port:
        raise UsageError(f"--port and --dashboard-port are both {args.port}: the endpoint and the dashboard "
                         "need a port each")
    check_state_dir(args.state_dir, args.command)


def check_state_dir(path: Path, command: str) -> None:
    """The state dir is a directory, or can be made; every command but `status` (which only reads) must be
    able to write in it (`down` only if it exists: a missing one records nothing to stop)."""
    shown = f"--state-dir {path}"
    if path.exists() and not path.is_dir():
        raise UsageError(f"{shown} is not a directory")
    if command == "status" or (command == "down" and not path.exists()):
        return
    nearest = next(p for p in (path, *path.parents) if p.exists())  # where it would be made
    if not nearest.is_dir():
        raise UsageError(f"{shown} cannot be made: {nearest} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=nearest):
            pass
    except OSError as exc:
        raise UsageError(f"{shown} cannot be written: {exc.strerror or exc} in {nearest}") from None


def _emulation(sub: argparse.ArgumentParser) -> None:
    """Options of the commands that run a Lambda service: `up`, `run`, `invoke`."""
    sub.add_argument("--artifacts-dir", type=Path, default=LabConfig.artifacts_dir,
                     help="build output with manifest.json (default: %(default)s)")
    sub.add_argument("--cpu-period-ms", type=_positive_float, default=LabConfig.cpu_period_ms,
                     help="CFS period of the CPU quota (default: %(default)s ms, as Lambda)")
    sub.add_argument("--idle-timeout-s", type=_positive_float, default=LabConfig.idle_timeout_s,
                     help="retire an execution environment after this long idle (default: %(default)s s)")
    sub.add_argument("--max-concurrent-probes", type=_positive_int, default=LabConfig.max_concurrent_probes,
                     help="probe environments that may run at once (default: %(default)s)")
    sub.add_argument("--round-timeout-s", type=_positive_float, default=LabConfig.round_timeout_s,
                     help="give up on a round after this long (default: %(default)s s)")


def _paragraphs(*texts: str) -> str:
    """A description of paragraphs, each wrapped (for RawDescriptionHelpFormatter)."""
    return "\n\n".join(textwrap.fill(text, DESCRIPTION_WIDTH) for text in texts)


def build_parser() -> argparse.ArgumentParser:
    """The `python -m lab` command line."""
    parser = argparse.ArgumentParser(
        prog="python -m lab",
        description="The Secret Latency Observatory's lab: the whole observatory on this machine, with "
                    "Lambda's CPU limits, and no AWS account.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=ENVIRONMENT_HELP,
    )
    parser.add_argument("--state-dir", type=Path, default=Path(os.environ.get("OBSERVATORY_LAB_DIR",
                        DEFAULT_STATE_DIR)), help="where the lab keeps pids, TLS files, state, logs "
                        "(default: %(default)s, or $OBSERVATORY_LAB_DIR)")
    parser.add_argument("--quiet", action="store_true", help="only steps and results, not component logs")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="start the endpoint, deploy, run the schedule, serve the dashboard",
                             description="Start the local AWS endpoint, apply terraform/envs/local to it, "
                                         "run the deployed fleet on its schedules and serve the dashboard. "
                                         "Ctrl-C stops everything it started.")
    up.add_argument("--port", type=_port, default=None,
                    help=f"endpoint port (default: $OBSERVATORY_LAB_PORT, or {LabConfig.port})")
    up.add_argument("--dashboard-port", type=_port, default=None,
                    help="dashboard port (default: $OBSERVATORY_DASHBOARD_PORT, or "
                         f"{LabConfig.dashboard_port})")
    up.add_argument("--no-dashboard", action="store_true", help="do not start the dashboard")
    up.add_argument("--rounds", type=_positive_int, default=None,
                    help="run the fleet this many times right away, before the schedule takes over; each "
                         "round after the first waits out the probes' cache TTL, so it measures misses "
                         "again (default: $OBSERVATORY_LAB_ROUNDS or 0)")
    up.add_argument("--exit", action="store_true", default=None,
                    help="with --rounds: exit after those rounds (non-interactive; exit status 0 if every "
                         "probe produced rows, 130/143 if interrupted; also OBSERVATORY_LAB_EXIT=1)")
    up.add_argument("--replay-config", choices=("2022",), default=None, metavar="YEAR",
                    help="deploy the 2022 run's configuration instead of envs/local's fleet (python3.9, "
                         "patch_all, its libraries; extension, SDK and dict at 128 and 1,769 MB) and keep "
                         "measuring it: the dashboard's Reference page compares it from the table "
                         "(needs the 2022 dependency layer: `make up-2022` builds it)")
    _emulation(up)

    run = commands.add_parser("run", help="run the whole fleet N times now (needs `lab up`)",
                              description="Invoke every scheduled probe N times now, asynchronously as the "
                                          "schedule would, show progress, and exit once the rows landed.")
    run.add_argument("--rounds", type=_positive_int, default=1,
                     help="how many rounds; each after the first waits out the probes' cache TTL "
                          "(default: %(default)s)")
    _emulation(run)

    invoke = commands.add_parser("invoke", help="invoke one function and print its result (needs `lab up`)",
                                 description="Invoke a deployed function synchronously and print what it "
                                             "returned. A probe gets its schedule's input unless --payload.")
    invoke.add_argument("function", metavar="FUNCTION", help="function name, or a probe key such as "
                                                             "dict-128-x86_64")
    invoke.add_argument("--payload", help="JSON event (default: the function's schedule input)")
    _emulation(invoke)

    replay = commands.add_parser(
        "replay", help="deploy the 2022 run's configuration, measure it, print it beside 2022 (~4 min)",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=_paragraphs(
            "Deploy exactly the 2022 run's configuration in the lab — python3.9, requests 2.28.1 and "
            "aws-xray-sdk 2.10.0 with patch_all() tracing, the extension / direct SDK / dict strategies at "
            "128 and 1,769 MB, x86_64, Secrets Manager — and run each probe once (a real cold start, a cold "
            "miss, 100 warm hits); then the same probes with today's defaults. Prints the 2022 tables beside "
            "both, with this machine's CPU model and the gaps explained, and last a line "
            "`RESULT ext128_p50_ms=… ext1769_p50_ms=… ext_ratio=… near20=… dict_ratio=… sdk_miss128_ms=… "
            "sdk_miss1769_ms=…`. "
            "Nothing is tuned to agree with 2022: the lab runs with Lambda's CPU limits only.",
            "Takes about 4 minutes on a 2-core machine: for each configuration a terraform apply, one "
            "round of 6 probes and the teardown.",
            "Needs: Terraform; the build output with the 2022 dependency layer (`python -m tools.build --out "
            "build --dependency-set 2022`); a python3.9 interpreter on PATH or in pyenv (missing? `pyenv "
            "install 3.9`); the lab not up: replay starts what it needs on --port and stops it after. Exit "
            "status 0 if every RESULT figure was measured."))
    replay.add_argument("year", choices=("2022",), help="the reference run to replay")
    replay.add_argument("--port", type=_port, default=None,
                        help=f"endpoint port (default: $OBSERVATORY_LAB_PORT, or {LabConfig.port})")
    replay.add_argument("--artifacts-dir", type=Path, default=LabConfig.artifacts_dir,
                        help="build output with manifest.json (default: %(default)s)")
    replay.add_argument("--round-timeout-s", type=_positive_float, default=LabConfig.round_timeout_s,
                        help="give up on a round after this long (default: %(default)s s)")

    commands.add_parser("status", help="what is running, deployed and measured",
                        description="Show the endpoint, the running `lab up`, the dashboard, deployed "
                                    "functions, schedules, today's rows and dead letters.")
    commands.add_parser("down", help="stop everything the lab started",
                        description="Stop `lab up` by its pid (it stops what it started), then the "
                                    "dashboard and the endpoint if they are still running.")
    return parser


def config_from(args: argparse.Namespace) -> LabConfig:
    """LabConfig from parsed arguments (subcommands without emulation options keep the defaults)."""
    values: dict[str, Any] = {"state_dir": args.state_dir.resolve()}
    for name in ("port", "dashboard_port", *EMULATION_OPTIONS):
        if hasattr(args, name):
            values[name] = getattr(args, name)
    return LabConfig(**values)


def dispatch(args: argparse.Namespace, config: LabConfig, console: Console) -> int:
    """Run the command `args` names; its exit status."""
    if args.command == "up":
        from lab.up import up

        variables = None
        if args.replay_config:
            from lab.replay.phases import VARIABLES_2022, check_2022_build, shown

            check_2022_build(config, platform.machine())
            variables = VARIABLES_2022
            console.say(f"deploying the 2022 run's configuration, not envs/local's fleet: {shown(variables)}")
        return up(config, console, rounds=args.rounds, exit_after_rounds=args.exit,
                  dashboard=not args.no_dashboard, variables=variables)
    if args.command == "replay":
        from lab.replay.phases import replay

        return replay(config, console, args.year)
    from lab.cli import commands

    if args.command == "run":
        return commands.run(config, console, args.rounds)
    if args.command == "invoke":
        return commands.invoke(config, console, args.function, args.payload)
    if args.command == "status":
        return commands.status(config)
    return commands.down(config, console)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m lab`; returns the exit status. A bad argument is refused with status 2 before
    anything starts; every command's error is said in one line by `lab/cli/outcome.py`."""
    from lab.cli.outcome import DEBUG_VARIABLE, reported

    args = build_parser().parse_args(argv)
    try:
        check_arguments(with_environment(args))
    except UsageError as exc:
        print(f"python -m lab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    console = Console(quiet=args.quiet)
    config = config_from(args)
    return reported(lambda: dispatch(args, config, console), debug=os.environ.get(DEBUG_VARIABLE) == "1")
