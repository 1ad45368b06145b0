"""A SPARQL 1.1 Protocol client: one endpoint, queries POSTed as a form on a requests session.

Answers are read within one deadline for the whole call (`timeout`, connection and body together;
a stalled or slow body is cut off and its connection closed, so the upstream request is abandoned),
up to `max_bytes`. Reads are idempotent, so a dropped connection or a 5xx answer is retried with
exponential backoff while the deadline allows; a timeout is not retried (it would multiply the
wait). Every failure is one `EndpointError` naming the endpoint, with at most the first line of
the engine's answer (200 characters), never its body.
"""

from __future__ import annotations

import functools
import http.client
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import orjson
import pyoxigraph as ox
import requests

from kg.errors import KgError
from kg.fetch.http import USER_AGENT

RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MAX_BYTES = 1 << 30
_CHUNK = 1 << 16
_IDLE = 8  # kept-alive connections kept per client (kg serve's evaluation threads share one)

_RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}

Failure = Literal["unreachable", "timeout", "error", "garbage", "too-large"]


class EndpointError(KgError):
    """A remote SPARQL endpoint that could not answer: `kind` says how (the server maps it to a status)."""

    def __init__(self, message: str, kind: Failure, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


def first_line(text: str, limit: int = 200) -> str:
    """The first non-blank line of an engine's answer, trimmed: all of it an error message shows."""
    for line in text.splitlines():
        if line.strip():
            line = " ".join(line.split())
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


@dataclass
class Answer:
    """A successful answer: its media type (no parameters), body, and the engine's row cap if it
    announced one (X-SPARQL-MaxRows: Virtuoso sends it when the answer reached its ResultSetMaxRows)."""

    media_type: str
    body: bytes
    max_rows: int | None = None


@dataclass
class Table:
    """A SELECT's answer in SPARQL JSON as orjson reads it (C, no term objects): the variables
    and the bindings, each term a dict ("type", "value", "datatype" or "xml:lang") as the engine
    wrote it, for a reader that converts only what it uses (kg.queries.json_value,
    kg.backend.normalise.sort_json); `parse` gives pyoxigraph's solutions of the same answer."""

    variables: list[str]
    bindings: list[dict[str, dict[str, str]]]
    body: bytes


def _table(body: bytes) -> Table | None:
    """The answer as a Table when it is a well-formed SELECT answer in JSON, else None (then
    pyoxigraph's parser reads it: a boolean, or garbage it names). orjson reads it about twice as
    fast as json.loads (what it refuses, lone surrogates or NaN, goes to pyoxigraph's parser too)."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict):
        return None
    head, results = parsed.get("head"), parsed.get("results")
    variables = head.get("vars") if isinstance(head, dict) else None
    bindings = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(variables, list) or not isinstance(bindings, list):
        return None
    if not all(isinstance(v, str) for v in variables) or not all(isinstance(b, dict) for b in bindings):
        return None
    return Table(variables, bindings, body)


@dataclass
class SparqlClient:
    url: str
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.25
    authorization: str | None = None
    max_bytes: int = MAX_BYTES
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.last_cap: int | None = None  # the row cap the last answer announced (X-SPARQL-MaxRows)
        self.last_booleans = True  # whether the last answer may hold xsd:boolean terms (to normalise)
        self.session.headers["User-Agent"] = USER_AGENT
        # the environment's proxy settings for this URL, read once: requests would read them (and
        # stat ~/.netrc) again on every request, a good part of a millisecond each time
        self.session.proxies.update(requests.utils.get_environ_proxies(self.url))
        self.session.trust_env = False
        if self.authorization:
            self.session.headers["Authorization"] = self.authorization
        # The hot path: a plain http:// endpoint without a proxy or credentials in its URL is asked
        # over kept-alive http.client connections (a requests call costs about a millisecond of
        # Python; this a tenth of it); anything else (https, a proxy, user:password@) goes through
        # the requests session above, which knows those.
        parts = urllib.parse.urlsplit(self.url)
        self._direct = parts.scheme == "http" and not self.session.proxies and parts.username is None
        self._address = (parts.hostname or "localhost", parts.port or 80)
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._headers = {"User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded"}
        if self.authorization:
            self._headers["Authorization"] = self.authorization
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    # -- typed answers
    def solutions(
        self, query: str, timeout: float | None = None, *, capped: bool = False
    ) -> ox.QuerySolutions | ox.QueryBoolean:
        """The answer to a SELECT or ASK. An answer the engine says it cut at its row cap is an error
        (a feature would silently miss rows) unless `capped` (a forwarded query keeps the cap)."""
        return self._results(self.post(query, RESULTS_ACCEPT, timeout), capped)

    def table(self, query: str, timeout: float | None = None) -> Table | ox.QuerySolutions | ox.QueryBoolean:
        """The answer to a SELECT as a Table when the engine answers JSON (the cheap read), else as
        `solutions` gives it; the row cap as there."""
        answer = self.post(query, RESULTS_ACCEPT, timeout)
        if _RESULT_FORMATS.get(answer.media_type) is ox.QueryResultsFormat.JSON:
            table = _table(answer.body)
            if table is not None:
                if answer.max_rows is not None and len(table.bindings) >= answer.max_rows:
                    raise self._cut(answer.max_rows)
                self.last_cap = answer.max_rows
                return table
        return self._results(answer, False)

    def parse(self, table: Table) -> ox.QuerySolutions:
        """A Table's answer as pyoxigraph's solutions (for terms a Table's reader does not convert)."""
        parsed = self._results(Answer("application/sparql-results+json", table.body), True)
        if not isinstance(parsed, ox.QuerySolutions):
            raise self._garbage("a SELECT answered with a boolean")
        return parsed

    def _results(self, answer: Answer, capped: bool) -> ox.QuerySolutions | ox.QueryBoolean:
        fmt = _RESULT_FORMATS.get(answer.media_type)
        if fmt is None:
            raise self._garbage(f"answered {answer.media_type or 'no media type'}, not SPARQL results")
        try:
            parsed = ox.parse_query_results(answer.body, fmt)
        except (SyntaxError, ValueError) as e:
            raise self._garbage(f"unreadable SPARQL results: {first_line(str(e))}") from None
        if answer.max_rows is not None and not capped and isinstance(parsed, ox.QuerySolutions):
            rows = list(parsed)
            if len(rows) >= answer.max_rows:
                raise self._cut(answer.max_rows)
            parsed = ox.parse_query_results(answer.body, fmt)  # the rows again, as solutions
        self.last_cap = answer.max_rows
        self.last_booleans = b"#boolean" in answer.body
        return parsed

    def graph(self, query: str, timeout: float | None = None, *, capped: bool = False) -> list[ox.Triple]:
        answer = self.post(query, GRAPH_ACCEPT, timeout)
        fmt = _GRAPH_FORMATS.get(answer.media_type)
        if fmt is None:
            raise self._garbage(f"answered {answer.media_type or 'no media type'}, not RDF")
        try:
            triples = [q.triple for q in ox.parse(answer.body, format=fmt)]
        except (SyntaxError, ValueError) as e:
            raise self._garbage(f"unreadable {answer.media_type}: {first_line(str(e))}") from None
        if answer.max_rows is not None and not capped and len(triples) >= answer.max_rows:
            raise self._cut(answer.max_rows)
        self.last_cap = answer.max_rows
        return triples

    def _cut(self, rows: int) -> EndpointError:
        return EndpointError(
            f"endpoint {self.url}: the engine cut its answer at {rows} rows (X-SPARQL-MaxRows; for "
            "Virtuoso raise ResultSetMaxRows in the [SPARQL] section of virtuoso.ini)", "too-large")

    # -- the protocol
    def post(self, query: str, accept: str, timeout: float | None = None) -> Answer:
        """POST `query` as a form; the answer's body, read within the deadline, after retries."""
        seconds = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + seconds
        attempt = 0
        while True:
            try:
                if deadline <= time.monotonic():
                    raise _TimedOut
                return self._once(query, accept, deadline)
            except _TimedOut:
                raise EndpointError(f"endpoint {self.url}: no answer within {seconds:g} s", "timeout") from None
            except _Retryable as e:
                wait = self.backoff * 2**attempt
                attempt += 1
                if attempt > self.retries or time.monotonic() + wait >= deadline:
                    raise e.error from None
                self.sleep(wait)

    def _once(self, query: str, accept: str, deadline: float) -> Answer:
        if self._direct:
            return self._once_direct(query, accept, deadline)
        left = deadline - time.monotonic()
        try:
            response = self.session.post(
                self.url,
                data={"query": query},
                headers={"Accept": accept},
                timeout=(min(left, 10.0), left),
                stream=True,
            )
        except requests.Timeout:
            raise _TimedOut from None
        except requests.ConnectionError as e:
            raise _Retryable(self._unreachable(e)) from None
        except requests.RequestException as e:
            raise EndpointError(f"endpoint {self.url}: {type(e).__name__}: {first_line(str(e))}", "unreachable") \
                from None
        try:
            status = response.status_code
            if status >= 400:
                text = self._read(response, deadline, 4096, truncate=True).decode("utf-8", "replace")
                raise _http_error(self.url, status, response.reason, text)
            body = self._read(response, deadline, self.max_bytes)
            media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            cap = response.headers.get("X-SPARQL-MaxRows", "").strip()
            return Answer(media, body, int(cap) if cap.isdigit() else None)
        finally:
            response.close()

    def _read(self, response: requests.Response, deadline: float, limit: int, truncate: bool = False) -> bytes:
        """The body, chunk by chunk, checking the deadline and the size limit between chunks."""

        def chunks() -> Iterator[bytes]:
            for chunk in response.iter_content(_CHUNK):
                yield chunk
                if time.monotonic() > deadline:
                    raise _TimedOut

        try:
            return self._gather(chunks(), limit, truncate)
        except requests.Timeout:
            raise _TimedOut from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
            raise _Retryable(self._unreachable(e)) from None

    def _gather(self, chunks: Iterator[bytes], limit: int, truncate: bool) -> bytes:
        """The chunks joined, up to `limit` bytes: past it, what came so far when `truncate`, else
        an error (both readers of a body use it)."""
        parts: list[bytes] = []
        size = 0
        for chunk in chunks:
            parts.append(chunk)
            size += len(chunk)
            if size > limit:
                if truncate:
                    break
                raise EndpointError(f"endpoint {self.url}: answer larger than {limit} bytes", "too-large")
        return b"".join(parts)

    # -- the hot path: kept-alive http.client connections
    def _connection(self, fresh: bool) -> tuple[http.client.HTTPConnection, bool]:
        """An idle kept-alive connection (and True), or a new one (and False)."""
        if not fresh:
            with self._lock:
                if self._idle:
                    return self._idle.pop(), True
        return http.client.HTTPConnection(*self._address), False

    def _keep(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < _IDLE:
                self._idle.append(conn)
                return
        conn.close()

    def request(self, query: str, accept: str) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the POST of `query` on a kept-alive connection (bench/remote.py
        sends the same bytes to time the engine alone)."""
        return form_body(query), {**self._headers, "Accept": accept}

    def _once_direct(self, query: str, accept: str, deadline: float) -> Answer:
        body, headers = self.request(query, accept)
        fresh = False
        while True:
            conn, reused = self._connection(fresh)
            try:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                if conn.sock is None:
                    conn.timeout = min(left, 10.0)
                    conn.connect()
                assert conn.sock is not None
                conn.sock.settimeout(left)
                conn.request("POST", self._target, body, headers)
                response = conn.getresponse()
                break
            except TimeoutError:
                conn.close()
                raise _TimedOut from None
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                if reused:  # the engine closed a kept-alive connection while it was idle: a new one
                    fresh = True
                    continue
                raise _Retryable(self._unreachable(e)) from None
        kept = False
        try:
            status = response.status
            if status >= 400:
                text = self._read_direct(conn, response, deadline, 4096, truncate=True).decode("utf-8", "replace")
                raise _http_error(self.url, status, response.reason, text)
            data = self._read_direct(conn, response, deadline, self.max_bytes)
            media = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            cap = (response.getheader("X-SPARQL-MaxRows") or "").strip()
            if response.length == 0:
                response.read()  # read1 leaves a response whose body is all read open: closes it
            kept = response.isclosed() and not response.will_close
            return Answer(media, data, int(cap) if cap.isdigit() else None)
        finally:
            if kept:
                self._keep(conn)
            else:
                response.close()  # its file on the socket first, or the socket lingers unclosed
                conn.close()

    def _read_direct(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse, deadline: float,
                     limit: int, truncate: bool = False) -> bytes:
        """The body, one read at a time, each within what is left of the deadline, up to `limit`."""

        def chunks() -> Iterator[bytes]:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _TimedOut
                if conn.sock is not None:
                    conn.sock.settimeout(left)
                chunk = response.read1(_CHUNK)
                if not chunk:
                    return
                yield chunk

        try:
            return self._gather(chunks(), limit, truncate)
        except TimeoutError:
            raise _TimedOut from None
        except (OSError, http.client.HTTPException) as e:
            raise _Retryable(self._unreachable(e)) from None

    # -- errors
    def _unreachable(self, e: Exception) -> EndpointError:
        reason = "connection refused" if "refused" in str(e).lower() else f"{type(e).__name__}"
        return EndpointError(f"endpoint {self.url}: unreachable ({reason})", "unreachable")

    def _garbage(self, what: str) -> EndpointError:
        return EndpointError(f"endpoint {self.url}: {what}", "garbage")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        self.session.close()


@functools.lru_cache(maxsize=4096)
def _quoted_line(line: str) -> str:
    return urllib.parse.quote_plus(line)


def form_body(query: str) -> bytes:
    """`query=…` as the POST form encodes it (urllib.parse.urlencode's bytes), line by line: the
    named queries' lines repeat from request to request and are encoded once (a VALUES line is
    new each time; urlencode costs a Python call per byte, a good part of a millisecond per batch)."""
    return ("query=" + "%0A".join(map(_quoted_line, query.split("\n")))).encode()


def _http_error(url: str, status: int, reason: str, text: str) -> Exception:
    """An engine's error answer as one line naming the endpoint; retryable when its status is."""
    error = EndpointError(
        f"endpoint {url}: HTTP {status} {reason}" + (f": {first_line(text)}" if first_line(text) else ""),
        "unreachable" if status in (502, 503, 504) else "error",
        status,
    )
    return _Retryable(error) if status in RETRY_STATUSES else error


class _TimedOut(Exception):
    pass


class _Retryable(Exception):
    def __init__(self, error: EndpointError) -> None:
        super().__init__(str(error))
        self.error = error
