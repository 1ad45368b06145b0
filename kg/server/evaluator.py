"""What an evaluation thread of a worker (kg.server.local) does with a Job: evaluate SPARQL (with
row caps), read the VoID figures, or run a library call from the call table it was given.

The evaluator holds one `EmbeddedBackend` on the store directory (read-only, or the single writable
one when updates are enabled) and reads the `active` link before every job (one readlink, made
without releasing the GIL), reopening when a rebuild swapped the generation, since a rebuild
deletes the one it had open. The SPARQL protocol path
(dataset options, updates) uses `backend.store` itself: it is the embedded engine's own protocol.
Results are produced completely here before they are sent, so the HTTP layer never starts a 200
it cannot finish.

A SELECT answer is the engine's serialisation when it takes at most `max_rows` bytes (so at most
that many solutions). The first time a query is asked on a generation it is serialised into a
bounded sink that gives up at `max_rows` bytes (memory stays bounded whatever the answer's size);
once its answer was small on this generation (and the store takes no updates, so the generation
fixes the answer), it is serialised straight to bytes by the engine
(no Python sink, whose write takes the GIL back), then measured; an answer that grew past the cap
after all is evaluated again and capped, as a big one always is.
"""

from __future__ import annotations

import ctypes
import io
import os
from collections.abc import Callable
from typing import IO, Any, cast

import pyoxigraph as ox

from kg.backend import EmbeddedBackend
from kg.backend.remote import RemoteSpec
from kg.errors import KgError
from kg.formats import BOOLEAN, GRAPHS, RESULTS, Format, find
from kg.server.messages import Call, Calls, Family, Job, Result, failure
from kg.void import void_data

__all__ = ["Call", "Calls", "Evaluator", "factory", "graph", "query", "solutions"]


class Evaluator:
    def __init__(self, store: str, writable: bool, calls: Calls) -> None:
        self.path = store
        self.writable = writable
        self.calls = calls
        self.backend: EmbeddedBackend | None = None
        self.link = Link(os.path.join(store, "active"))
        self.small: set[tuple[Any, ...]] = set()  # queries whose answer was small on this generation
        try:  # opened now, before the first job's clock starts; a store that is not there yet is a 503 per job
            self.open()
        except Exception:
            self.backend = None

    def open(self) -> EmbeddedBackend:
        """The backend on the active generation: reopened when a rebuild swapped it (one readlink,
        made without letting go of the GIL, so the event loop is not handed it for 2 µs)."""
        if self.backend is None:
            self.backend = EmbeddedBackend.open(self.path, writable=self.writable)
            self.small.clear()
            return self.backend
        target = self.link.read()
        if (target is None or target != self.backend.version) and self.backend.refresh():
            self.small.clear()
        return self.backend

    def __call__(self, job: Job) -> Result:
        try:
            backend = self.open()
        except Exception as e:  # the store vanished or cannot be opened
            self.backend = None
            return failure(503, f"store unavailable: {e}")
        try:
            if job.kind == "update":
                return self.update(backend, job)
            if job.kind == "call":
                return self.call(backend, job)
            if job.kind == "void":
                return Result(200, data=void_data(backend))
            # with updates on, the data changes within a generation: every answer goes through the sink
            return query(backend.store, job, None if self.writable else self.small)
        except SyntaxError as e:
            return failure(400, str(e))
        except Exception as e:  # evaluation failed: say why, never a stack trace
            return failure(500, f"evaluation failed: {type(e).__name__}: {e}")

    def update(self, backend: EmbeddedBackend, job: Job) -> Result:
        if not self.writable:
            return failure(403, "updates are not enabled")
        backend.store.update(job.text, base_iri=job.base_iri)
        return Result(204)

    def call(self, backend: EmbeddedBackend, job: Job) -> Result:
        """A library call by name (`job.text`) with `job.args`; a KgError is the user's: 400."""
        fn = self.calls.get(job.text)
        if fn is None:
            return failure(400, f"no call {job.text!r}")
        try:
            return fn(backend, **job.args)
        except KgError as e:
            return failure(400, str(e))


def factory(store: str | RemoteSpec, writable: bool, calls: Calls) -> Callable[[], Callable[[Job], Result]]:
    """A maker of the evaluator, for kg.server.local.LocalRunner (called in each evaluation thread): on
    the store directory, or (kg serve --endpoint) on the remote engine (kg.server.forward)."""
    import functools

    if isinstance(store, RemoteSpec):
        from kg.server.forward import RemoteEvaluator

        return functools.partial(RemoteEvaluator, store, calls)
    return functools.partial(Evaluator, store, writable, calls)


class Link:
    """readlink(2) of one path, called through ctypes without releasing the GIL (os.readlink
    releases it, and an evaluation thread then waits for the event loop to give it back)."""

    def __init__(self, path: str) -> None:
        self.path = os.fsencode(path)
        self.buffer = ctypes.create_string_buffer(4096)
        try:
            self.call: Any = ctypes.PyDLL(None).readlink
        except (OSError, AttributeError):  # no libc readlink to call: os.readlink
            self.call = None

    def read(self) -> str | None:
        if self.call is None:
            try:
                return os.readlink(self.path).decode("utf-8", "surrogateescape")
            except OSError:
                return None
        n = self.call(self.path, self.buffer, 4096)
        if n < 0:
            return None
        return ctypes.string_at(self.buffer, n).decode("utf-8", "surrogateescape")


def query(db: ox.Store, job: Job, small: set[tuple[Any, ...]] | None = None) -> Result:
    kwargs: dict[str, Any] = {"base_iri": job.base_iri}
    if job.default_graphs is not None or job.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or []]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or []]
    elif job.union:
        kwargs["use_default_graph_as_union"] = True
    results = db.query(job.text, **kwargs)
    if isinstance(results, ox.QueryTriples):
        rdf = find(job.graph_format, GRAPHS)
        if rdf is None:
            return Result(406, unacceptable=Family.GRAPH)
        return graph(results, rdf, job.max_rows)
    fmt = find(job.results_format, RESULTS)
    if isinstance(results, ox.QueryBoolean):
        if fmt is None or fmt not in BOOLEAN or fmt.results is None:  # CSV/TSV have no standard boolean
            return Result(406, unacceptable=Family.BOOLEAN)
        return Result(200, fmt.content_type, results.serialize(format=fmt.results) or b"")
    if fmt is None:
        return Result(406, unacceptable=Family.RESULTS)
    assert fmt.results is not None
    if job.max_rows is not None:
        key = (job.text, job.base_iri, job.union, job.results_format,
               None if job.default_graphs is None else tuple(job.default_graphs),
               None if job.named_graphs is None else tuple(job.named_graphs))
        if small is not None and key in small:  # small on this generation before: the engine's bytes at once
            body = results.serialize(format=fmt.results) or b""
            fits = len(body) <= job.max_rows
        else:
            found = _at_most(results, fmt.results, job.max_rows)
            fits = found is not None
            body = found or b""
        if fits:
            if small is not None:
                if len(small) >= 4096:
                    small.clear()
                small.add(key)
            return Result(200, fmt.content_type, body)
        if small is not None:
            small.discard(key)
        results = db.query(job.text, **kwargs)  # a big answer: evaluated again, capped on the way
        assert isinstance(results, ox.QuerySolutions)
    return solutions(results, fmt, job.max_rows)


class _Full(Exception):
    """The answer is longer than _Bounded's limit."""


class _Bounded(io.RawIOBase):
    """A binary sink that keeps at most `limit` bytes and raises _Full past them."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.size += len(chunk)
        if self.size > self.limit:
            raise _Full()
        self.parts.append(chunk)
        return len(chunk)


def _at_most(results: ox.QuerySolutions, fmt: ox.QueryResultsFormat, max_rows: int) -> bytes | None:
    """The answer serialised by the engine at once when it takes at most `max_rows` bytes, else None.

    Every solution takes a byte at least in every results format (a line, a JSON object, an XML
    element), so an answer of at most max_rows bytes has at most max_rows solutions: no cap to
    apply, and no Python object per solution. A longer one is given up (None) at max_rows bytes.
    """
    sink = _Bounded(max_rows)
    try:
        results.serialize(cast(IO[bytes], sink), format=fmt)
    except _Full:
        return None
    return b"".join(sink.parts)


def solutions(results: ox.QuerySolutions, fmt: Format, max_rows: int | None) -> Result:
    """SELECT results in `fmt`, at most `max_rows` of them (then `X-SPARQL-MaxRows` says so)."""
    assert fmt.results is not None
    if max_rows is None:
        body = results.serialize(format=fmt.results) or b""
        return Result(200, fmt.content_type, body)
    # Capped: collect max_rows + 1 rows, then re-serialize through TSV (terms in their N-Triples form).
    variables = results.variables
    lines = ["\t".join(str(v) for v in variables)]
    truncated = False
    count = 0
    for solution in results:
        if count == max_rows:
            truncated = True
            break
        lines.append("\t".join("" if solution[i] is None else str(solution[i]) for i in range(len(variables))))
        count += 1
    capped = ox.parse_query_results("\n".join(lines) + "\n", format=ox.QueryResultsFormat.TSV)
    assert isinstance(capped, ox.QuerySolutions)
    body = capped.serialize(format=fmt.results) or b""
    headers = {"X-SPARQL-MaxRows": str(max_rows)} if truncated else {}
    return Result(200, fmt.content_type, body, headers, rows=count)


def graph(results: ox.QueryTriples, fmt: Format, max_rows: int | None) -> Result:
    """CONSTRUCT / DESCRIBE triples in `fmt`, at most `max_rows` of them."""
    assert fmt.rdf is not None
    triples: list[ox.Triple] = []
    truncated = False
    for t in results:
        if max_rows is not None and len(triples) == max_rows:
            truncated = True
            break
        triples.append(t)
    items: list[Any] = (
        [ox.Quad(t.subject, t.predicate, t.object) for t in triples] if fmt.rdf.supports_datasets else triples
    )
    body = ox.serialize(items, format=fmt.rdf) or b""
    headers = {"X-SPARQL-MaxRows": str(max_rows)} if truncated else {}
    return Result(200, fmt.content_type, body, headers, rows=len(triples))
