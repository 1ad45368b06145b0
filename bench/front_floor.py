"""The least a Python HTTP front can cost on top of the engine: a reference for `bench/endpoint.py --floor`.

    .venv/bin/python bench/front_floor.py --store STORE --port PORT [--processes 2] [--threads 2] [--inline]

Not a server to run: a measuring stick. It answers `POST /sparql` form requests (and `GET ?query=`)
with the engine's SPARQL JSON results over the union of the store's graphs, and nothing else: no
checks, no content negotiation, no time limit, no access log, no caches, no error handling past a
400. The HTTP parsing is the least that reads a request on a keep-alive connection (find the head's
end, read Content-Length, split the body); the query text and the answer are handled exactly as
kg serve's evaluation threads do (`Store.query`, then `serialize` to bytes, both of which release the
interpreter's lock). `--processes` worker processes share one listening socket, each with a uvloop
event loop, as `kg serve --workers` does.

Two ways to evaluate, as issue 25 allows "on the loop or on a thread":

- the hop (default): the event loop puts the query on a queue, one of `--threads` evaluation threads
  evaluates it and hands the answer back with `call_soon_threadsafe`: kg serve's shape, with none
  of its work around it; a costly query then holds one thread, not the connections of its worker;
- `--inline`: the event loop evaluates the query itself; a costly query then holds every connection
  of its worker for as long as it runs (issue 25's defect 5), so kg serve does not do this.

So `kg serve`'s rate on new texts against this server's (hop) is what kg's own work costs, and this
server's rate against `oxigraph serve-read-only`'s is what any front of this shape can reach on the
machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import signal
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

JSON = ox.QueryResultsFormat.JSON
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: %d\r\n\r\n"
BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def evaluate(store: ox.Store, text: str) -> bytes:
    """The engine's answer to `text` as SPARQL JSON results (a boolean for ASK)."""
    return store.query(text, use_default_graph_as_union=True).serialize(format=JSON) or b""


def request_text(head: bytes, body: bytes) -> str | None:
    """The query of a POST form body or of a GET's query string; None for anything else."""
    method, _, rest = head.partition(b" ")
    if method == b"POST":
        found = parse_qs(body.decode("utf-8")).get("query")
    else:
        found = parse_qs(urlsplit(rest.split(b" ", 1)[0].decode("latin-1")).query).get("query")
    return found[0] if found else None


def worker(sock: socket.socket, data: str, threads: int, inline: bool) -> None:
    import uvloop

    store = ox.Store.read_only(data)
    jobs: queue.SimpleQueue[tuple[Any, str, bool]] = queue.SimpleQueue()
    loop = uvloop.new_event_loop()

    def reply(transport: Any, body: bytes, close: bool) -> None:
        transport.write(HEAD % len(body) + body)
        if close:
            transport.close()

    def run() -> None:
        while True:
            transport, text, close = jobs.get()
            loop.call_soon_threadsafe(reply, transport, evaluate(store, text), close)

    if not inline:
        for _ in range(threads):
            threading.Thread(target=run, daemon=True).start()

    class Connection(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
                head, length, close = self.buffer[:end], 0, False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"connection":
                        close = value.strip().lower() == b"close"
                if len(self.buffer) < end + 4 + length:
                    return
                body = self.buffer[end + 4:end + 4 + length]
                self.buffer = self.buffer[end + 4 + length:]
                text = request_text(head, body)
                if text is None:
                    self.transport.write(BAD)
                    self.transport.close()
                    return
                if inline:
                    reply(self.transport, evaluate(store, text), close)
                else:
                    jobs.put((self.transport, text, close))

    async def main() -> None:
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        server = await loop.create_server(Connection, sock=sock)
        await stop.wait()
        server.close()

    loop.run_until_complete(main())
    os._exit(0)  # the evaluation threads are daemons waiting on the queue


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True, help="A kg store directory (its active generation).")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="Evaluation threads a process (without --inline).")
    ap.add_argument("--inline", action="store_true", help="Evaluate on the event loop instead of a thread.")
    args = ap.parse_args()
    data = str(Path(os.path.realpath(args.store / "active")) / "oxigraph")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(1024)
    sock.setblocking(False)
    children = []
    for _ in range(args.processes):
        pid = os.fork()
        if pid == 0:
            worker(sock, data, args.threads, args.inline)
        children.append(pid)

    def stop(*_: Any) -> None:
        for pid in children:
            os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    for _ in children:
        os.wait()


if __name__ == "__main__":
    main()
