"""Partial requests against `kg serve --workers 1` under a descriptor limit: how long a real client
behind them waits.

    .venv/bin/python bench/partial_requests.py --store STORE [--partial 2500] [--nofile 1024] [--kg-args "..."]

The server starts with RLIMIT_NOFILE at --nofile (as under `ulimit -n`); --partial connections
each send the start of a head and nothing more; then one client sends a whole request on a new
connection and waits (at most --wait s) for its answer. Prints how long it waited, what it got,
and how many of the partial connections had been answered 408 or closed by then.
"""

from __future__ import annotations

import argparse
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from endpoint import ROOT, free_port  # noqa: E402

ASK = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--partial", type=int, default=2500)
    ap.add_argument("--nofile", type=int, default=1024)
    ap.add_argument("--wait", type=float, default=60)
    ap.add_argument("--kg-args", default="", help="More arguments for kg serve (space-separated).")
    args = ap.parse_args()
    port = free_port()
    cmd = [sys.executable, "-m", "kg", "serve", "--store", str(args.store), "--port", str(port), "--workers", "1",
           *args.kg_args.split()]

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (args.nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limit)
    held: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                    s.sendall(ASK)
                    if s.recv(100).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        time.sleep(1)
        for _ in range(args.partial):
            s = socket.create_connection(("127.0.0.1", port), timeout=args.wait)
            s.sendall(b"GET /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
            held.append(s)
        t0 = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=args.wait) as s:
                s.sendall(ASK)
                answer = s.recv(100).split(b"\r\n", 1)[0].decode("latin-1")
        except OSError as e:
            answer = f"no answer: {e!r}"
        waited = time.monotonic() - t0
        ended = 0
        for s in held:
            s.settimeout(0.01)
            try:
                data = s.recv(200)
                ended += data.startswith(b"HTTP/1.1 408") or data == b""
            except ConnectionResetError:
                ended += 1
            except OSError:
                pass
        print(f"{args.partial} partial requests, RLIMIT_NOFILE {args.nofile}: a whole request behind them got "
              f"{answer!r} after {waited:.1f} s; {ended} of the partial ones answered 408 or closed by then")
    finally:
        for s in held:
            s.close()
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
