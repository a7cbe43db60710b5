"""One destination record in, one outcome out: validate, build rows, write them, or dead-letter the record."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from datastore.schema import RowError
from datastore.writes import write_rows

from .config import ConfigError, Settings
from .contract import InvalidRecordError, parse_destination, request_id_of
from .dlq import send_dead_letter
from .rows import rows_for

LOG = logging.getLogger("collector")

WRITTEN = "written"
DUPLICATE = "duplicate"
DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True)
class Outcome:
    """What happened to one destination record."""

    result: str  # written | duplicate | dead_lettered
    request_id: str | None
    rows: int  # rows newly written
    condition: str | None = None
    reason: str | None = None
    message_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def collect(
    event: Any,
    *,
    settings: Settings,
    dynamodb: Any = None,
    sqs: Any = None,
    collector_request_id: str | None = None,
) -> Outcome:
    """Write the record's rows idempotently, or dead-letter it if it breaks the contract.

    Transient faults (throttling, network) are retried by the clients and then raised, so Lambda's own retry
    and the collector's on-failure queue take the event; an invalid record is never raised (never retried).
    """
    try:
        delivery = parse_destination(event)
        rows = rows_for(delivery)
        written = write_rows(
            rows, client=dynamodb, table_name=settings.table_name, retention_days=settings.retention_days
        )
    except (InvalidRecordError, RowError) as exc:
        reason = exc.reason if isinstance(exc, InvalidRecordError) else f"row refused: {exc}"
        if not settings.dlq_url:
            raise ConfigError("OBSERVATORY_DLQ_URL is not set: cannot dead-letter an invalid record") from exc
        message_id = send_dead_letter(
            reason, event, queue_url=settings.dlq_url, client=sqs, collector_request_id=collector_request_id
        )
        outcome = Outcome(DEAD_LETTERED, request_id_of(event), 0, reason=reason, message_id=message_id)
        LOG.warning(json.dumps({"event": "collector.dead_lettered", **outcome.as_dict()}))
        return outcome
    outcome = Outcome(
        WRITTEN if written else DUPLICATE, delivery.request_id, written, condition=delivery.condition
    )
    LOG.info(json.dumps({"event": f"collector.{outcome.result}", **outcome.as_dict()}))
    return outcome
