"""A server's memory under two attacks on its HTTP layer: many distinct large queries, and a client
that pipelines requests and never reads the answers. `kg serve --workers 1` and `oxigraph
serve-read-only` on the same store, one after the other, in the same run.

    .venv/bin/python bench/hostile_memory.py --store STORE [--queries 300] [--pipelined 300]

- distinct: --queries POST queries of --size bytes each (an ASK with a long comment, each text
  new), one after the other on one connection;
- never reads: --pipelined GET requests of a query with a ~500 KB JSON answer sent on one
  connection that reads nothing; the peak over the next --wait seconds.

For each: the resident memory (VmRSS from /proc) of the process that serves (kg serve's worker;
Oxigraph's one process) before, after (or at its peak), and the growth, in MB. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "bench"))
from endpoint import free_port, wait_up  # noqa: E402

BIG_ANSWER = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 2000"  # ~500 KB of JSON on the example store


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise ValueError(pid)


def serving_pid(proc: subprocess.Popen[bytes]) -> int:
    """kg serve's worker (its one child started by multiprocessing's spawn), or the process itself."""
    pid = proc.pid
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
            return int(child)
    return pid


def read_answer(sock: socket.socket, buf: bytearray) -> int:
    while (end := buf.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(1 << 18)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head = bytes(buf[:end]).decode("latin-1").split("\r\n")
    del buf[: end + 4]
    size = next((int(h.split(":", 1)[1]) for h in head if h.lower().startswith("content-length:")), 0)
    while len(buf) < size:
        chunk = sock.recv(1 << 18)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    del buf[:size]
    return int(head[0].split()[1])


def mb(n: int) -> float:
    return round(n / 2**20, 1)


def distinct(port: int, path: str, pid: int, count: int, size: int) -> dict[str, Any]:
    before = rss(pid)
    statuses: dict[int, int] = {}
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        buf = bytearray()
        for i in range(count):
            body = f"# {i} {'x' * size}\nASK {{ ?s ?p ?o }}".encode()
            s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status = read_answer(s, buf)
            statuses[status] = statuses.get(status, 0) + 1
    after = rss(pid)
    return {"queries": count, "bytes_each": size, "statuses": statuses, "seconds": round(time.monotonic() - t0, 1),
            "rss_before_mb": mb(before), "rss_after_mb": mb(after), "grown_mb": mb(after - before)}


def never_reads(port: int, path: str, pid: int, count: int, wait: float) -> dict[str, Any]:
    request = f"GET {path}?query={quote(BIG_ANSWER)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    before = peak = rss(pid)
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        s.sendall(request * count)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(0.2)
            peak = max(peak, rss(pid))
        held = peak
        buf = bytearray()
        s.settimeout(120)
        answered, closed = 0, False
        try:
            for _ in range(count):
                answered += read_answer(s, buf) == 200
        except OSError:  # Oxigraph closes such a connection (reset) after some answers
            closed = True
    return {"pipelined": count, "answered_200_once_read": answered, "closed_by_server": closed,
            "rss_before_mb": mb(before),
            "rss_peak_mb": mb(held), "grown_mb": mb(held - before)}


def run(cmd: list[str], port: int, path: str, args: argparse.Namespace) -> dict[str, Any]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        wait_up(port, path)
        time.sleep(1.0)
        pid = serving_pid(proc)
        out = {f"distinct {size}": distinct(port, path, pid, args.queries, size) for size in args.size}
        out["never reads"] = never_reads(port, path, pid, args.pipelined, args.wait)
        return out
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--size", type=int, action="append", help="Bytes of each distinct query (repeatable; default"
                    " 100000 and 1000000).")
    ap.add_argument("--pipelined", type=int, default=300)
    ap.add_argument("--wait", type=float, default=5.0)
    ap.add_argument("--only", choices=["kg", "oxigraph"])
    args = ap.parse_args()
    args.size = args.size or [100_000, 1_000_000]
    results: dict[str, Any] = {}
    if args.only != "oxigraph":
        port = free_port()
        cmd = [str(BIN / "kg"), "serve", "--store", str(args.store), "--port", str(port), "--workers", "1"]
        results["kg_serve"] = run(cmd, port, "/sparql", args)
    if args.only != "kg":
        oxigraph = shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph")
        if oxigraph is None:
            raise SystemExit("oxigraph CLI not found: pip install -e '.[bench]'")
        data = str(Path(os.path.realpath(args.store / "active")) / "oxigraph")
        port = free_port()
        cmd = [oxigraph, "serve-read-only", "--location", data, "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
        results["oxigraph_serve_read_only"] = run(cmd, port, "/query", args)
    sys.stdout.write(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
