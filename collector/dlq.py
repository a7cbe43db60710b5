"""The dead-letter queue (SQS): where records that break the contract go, with the reason and the request id.

A dead letter carries the reason (a field path and a rule, never a value), the request ids, the destination
condition and a SHA-256 of the rejected event, not the event itself: whatever a bad record carries stays out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from datastore.clients import get_client

from .contract import FAILURE_CONDITIONS, FUNCTION_ARN, SUCCESS, request_id_of

MAX_REASON = 2000


def event_digest(event: Any) -> tuple[str | None, int | None]:
    """SHA-256 (hex) and size in bytes of the event's canonical JSON; (None, None) if it is not JSON."""
    try:
        body = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        )
    except (TypeError, ValueError, RecursionError):
        return None, None
    return hashlib.sha256(body).hexdigest(), len(body)


def dead_letter_body(reason: str, event: Any, *, collector_request_id: str | None = None) -> dict[str, Any]:
    """The JSON a dead letter carries (only well-formed identifiers are copied from the event)."""
    condition = None
    function_arn = None
    if isinstance(event, Mapping) and isinstance(event.get("requestContext"), Mapping):
        context = event["requestContext"]
        if context.get("condition") in (SUCCESS, *FAILURE_CONDITIONS):
            condition = context["condition"]
        arn = context.get("functionArn")
        if isinstance(arn, str) and FUNCTION_ARN.fullmatch(arn):
            function_arn = arn
    digest, size = event_digest(event)
    return {
        "kind": "observatory.invalid_record",
        "reason": reason[:MAX_REASON],
        "request_id": request_id_of(event),
        "collector_request_id": collector_request_id,
        "condition": condition,
        "function_arn": function_arn,
        "event_sha256": digest,
        "event_bytes": size,
        "rejected_at": datetime.now(UTC).isoformat(),
    }


def send_dead_letter(
    reason: str,
    event: Any,
    *,
    queue_url: str,
    client: Any = None,
    collector_request_id: str | None = None,
) -> str:
    """Send one dead letter; returns the SQS message id. A failed send raises (Lambda retries the event)."""
    sqs = client if client is not None else get_client("sqs")
    body = dead_letter_body(reason, event, collector_request_id=collector_request_id)
    response = sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=json.dumps(body, sort_keys=True),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": body["kind"]}},
    )
    return str(response["MessageId"])
