"""Warm-hit latency of the extension emulator against the floor of a bare keep-alive HTTP server.

Everything runs on this machine's loopback, measured in one run: moto serves Secrets Manager (misses only),
the emulator runs as its own process, and two floors run as their own processes: the stdlib's `http.server`
(HTTP/1.1 keep-alive, Nagle off) and a raw-socket responder that only reads the request head and writes a
canned answer. One `requests.Session` is the client for all three, sending the same request (token
included). Prints per-hit latency (min, p50, p90, mean), the emulator/floor ratios (goal: within 2x of the
floor), and hits per second with 8 concurrent clients (8 processes, one keep-alive session each).

Then the two extensions side by side under the lab's CPU limits (`bench/extensions_side_by_side.py`): the
Parameters and Secrets extension emulator and the Cloud Extensions emulator, each with its client in one
cgroup at 128 and 1,769 MB, ending with one line
`RESULT px_hit128_p50_ms=… cx_hit128_p50_ms=… px_hit1769_p50_ms=… cx_hit1769_p50_ms=… cx_sign_us_p50=…`.

    python -m bench extension                                  # both parts
    python -m bench.bench_extension --part side-by-side        # the side-by-side part alone
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-session-token"
HEADERS = {"X-Aws-Parameters-Secrets-Token": TOKEN}
SECRET_NAME = "bench-extension-secret"
ROUNDS = 5
HITS_PER_ROUND = 1000
CONCURRENT_CLIENTS = 8
CONCURRENT_SECONDS = 3.0
NAGLE_HITS = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the floors (run in their own processes)
def serve_stdlib_floor(port: int, body_size: int, nodelay: bool = True) -> None:
    """A bare stdlib keep-alive HTTP server that answers every GET with a fixed body."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = b"x" * body_size

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            if nodelay:
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def serve_raw_floor(port: int, body_size: int) -> None:
    """The least an HTTP server can do: read a request head, write a canned answer (thread per connection)."""
    import threading

    answer = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body_size}\r\n\r\n".encode()
        + b"x" * body_size
    )

    def serve(conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                pending += data
                while b"\r\n\r\n" in pending:
                    _, pending = pending.split(b"\r\n\r\n", 1)
                    conn.sendall(answer)

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


# --- measuring
def _wait_ready(url: str, process: subprocess.Popen) -> None:
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            requests.get(url, headers=HEADERS, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} never answered")


def _hits(session, url: str, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(n):
        started = time.perf_counter_ns()
        response = session.get(url, headers=HEADERS)
        elapsed = time.perf_counter_ns() - started
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        samples.append(elapsed / 1e6)
    return samples


def _summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    p90 = ordered[int(len(ordered) * 0.9)]
    return f"min {ordered[0]:.3f}  p50 {p50:.3f}  p90 {p90:.3f}  mean {statistics.fmean(ordered):.3f} ms"


def _p50(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2]


def _client_worker(url: str, start_at: float, seconds: float) -> int:
    """One concurrent client: a keep-alive session hitting `url` from `start_at` for `seconds`."""
    import requests

    with requests.Session() as session:
        for _ in range(20):
            session.get(url, headers=HEADERS)
        while time.time() < start_at:
            time.sleep(0.001)
        count = 0
        end = start_at + seconds
        while time.time() < end:
            if session.get(url, headers=HEADERS).status_code != 200:
                raise RuntimeError("non-200 during the concurrency run")
            count += 1
        return count


def _ready(_: int) -> bool:
    """A no-op task: submitted first so every worker process exists before any timing starts."""
    import requests  # noqa: F401  (imported once per worker, outside the measurement)

    return True


def _concurrent_rate(pool: ProcessPoolExecutor, url: str) -> float:
    start_at = time.time() + 1.5
    futures = [
        pool.submit(_client_worker, url, start_at, CONCURRENT_SECONDS) for _ in range(CONCURRENT_CLIENTS)
    ]
    return sum(f.result() for f in futures) / CONCURRENT_SECONDS


def main(argv: list[str] | None = None) -> None:
    """Measure and print; asserts nothing. `argv` None means the defaults (as `python -m bench` calls it)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_extension", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--part", choices=["both", "floor", "side-by-side"], default="both")
    parser.add_argument("--samples", type=int, default=100, help="side by side: warm hits per round (100)")
    parser.add_argument("--rounds", type=int, default=3, help="side by side: rounds per tier (3)")
    args = parser.parse_args(argv if argv is not None else [])
    if args.part in ("both", "floor"):
        floor()
    if args.part in ("both", "side-by-side"):
        from bench import extensions_side_by_side as side

        results, mode = side.run(args.samples, args.rounds)
        for line in side.report(results, mode, args.samples, args.rounds):
            print(line)
        print(side.result_line(results), flush=True)


def floor() -> None:
    """The emulator against the floors of a bare keep-alive HTTP server."""
    import boto3
    import requests
    from moto.server import ThreadedMotoServer

    fake = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    moto_port = _free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    processes: list[subprocess.Popen] = []
    try:
        endpoint = f"http://127.0.0.1:{moto_port}"
        boto3.client(
            "secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="bench", aws_secret_access_key="bench",
        ).create_secret(Name=SECRET_NAME, SecretString="v" * 64)  # fmt: skip

        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PARAMETERS_SECRETS_"))}
        env.update(fake, PYTHONPATH=str(REPO_ROOT), AWS_ENDPOINT_URL=endpoint)
        ext_port = _free_port()
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "lab.extension", "--standalone", "--port", str(ext_port)],
                cwd=REPO_ROOT,
                env=env,
                stderr=subprocess.DEVNULL,
            )
        )
        ext_url = f"http://127.0.0.1:{ext_port}/secretsmanager/get?secretId={SECRET_NAME}"
        _wait_ready(f"http://127.0.0.1:{ext_port}/ping", processes[-1])
        body_size = len(requests.get(ext_url, headers=HEADERS).content)  # the miss; every later GET is a hit

        floors = {}
        for kind in ("stdlib", "raw"):
            port = _free_port()
            code = f"from bench.bench_extension import serve_{kind}_floor as s; s({port}, {body_size})"
            processes.append(subprocess.Popen([sys.executable, "-c", code], cwd=REPO_ROOT, env=env))
            floors[kind] = f"http://127.0.0.1:{port}/secretsmanager/get?secretId={SECRET_NAME}"
            _wait_ready(floors[kind], processes[-1])

        targets = {
            "emulator": ext_url,
            "floor stdlib http.server": floors["stdlib"],
            "floor raw socket": floors["raw"],
        }
        samples: dict[str, list[float]] = {name: [] for name in targets}
        with requests.Session() as session:
            for url in targets.values():
                _hits(session, url, 200)  # warm-up: connections open, code paths hot
            for _ in range(ROUNDS):  # interleaved rounds, so drift on the machine hits every target alike
                for name, url in targets.items():
                    samples[name] += _hits(session, url, HITS_PER_ROUND)

        print(
            f"warm hits, one keep-alive requests.Session, {ROUNDS * HITS_PER_ROUND} each, body {body_size} B"
        )
        for name, values in samples.items():
            print(f"  {name:26s} {_summary(values)}")
        emulator_p50 = _p50(samples["emulator"])
        for name in ("floor stdlib http.server", "floor raw socket"):
            ratio = emulator_p50 / _p50(samples[name])
            mean_ratio = statistics.fmean(samples["emulator"]) / statistics.fmean(samples[name])
            verdict = "within" if ratio <= 2 else "ABOVE"
            print(
                f"  ratio emulator / {name}: p50 {ratio:.2f}x, mean {mean_ratio:.2f}x ({verdict} the 2x goal)"
            )

        # Why the emulator turns Nagle's algorithm off: the same stdlib floor with it on (headers and body are
        # two writes, so the body waits for the client's delayed ACK).
        port = _free_port()
        code = f"from bench.bench_extension import serve_stdlib_floor as s; s({port}, {body_size}, False)"
        processes.append(subprocess.Popen([sys.executable, "-c", code], cwd=REPO_ROOT, env=env))
        nagle_url = f"http://127.0.0.1:{port}/secretsmanager/get?secretId={SECRET_NAME}"
        _wait_ready(nagle_url, processes[-1])
        with requests.Session() as session:
            _hits(session, nagle_url, 5)
            nagle = _hits(session, nagle_url, NAGLE_HITS)
        print(f"  {'floor stdlib, Nagle on':26s} {_summary(nagle)}  ({NAGLE_HITS} hits)")

        with ProcessPoolExecutor(CONCURRENT_CLIENTS, mp_context=get_context("spawn")) as pool:
            list(pool.map(_ready, range(CONCURRENT_CLIENTS * 4)))
            passes = [{name: _concurrent_rate(pool, url) for name, url in targets.items()} for _ in range(2)]
        rates = {name: statistics.fmean(p[name] for p in passes) for name in targets}
        print(
            f"hits per second, {CONCURRENT_CLIENTS} concurrent keep-alive clients (processes), 2 interleaved "
            f"passes of {CONCURRENT_SECONDS:.0f} s, {os.cpu_count()} CPUs shared with the clients"
        )
        for name, rate in rates.items():
            each = " / ".join(f"{p[name]:,.0f}" for p in passes)
            print(f"  {name:26s} {rate:,.0f} hits/s (passes: {each})")
        for name in ("floor stdlib http.server", "floor raw socket"):
            print(f"  ratio emulator / {name}: {rates['emulator'] / rates[name]:.2f}x (higher is better)")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        moto.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
