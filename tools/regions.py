"""CLOUD-CHANGING: one fleet in several regions writing to one home table (`make deploy-regions`).

    python -m tools.regions terraform/envs/aws apply us-east-1 ap-northeast-1 [--yes]
    python -m tools.regions terraform/envs/aws destroy us-east-1 ap-northeast-1 [--yes]

The first region is the home: its deployment holds the measurements table and runs the compactor; every
other region deploys the same fleet (its own probes, fixtures, collector and schedules) with `home_region`
set, so its collector writes to the home table (terraform/README.md, "Several regions"). Each region is one
`python -m tools.terraform_run` (plan, confirm, apply the saved plan) in a Terraform workspace of its own:
one state per region, so a region can be applied or destroyed alone and a failed region leaves the others
alone. The home region's state is the `default` workspace, the one `make deploy` uses; another region's is
the workspace named after it. Apply goes home first (the table must exist before a collector writes to it),
destroy goes home last (the other regions write to it until they are gone). The first region that fails
stops the run and says which regions were done and which were not.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools import cli
from tools.region import REGION_PATTERN

HOME_WORKSPACE = "default"  # the home region's state: the one `make deploy` and `make destroy` use


class RegionsError(cli.UsageError):
    """The regions asked for cannot be deployed as one fleet: what to change."""


@dataclass(frozen=True)
class RegionRun:
    """One region's terraform_run: where it deploys, where its rows go, which state it uses."""

    region: str
    home_region: str
    workspace: str

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` with this region's variables and workspace, as terraform reads them."""
        return {
            **base,
            "TF_VAR_region": self.region,
            "TF_VAR_home_region": self.home_region,
            "TF_WORKSPACE": self.workspace,
        }


def plan_runs(regions: Sequence[str], action: str) -> list[RegionRun]:
    """The runs, in order: the first region is the home, applied first and destroyed last."""
    if not regions:
        raise RegionsError('no region given: the home region first, e.g. REGIONS="us-east-1 ap-northeast-1"')
    wrong = [region for region in regions if not REGION_PATTERN.match(region)]
    if wrong:
        raise RegionsError(f"not an AWS region code: {', '.join(wrong)} (e.g. us-east-1, ap-northeast-1)")
    twice = sorted({region for region in regions if list(regions).count(region) > 1})
    if twice:
        raise RegionsError(f"named twice: {', '.join(twice)} (one deployment per region)")
    home = regions[0]
    runs = [RegionRun(region, home, HOME_WORKSPACE if region == home else region) for region in regions]
    return runs if action == "apply" else [*runs[1:], runs[0]]


Runner = Callable[[list[str], dict[str, str]], int]


def run_terraform_run(command: list[str], env: dict[str, str]) -> int:
    """Run one region's `python -m tools.terraform_run` in the foreground; its exit status."""
    return subprocess.run(command, env=env, check=False).returncode


def main(argv: list[str] | None = None, runner: Runner = run_terraform_run) -> int:
    """Each region's plan, confirmation and apply (or destroy) in turn; 0 when every region succeeded, else
    the failing region's status."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.regions",
        description="CLOUD-CHANGING: deploy (or destroy) the same fleet in several regions, the first "
        "holding the table every region writes to.",
    )
    parser.add_argument("env_dir", type=Path, help="root configuration, e.g. terraform/envs/aws")
    parser.add_argument("action", choices=["apply", "destroy"], help="what to do in every region")
    parser.add_argument("regions", nargs="+", help="region codes, the home region first")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation (automation)")
    args = parser.parse_args(argv)
    return cli.run("regions", lambda: _run(args, runner), failures=(RegionsError,))


def _run(args: argparse.Namespace, runner: Runner) -> int:
    runs = plan_runs(args.regions, args.action)
    done: list[str] = []
    for number, step in enumerate(runs, 1):
        role = "home: holds the table" if step.region == step.home_region else f"writes to {step.home_region}"
        where = f"{step.region} ({role}; state: workspace {step.workspace})"
        print(f"\n=== region {number} of {len(runs)}: {where} ===", file=sys.stderr)
        command = [sys.executable, "-m", "tools.terraform_run", str(args.env_dir), args.action]
        status = runner([*command, *(["--yes"] if args.yes else [])], step.environment(os.environ))
        if status != 0:
            left = [later.region for later in runs[number:]]
            print(
                f"regions: {args.action} stopped at {step.region} (exit {status}); "
                f"done: {', '.join(done) or 'none'}; not started: {', '.join(left) or 'none'}",
                file=sys.stderr,
            )
            return status
        done.append(step.region)
    print(f"regions: {args.action} done in {', '.join(done)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
