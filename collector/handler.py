"""The collector Lambda: receives each probe invocation's destination record (OnSuccess and OnFailure)."""

from __future__ import annotations

import logging
from typing import Any

from datastore.clients import get_client

from .collect import collect
from .config import ConfigError, get_settings

logging.getLogger("collector").setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Validate the destination record, write its rows (or dead-letter it), and say what happened."""
    settings = get_settings()
    if not settings.dlq_url:
        raise ConfigError("OBSERVATORY_DLQ_URL is not set: the collector needs its dead-letter queue")
    # The home table may be in another region than this function (Terraform's home_table): its client too.
    dynamodb = get_client("dynamodb", region=settings.table_region) if settings.table_region else None
    outcome = collect(
        event,
        settings=settings,
        dynamodb=dynamodb,
        collector_request_id=getattr(context, "aws_request_id", None),
    )
    return outcome.as_dict()
