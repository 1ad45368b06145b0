"""The HTTP/1.1 front of a worker process: an asyncio Protocol over httptools, no ASGI server.

Each connection parses its requests with httptools and answers them in order. Every
/sparql request goes to the worker's SPARQL pipeline (kg.server.sparql_pipeline), whose answer is
written when it comes (at once, or after an evaluation thread); a GET whose answer is in the answers
cache (kg.server.answers_cache) is answered from its bytes. Every other request goes to the ASGI app
(Starlette: the API, the pages, linked data) through a minimal bridge: the
body read whole first (at most --max-body bytes, else 413), the answer written as it is sent
(`Content-Length`, or chunked when the app streams), HEAD without a body. Keep-alive connections
idle for KEEP_ALIVE seconds are closed (by one sweep a second over the worker's connections, not a
timer per request). Requests with `Upgrade:` (Java's `h2c`) are answered as
plain HTTP/1.1; a request that cannot be parsed is 400, and its connection closed.

Every worker accepts from the one listening socket (`Acceptor`), as soon as a connection is
there: the kernel wakes the workers waiting on it and one of them takes it. (A balancing of
connections between the workers, each leaving a new one to a less loaded worker for 20 ms, was
measured to gain nothing on kept-alive load and to cost 95% of the rate when every request comes
on a new connection: bench/RESULTS.md.)

A connection's reading is bounded (as uvicorn's flow control does it): it pauses while the
answers not yet taken by the client pass the transport's high-water mark, or while MAX_QUEUED
requests (or QUEUED_BYTES of them) wait for their answers, and resumes once they are out; no
request starts while the client does not take the answers. The head of a request is at most
MAX_HEAD bytes, counted on every read (431 past it, or 414 for the request line), and a request
once begun has `request_timeout` s to send its head whole, and as long between two reads of its
body (408, then the connection closes); a client that takes nothing of its answers for as long
is cut. Answers leave in the order of the requests, `100 Continue` too: it goes out when the
request that asked for it is the one being answered.

Behind a proxy on 127.0.0.1, `X-Forwarded-For` and `X-Forwarded-Proto` give the client and the
scheme, as uvicorn's default does.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import gc
import logging
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

import httptools

if TYPE_CHECKING:
    from kg.server.sparql_pipeline import Answer, Reply

log = logging.getLogger("kg.server")
KEEP_ALIVE = 5.0  # seconds an idle keep-alive connection stays open (at most one IDLE_SWEEP more)
IDLE_SWEEP = 1.0  # seconds between two looks for idle connections
MAX_HEADERS = 100
MAX_HEAD = 64 << 10  # bytes of request line and headers
TRUSTED = frozenset({"127.0.0.1", "::1"})  # proxies whose X-Forwarded-* are believed
ACCEPTS = 16  # connections accepted at most per wake-up
REQUEST_TIMEOUT = 10.0  # seconds a begun request has for its head, and between two reads of its body
MAX_QUEUED = 16  # requests parsed and waiting for their answers, on one connection, before reading pauses
QUEUED_BYTES = 1 << 20  # bytes of bodies waiting so, before reading pauses

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

    def header(self, name: bytes) -> bytes | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None


class Refusal(Request):
    """A request refused before it could be parsed whole (400, 408, 414, 431): answered `status`, then
    the connection closes."""

    __slots__ = ("status",)

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status
        self.method = "BAD"


class HeadTooLarge(httptools.HttpParserError):
    """The request line or the header fields passed their limits."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Pipeline(Protocol):
    """Where every /sparql request goes (kg.server.sparql_pipeline.SparqlPipeline)."""

    def handle(self, request: Request, reply: Reply) -> None:
        """Answers `request` by `reply`, now or once its job comes back from an evaluation thread."""
        ...


class Taker(Protocol):
    """What answers other requests without the app (kg.server.answers_cache)."""

    def take(self, conn: Connection, request: Request) -> bool:
        """True when it answers `request` itself (by `conn.respond`)."""
        ...

    def keep(self, request: Request, status: int, headers: Headers, body: bytes) -> None:
        """Sees each whole answer of the app (to keep those from the page cache)."""
        ...


SPARQL = "/sparql"


def is_sparql(raw_path: bytes) -> bool:
    """The path is the endpoint's (percent-encodings decoded as UTF-8, as the app's routes see paths)."""
    return raw_path == b"/sparql" or (b"%" in raw_path and unquote(raw_path.decode("latin-1"), "utf-8", "replace")
                                      == SPARQL)


class Front:
    """What every connection of this worker shares: the app, the SPARQL pipeline, the answers cache,
    the settings."""

    def __init__(self, app: ASGIApp, sparql: Pipeline, answers: Taker | None, max_body: int, server: tuple[str, int],
                 request_timeout: float = REQUEST_TIMEOUT) -> None:
        self.app = app
        self.sparql = sparql
        self.answers = answers
        self.max_body = max_body
        self.server = server
        self.request_timeout = request_timeout
        self.connections: set[Connection] = set()
        self.stopping = False
        self.sweeping: asyncio.TimerHandle | None = None

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Looks for idle connections every IDLE_SWEEP s while there are connections."""
        if self.sweeping is None:
            self.sweeping = loop.call_later(IDLE_SWEEP, self._sweep, loop)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        self.sweeping = None
        now = time.monotonic()
        for conn in list(self.connections):
            if not conn.writing:  # first: closing it as idle would wait for ever for its answers to go out
                conn.check_reader(now, self.request_timeout)
            elif conn.quiet_since is not None and now - conn.quiet_since >= KEEP_ALIVE:
                conn.close_if_idle()
            elif conn.in_message:
                conn.check_deadline(now, self.request_timeout)
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
        self.ended_in_read = False  # a request ended in the data being read
        self.queued_bytes = 0  # bytes of the bodies in `queue`
        self.reading = True  # False while reading is paused (`_flow`)
        self.writing = True  # False while the transport holds more than its high-water mark
        self.unread_since = 0.0  # when `writing` last became False
        self.draining = False  # in `_next`'s loop: an answer given at once does not start the next itself
        self.in_head = False  # between a request's first byte and the end of its head
        self.head_read = 0  # bytes read of that head (at most one read more than it holds)
        self.begun = 0  # requests begun on this connection (tells whether a read began one)
        self.since = 0.0  # when the request being received began; in its body, when it last got bytes
        self.continue_wanted = False  # the request being received asked for 100 Continue, not yet sent

    # -- the transport
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport subclass
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.peer = (str(peer[0]), int(peer[1]))
        self.front.connections.add(self)
        self.quiet_since = time.monotonic()
        self.front.watch(self.loop)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.front.connections.discard(self)
        self.quiet_since = None
        if self.disconnected is not None:
            self.disconnected.set()
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    def pause_writing(self) -> None:
        self.writing = False
        self.unread_since = time.monotonic()
        if self.writable is None or self.writable.done():
            self.writable = self.loop.create_future()
        self._flow()

    def resume_writing(self) -> None:
        self.writing = True
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)
        if not self.busy:
            self._next()
        self._flow()

    def _flow(self) -> None:
        """Pauses reading while the client does not take its answers or too many requests wait for
        theirs; resumes it once they are out (the time a request has is counted from then on)."""
        pause = not self.writing or len(self.queue) >= MAX_QUEUED or self.queued_bytes > QUEUED_BYTES
        if pause != self.reading:
            return  # as it should be (the common case: reading, nothing to pause for)
        transport = self.transport
        if transport is None or self.closed or transport.is_closing():
            return
        if pause:
            self.reading = False
            transport.pause_reading()
        else:
            self.reading = True
            self.since = time.monotonic()
            transport.resume_reading()

    def check_deadline(self, now: float, timeout: float) -> None:
        """408 for a request begun more than `timeout` s ago whose head is not whole yet, or whose body
        got nothing for `timeout` s (after the answers before it; the connection closes then)."""
        if self.broken or not self.reading or now - self.since < timeout:
            return
        part = "head" if self.in_head else "body"
        self._stop(408, f"the request's {part} did not come whole in time (limit {timeout:g} s)")

    def check_reader(self, now: float, timeout: float) -> None:
        """Cuts a connection whose client has taken none of its answers for `timeout` s (the answers
        cannot be delivered, and it holds a descriptor and its buffers)."""
        if now - self.unread_since >= timeout and self.transport is not None:
            log.info("kg serve: %s read nothing of its answers for %g s; connection cut", self.peer[0], timeout)
            self.transport.abort()

    def _stop(self, status: int, message: str) -> None:
        """Reads nothing more; `status` for the request being received, after the answers before it."""
        self.broken = self.close_after = True
        self._refuse(message, status)

    def data_received(self, data: bytes) -> None:
        if self.in_message and not self.in_head:
            self.since = time.monotonic()  # the body's clock: the time between two reads
        fresh = not self.in_message  # `data` starts a request
        self.ended_in_read = False
        while not self.broken:
            try:
                begun = self.begun
                self.parser.feed_data(data)
                if self.in_head:  # a head is coming: its bytes so far, whatever its lines
                    if begun == self.begun:
                        self.head_read += len(data)
                    else:  # begun in this read: all of it when it began at its start, else its lines so far
                        self.head_read = len(data) if fresh and not self.ended_in_read else self.head_size
                    if self.head_read > MAX_HEAD:
                        self._stop(431, f"request head too large (limit {MAX_HEAD} bytes)")
                        return
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
                cause = e.__cause__ or e.__context__ or e
                if isinstance(cause, HeadTooLarge):
                    self._stop(cause.status, str(cause))
                else:
                    self._stop(400, f"malformed HTTP request: {cause}")

    def _refuse(self, message: str, status: int = 400) -> None:
        """`status` for a request that could not be taken, after the answers before it; then close."""
        request = Refusal(status)
        request.close = True
        request.body = (message[:200] + "\n").encode()
        self._enqueue(request)

    def _enqueue(self, request: Request) -> None:
        """Queues a request, and answers it now when nothing before it is in flight; reading pauses
        while too many wait."""
        self.queue.append(request)
        self.queued_bytes += len(request.body)
        if not self.busy:
            self._next()
        elif len(self.queue) >= MAX_QUEUED or self.queued_bytes > QUEUED_BYTES:
            self._flow()

    def close_if_idle(self) -> None:
        """For a graceful stop: an idle connection closes now, a busy one after its answer."""
        if not self.busy and not self.queue and self.transport is not None:
            self.transport.close()

    # -- httptools callbacks
    def on_message_begin(self) -> None:
        self.in_message = self.in_head = True
        self.begun += 1
        self.since = time.monotonic()
        self.continue_wanted = False
        self.url = b""
        self.headers = []
        self.head_size = 0
        self.body = []
        self.body_size = 0
        self.too_large = False
        self.quiet_since = None

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.head_size += len(url)
        if self.head_size > MAX_HEAD:
            raise HeadTooLarge(414, f"request target too long (limit {MAX_HEAD} bytes)")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))
        self.head_size += len(name) + len(value)
        if len(self.headers) > MAX_HEADERS or self.head_size > MAX_HEAD:
            raise HeadTooLarge(431, f"too many or too long header fields (limits {MAX_HEADERS}, {MAX_HEAD} bytes)")

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.since = time.monotonic()
        for k, v in self.headers:
            if k == b"content-length":
                if not v.strip().isdigit() or int(v) > self.front.max_body:
                    self.too_large = True
            elif k == b"expect" and v.lower() == b"100-continue":
                if self.busy or self.queue:
                    self.continue_wanted = True  # sent once the answers before it are out (`_next`)
                elif self.transport is not None:
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

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
        # RFC 9112 §6.1: an HTTP/1.0 request with Transfer-Encoding is framed wrongly for some hop; close after it
        request.keep_alive = parser.should_keep_alive() and not (
            request.version == "1.0" and any(k == b"transfer-encoding" for k, _ in self.headers))
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
        self.in_message = self.continue_wanted = False
        self.ended_in_read = True
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
        """Answers the queued requests in order, one at a time, while the client takes the answers: a
        loop, not a recursion, over the answers given at once (kept ones, refusals, errors)."""
        if self.draining:
            return  # the loop below goes on once this answer is given
        self.draining = True
        try:
            while self.queue and not self.busy and not self.closed and self.writing:
                request = self.queue.popleft()
                self.queued_bytes -= len(request.body)
                self._start(request)
        finally:
            self.draining = False
        if self.continue_wanted and not self.busy and not self.queue and self.transport is not None \
                and not self.closed:
            self.continue_wanted = False  # the request being received is the next one answered
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._flow()

    def _start(self, request: Request) -> None:
        self.busy = True
        request.started = time.monotonic()
        if isinstance(request, Refusal):
            self.respond(request, request.status, [(b"content-type", b"text/plain; charset=utf-8")], request.body)
            return
        if request.too_large:
            request.close = True  # the rest of a body announced too large is not read
            limit = self.front.max_body
            self.respond(request, 413, [(b"content-type", b"text/plain; charset=utf-8")],
                         f"request body too large (limit {limit} bytes)\n".encode())
            return
        if is_sparql(request.raw_path):
            self.front.sparql.handle(request, lambda answer: self._reply(request, answer))
            return
        answers = self.front.answers
        if answers is not None and answers.take(self, request):
            return
        self.loop.create_task(self._asgi(request))

    def _reply(self, request: Request, answer: Answer) -> None:
        self.respond(request, answer.status, answer.headers, answer.body, head=answer.head)

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
            self.queued_bytes = 0
            return
        if self.queue or self.continue_wanted:
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
            # percent-encodings decoded as UTF-8, as the ASGI spec (and uvicorn) do: a name in the path
            # ("/api/clusters/Иван%20Петров") reaches the route as the client wrote it
            "path": unquote(path, "utf-8", "replace") if "%" in path else path,
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
                    if self.front.answers is not None:
                        self.front.answers.keep(request, status, headers, body)
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
                self.queued_bytes = 0
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
        sock.setblocking(False)
        self.loop.add_reader(sock.fileno(), self._ready)

    def _ready(self) -> None:
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

    async def _connect(self, conn: socket.socket) -> None:
        try:
            await self.loop.connect_accepted_socket(lambda: Connection(self.front), conn)
        except Exception as e:
            log.warning("kg serve: cannot serve an accepted connection: %s", e)
            conn.close()

    def _resume(self) -> None:
        if not self.closed:
            self.loop.add_reader(self.sock.fileno(), self._ready)

    def close(self) -> None:
        """No more connections (the worker stops, or retires after a query overran its time limit); the
        socket stays open for the others."""
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
