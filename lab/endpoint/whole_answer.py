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

import io
from typing import Any

from cheroot import server


class WholeAnswerRequest(server.HTTPRequest):  # type: ignore[misc]
    """A request whose answer (whatever `respond` writes) reaches the connection in one write."""

    def respond(self) -> None:
        conn: Any = self.conn
        writer = conn.wfile
        held = io.BytesIO()  # what respond writes, kept until it is done
        conn.wfile = held
        try:
            super().respond()
        finally:
            conn.wfile = writer
            answer = held.getvalue()
            if answer:
                writer.write(answer)


class WholeAnswerConnection(server.HTTPConnection):  # type: ignore[misc]
    """A cheroot connection whose requests answer in one write each."""

    RequestHandlerClass = WholeAnswerRequest
