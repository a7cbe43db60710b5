"""`python -m lab`: the lab's command line (see lab/cli/parser.py and lab/README.md)."""

from __future__ import annotations

import sys

from lab.cli.parser import main

sys.exit(main())
