"""cheroot connections that send each answer in one write: status line, headers and body together.

cheroot writes an answer's headers, then its body, as two writes. On a loaded machine the thread can lose the
CPU between them, so a client sees the headers, then nothing for tens of milliseconds, then the body. The
Terraform AWS provider's Go SDK then drops the connection and sends the request again, although the first
attempt was done: a retried create fails with "already exists" and the whole `terraform apply` with it
(measured: holding the body back 20 ms after the headers made 9 requests of one lab apply retried and the
apply fail; holding the whole answer back 20 ms made none). One write per answer closes that gap; an
answer that could not be written at all is lost as a whole, as before.
"""

from __future__ import annotations

from typing import Any

from cheroot import server


class _HeldWrites:
    """A stand-in for a connection's writer that keeps what is written until it is taken."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: everything is held until `take`."""

    def take(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


class WholeAnswerRequest(server.HTTPRequest):  # type: ignore[misc]
    """A request whose answer (whatever `respond` writes) reaches the connection in one write."""

    def respond(self) -> None:
        conn: Any = self.conn
        writer = conn.wfile
        held = _HeldWrites()
        conn.wfile = held
        try:
            super().respond()
        finally:
            conn.wfile = writer
            answer = held.take()
            if answer:
                writer.write(answer)


class WholeAnswerConnection(server.HTTPConnection):  # type: ignore[misc]
    """A cheroot connection whose requests answer in one write each."""

    RequestHandlerClass = WholeAnswerRequest
