"""The lab endpoint's DynamoDB Query answer, written as JSON straight from its items.

moto serialises every answer by walking botocore's output shape member by member: for each attribute of each
item it looks up all ten AttributeValue members (S, N, B, …) by several spellings. At 23:30 on a day of 40
probes every 5 minutes, that was 57 % of the endpoint's 0.8 s answer to the open hour's 573 rows (sampled
with py-spy), for JSON whose form the items already have: DynamoDB's wire form is `{"S": "…"}`,
`{"N": "1.5"}`, `{"M": {…}}`, which is how moto holds them (`dynamo_to_dict`).

`install()` makes a Query's result (`DynamoResult`) go out as `json.dumps` of that dict, binary values base64
encoded as the serializer does, with the same status and Content-Type. Errors, every other operation, and a
result holding a value JSON cannot write as it is go through moto's serializer as before. Checked against
moto's own answers, parsed JSON for parsed JSON, in tests/functional/lab_endpoint/test_dynamodb_json.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

DIRECT_OPERATIONS = frozenset({"Query"})
_installed: dict[str, Callable[..., Any]] = {}


def install() -> None:
    """Patch moto's `DynamoResult.execute_result` (idempotent)."""
    from moto.dynamodb.responses import DynamoResult

    if _installed:
        return
    _installed["execute_result"] = DynamoResult.execute_result
    DynamoResult.execute_result = _execute_result  # type: ignore[method-assign]


def uninstall() -> None:
    """moto's own serializer for every DynamoDB answer again."""
    from moto.dynamodb.responses import DynamoResult

    if _installed:
        DynamoResult.execute_result = _installed.pop("execute_result")  # type: ignore[method-assign]


def _execute_result(self: Any, context: Any) -> Any:
    operation = context.operation_model
    if operation.name not in DIRECT_OPERATIONS or isinstance(self.result, Exception):
        return _installed["execute_result"](self, context)
    try:
        body = answer_json(self.result)
    except TypeError:  # a value JSON cannot hold as it is (not met in a Query yet): moto's way
        return _installed["execute_result"](self, context)
    version = operation.service_model.metadata.get("jsonVersion", "1.0")
    status = operation.http.get("responseCode", 200)
    return status, {"Content-Type": f"application/x-amz-json-{version}"}, body


def _blob(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} into a DynamoDB answer")


def answer_json(result: dict[str, Any]) -> str:
    """A Query result (attribute values in wire form, binary as bytes) as the JSON body DynamoDB sends."""
    return json.dumps(result, default=_blob, separators=(",", ":"))
