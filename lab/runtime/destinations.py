"""Where an async event's record goes: Lambda's destination record, to Lambda or SQS, and the SQS DLQ."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from .control_plane import ClientFactory, LazyClient
from .lambda_errors import LambdaServiceError
from .results import InvocationResult


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def destination_record(
    request_id: str,
    function_arn: str,
    condition: str,
    attempts: int,
    request_payload: Any,
    result: InvocationResult | None,
) -> dict[str, Any]:
    """The record Lambda sends to an OnSuccess / OnFailure destination (version 1.0).

    `condition` is Success, RetriesExhausted or EventAgeExceeded; without a result (the event expired before
    any attempt) there is no responseContext / responsePayload.
    """
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": _now_iso(),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function_arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": request_payload,
    }
    if result is not None:
        response_context: dict[str, Any] = {
            "statusCode": result.status_code,
            "executedVersion": result.executed_version,
        }
        if result.function_error:
            response_context["functionError"] = result.function_error
        record["responseContext"] = response_context
        record["responsePayload"] = result.payload
    return record


class Destinations:
    """Delivers records to destinations: a Lambda function (through `invoke_async`) or an SQS queue."""

    def __init__(self, clients: ClientFactory, invoke_async: Callable[[str, Any], str]) -> None:
        self._sqs = LazyClient(clients, "sqs")
        self._invoke_async = invoke_async

    def deliver(self, destination: str, record: dict[str, Any]) -> None:
        """Send `record` to the destination ARN; SNS and EventBridge are refused (LambdaServiceError)."""
        parts = destination.split(":")
        service = parts[2] if len(parts) > 5 else ""
        if service == "lambda":
            self._invoke_async(parts[6], record)
        elif service == "sqs":
            self._send_sqs(destination, json.dumps(record))
        else:
            raise LambdaServiceError(
                f"destination {destination} is not supported by the lab (Lambda or SQS only)"
            )

    def deliver_dead_letter(
        self, target_arn: str, request_id: str, payload: Any, result: InvocationResult | None
    ) -> None:
        """The function's DeadLetterConfig (SQS only) gets the event, with Lambda's error attributes."""
        if target_arn.split(":")[2] != "sqs":
            raise LambdaServiceError(
                f"dead-letter target {target_arn} is not supported by the lab (SQS only)"
            )
        message = ""
        if result is not None and isinstance(result.payload, dict):
            message = str(result.payload.get("errorMessage", ""))[:256]
        attributes = {
            "RequestID": {"DataType": "String", "StringValue": request_id},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
            "ErrorMessage": {"DataType": "String", "StringValue": message or "(none)"},
        }
        self._send_sqs(target_arn, json.dumps(payload), attributes)

    def _send_sqs(self, queue_arn: str, body: str, attributes: dict[str, Any] | None = None) -> None:
        parts = queue_arn.split(":")
        sqs = self._sqs.get()
        url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
        kwargs: dict[str, Any] = {"QueueUrl": url, "MessageBody": body}
        if attributes:
            kwargs["MessageAttributes"] = attributes
        sqs.send_message(**kwargs)
