"""Query evaluation in worker processes that can really be stopped.

pyoxigraph cannot cancel a running query, and a thread left running burns a core. Each worker is a
process holding its own Store (read-only, or the single writable one when updates are enabled); a
job that exceeds the timeout gets its worker killed (SIGKILL frees the CPU at once) and replaced.
Results are produced completely in the worker before they are sent, so the HTTP layer never starts
a 200 it cannot finish.

Workers reopen the store when the store directory's `active` generation changes (checked on every
job: one readlink), since a rebuild deletes the generation they had open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.backend.embedded import EmbeddedBackend

log = logging.getLogger("kg.server")
_CTX = multiprocessing.get_context("spawn")


@dataclass
class Job:
    kind: str  # "query", "update", "void" or "call" (a library call of kg.server.calls named by text)
    text: str = ""
    base_iri: str | None = None
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    union: bool = True
    results_format: str | None = None  # media type of the chosen QueryResultsFormat
    graph_format: str | None = None  # media type of the chosen RdfFormat
    max_rows: int | None = None
    args: dict[str, Any] = field(default_factory=dict)  # keyword arguments of a "call"


@dataclass
class Result:
    status: int
    content_type: str = "text/plain; charset=utf-8"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    data: Any = None
    rows: int | None = None


# ---------------------------------------------------------------- in the worker process


class _Evaluator:
    def __init__(self, store: str, writable: bool) -> None:
        from kg.store import StoreDir

        self.dir = StoreDir(store)
        self.writable = writable
        self.generation: Path | None = None
        self.data: EmbeddedBackend | None = None

    def backend(self) -> EmbeddedBackend:
        """The store behind the Backend protocol, following the directory's active generation."""
        if self.data is None:
            self.data = EmbeddedBackend.open(self.dir, writable=self.writable)
        else:
            self.data.refresh()
        self.generation = self.data.generation
        return self.data

    def run(self, job: Job) -> Result:
        try:
            data = self.backend()
        except Exception as e:  # the store vanished or cannot be opened
            return Result(503, body=f"store unavailable: {e}\n".encode())
        db = data.store
        try:
            if job.kind == "update":
                return self.update(db, job)
            if job.kind == "call":
                from kg.server import calls

                return calls.run(self, data, job)
            if job.kind == "void":
                from kg.void import void_data

                return Result(200, data=void_data(data))
            return self.query(db, job)
        except SyntaxError as e:
            return Result(400, body=f"{e}\n".encode())
        except Exception as e:  # evaluation failed: say why, never a stack trace
            return Result(500, body=f"evaluation failed: {type(e).__name__}: {e}\n".encode())

    def update(self, db: ox.Store, job: Job) -> Result:
        if not self.writable:
            return Result(403, body=b"updates are not enabled\n")
        db.update(job.text, base_iri=job.base_iri)
        return Result(204)

    def query(self, db: ox.Store, job: Job) -> Result:
        kwargs: dict[str, Any] = {"base_iri": job.base_iri}
        if job.default_graphs is not None or job.named_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or []]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or []]
        elif job.union:
            kwargs["use_default_graph_as_union"] = True
        results = db.query(job.text, **kwargs)
        if isinstance(results, ox.QueryTriples):
            rdf = ox.RdfFormat.from_media_type(job.graph_format) if job.graph_format else None
            if rdf is None:
                return Result(406, data="graph")
            return _graph(results, rdf, job.max_rows)
        fmt = ox.QueryResultsFormat.from_media_type(job.results_format) if job.results_format else None
        if fmt is None:
            return Result(406, data="results")
        if isinstance(results, ox.QueryBoolean):
            return Result(200, _ctype(fmt.media_type), results.serialize(format=fmt) or b"")
        return _solutions(results, fmt, job.max_rows)


def _ctype(media: str) -> str:
    if "charset" in media:
        return media
    return f"{media}; charset=utf-8" if media.startswith("text/") or media.endswith(("json", "xml")) else media


def _solutions(results: ox.QuerySolutions, fmt: ox.QueryResultsFormat, max_rows: int | None) -> Result:
    if max_rows is None:
        body = results.serialize(format=fmt) or b""
        return Result(200, _ctype(fmt.media_type), body)
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
    body = capped.serialize(format=fmt) or b""
    headers = {"X-SPARQL-MaxRows": str(max_rows)} if truncated else {}
    return Result(200, _ctype(fmt.media_type), body, headers, rows=count)


def _graph(results: ox.QueryTriples, fmt: ox.RdfFormat, max_rows: int | None) -> Result:
    triples: list[ox.Triple] = []
    truncated = False
    for t in results:
        if max_rows is not None and len(triples) == max_rows:
            truncated = True
            break
        triples.append(t)
    items: list[Any] = (
        [ox.Quad(t.subject, t.predicate, t.object) for t in triples] if fmt.supports_datasets else triples
    )
    body = ox.serialize(items, format=fmt) or b""
    headers = {"X-SPARQL-MaxRows": str(max_rows)} if truncated else {}
    return Result(200, _ctype(fmt.media_type), body, headers, rows=len(triples))


def _worker_main(conn: multiprocessing.connection.Connection, store: str, writable: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    evaluator = _Evaluator(store, writable)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        result = evaluator.run(job)
        try:
            conn.send(result)
        except (BrokenPipeError, OSError):
            return


# ---------------------------------------------------------------- in the server process

_DIED = Result(
    503, body=b"the query worker stopped unexpectedly (out of memory?); try again later\n", headers={"Retry-After": "5"}
)


class Worker:
    def __init__(self, store: str, writable: bool) -> None:
        parent, child = _CTX.Pipe()
        self.conn = parent
        self.process: BaseProcess = _CTX.Process(target=_worker_main, args=(child, store, writable), daemon=True)
        self.process.start()
        child.close()

    def call(self, job: Job, timeout: float) -> Result | None:
        """The job's result; None when it timed out, _DIED when the worker died (either way it is unusable)."""
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                return None
            result: Result = self.conn.recv()
            return result
        except (EOFError, OSError):
            return _DIED

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        self.process.join(2)
        with contextlib.suppress(Exception):
            self.conn.close()


class Pool:
    """A fixed number of workers; a killed one is replaced in the background."""

    def __init__(self, store: str, size: int, writable: bool) -> None:
        self.store = store
        self.size = size
        self.writable = writable
        self.executor = ThreadPoolExecutor(max_workers=2 * size + 2, thread_name_prefix="kg-worker")
        self.idle: asyncio.Queue[Worker] = asyncio.Queue()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.all: set[Worker] = set()
        self.lock = threading.Lock()
        self.closed = False

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        workers = await asyncio.gather(
            *(self.loop.run_in_executor(self.executor, self._spawn) for _ in range(self.size))
        )
        for w in workers:
            self.idle.put_nowait(w)

    def _spawn(self) -> Worker:
        w = Worker(self.store, self.writable)
        with self.lock:
            self.all.add(w)
        return w

    def _replace(self, dead: Worker) -> None:
        dead.kill()
        with self.lock:
            self.all.discard(dead)
        if self.closed:
            return
        fresh = self._spawn()
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.idle.put_nowait, fresh)

    def _exchange(self, w: Worker, job: Job, timeout: float) -> Result | None:
        result = w.call(job, timeout)
        if result is None or result is _DIED:
            # Kill first (frees the CPU now), answer, then replace on another thread.
            with contextlib.suppress(Exception):
                w.process.kill()
                w.process.join(1)  # SIGKILL takes effect in milliseconds: the CPU is free before we answer
            self.executor.submit(self._replace, w)
            return result
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.idle.put_nowait, w)
        return result

    async def run(self, job: Job, timeout: float) -> Result:
        deadline = time.monotonic() + timeout
        while True:
            try:
                w = await asyncio.wait_for(self.idle.get(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return Result(503, body=b"all query workers are busy; try again later\n", headers={"Retry-After": "5"})
            if w.process.is_alive():
                break
            # Died while idle (killed from outside, out of memory): replace it and take another.
            assert self.loop is not None
            self.loop.run_in_executor(self.executor, self._replace, w)
        assert self.loop is not None
        # The thread returns the worker to the pool itself, so a client that goes away loses no worker.
        future = self.loop.run_in_executor(self.executor, self._exchange, w, job, timeout)
        result = await asyncio.shield(future)
        if result is None:
            return Result(
                503,
                body=f"query exceeded the time limit of {timeout:g} s and was stopped\n".encode(),
                headers={"Retry-After": "5"},
            )
        return result

    def close(self) -> None:
        self.closed = True
        with self.lock:
            workers = list(self.all)
        for w in workers:
            w.kill()
        self.executor.shutdown(wait=False, cancel_futures=True)
