"""A small test double of the Cloud Extensions runtime: real HTTP on a free loopback port, SigV4 verified.

It serves the Secrets Manager extension's query route (`GET /secretsmanager/get?secretId=…`) and the
Parameter Store extension's SSM JSON API (`POST /parameterstore`, `X-Amz-Target: AmazonSSM.GetParameter`),
verifies every request's SigV4 signature with its own code (hashlib/hmac, not botocore's signer: an
independent check of what the probe sends) for the service each extension names (`secretsmanager`, `ssm`),
answers 503 to its first `not_ready` requests, and `fault` (status, X-Amzn-Errortype or None) to every signed
request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlparse

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
    r"/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;\-]+), Signature=(?P<signature>[0-9a-f]{64})"
)


@dataclass
class CxState:
    """What the double serves, the credentials it verifies against, and what it saw."""

    access_key: str
    secret_key: str
    region: str
    secrets: dict[str, str]
    parameters: dict[str, str]
    not_ready: int = 0
    fault: tuple[int, str | None] | None = None
    seen: list[dict[str, str]] = field(default_factory=list)  # per request: path, service, signed headers
    lock: threading.Lock = field(default_factory=threading.Lock)


def _canonical_query(query: str) -> str:
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)


def verify(state: CxState, method: str, path: str, headers: dict[str, str], body: bytes) -> str | None:
    """The problem with the request's signature (None: valid): the SigV4 algorithm written out."""
    match = AUTHORIZATION.fullmatch(headers.get("authorization", ""))
    if match is None:
        return "MissingAuthenticationToken"
    if match["key"] != state.access_key or match["region"] != state.region:
        return "InvalidClientTokenId"
    signed = match["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return "SignatureDoesNotMatch"
    url = urlparse(path)
    canonical = "\n".join(
        [
            method,
            quote(url.path, safe="/~"),
            _canonical_query(url.query),
            "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed),
            match["signed"],
            hashlib.sha256(body).hexdigest(),
        ]
    )
    amz_date = headers["x-amz-date"]
    scope = f"{match['date']}/{match['region']}/{match['service']}/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = f"AWS4{state.secret_key}".encode()
    for part in (match["date"], match["region"], match["service"], "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected, match["signature"]) else "SignatureDoesNotMatch"


def _handler_class(state: CxState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _send(
            self, status: int, payload: dict[str, object] | None, error_type: str | None = None
        ) -> None:
            data = json.dumps(payload).encode() if payload is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            if error_type:
                self.send_header("X-Amzn-Errortype", error_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _serve(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            problem = verify(state, method, self.path, headers, body)
            match = AUTHORIZATION.fullmatch(headers.get("authorization", ""))
            with state.lock:
                state.seen.append(
                    {
                        "path": self.path,
                        "service": match["service"] if match else "",
                        "signed": match["signed"] if match else "",
                        "problem": problem or "",
                    }
                )
                if state.not_ready > 0:
                    state.not_ready -= 1
                    self._send(503, {"Message": "loading"}, "ServiceUnavailableException")
                    return
            if problem is not None:
                self._send(
                    401 if problem == "MissingAuthenticationToken" else 403, {"Message": problem}, problem
                )
                return
            if state.fault is not None:
                status, kind = state.fault
                self._send(status, {"message": "fault"} if kind else None, kind)
                return
            url = urlparse(self.path)
            if (
                method == "GET"
                and url.path == "/secretsmanager/get"
                and match
                and match["service"] == "secretsmanager"
            ):
                name = dict(parse_qsl(url.query)).get("secretId", "")
                if name not in state.secrets:
                    self._send(400, {"message": "not found"}, "ResourceNotFoundException")
                    return
                self._send(200, {"Name": name, "SecretString": state.secrets[name], "VersionId": "v1"})
            elif method == "POST" and url.path == "/parameterstore" and match and match["service"] == "ssm":
                request = json.loads(body or b"{}")
                target = headers.get("x-amz-target")
                if target != "AmazonSSM.GetParameter" or request.get("WithDecryption") is not True:
                    self._send(
                        400, {"__type": "ValidationException", "message": "bad"}, "ValidationException"
                    )
                    return
                value = state.parameters[request["Name"]]
                self._send(
                    200, {"Parameter": {"Name": request["Name"], "Type": "SecureString", "Value": value}}
                )
            else:
                self._send(400, {"message": "unknown route"}, "ValidationException")

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


@contextmanager
def cloud_extensions_double(state: CxState) -> Iterator[int]:
    """Serve `state` on 127.0.0.1 on a free port for the duration; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="cloud-extensions-double", daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
