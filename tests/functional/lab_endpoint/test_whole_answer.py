"""The endpoint's cheroot connections send each answer in one write (headers and body together)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from cheroot import server, wsgi

from lab.endpoint.whole_answer import WholeAnswerConnection
from tests.conftest import free_port

GAP_S = 0.3  # between the answer's two body chunks: a thread that lost the CPU half-way through an answer


def _app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = environ["wsgi.input"].read()
    if environ["PATH_INFO"] == "/missing":
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(10 + len(body)))])

    def chunks() -> Iterator[bytes]:
        yield b"first"
        time.sleep(GAP_S)
        yield b"later" + body

    return chunks()


@contextmanager
def _serving(connection_class: type[server.HTTPConnection]) -> Iterator[int]:
    port = free_port()
    httpd = wsgi.Server(("127.0.0.1", port), _app, numthreads=2)
    httpd.ConnectionClass = connection_class
    httpd.prepare()
    thread = threading.Thread(target=httpd.serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        httpd.stop()
        thread.join(timeout=10)


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _first_read(port: int, request: bytes) -> bytes:
    """What one recv returns after the request: whatever the server had sent by the time anything came."""
    with _connect(port) as sock:
        sock.sendall(request)
        return sock.recv(65536)


REQUEST = b"POST /thing HTTP/1.1\r\nHost: lab\r\nContent-Length: 4\r\n\r\nbody"


def test_an_answer_arrives_whole_even_when_its_body_is_produced_in_parts() -> None:
    with _serving(WholeAnswerConnection) as port:
        first = _first_read(port, REQUEST)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert first.endswith(b"\r\n\r\nfirstlaterbody")


def test_without_it_the_headers_arrive_before_the_rest_of_the_answer() -> None:
    """The control: cheroot's own connection lets a client see the headers alone (what the Go SDK retried
    on)."""
    with _serving(server.HTTPConnection) as port:
        first = _first_read(port, REQUEST)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert not first.endswith(b"firstlaterbody")


def test_keep_alive_answers_and_errors_still_arrive_one_after_another() -> None:
    with _serving(WholeAnswerConnection) as port, _connect(port) as sock:
        answers = []
        for path in (b"/thing", b"/missing", b"/thing"):
            sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: lab\r\n\r\n")
            answers.append(sock.recv(65536))
    assert answers[0].endswith(b"firstlater") and answers[2].endswith(b"firstlater")
    assert answers[1].startswith(b"HTTP/1.1 404 Not Found\r\n")


def test_an_expected_100_continue_is_still_sent_before_the_body_is_read() -> None:
    with _serving(WholeAnswerConnection) as port, _connect(port) as sock:
        sock.sendall(b"PUT /thing HTTP/1.1\r\nHost: lab\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"body")
        assert sock.recv(65536).endswith(b"firstlaterbody")
