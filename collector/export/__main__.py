"""`python -m collector.export`: see collector/export/cli.py."""

import sys

from .cli import main

sys.exit(main())
