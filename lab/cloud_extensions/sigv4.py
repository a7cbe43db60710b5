"""Server-side SigV4 verification with botocore's own signer (runtimeCredentials authentication).

The runtime checks every request against the credentials it has itself (AWS documents: an unsigned request
401 `MissingAuthenticationToken`; a bad signature or access key ID, or a request time more than 5 s off, 403).
The canonical request is rebuilt from the request exactly as received, over the headers the client says it
signed, and signed again with botocore's `SigV4Auth`; the two signatures are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_SKEW_SECONDS = 5.0
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-f]{64})\s*$"
)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


@dataclass(frozen=True)
class Rejection:
    """Why a request was refused: status, error type, message."""

    status: int
    error_type: str
    message: str
    reason: str = "SIGNATURE_MISMATCH"  # the Parameter Store extension's cloudextensions-error-reason


@dataclass(frozen=True)
class Credentials:
    """The credentials the runtime has (its environment's), which clients must sign with."""

    access_key: str
    secret_key: str
    token: str | None = None


def verify(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    clock: Callable[[], float] = time.time,
) -> Rejection | None:
    """None when the request is signed by `credentials` for `service` in `region`, else why not.

    `headers` have lower-case names, as the server reads them; `target` is the request target as sent.
    """
    authorization = headers.get("authorization")
    amz_date = headers.get("x-amz-date")
    if not authorization or not amz_date:
        return Rejection(
            401, "MissingAuthenticationToken", "Missing Authentication Token", "MISSING_AUTHENTICATION"
        )
    match = _AUTH.match(authorization)
    if match is None:
        return Rejection(403, "SignatureDoesNotMatch", "The Authorization header is not a SigV4 signature")
    parts = match["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return Rejection(403, "SignatureDoesNotMatch", "Malformed credential scope")
    access_key, date, scope_region, scope_service, _ = parts
    if not hmac.compare_digest(access_key.encode(), credentials.access_key.encode()):
        return Rejection(
            403, "InvalidClientTokenId", "The access key ID is not the runtime's", "UNKNOWN_ACCESS_KEY"
        )
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return Rejection(403, "SignatureDoesNotMatch", "X-Amz-Date is not an ISO 8601 basic timestamp")
    if abs(clock() - signed_at) > MAX_SKEW_SECONDS:
        return Rejection(
            403,
            "SignatureDoesNotMatch",
            "Signature expired: the request time is more than 5 s off",
            "SIGNATURE_EXPIRED",
        )
    if date != amz_date[:8] or scope_region != region or scope_service != service:
        return Rejection(
            403,
            "SignatureDoesNotMatch",
            f"Credential should be scoped to {region}/{service}, not {scope_region}/{scope_service}",
        )
    token = headers.get("x-amz-security-token")
    if credentials.token and not hmac.compare_digest((token or "").encode(), credentials.token.encode()):
        return Rejection(403, "InvalidClientTokenId", "The security token included in the request is invalid")
    signed = match["signed"].split(";")
    if "host" not in signed or any(name not in headers for name in signed):
        return Rejection(403, "SignatureDoesNotMatch", "A signed header is missing, or host is not signed")
    declared = headers.get("x-amz-content-sha256")
    if declared is not None and declared not in (UNSIGNED_PAYLOAD, hashlib.sha256(body).hexdigest()):
        return Rejection(403, "SignatureDoesNotMatch", "X-Amz-Content-SHA256 does not match the body")
    expected = _signature(
        method, target, {name: headers[name] for name in signed}, body, credentials, region, service, amz_date
    )
    if not hmac.compare_digest(expected.encode(), match["signature"].encode()):
        return Rejection(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided",
        )
    return None


def _signature(
    method: str,
    target: str,
    signed_headers: dict[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    amz_date: str,
) -> str:
    """The signature botocore computes for this request (the client's own algorithm)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    request = AWSRequest(method=method, url=f"http://{signed_headers['host']}{target}", data=body)
    for name, value in signed_headers.items():
        request.headers[name] = value
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(
        BotoCredentials(credentials.access_key, credentials.secret_key, credentials.token), service, region
    )
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))
