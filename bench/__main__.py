"""Run every benchmark: `python -m bench [NAME ...]`.

Each `bench/bench_*.py` module has a `main() -> None` that measures on this machine and prints its figures and
ratios. Nothing here asserts; the figures are reported in the issues they answer.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time

import bench


def available() -> list[str]:
    """Names of the benchmark modules, without the `bench_` prefix."""
    return sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules(bench.__path__)
        if info.name.startswith("bench_")
    )


def main(argv: list[str] | None = None) -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all of {names})"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {names}")
    for name in args.names or names:
        print(f"\n== bench {name} ==", flush=True)
        started = time.monotonic()
        importlib.import_module(f"bench.bench_{name}").main()
        print(f"== {name}: {time.monotonic() - started:.1f} s ==", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
