"""What a worker's HTTP front (kg.server.wire) answers without the app: SPARQL queries and cached answers.

The endpoint's checks are the same ones the app makes (`Checks`, used by both): the SPARQL text's
SERVICE/LOAD refusal and query form, kept per query text; the formats an Accept header and
`format=` choose, kept per header. A query request the SPARQL front takes is one the app would
evaluate and answer as it is: a query (GET or POST, form or direct), no browser wanting a page, no
CORS origin to answer. Its plan (the Job) is kept per request (method, query string, content type,
body, Accept, Host), so a repeated request costs a dictionary lookup before its evaluation; the
key rides on the request (`Request.key`), so a request the front has seen whole before
(kg.server.wire.SeenRequests) is not scanned again either.
Anything else (updates, the service description, pages, errors of the protocol, HEAD) goes to the
app, which gives every error its message.

Every query is evaluated in an evaluation thread (kg.server.local), never on the event loop: a
costly one cannot hold up this worker's other connections, and one past the time limit is
answered 503 with the others in flight (a variant that evaluated queries of a shape known to be
fast on the loop, without the thread hop, was removed: bench/RESULTS.md).

The answers cache: a 200 the app answered from its page cache or put into it (`X-KG-Cache`) is kept
here too, as the bytes of its header lines and body, per request line, Accept and Host, for the
store generation its ETag names; the same request again (without a validator to check) is
answered from those bytes. A rebuild (another generation) empties it, as it does the app's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import pyoxigraph as ox

from kg.formats import BOOLEAN, GRAPHS, HTML, JSON, N_TRIPLES, RESULTS, Format, find
from kg.server.config import LOG_FORMAT, ServerConfig
from kg.server.messages import Family, Job, Result
from kg.server.negotiation import by_name, choose, offered
from kg.server.protocol import Operation, ProtocolError, parse
from kg.server.tables import Caches, Table, cost
from kg.server.views import prefers_html
from kg.sparqltext import Analysis, Refused, check_outbound, lex

if TYPE_CHECKING:
    from kg.server.local import LocalRunner
    from kg.server.web import Site
    from kg.server.wire import Connection, Request

log = logging.getLogger("kg.server")
access = logging.getLogger("kg.server.access")
OFFERS = {Family.RESULTS: RESULTS, Family.BOOLEAN: BOOLEAN, Family.GRAPH: GRAPHS}
TEXT = b"text/plain; charset=utf-8"
FLUSH = 0.1  # seconds an access-log line waits at most before it is written
BATCH = 256  # lines written at once at most
LINE = "%s %s %s %d %.1fms %s"
ANSWERS_BYTES = 64 << 20  # bytes the answers cache keeps at most


class AccessLog:
    """the SPARQL front's access-log lines, written in batches: each line is the record the app's
    access log writes (same logger, kg.server.access, same format, its own time), kept for at most
    FLUSH s and then written with the others by one write per handler, instead of a LogRecord, a
    handler call and a write(2) per request. `flush` writes what is kept (on a timer, when BATCH
    lines are kept, and before the worker stops or kills itself). A stream handler with `kg serve`'s
    own format (LOG_FORMAT, no filters) gets the lines formatted here, as logging would format them,
    without a LogRecord each; any other handler gets records."""

    def __init__(self) -> None:
        self.lines: list[tuple[float, tuple[Any, ...]]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.second = -1
        self.stamp = ""

    def add(self, args: tuple[Any, ...]) -> None:
        lines = self.lines
        lines.append((time.time(), args))
        if len(lines) >= BATCH:
            self.flush()
        elif self.timer is None:
            with contextlib.suppress(RuntimeError):  # no running loop (a unit test): written at the next flush
                self.timer = asyncio.get_running_loop().call_later(FLUSH, self.flush)

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        lines, self.lines = self.lines, []
        if not lines or not access.isEnabledFor(logging.INFO):
            return
        records: list[logging.LogRecord] | None = None
        text: str | None = None
        logger: logging.Logger | None = access
        while logger is not None:
            for handler in logger.handlers:
                if handler.level > logging.INFO:
                    continue
                if access.filters or not _plain(handler):
                    if records is None:
                        records = self._records(lines)
                    _emit(handler, records)
                    continue
                if text is None:
                    text = self._text(lines)
                _write(handler, text)
            logger = logger.parent if logger.propagate else None

    def _records(self, lines: list[tuple[float, tuple[Any, ...]]]) -> list[logging.LogRecord]:
        records = []
        for created, args in lines:
            record = access.makeRecord(access.name, logging.INFO, __file__, 0, LINE, args, None)
            record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
            if access.filter(record):
                records.append(record)
        return records

    def _text(self, lines: list[tuple[float, tuple[Any, ...]]]) -> str:
        """The lines as LOG_FORMAT formats them: "2026-12-01 18:00:00,123 kg.server.access ..."."""
        out = []
        for created, args in lines:
            second = int(created)
            if second != self.second:
                self.second = second
                self.stamp = time.strftime(logging.Formatter.default_time_format, time.localtime(second))
            out.append(f"{self.stamp},{int((created - second) * 1000):03d} {access.name} {LINE % args}\n")
        return "".join(out)


def _plain(handler: logging.Handler) -> bool:
    """A stream handler, unfiltered, writing lines in LOG_FORMAT with logging's default time format."""
    formatter = handler.formatter
    return (type(handler) is logging.StreamHandler and not handler.filters and handler.terminator == "\n"
            and type(formatter) is logging.Formatter and formatter._fmt == LOG_FORMAT and formatter.datefmt is None
            and formatter.converter is time.localtime
            and formatter.default_msec_format == logging.Formatter.default_msec_format)


def _write(handler: logging.Handler, text: str, record: logging.LogRecord | None = None) -> None:
    """The text in one write to a stream handler; a failure goes to its handleError (with `record`)."""
    try:
        with handler.lock or contextlib.nullcontext():
            cast("logging.StreamHandler[Any]", handler).stream.write(text)
            handler.flush()
    except Exception:
        with contextlib.suppress(Exception):
            handler.handleError(record or logging.makeLogRecord({"msg": "the access log could not be written"}))


def _emit(handler: logging.Handler, records: list[logging.LogRecord]) -> None:
    """The records through one handler: a stream handler gets them in one write."""
    mine = [r for r in records if r.levelno >= handler.level and handler.filter(r)]
    if not mine:
        return
    if type(handler) is not logging.StreamHandler:  # files, sockets, queues: each as logging does it
        for record in mine:
            handler.handle(record)
        return
    try:
        text = "".join(handler.format(r) + handler.terminator for r in mine)
    except Exception:
        handler.handleError(mine[0])
        return
    _write(handler, text, mine[0])


def html_wanted(fmt_param: str | None, accept: str | None, offers: tuple[Format, ...]) -> bool:
    """`format=html`, or a browser's Accept (and no machine format named by `format=`)."""
    if fmt_param and find(fmt_param, (HTML,)) is not None:
        return True
    return by_name(fmt_param, offers) is None and prefers_html(accept, offers)


@dataclass(frozen=True)
class Choice:
    """The formats a query's answer goes out in, and whether a browser gets a page of it instead."""

    results: Format | None
    graph: Format | None
    html: bool


class Checks:
    """The endpoint's checks of a query request, each kept for the text or header it depends on."""

    def __init__(self, config: ServerConfig, caches: Caches) -> None:
        self.config = config
        self.texts: Table[tuple[str, str], tuple[Analysis, str | None]] = caches.table("checked texts")
        self.choices: Table[tuple[str | None, str | None, str | None], Choice | str] = caches.table("answer formats")

    def checked(self, text: str, base: str) -> Analysis:
        """The text's analysis; ProtocolError 400 when it must be refused (SERVICE, LOAD, a bad escape)."""
        key = (text, base)
        found = self.texts.get(key)
        if found is None:
            refusal = None
            try:
                analysis = lex(text)
                check_outbound(analysis, self.config.allow_service, base)
            except Refused as e:
                analysis, refusal = Analysis(text), str(e)
            # the text twice (the key, and the analysis's tokens at most as long)
            found = self.texts.put(key, (analysis, refusal), cost(text, text, base, refusal))
        if found[1] is not None:
            raise ProtocolError(400, found[1])
        return found[0]

    def choice(self, form: str | None, fmt_param: str | None, accept: str | None) -> Choice:
        """The answer's formats for this query form, `format=` and Accept; ProtocolError 406 for an
        ASK asked for a format it has none in."""
        key = (form, fmt_param, accept)
        found = self.choices.get(key)
        if found is None:
            found = self._choose(form, fmt_param, accept)
            self.choices.put(key, found, cost(form, fmt_param, accept) + 256)
        if isinstance(found, str):
            raise ProtocolError(406, found)
        return found

    @staticmethod
    def _choose(form: str | None, fmt_param: str | None, accept: str | None) -> Choice | str:
        answers = BOOLEAN if form == "ASK" else RESULTS
        named = by_name(fmt_param, RESULTS)
        if named is not None and named not in answers:
            return f"an ASK has no {named.name} answer; offered: {offered(BOOLEAN)}"
        results_fmt = named or choose(answers, accept)
        graph_fmt = by_name(fmt_param, GRAPHS) or choose(GRAPHS, accept)
        html = html_wanted(fmt_param, accept, GRAPHS if form in ("CONSTRUCT", "DESCRIBE") else answers)
        if html:
            results_fmt, graph_fmt = JSON, N_TRIPLES
        return Choice(results_fmt, graph_fmt, html)

    def query_job(self, op: Operation, analysis: Analysis, base: str, choice: Choice) -> Job:
        """The Job of a query request (its dataset parameters validated: ProtocolError 400)."""
        return Job(
            "query",
            op.text,
            base_iri=base,
            default_graphs=op.graphs("default-graph-uri"),
            named_graphs=op.graphs("named-graph-uri"),
            union=not analysis.has_dataset_clause(),
            results_format=choice.results.name if choice.results else None,
            graph_format=choice.graph.name if choice.graph else None,
            max_rows=self.config.max_rows,
        )


def answer_parts(result: Result) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The status, header fields and body of a query's answer, as the app sends them."""
    if result.status == 406:
        offers = OFFERS[result.unacceptable or Family.RESULTS]
        return 406, [(b"content-type", TEXT)], f"not acceptable; offered: {offered(offers)}\n".encode()
    if result.status >= 500 and result.status != 503:
        log.error("query failed: %s", result.body.decode("utf-8", "replace").strip())
    headers = [(b"vary", b"Accept")] + [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                        for k, v in result.headers.items()]
    if result.status != 204:
        headers.insert(0, (b"content-type", result.content_type.encode("latin-1")))
    return result.status, headers, result.body


def printable(raw: bytes) -> str:
    """A path as the client sent it (percent-encodings kept, so %0A cannot start a forged log line),
    any byte outside printable ASCII written as \\xNN."""
    text = str(raw, "latin-1")
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    return "".join(c if " " < c < "\x7f" else f"\\x{ord(c):02x}" for c in text)


@dataclass(frozen=True)
class Plan:
    job: Job
    note: str


def _note(plan: Plan, result: Result) -> str:
    """The access log's note of a query's answer: its form, and the solutions kept when capped."""
    return plan.note if result.rows is None else f"{plan.note} rows={result.rows}"


@dataclass(frozen=True)
class CachedAnswer:
    tag: str
    head: bytes  # the header lines (no Date, no Content-Length), each ending in CRLF
    body: bytes


class SparqlFront:
    """the SPARQL front of one worker (kg.server.wire.Taker)."""

    def __init__(self, config: ServerConfig, runner: LocalRunner, checks: Checks, site: Site,
                 ledger: Any = None, app_in_flight: Callable[[], int] = lambda: 0) -> None:
        self.config = config
        self.runner = runner
        self.checks = checks
        self.site = site
        self.ledger: Any = ledger if config.client_budget else None
        self.app_in_flight = app_in_flight
        caches = site.caches
        self.plans: Table[Hashable, Plan | None] = caches.table("request plans")
        self.endpoints: Table[tuple[str, bytes | None], str] = caches.table("endpoint URLs")
        # the app's answers from its page cache, as bytes (a body over an eighth of the bytes is not kept)
        self.answers: Table[Hashable, CachedAnswer] = caches.table("answers", config.cache_entries, ANSWERS_BYTES,
                                                                   largest=ANSWERS_BYTES, lru=True)
        self.in_flight = 0
        self.log = AccessLog()
        self.heads: Table[str, bytes] = caches.table("answer heads")  # a 200's header lines, by content type
        self.paths: Table[bytes, str] = caches.table("log paths")  # request paths as the access log writes them

    # -- the Taker interface
    def take(self, conn: Connection, request: Request) -> bool:
        if request.raw_path == b"/sparql":
            return self.sparql(conn, request)
        if request.method == "GET" and self.answers:
            return self.answer_cached(conn, request)
        return False

    def keep(self, request: Request, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Keeps an answer of the app's page cache (`X-KG-Cache`: hit or miss) for the same request again."""
        if status != 200 or request.method != "GET" or len(body) > ANSWERS_BYTES // 8:
            return
        if self._conditional(request):
            return
        etag = cache = None
        lines = []
        for k, v in headers:
            if k == b"x-kg-cache":
                cache = v
                continue
            if k == b"etag":
                etag = v
            if k in (b"content-length", b"date", b"connection"):
                continue
            lines.append(k + b": " + v + b"\r\n")
        if cache is None or etag is None:
            return
        tag = etag.decode("latin-1").strip('"').split("-", 1)[0]
        lines.append(b"x-kg-cache: hit\r\n")
        self.answers.generation(tag)
        key = self._answer_key(request)
        head = b"".join(lines)
        self.answers.put(key, CachedAnswer(tag, head, body), cost(head, body, *key))

    # -- the answers cache

    @staticmethod
    def _answer_key(request: Request) -> tuple[bytes, bytes, bytes | None, bytes | None]:
        return (request.raw_path, request.query, request.header(b"accept"), request.header(b"host"))

    def _conditional(self, request: Request) -> bool:
        """Validators to check, or a CORS origin to answer: the app's business."""
        for k, _ in request.headers:
            if k in (b"if-none-match", b"if-modified-since") or (k == b"origin" and self.config.cors):
                return True
        return False

    def answer_cached(self, conn: Connection, request: Request) -> bool:
        found = self.answers.get(self._answer_key(request))
        if found is None or self._conditional(request):
            return False
        if found.tag != self.site.build().tag:  # a rebuild: nothing cached is current
            self.answers.generation(self.site.build().tag)
            return False
        if self._refused(conn, request):
            return True
        self.answers.find(self._answer_key(request))  # the most recently used now
        conn.respond(request, 200, [], found.body, head=found.head)
        self._log(request, 200, "cached")
        self._charge(request)
        return True

    # -- SPARQL queries
    def sparql(self, conn: Connection, request: Request) -> bool:
        key = request.key
        if key is None:  # not a request seen whole before (kg.server.wire.SeenRequests)
            if request.method not in ("GET", "POST"):
                return False
            content_type = accept = host = None
            for k, v in request.headers:  # the first of a repeated field, as the app reads it (Starlette)
                if k == b"content-type":
                    content_type = v if content_type is None else content_type
                elif k == b"accept":
                    accept = v if accept is None else accept
                elif k == b"host":
                    host = v if host is None else host
                elif k == b"origin" and self.config.cors:
                    return False  # CORS headers: the app's middleware
            key = request.key = (request.method, request.query, content_type, request.body, accept, host,
                                 request.scheme)
        if key in self.plans:
            plan = self.plans[key]
        else:
            method, query, content_type, body, accept, host, scheme = key
            plan = self._plan(request, content_type, accept, host)
            text = plan.job.text if plan is not None else None  # the text decoded from the body or query
            self.plans.put(key, plan, cost(method, query, content_type, body, accept, host, scheme, text) + 512)
        if plan is None:
            return False
        if self._refused(conn, request):
            return True
        self.in_flight += 1
        self.runner.submit(plan.job, self.config.timeout,
                           lambda result, late: self._answered(conn, request, plan, result, late))
        return True

    def _plan(self, request: Request, content_type: bytes | None, accept: bytes | None,
              host: bytes | None) -> Plan | None:
        """The Job of a query request the app would evaluate as it is; None for anything else."""
        try:
            op = parse(request.method, request.query, None if content_type is None else content_type.decode("latin-1"),
                       request.body)
            if op.kind != "query":
                return None
            base = self.config.base_iri or self._endpoint(request.scheme, host)
            analysis = self.checks.checked(op.text, base)
            form = analysis.form()
            choice = self.checks.choice(form, op.one("format"), None if accept is None else accept.decode("latin-1"))
            if choice.html:
                return None
            job = self.checks.query_job(op, analysis, base, choice)
        except (ProtocolError, UnicodeDecodeError):
            return None
        return Plan(job, f"query {form or '?'}")

    def _endpoint(self, scheme: str, host: bytes | None) -> str:
        """This endpoint's URL as the app's `request.url` gives it (the base IRI of queries): Starlette's
        URL of the scope the front gives the app, so that a Host it refuses ('a@b', 'b c') gives the
        server's address here too, and the first of two Host fields counts, as there."""
        key = (scheme, host)
        found = self.endpoints.get(key)
        if found is None:
            from starlette.datastructures import URL

            scope = {"type": "http", "scheme": scheme, "server": (self.config.host, self.config.port),
                     "path": "/sparql", "root_path": "", "query_string": b"",
                     "headers": [] if host is None else [(b"host", host)]}
            url = str(URL(scope=scope))
            try:
                found = ox.NamedNode(url).value
            except ValueError:
                found = f"http://{self.config.host}:{self.config.port}/sparql"
            self.endpoints.put(key, found, cost(scheme, host, found))
        return found

    def _reply(self, conn: Connection, request: Request, plan: Plan, result: Result) -> None:
        if result.status == 200 and not result.headers:  # the common answer: its header lines prepared once
            head = self.heads.get(result.content_type)
            if head is None:
                _, headers, _ = answer_parts(result)
                head = b"".join(k + b": " + v + b"\r\n" for k, v in headers)
                self.heads.put(result.content_type, head, cost(result.content_type, head))
            conn.respond(request, 200, [], result.body, head=head)
            status = 200
        else:
            status, headers, body = answer_parts(result)
            conn.respond(request, status, headers, body)
        self._log(request, status, _note(plan, result))
        self._charge(request)

    def _answered(self, conn: Connection, request: Request, plan: Plan, result: Result, late: bool) -> None:
        self.in_flight -= 1
        if not late:
            self._reply(conn, request, plan, result)
            return
        status, headers, body = answer_parts(result)
        note = _note(plan, result)
        from kg.server.local import GRACE, _die

        deadline = time.monotonic() + GRACE

        def last() -> None:  # the others' 503s first (the app's are written by its tasks), then this one
            if self.app_in_flight() > 0 and time.monotonic() < deadline:
                conn.loop.call_later(0.005, last)
                return
            conn.respond(request, status, headers, body)
            self._log(request, status, note)
            self._charge(request)  # the budget is shared memory: the next worker sees it
            _die()

        last()

    # -- budgets and the access log
    def _client(self, request: Request) -> str | None:
        """The client to charge, or None when budgets are off or it is exempt (loopback)."""
        if not self.ledger:
            return None
        from kg.server.budget import LOOPBACK

        client = request.client[0]
        if not self.config.client_budget_loopback and client in LOOPBACK:
            return None
        return client

    def _refused(self, conn: Connection, request: Request) -> bool:
        client = self._client(request)
        if client is None:
            return False
        wait = self.ledger.retry_after(client)
        if wait is None:
            return False
        from kg.server.budget import refusal

        body = refusal(self.ledger.budget, wait)
        conn.respond(request, 429, [(b"content-type", TEXT), (b"retry-after", str(wait).encode())], body)
        self._log(request, 429, f"refused: over the client budget, retry after {wait} s")
        return True

    def _charge(self, request: Request) -> None:
        client = self._client(request)
        if client is not None:
            self.ledger.charge(client, time.monotonic() - request.started)

    def _log(self, request: Request, status: int, note: str) -> None:
        path = self.paths.get(request.raw_path)
        if path is None:
            path = self.paths.put(request.raw_path, printable(request.raw_path), cost(request.raw_path) * 5)
        self.log.add((request.client[0], request.method, path, status, (time.monotonic() - request.started) * 1000,
                      note))
