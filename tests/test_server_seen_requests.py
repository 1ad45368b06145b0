"""Requests seen whole before (kg.server.wire.SeenRequests): the same bytes again are the same request,
answered as the first; anything whose meaning is more than its bytes, or that came in parts or with
others, is parsed as always."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from server_fixtures import running

from kg.server.sparql_pipeline import Answer, Reply
from kg.server.wire import Connection, Front, Request, SeenRequests


class _Transport:
    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.out.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def get_write_buffer_size(self) -> int:
        return 0


class _Taker:
    """Takes /sparql as the SPARQL pipeline does: keys it, answers at once with what it was given."""

    def __init__(self) -> None:
        self.seen: list[Request] = []

    def handle(self, request: Request, reply: Reply) -> None:
        if request.key is None:
            request.key = (request.method, request.query, request.body, request.header(b"accept"))
        self.seen.append(request)
        body = repr((request.method, request.query, request.body, request.client)).encode()
        reply(Answer(200, [(b"content-type", b"text/plain")], body))


async def _app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"nothing here\n"})


def _post(query: str, *extra: str) -> bytes:
    body = urlencode({"query": query}).encode()
    head = ["POST /sparql HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _connection() -> tuple[Connection, _Taker, _Transport, Front]:
    taker = _Taker()
    front = Front(_app, taker, None, 1 << 20, ("127.0.0.1", 7878))
    conn = Connection(front)
    transport = _Transport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    return conn, taker, transport, front


def _run(check: Any) -> None:
    async def main() -> None:
        check()

    asyncio.run(main())


def test_the_same_bytes_again_are_the_same_request_without_parsing() -> None:
    def check() -> None:
        conn, taker, transport, front = _connection()
        raw = _post("ASK {}")
        conn.data_received(raw)
        assert front.seen_requests is not None and raw in front.seen_requests.seen
        parser = conn.parser
        conn.parser = None  # type: ignore[assignment]  # a repeat must not need the parser
        conn.data_received(raw)
        conn.parser = parser
        assert len(taker.seen) == 2 and len(transport.out) == 2
        first, again = taker.seen
        assert again is not first and again.key == first.key
        for name in ("method", "raw_path", "query", "headers", "body", "keep_alive", "version", "client", "scheme"):
            assert getattr(again, name) == getattr(first, name), name
        assert transport.out[0].split(b"\r\n", 1)[0] == transport.out[1].split(b"\r\n", 1)[0] == b"HTTP/1.1 200 OK"
        assert transport.out[0].endswith(transport.out[1].rsplit(b"\r\n\r\n", 1)[1])
        conn.data_received(_post("ASK { ?s ?p ?o }"))  # another request after a repeat: parsed as always
        assert len(taker.seen) == 3 and taker.seen[2].body != first.body

    _run(check)


def test_what_depends_on_more_than_its_bytes_or_came_in_parts_is_parsed() -> None:
    def check() -> None:
        conn, taker, transport, front = _connection()
        assert front.seen_requests is not None
        seen = front.seen_requests.seen
        proxied = _post("ASK {}", "X-Forwarded-For: 203.0.113.9")  # the client depends on the peer
        continued = _post("ASK {}", "Expect: 100-continue")  # answered 100 while parsing
        for raw in (proxied, continued):
            conn.data_received(raw)
            assert raw not in seen
        assert taker.seen[0].client == ("203.0.113.9", 0)
        assert transport.out[1] == b"HTTP/1.1 100 Continue\r\n\r\n"
        two = _post("ASK { ?a ?b ?c }") + _post("ASK { ?d ?e ?f }")  # two requests in one read
        conn.data_received(two)
        assert two not in seen and len(taker.seen) == 4
        split = _post("ASK { ?g ?h ?i }")  # one request in two reads
        conn.data_received(split[:40])
        conn.data_received(split[40:])
        assert split not in seen and split[40:] not in seen and len(taker.seen) == 5
        page = b"GET /paper/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"  # not the SPARQL pipeline's: the app's
        conn.data_received(page)
        assert page not in seen and not seen

    _run(check)


def test_a_seen_request_inside_another_is_not_taken_for_a_repeat() -> None:
    def check() -> None:
        conn, taker, _, front = _connection()
        raw = _post("ASK {}")
        conn.data_received(raw)
        assert front.seen_requests is not None and raw in front.seen_requests.seen
        # the head of a request whose body has the same bytes as the remembered request: those
        # bytes are its body, not a request of their own
        outer = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(raw))
        conn.data_received(outer)
        conn.data_received(raw)
        assert len(taker.seen) == 2 and taker.seen[1].body == raw

    _run(check)


def test_the_table_is_bounded() -> None:
    seen_requests = SeenRequests(size=2, max_bytes=100)
    request = Request()
    request.key = ("k",)
    seen_requests.remember(b"a", request)
    seen_requests.remember(b"x" * 101, request)  # too long to keep
    assert list(seen_requests.seen) == [b"a"]
    seen_requests.remember(b"b", request)
    seen_requests.remember(b"c", request)  # full: emptied, then kept
    assert list(seen_requests.seen) == [b"c"]
    unkeyed = Request()
    seen_requests.remember(b"d", unkeyed)  # not planned by the SPARQL pipeline: not kept
    assert b"d" not in seen_requests.seen


def _ask_all(port: int, raws: list[bytes]) -> list[bytes]:
    """Sends each request on one keep-alive connection, one at a time, and reads its whole answer."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        for raw in raws:
            s.sendall(raw)
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += s.recv(65536)
            head, _, rest = buf.partition(b"\r\n\r\n")
            lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
            size = int(lengths[0].split(b":")[1])
            while len(rest) < size:
                rest += s.recv(65536)
            answers.append(head.split(b"\r\n", 1)[0] + b"\n" + rest)
    return answers


def test_seen_requests_on_a_real_server(example_store: Path, tmp_path: Path) -> None:
    with running(example_store, "--workers", "1", log=tmp_path / "serve.log") as server:
        port = int(server.url.rsplit(":", 1)[1])
        select = _post("SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 5",
                       "Accept: application/sparql-results+json")
        answers = _ask_all(port, [select] * 6)
        assert answers[0].startswith(b"HTTP/1.1 200 OK") and b'"bindings"' in answers[0]
        assert all(a == answers[0] for a in answers), "a repeated request answered differently"
        assert _ask_all(port, [select]) == answers[:1]  # another connection, the same bytes
        proxied = _post("ASK {}", "X-Forwarded-For: 198.51.100.7")
        _ask_all(port, [proxied] * 3)
        deadline = time.monotonic() + 5
        while True:
            lines = [line for line in server.log_text().splitlines() if "kg.server.access" in line]
            forwarded = [line for line in lines if "198.51.100.7" in line]
            if len(forwarded) >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert len(forwarded) == 3, "each proxied request logs its own client"
        assert sum(" /sparql 200 " in line and "query SELECT" in line for line in lines) >= 7
