"""What the collector's command lines (`python -m collector.backfill`, `python -m collector.export`) share:
how a day is given, the exit status of a setting to change, and the environment variables they read."""

from __future__ import annotations

import argparse
from datetime import date

USAGE_ERROR = 2  # a setting or an argument to change, as argparse's own errors

AWS_ENVIRONMENT = (
    "Environment: AWS_ENDPOINT_URL (the lab's endpoint; unset for AWS); AWS_REGION, else AWS_DEFAULT_REGION, "
    "else the region of the profile; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY "
    "(/ AWS_SESSION_TOKEN), else the profile AWS_PROFILE names (else the default one); AWS_CONFIG_FILE and "
    "AWS_SHARED_CREDENTIALS_FILE (where profiles live); AWS_CA_BUNDLE (the lab's CA file)."
)


def day(text: str) -> date:
    """An argparse type: a UTC day written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from None
