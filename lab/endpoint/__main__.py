"""`python -m lab.endpoint`: the endpoint process (started in the background by `python -m lab up`)."""

from __future__ import annotations

import sys

from lab.endpoint.moto_server import main

sys.exit(main())
