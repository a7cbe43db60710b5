"""Run the probe once on this machine: `python -m functions.probe` (configuration from the environment)."""

from __future__ import annotations

import argparse
import json
import sys

from .config import ConfigError
from .handler import handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m functions.probe",
        description="Invoke the probe handler once with the OBSERVATORY_* environment (see "
        "functions/probe/README.md) and print the record as JSON. The value read is never printed.",
    )
    parser.add_argument("--invocations", type=int, default=1, help="invocations in a row (default 1)")
    args = parser.parse_args(argv)
    try:
        for _ in range(args.invocations):
            record = handler({"source": "observatory.local"}, None)
            print(json.dumps(record, indent=2))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
