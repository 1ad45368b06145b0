"""The HTTP/1.1 front of a worker process: an asyncio Protocol over httptools, no ASGI server.

Each connection parses its requests with httptools and answers them in order (a request whose
bytes came whole in one read before, and again now, is taken as it was then: `Repeats`). A
request the lean path takes (kg.server.lean: SPARQL queries, kept answers) is answered from here: its job goes to
the evaluation threads and the answer's bytes are written when it comes back, with headers
prepared once. Every other request goes to the ASGI app (Starlette) through a minimal bridge: the
body read whole first (at most --max-body bytes, else 413), the answer written as it is sent
(`Content-Length`, or chunked when the app streams), HEAD without a body. Keep-alive connections
idle for KEEP_ALIVE seconds are closed (by one sweep a second over the worker's connections, not a
timer per request). Requests with `Upgrade:` (Java's `h2c`) are answered as
plain HTTP/1.1; a request that cannot be parsed is 400, and its connection closed.

Connections are shared out between the workers: each worker accepts from the listening socket
itself (`Acceptor`) and leaves a new connection to the others while it holds more connections
than the least loaded live worker (counts in shared memory), for at most DEFER s, after which it
takes the connection anyway. Without that, keep-alive clients that connect at once would land
on whichever worker woke first (6 of 8 on one worker was common), and the busy worker's event
loop would serve most of the load while the other waited.

Behind a proxy on 127.0.0.1, `X-Forwarded-For` and `X-Forwarded-Proto` give the client and the
scheme, as uvicorn's default does.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import gc
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

import httptools

log = logging.getLogger("kg.server")
KEEP_ALIVE = 5.0  # seconds an idle keep-alive connection stays open (at most one IDLE_SWEEP more)
IDLE_SWEEP = 1.0  # seconds between two looks for idle connections
MAX_HEADERS = 100
MAX_HEAD = 64 << 10  # bytes of request line and headers
TRUSTED = frozenset({"127.0.0.1", "::1"})  # proxies whose X-Forwarded-* are believed
DEFER = 0.02  # seconds a worker leaves a new connection to a less loaded one before it takes it
ACCEPTS = 16  # connections accepted at most per wake-up

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

REASONS = {100: "Continue", 200: "OK", 201: "Created", 204: "No Content", 206: "Partial Content",
           301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
           307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
           409: "Conflict", 411: "Length Required", 413: "Content Too Large", 414: "URI Too Long",
           415: "Unsupported Media Type", 416: "Range Not Satisfiable", 422: "Unprocessable Content",
           429: "Too Many Requests", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
           501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
STATUS_LINES = {code: f"HTTP/1.1 {code} {reason}\r\n".encode() for code, reason in REASONS.items()}


def status_line(status: int) -> bytes:
    return STATUS_LINES.get(status) or f"HTTP/1.1 {status} Status {status}\r\n".encode()


class _Clock:
    """The Date header, formatted once a second."""

    def __init__(self) -> None:
        self.second = 0
        self.header = b""

    def date(self) -> bytes:
        now = int(time.time())
        if now != self.second:
            self.second = now
            self.header = b"date: " + email.utils.formatdate(now, usegmt=True).encode() + b"\r\n"
        return self.header


CLOCK = _Clock()


class Request:
    """One parsed request."""

    __slots__ = ("method", "raw_path", "query", "headers", "body", "keep_alive", "version", "client", "scheme",
                 "started", "close", "too_large", "key")

    def __init__(self) -> None:
        self.method = "GET"
        self.raw_path = b"/"
        self.query = b""
        self.headers: Headers = []
        self.body = b""
        self.keep_alive = True
        self.version = "1.1"
        self.client: tuple[str, int] = ("-", 0)
        self.scheme = "http"
        self.started = 0.0
        self.close = False  # close the connection after the answer
        self.too_large = False  # the body passed --max-body (413)
        self.key: tuple[Any, ...] | None = None  # what the lean path keeps its plan under (set by it; see Repeats)

    def again(self, client: tuple[str, int]) -> Request:
        """The same request once more (what parsing its bytes again gives), from `client`."""
        request = Request.__new__(Request)
        request.method, request.raw_path, request.query = self.method, self.raw_path, self.query
        request.headers, request.body, request.keep_alive = self.headers, self.body, self.keep_alive
        request.version, request.client, request.scheme = self.version, client, "http"
        request.started, request.close, request.too_large, request.key = 0.0, False, False, self.key
        return request

    def header(self, name: bytes) -> bytes | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None


_SEVERAL = Request()  # Connection.parsed when the data being read held more (or less) than one request
_NOT_REPEATED = frozenset({b"x-forwarded-for", b"x-forwarded-proto", b"upgrade"})
REPEAT_BYTES = 8 << 10  # bytes of a request kept whole at most
REPEATS = 1024  # requests kept per worker (the table emptied when full)


class Repeats:
    """Requests that came whole in one read, by their bytes: the same bytes at the start of a later
    read (on any connection of this worker) are the same request, taken without parsing them again.

    A keep-alive client that sends the same query again (a site's popular names, a dashboard's
    refresh) sends the same bytes; httptools' callbacks, the request's fields and the lean path's
    scan of the headers are then skipped, and only the evaluation and the answer remain. Kept: the
    requests the lean path planned (it set `Request.key`), at most REPEAT_BYTES each, and none whose
    meaning depends on more than its bytes (X-Forwarded-* from a proxy, which depends on the peer;
    Expect: 100-continue, answered while parsing; Upgrade). Data that holds a part of a request, or
    more than one, is parsed as always."""

    def __init__(self, size: int = REPEATS, max_bytes: int = REPEAT_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.seen: dict[bytes, Request] = {}

    def remember(self, data: bytes, request: Request) -> None:
        if request.key is None or len(data) > self.max_bytes:
            return
        if len(self.seen) >= self.size:
            self.seen.clear()
        self.seen[data] = request.again(("-", 0))


class Taker(Protocol):
    """What answers requests without the app (kg.server.lean)."""

    def take(self, conn: Connection, request: Request) -> bool:
        """True when it answers `request` itself (now or later, by `conn.respond`)."""
        ...

    def keep(self, request: Request, status: int, headers: Headers, body: bytes) -> None:
        """Sees each whole answer of the app (to keep the hot ones)."""
        ...


ABSENT = 1 << 30  # the count of a worker slot whose worker is starting or dead (kg.server.prefork)


class Share:
    """The open connections of every worker (an array in shared memory, one slot per worker, each
    written by its own worker only, ABSENT while no worker accepts there), and this worker's slot."""

    def __init__(self, counts: Any, slot: int) -> None:
        self.counts = counts
        self.slot = slot

    def more_than_least(self) -> bool:
        """Whether this worker holds more connections than another one."""
        counts, slot = self.counts, self.slot
        mine = counts[slot]
        return any(counts[i] < mine for i in range(len(counts)) if i != slot)

    def add(self, n: int) -> None:
        self.counts[self.slot] = max(0, self.counts[self.slot] + n)


class Front:
    """What every connection of this worker shares: the app, the lean path, the settings, the count
    of requests in flight, and the workers' connection counts."""

    def __init__(self, app: ASGIApp, taker: Taker | None, max_body: int, server: tuple[str, int],
                 share: Share | None = None) -> None:
        self.app = app
        self.taker = taker
        self.max_body = max_body
        self.server = server
        self.share = share
        self.connections: set[Connection] = set()
        self.in_flight = 0  # requests answered by the lean path, not yet written
        self.stopping = False
        self.sweeping: asyncio.TimerHandle | None = None
        self.repeats = Repeats() if taker is not None else None

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Looks for idle connections every IDLE_SWEEP s while there are connections."""
        if self.sweeping is None:
            self.sweeping = loop.call_later(IDLE_SWEEP, self._sweep, loop)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        self.sweeping = None
        now = time.monotonic()
        for conn in list(self.connections):
            if conn.quiet_since is not None and now - conn.quiet_since >= KEEP_ALIVE:
                conn.close_if_idle()
        if self.connections:
            self.watch(loop)


class Connection(asyncio.Protocol):
    def __init__(self, front: Front) -> None:
        self.front = front
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.peer: tuple[str, int] = ("-", 0)
        self.url = b""
        self.headers: Headers = []
        self.head_size = 0
        self.body: list[bytes] = []
        self.body_size = 0
        self.too_large = False
        self.queue: deque[Request] = deque()
        self.busy = False
        self.closed = False
        self.broken = False  # read nothing more (after a request that could not be parsed)
        self.close_after = False  # close once the answers in flight are out
        self.quiet_since: float | None = None  # since when nothing was asked or answered; None while busy
        self.writable: asyncio.Future[None] | None = None
        self.disconnected: asyncio.Event | None = None
        self.in_message = False  # between a request's first byte and its end
        self.plain = True  # the request being parsed has no header that keeps it from Repeats
        self.parsed: Request | None = None  # the one request parsed from the data being read

    # -- the transport
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport subclass
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.peer = (str(peer[0]), int(peer[1]))
        self.front.connections.add(self)
        if self.front.share is not None:
            self.front.share.add(1)
        self.quiet_since = time.monotonic()
        self.front.watch(self.loop)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self in self.front.connections and self.front.share is not None:
            self.front.share.add(-1)
        self.front.connections.discard(self)
        self.quiet_since = None
        if self.disconnected is not None:
            self.disconnected.set()
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    def pause_writing(self) -> None:
        if self.writable is None or self.writable.done():
            self.writable = self.loop.create_future()

    def resume_writing(self) -> None:
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    def data_received(self, data: bytes) -> None:
        repeats = self.front.repeats
        fresh = not self.in_message  # `data` starts a request: it may be one seen whole before
        if fresh and repeats is not None and not self.broken and len(data) <= repeats.max_bytes:
            seen = repeats.seen.get(data)
            if seen is not None:
                self.quiet_since = None
                self._enqueue(seen.again(self.peer))
                return
        self.parsed = None
        while not self.broken:
            try:
                self.parser.feed_data(data)
                parsed = self.parsed
                if fresh and repeats is not None and parsed is not None and parsed is not _SEVERAL \
                        and not self.in_message:
                    repeats.remember(data, parsed)
                return
            except httptools.HttpParserUpgrade as e:
                fresh = False
                # `Upgrade:` (Java's h2c): the request is parsed and queued, and answered over HTTP/1.1;
                # what follows it is the next request, for a fresh parser.
                offset = e.args[0] if e.args and isinstance(e.args[0], int) else len(data)
                self.parser = httptools.HttpRequestParser(self)
                data = data[offset:]
                if not data:
                    return
            except httptools.HttpParserError as e:
                self.broken = self.close_after = True  # nothing more is read
                cause = e.__cause__ or e.__context__ or e
                self._refuse(f"malformed HTTP request: {cause}")

    def _refuse(self, message: str) -> None:
        """400 for a request that could not be parsed, after the answers before it; then close."""
        request = Request()
        request.close = True
        request.body = (message[:200] + "\n").encode()
        request.method = "BAD"
        self._enqueue(request)

    def _enqueue(self, request: Request) -> None:
        """Queues a request, and answers it now when nothing before it is in flight."""
        self.queue.append(request)
        if not self.busy:
            self._next()

    def close_if_idle(self) -> None:
        """For a graceful stop: an idle connection closes now, a busy one after its answer."""
        if not self.busy and not self.queue and self.transport is not None:
            self.transport.close()

    # -- httptools callbacks
    def on_message_begin(self) -> None:
        self.in_message = True
        self.url = b""
        self.headers = []
        self.head_size = 0
        self.body = []
        self.body_size = 0
        self.too_large = False
        self.plain = True
        self.quiet_since = None

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.head_size += len(url)
        if self.head_size > MAX_HEAD:
            raise httptools.HttpParserError("request line too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))
        self.head_size += len(name) + len(value)
        if len(self.headers) > MAX_HEADERS or self.head_size > MAX_HEAD:
            raise httptools.HttpParserError("too many or too long header fields")

    def on_headers_complete(self) -> None:
        for k, v in self.headers:
            if k == b"content-length":
                if not v.strip().isdigit() or int(v) > self.front.max_body:
                    self.too_large = True
            elif k == b"expect" and v.lower() == b"100-continue" and self.transport is not None:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.plain = False
            elif k in _NOT_REPEATED:
                self.plain = False

    def on_body(self, body: bytes) -> None:
        if self.too_large:
            return
        self.body_size += len(body)
        if self.body_size > self.front.max_body:
            self.too_large = True
            self.body = []
        else:
            self.body.append(body)

    def on_message_complete(self) -> None:
        request = Request()
        parser = self.parser
        request.method = parser.get_method().decode("latin-1")
        request.version = parser.get_http_version()
        request.keep_alive = parser.should_keep_alive()
        try:
            parsed = httptools.parse_url(self.url)
        except httptools.HttpParserInvalidURLError:
            raise httptools.HttpParserError(f"invalid request target {self.url[:100]!r}") from None
        request.raw_path = parsed.path or b"/"
        request.query = parsed.query or b""
        request.headers = self.headers
        request.body = b"".join(self.body) if len(self.body) != 1 else self.body[0]
        request.client, request.scheme = self._forwarded(self.headers)
        request.too_large = self.too_large
        self.in_message = False
        if self.parsed is None and self.plain and not self.too_large and self.front.repeats is not None:
            self.parsed = request  # the first request of the data being read
        else:
            self.parsed = _SEVERAL  # a second one: neither is kept
        self._enqueue(request)

    def _forwarded(self, headers: Headers) -> tuple[tuple[str, int], str]:
        client, scheme = self.peer, "http"
        if client[0] not in TRUSTED:
            return client, scheme
        for k, v in headers:
            if k == b"x-forwarded-proto":
                proto = v.decode("latin-1").strip().lower()
                if proto in ("http", "https"):
                    scheme = proto
            elif k == b"x-forwarded-for":
                hosts = [h.strip() for h in v.decode("latin-1").split(",") if h.strip()]
                for host in reversed(hosts):
                    if host not in TRUSTED:
                        client = (host, 0)
                        break
                else:
                    if hosts:
                        client = (hosts[0], 0)
        return client, scheme

    # -- answering, one request at a time
    def _next(self) -> None:
        if not self.queue or self.closed:
            return
        request = self.queue.popleft()
        self.busy = True
        request.started = time.monotonic()
        if request.method == "BAD":
            self.respond(request, 400, [(b"content-type", b"text/plain; charset=utf-8")], request.body)
            return
        if request.too_large:
            request.close = True  # the rest of a body announced too large is not read
            limit = self.front.max_body
            self.respond(request, 413, [(b"content-type", b"text/plain; charset=utf-8")],
                         f"request body too large (limit {limit} bytes)\n".encode())
            return
        taker = self.front.taker
        if taker is not None and taker.take(self, request):
            return
        self.loop.create_task(self._asgi(request))

    def respond(self, request: Request, status: int, headers: Headers, body: bytes, *,
                head: bytes | None = None) -> None:
        """Writes a whole answer: `head` (prepared header lines) or `headers`, then the body."""
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(self.answer(request, status, headers, body, head))
        self.finished(request)

    def answer(self, request: Request, status: int, headers: Headers, body: bytes,
               head: bytes | None = None) -> bytes:
        """The bytes of a whole answer (`request.close` set when the connection closes after it)."""
        parts, close, length = self._head_lines(request, status, headers, head)
        if not length and status >= 200 and status not in (204, 304):
            parts.append(b"content-length: %d\r\n" % len(body))
        if close:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        if request.method != "HEAD" and status not in (204, 304):
            parts.append(body)
        request.close = close
        return b"".join(parts)

    def write_aside(self, data: bytes) -> None:
        """Writes `data` to the socket from another thread, while the loop is blocked (a query past
        the time limit on it; the process is killed next): only when nothing the transport holds is
        still to go out before it, else the client sees the connection close."""
        transport = self.transport
        if transport is None or transport.is_closing() or transport.get_write_buffer_size():
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                os.write(sock.fileno(), data)

    def _head_lines(self, request: Request, status: int, headers: Headers,
                    head: bytes | None = None) -> tuple[list[bytes], bool, bool]:
        """The status line, the date and the header lines (`head` when prepared, else `headers` without
        their `connection: close`); whether the connection closes after this answer; whether the
        headers gave a content-length."""
        close = request.close or self.close_after or not request.keep_alive or self.front.stopping
        parts = [status_line(status), CLOCK.date()]
        length = False
        if head is not None:
            parts.append(head)
            return parts, close, length
        for k, v in headers:
            if k == b"connection" and v.lower() == b"close":
                close = True
                continue
            length = length or k == b"content-length"
            parts += (k, b": ", v, b"\r\n")
        return parts, close, length

    def finished(self, request: Request) -> None:
        self.busy = False
        if request.close or self.close_after or self.transport is None:
            if self.transport is not None:
                self.transport.close()
            self.queue.clear()
            return
        if self.queue:
            self._next()
        else:
            self.quiet_since = time.monotonic()

    # -- the ASGI bridge
    async def _asgi(self, request: Request) -> None:
        path = request.raw_path.decode("latin-1")
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": request.version,
            "server": self.front.server,
            "client": request.client,
            "scheme": request.scheme,
            "method": request.method,
            "root_path": "",
            # ASGI: percent-encodings and UTF-8 decoded (a cluster name in Greek, CJK...), as uvicorn does
            "path": unquote_to_bytes(request.raw_path).decode("utf-8", "replace") if "%" in path or not path.isascii()
            else path,
            "raw_path": request.raw_path,
            "query_string": request.query,
            "headers": request.headers,
            "state": {},
        }
        sent = [False]
        started: list[Any] = []  # the start message, until the first body part is written
        chunked = [False]
        complete = [False]

        async def receive() -> Message:
            if not sent[0]:
                sent[0] = True
                return {"type": "http.request", "body": request.body, "more_body": False}
            if self.disconnected is None:
                self.disconnected = asyncio.Event()
                if self.closed:
                    self.disconnected.set()
            await self.disconnected.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                started.append(message)
                return
            if kind != "http.response.body" or complete[0]:
                return
            body: bytes = message.get("body", b"")
            more: bool = message.get("more_body", False)
            transport = self.transport
            if started:
                start = started.pop()
                status: int = start["status"]
                headers: Headers = [(bytes(k).lower(), bytes(v)) for k, v in start.get("headers", [])]
                if not more:
                    complete[0] = True
                    if self.front.taker is not None:
                        self.front.taker.keep(request, status, headers, body)
                    self.respond(request, status, headers, body)
                    return
                parts, close, length = self._head_lines(request, status, headers)
                if not length and status not in (204, 304) and request.method != "HEAD":
                    chunked[0] = True
                    parts.append(b"transfer-encoding: chunked\r\n")
                if close:
                    parts.append(b"connection: close\r\n")
                request.close = close
                parts.append(b"\r\n")
                if transport is not None and not transport.is_closing():
                    transport.write(b"".join(parts))
            if transport is None or transport.is_closing():
                if not more:
                    complete[0] = True
                return
            if request.method != "HEAD" and body:
                transport.write(b"%x\r\n%s\r\n" % (len(body), body) if chunked[0] else body)
            if not more:
                complete[0] = True
                if chunked[0] and request.method != "HEAD":
                    transport.write(b"0\r\n\r\n")
                self.finished(request)
            elif self.writable is not None and not self.writable.done():
                await self.writable

        try:
            await self.front.app(scope, receive, send)
        except Exception:
            log.exception("kg serve: the app failed on %s %s", request.method, path[:200])
        if not complete[0]:
            if started or not self.transport or self.transport.is_closing():  # begun and not finished: cut
                if self.transport is not None:
                    self.transport.close()
                self.busy = False
                self.queue.clear()
            else:
                request.close = True
                self.respond(request, 500, [(b"content-type", b"text/plain; charset=utf-8")],
                             b"internal server error\n")


async def lifespan(app: ASGIApp) -> Callable[[], Awaitable[None]]:
    """Runs the app's startup (its lifespan); returns what runs its shutdown."""
    incoming: asyncio.Queue[Message] = asyncio.Queue()
    outgoing: asyncio.Queue[Message] = asyncio.Queue()

    async def receive() -> Message:
        return await incoming.get()

    async def send(message: Message) -> None:
        await outgoing.put(message)

    task = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    await incoming.put({"type": "lifespan.startup"})
    answer = await outgoing.get()
    if answer["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {answer.get('message', answer['type'])}")

    async def shutdown() -> None:
        await incoming.put({"type": "lifespan.shutdown"})
        with contextlib.suppress(Exception):
            await asyncio.wait_for(outgoing.get(), 10)
        task.cancel()

    return shutdown


class Acceptor:
    """Accepts this worker's connections from the shared listening socket (see the module's note)."""

    def __init__(self, front: Front, sock: socket.socket) -> None:
        self.front = front
        self.sock = sock
        self.loop = asyncio.get_running_loop()
        self.closed = False
        self.deferred = False
        sock.setblocking(False)
        if front.share is not None:
            front.share.counts[front.share.slot] = 0  # accepting from now on
        self.loop.add_reader(sock.fileno(), self._ready)

    def _ready(self) -> None:
        share = self.front.share
        if not self.deferred and share is not None and share.more_than_least():
            self.deferred = True  # a less loaded worker takes it; if none did in DEFER s, this one does
            self.loop.remove_reader(self.sock.fileno())
            self.loop.call_later(DEFER, self._resume)
            return
        self.deferred = False
        for _ in range(ACCEPTS):
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:  # out of file descriptors, or the like: try again in a moment
                log.warning("kg serve: cannot accept a connection: %s", e)
                self.loop.remove_reader(self.sock.fileno())
                self.loop.call_later(0.1, self._resume)
                return
            conn.setblocking(False)
            with contextlib.suppress(OSError):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.loop.create_task(self._connect(conn))
            if share is not None:
                share.add(1)  # counted now (Connection.connection_made adds it again, _connect takes it off)
                if share.more_than_least():
                    return

    async def _connect(self, conn: socket.socket) -> None:
        try:
            await self.loop.connect_accepted_socket(lambda: Connection(self.front), conn)
        except Exception as e:
            log.warning("kg serve: cannot serve an accepted connection: %s", e)
            conn.close()
        finally:
            if self.front.share is not None:
                self.front.share.add(-1)

    def _resume(self) -> None:
        if not self.closed:
            self.loop.add_reader(self.sock.fileno(), self._ready)

    def close(self) -> None:
        """No more connections (the worker stops, or was doomed); the socket stays open for the others."""
        if not self.closed:
            self.closed = True
            self.loop.remove_reader(self.sock.fileno())


class Listening(Protocol):
    def close(self) -> None: ...


async def serve(front: Front, sock: Any, stop: asyncio.Event, listening: list[Listening]) -> None:
    """Serves `front` on the listening socket until `stop` is set, then stops gracefully: no new
    connections, idle ones closed, answers in flight sent (at most 10 s)."""
    shutdown = await lifespan(front.app)
    # What start-up made (the app, the stores, the caches' tables) lives as long as the worker: out
    # of the collector's scans, so a collection looks only at what requests made since.
    gc.collect()
    gc.freeze()
    acceptor = Acceptor(front, sock)
    listening.append(acceptor)
    try:
        await stop.wait()
    finally:
        front.stopping = True
        acceptor.close()
        deadline = time.monotonic() + 10
        while front.connections and time.monotonic() < deadline:
            for conn in list(front.connections):
                conn.close_if_idle()
            await asyncio.sleep(0.05)
        await shutdown()
