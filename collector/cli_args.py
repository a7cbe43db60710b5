"""What the collector's command lines (`python -m collector.backfill`, `python -m collector.export`) share:
how a day is given, the exit status of a setting to change, the environment variables they read, and the one
place where each command's errors become one line on stderr and a status."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from botocore.exceptions import NoRegionError, ProfileNotFound

from datastore.clients import READ_TIMEOUT_S, ConfigError, endpoint_from_env, get_client

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


class CommandError(Exception):
    """The command cannot go on: the message says what to change; `status` is the exit status."""

    def __init__(self, message: str, status: int = USAGE_ERROR) -> None:
        super().__init__(message)
        self.status = status


def dynamodb_client(error: type[CommandError]) -> Any:
    """The DynamoDB client the environment describes, or `error` naming the setting that stops one being made
    (a malformed AWS_ENDPOINT_URL is named here, before botocore fails on it)."""
    try:
        endpoint_from_env()
        return get_client("dynamodb", read_timeout=READ_TIMEOUT_S)
    except ConfigError as exc:
        raise error(str(exc)) from None
    except ProfileNotFound as exc:
        raise error(f"AWS_PROFILE: {exc} (in AWS_CONFIG_FILE or ~/.aws/config)") from None
    except NoRegionError:
        raise error(
            "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or a `region` in the profile"
        ) from None


def run_command(
    name: str, body: Callable[[], int], *, failures: tuple[type[BaseException], ...], interrupted: str
) -> int:
    """`body()`'s status; a CommandError its own status, one of `failures` 1 and Ctrl-C 130, each as one line
    `name: …` on stderr (`interrupted` says what an interrupt leaves behind)."""
    try:
        return body()
    except CommandError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return exc.status
    except failures as exc:
        print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted; {interrupted}", file=sys.stderr)
        return 130
