"""`python -m lab`: the lab's command line (see lab/cli.py and lab/README.md)."""

from __future__ import annotations

import sys

from lab.cli import main

sys.exit(main())
