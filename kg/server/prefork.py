"""`kg serve`'s process model: HTTP worker processes on one shared listening socket, and a supervisor.

The supervisor (the `kg serve` process) binds the address, starts `--workers` worker processes
(multiprocessing spawn) and hands each the listening socket, from which every worker accepts
connections as they come (kg.server.wire.Acceptor).
A worker is a whole server: its HTTP front (kg.server.wire, httptools on uvloop),
which hands every /sparql request to the SPARQL pipeline (kg.server.sparql_pipeline), answers repeated
API and page requests from its answers cache (kg.server.answers_cache) and every other request by the
app (Starlette), and its evaluation threads (kg.server.local), so a request is parsed,
evaluated and answered in one process: no pipe, no pickling, and the result's bytes are
serialised once, by the engine, and sent as they are.

Hard time limits hold as before: a query past `--timeout` is answered 503 by its worker, which then
kills itself (SIGKILL frees the CPU) once its answers are out (kg.server.local). The supervisor
replaces any worker that died, and kills one whose event loop stopped beating for longer than
the time limit (a stuck worker). With updates enabled there is one worker: the single writer.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.sharedctypes
import os
import platform
import signal
import socket
import sys
import time
from collections.abc import Collection, MutableMapping
from multiprocessing.process import BaseProcess
from typing import Any

from kg.server.config import LOG_FORMAT, ServerConfig

log = logging.getLogger("kg.server")
_CTX = multiprocessing.get_context("spawn")
BEAT = 0.1  # seconds between a worker's heartbeats
RESTART_PAUSE = 0.5  # at least this long between two starts of one worker slot (no start-up storm)


def listen(host: str, port: int, backlog: int = 2048) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


TCACHE = 256  # freed blocks of each size glibc's malloc keeps per thread in the workers (its default: 7)


def tune_allocator(environ: MutableMapping[str, str]) -> None:
    """Sets glibc's per-thread malloc cache for the workers to come (GLIBC_TUNABLES is read when a
    process starts, and spawn starts them with this environment), unless it is set already.

    A worker's heap is shared by the interpreter and the engine (pyoxigraph's Rust and RocksDB
    allocate and free some hundred blocks a query); with glibc's 7 cached blocks per size, most of
    those frees go back to the bins, and the next query's allocations pay for sorting and merging
    them again (_int_malloc, malloc_consolidate). TCACHE blocks per size make a query's CPU time
    about a fifth smaller on the lookup mix (bench/RESULTS.md), for at most a few MB per thread."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return
    current = environ.get("GLIBC_TUNABLES", "")
    if "glibc.malloc.tcache_count" in current:
        return
    environ["GLIBC_TUNABLES"] = ":".join(x for x in (current, f"glibc.malloc.tcache_count={TCACHE}") if x)


def cores_of(slot: int, workers: int, allowed: Collection[int]) -> set[int]:
    """The CPUs worker `slot` of `workers` may run on with --pin-workers: the allowed CPUs dealt out in
    turn, so that the workers share none while there are CPUs enough for each (and one each, taken in turn,
    when there are more workers than CPUs); all of them when none is known."""
    cpus = sorted(allowed)
    if not cpus:
        return set()
    if workers >= len(cpus):
        return {cpus[slot % len(cpus)]}
    return {cpu for i, cpu in enumerate(cpus) if i % workers == slot % workers}


def pin(slot: int, workers: int) -> None:
    """Keeps this process, and the threads it starts after, on the CPUs `cores_of` gives its slot: its
    event loop and its evaluation threads hand each job and the interpreter's lock back and forth, and
    on one CPU the thread woken finds the other's data in that CPU's caches."""
    if not hasattr(os, "sched_setaffinity"):
        return
    cores = cores_of(slot, workers, os.sched_getaffinity(0))
    if cores:
        os.sched_setaffinity(0, cores)


def _configure_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("kg.server").setLevel(logging.INFO)


def _worker(config: ServerConfig, sock: socket.socket, slot: int, beats: Any, threads: int, ledger: Any) -> None:
    """One HTTP worker process: the HTTP front (kg.server.wire) on the shared socket, its SPARQL pipeline
    (kg.server.sparql_pipeline), its answers cache and the app, with the evaluation threads (kg.server.local)."""
    import asyncio

    from kg.server.answers_cache import AnswersCache
    from kg.server.app import create_app
    from kg.server.calls import CALLS
    from kg.server.evaluator import factory
    from kg.server.local import BEFORE_DEATH, LocalRunner, RetireAfterOverrun
    from kg.server.sparql_pipeline import SparqlPipeline
    from kg.server.wire import Front, serve

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor stops us (SIGTERM: a graceful stop)
    if config.pin_workers:
        pin(slot, 1 if config.updates else max(1, config.workers))  # before any thread starts: they inherit it
    _configure_logging()
    listening: list[Any] = []

    def stop_accepting() -> None:
        for server in listening:  # a retiring worker takes no new connections; the others do
            server.close()

    runner = LocalRunner(factory(config.source, config.updates, CALLS), threads=threads, on_retire=stop_accepting)
    starlette = create_app(config, runner=runner, announce=False, ledger=ledger)
    endpoint = starlette.state.endpoint
    pipelines: list[SparqlPipeline] = []
    app = RetireAfterOverrun(starlette, active=lambda: pipelines[0].in_flight if pipelines else 0)
    sparql = SparqlPipeline(config, runner, endpoint.caches, lambda: endpoint.site.base, ledger=ledger,
                            others_in_flight=lambda: app.active, generation=lambda: endpoint.site.build().tag)
    pipelines.append(sparql)
    answers = AnswersCache(config, endpoint.site, endpoint.caches, sparql.lines, sparql.charges) \
        if config.answers_cache and config.cache_entries else None
    front = Front(app, sparql, answers, config.max_body, (config.host, config.port), config.request_timeout)
    BEFORE_DEATH.append(sparql.lines.flush)

    async def beat() -> None:
        while True:
            beats[slot] = time.monotonic()
            await asyncio.sleep(BEAT)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        task = asyncio.ensure_future(beat())
        try:
            await serve(front, sock, stop, listening)
        finally:
            task.cancel()
            sparql.lines.flush()

    try:
        import uvloop

        loop_factory: Any = uvloop.new_event_loop
    except ImportError:  # pragma: no cover (uvloop is a dependency where it exists)
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as run:
        run.run(main())


class Supervisor:
    def __init__(self, config: ServerConfig, sock: socket.socket, size: int, threads: int) -> None:
        from kg.server.budget import SharedLedger

        self.config = config
        self.ledger = SharedLedger(config.client_budget) if config.client_budget else None
        self.sock = sock
        self.size = size
        self.threads = threads
        self.beats = _CTX.Array("d", size, lock=False)
        self.workers: list[BaseProcess | None] = [None] * size
        self.started = [0.0] * size
        self.stopping = False

    def start(self, slot: int) -> None:
        self.beats[slot] = 0.0
        args = (self.config, self.sock, slot, self.beats, self.threads, self.ledger)
        process = _CTX.Process(target=_worker, args=args, daemon=True, name=f"kg-serve-{slot}")
        process.start()
        self.workers[slot] = process
        self.started[slot] = time.monotonic()

    def check(self) -> None:
        """Restart dead workers; kill a worker whose loop has not beaten for longer than the time limit."""
        now = time.monotonic()
        for slot, process in enumerate(self.workers):
            if process is None or not process.is_alive():
                if process is not None:
                    process.join(0)
                if now - self.started[slot] >= RESTART_PAUSE:
                    self.start(slot)
                continue
            beat = self.beats[slot]
            if beat and now - beat > self.config.timeout + 1.0:
                log.error("kg serve: worker %s stopped answering for %.1f s; killed and replaced", process.pid,
                          now - beat)
                with contextlib.suppress(Exception):
                    process.kill()

    def stop(self) -> None:
        self.stopping = True
        for process in self.workers:
            if process is not None and process.is_alive():
                with contextlib.suppress(Exception):
                    process.terminate()
        deadline = time.monotonic() + 5
        for process in self.workers:
            if process is not None:
                process.join(max(0.0, deadline - time.monotonic()))
                if process.is_alive():
                    process.kill()
                    process.join(2)


def serve(config: ServerConfig, threads: int = 2) -> None:
    """Run the endpoint until interrupted: `config.workers` HTTP worker processes under a supervisor."""
    _configure_logging()
    sock = listen(config.host, config.port)
    size = 1 if config.updates else max(1, config.workers)
    if config.updates:
        threads = 1  # the single writer: one process, one thread, one writable store
    supervisor = Supervisor(config, sock, size, threads)
    tune_allocator(os.environ)
    stop = [False]

    def interrupted(*_: Any) -> None:
        stop[0] = True

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    for slot in range(size):
        supervisor.start(slot)
    log.info(
        "kg serve: %s on http://%s:%d/sparql (%d worker%s, timeout %g s, updates %s)",
        config.label,
        config.host,
        config.port,
        size,
        "" if size == 1 else "s",
        config.timeout,
        "token" if config.update_token else "on" if config.allow_update else "off",
    )
    try:
        while not stop[0]:
            time.sleep(BEAT)
            supervisor.check()
    finally:
        supervisor.stop()
        sock.close()
