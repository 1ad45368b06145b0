"""The endpoint for the server tests: a real `kg serve` subprocess on 127.0.0.1 (`running`; the
session's example_front, cors_front and example_server in tests/conftest.py) for everything about
HTTP: negotiation, the API, pages, linked data, clients, timeouts, the W3C runner, the browser; the
ASGI app in-process under Starlette's TestClient (`in_process`) only for unit tests of views.

Both give the same small requests-like interface (get, post, put, options, request; url, endpoint,
log_text), so a test reads the same either way.
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A port free on 127.0.0.1 now, for a server started next. Under pytest-xdist, worker gwN takes
    only ports whose half is N modulo the number of workers, so that two workers never pick the same
    one before their servers bind it (half: Linux hands out odd ports to bind(0), even ones to connect)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker) % count if worker.isdigit() else 0
    for _ in range(1000):  # about `count` tries; never more than a few milliseconds
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if (port // 2) % count == index:
            break
    return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def endpoint(self) -> str:
        return self.url + "/sparql"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def request(self, method: str, url: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", 30)
        return requests.request(method, url, **kw)

    def get(self, url: str, **kw: Any) -> requests.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> requests.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> requests.Response:
        return self.request("PUT", url, **kw)

    def options(self, url: str, **kw: Any) -> requests.Response:
        return self.request("OPTIONS", url, **kw)


class App:
    """The app in this process (TestClient entered: the lifespan runs, the worker pool is up)."""

    url = "http://testserver"

    def __init__(self, client: Any, records: list[logging.LogRecord]) -> None:
        self.client = client
        self.records = records

    @property
    def endpoint(self) -> str:
        return self.url + "/sparql"

    def log_text(self) -> str:
        fmt = logging.Formatter("%(asctime)s %(name)s %(message)s")
        return "\n".join(fmt.format(r) for r in list(self.records)) + "\n"

    def request(self, method: str, url: str, **kw: Any) -> Any:
        """requests' keywords (timeout, allow_redirects, data=bytes) in httpx's terms."""
        kw.pop("timeout", None)
        kw["follow_redirects"] = kw.pop("allow_redirects", True)
        data = kw.get("data")
        if isinstance(data, bytes | str):
            kw["content"] = kw.pop("data")
        return self.client.request(method, url, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.request("PUT", url, **kw)

    def options(self, url: str, **kw: Any) -> Any:
        return self.request("OPTIONS", url, **kw)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def in_process(store: Path, **config: Any) -> Iterator[App]:
    """`kg serve`'s app on `store` (ServerConfig keywords: workers, max_rows, cors, ...), in this process: the
    SPARQL pipeline for /sparql and the Starlette app for the rest (kg.server.asgi)."""
    from starlette.testclient import TestClient

    from kg.server import ServerConfig, asgi_app

    config.setdefault("workers", 1)
    logger = logging.getLogger("kg.server")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with TestClient(asgi_app(ServerConfig(store=store, **config))) as client:
            yield App(client, handler.records)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _limit_descriptors(soft: int) -> None:
    """In the child, before it runs kg serve: at most `soft` open file descriptors (the hard limit kept)."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


@contextmanager
def running(store: Path, *args: str, log: Path, descriptors: int | None = None) -> Iterator[Server]:
    """A real `kg serve` on a free loopback port, answering, until the block ends; with `descriptors`,
    its processes may open that many file descriptors at most (the soft limit, set in the child only,
    whatever this process has open)."""
    port = free_port()
    cmd = [sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", str(port), *args]
    limit = None if descriptors is None else partial(_limit_descriptors, descriptors)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=limit,
        )
    server = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"kg serve exited with {proc.returncode}:\n{server.log_text()}")
            try:
                with urllib.request.urlopen(server.endpoint + "?query=ASK%7B%7D", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"kg serve did not answer within 30 s:\n{server.log_text()}")
            time.sleep(0.1)
        yield server
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Ends a server this test started, by its process id: SIGTERM, then SIGKILL after 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def empty_store(path: Path) -> Path:
    from kg.store import StoreDir

    with StoreDir(path).generation() as gen:
        gen.meta["counts"] = {}
    return path


def npm_ready() -> Path:
    """node_modules of the repo, installed from package.json by `npm ci` if missing (skip without npm)."""
    modules = ROOT / "node_modules"
    runner = modules / "rdf-test-suite" / "bin" / "Runner.js"
    if not runner.exists():
        npm = "npm"
        if subprocess.run(["which", npm], capture_output=True).returncode != 0:
            pytest.skip("npm not available; .ci/run installs the node packages with `npm ci`")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True, capture_output=True, timeout=600)
    return modules


class Listener:
    """A TCP listener on 127.0.0.1 that counts connections (it must count none)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join(2)
        self.sock.close()
