"""A real `kg serve` on 127.0.0.1 for the server tests: a subprocess on a free port."""

from __future__ import annotations

import os
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
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
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


@contextmanager
def running(store: Path, *args: str, log: Path) -> Iterator[Server]:
    port = free_port()
    cmd = [sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", str(port), *args]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
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
