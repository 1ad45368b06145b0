"""Jobs evaluated in this process, on a few threads beside the event loop, with a hard time limit.

In an HTTP worker process (kg.server.prefork) the evaluator runs here: no pipe, no pickling, the
answer's bytes go straight out. A few evaluation threads (`threads`, each with its own evaluator
and store handle) take the jobs in arrival order from one queue; pyoxigraph releases the GIL while
it evaluates, so the event loop goes on serving this worker's other connections during a query,
and a long query does not hold up a short one. The hop costs one queue put and one
`call_soon_threadsafe` per job; the time limits are kept by one sweep on the loop every SWEEP
seconds while jobs are pending (no timer per job). A job that waits longer than the time limit
for a free thread is 503 (busy), as when every worker is busy.

A query cannot be cancelled, so a job that runs past the time limit retires the worker process: every other
job here is answered 503 at once (with `Retry-After`), the worker stops accepting connections, and
the late job's own 503 goes out last, after which the process kills itself (SIGKILL; by the HTTP
front, kg.server.wire, or by `RetireAfterOverrun` for the app's own requests): the CPU is free as the client reads
its answer. The supervisor starts a fresh worker; other workers keep serving meanwhile.

No job is evaluated on the event loop's own thread: while it ran, the loop could neither serve the
worker's other connections nor answer them 503 when it went past the time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from kg.server.messages import Job, Result, failure
from kg.sparqltext import EVAL_STACK

log = logging.getLogger("kg.server")
RETRY = {"Retry-After": "5"}
GONE = {"Retry-After": "1", "Connection": "close"}  # this worker is going: ask again on a new connection
GRACE = 0.2  # at most this long for the other 503s to go out before the late job's own
FALLBACK = 1.0  # seconds after the retirement begins when the process dies anyway
SWEEP = 0.05  # seconds between two checks of the pending jobs' time limits
REQUEST: contextvars.ContextVar[dict[str, bool]] = contextvars.ContextVar("kg_request")

Done = Callable[[Result, bool], None]  # (the job's Result, whether it is the late job that made this worker retire)


class Ticket:
    """One job on its way: queued, then taken by a thread, then answered exactly once."""

    __slots__ = ("job", "timeout", "done", "queued", "started", "answered")

    def __init__(self, job: Job, timeout: float, done: Done, queued: float) -> None:
        self.job = job
        self.timeout = timeout
        self.done = done
        self.queued = queued
        self.started: float | None = None  # set by the evaluation thread as it takes the job
        self.answered = False


class LocalRunner:
    """The JobRunner interface (size, start, run, close) for one worker process, and `submit` for the
    HTTP front (kg.server.wire), which takes the answer in a callback instead of awaiting it."""

    def __init__(
        self,
        factory: Callable[[], Callable[[Job], Result]],
        threads: int = 2,
        on_retire: Callable[[], None] | None = None,
    ) -> None:
        self.factory = factory
        self.size = max(1, threads)
        self.on_retire = on_retire
        self.jobs: queue.SimpleQueue[Ticket | None] = queue.SimpleQueue()
        self.pending: set[Ticket] = set()
        self.threads: list[threading.Thread] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.sweeping: asyncio.TimerHandle | None = None
        self.retiring = False

    async def start(self) -> None:
        """Starts the threads and builds their evaluators (the store opened before the first job's clock)."""
        self.loop = asyncio.get_running_loop()
        ready: list[asyncio.Future[None]] = []
        # the engine recurses on a query's nesting: a stack of EVAL_STACK for the texts check_shape lets
        # through (only the pages a query touches are memory; the default 8 MB died at 2,100 nested braces)
        previous = threading.stack_size(EVAL_STACK)
        try:
            for i in range(self.size):
                future: asyncio.Future[None] = self.loop.create_future()
                ready.append(future)
                thread = threading.Thread(target=self._serve, args=(future,), name=f"kg-eval-{i}", daemon=True)
                thread.start()
                self.threads.append(thread)
        finally:
            threading.stack_size(previous)
        await asyncio.gather(*ready)

    def _serve(self, ready: asyncio.Future[None]) -> None:
        loop = self.loop
        assert loop is not None
        try:
            handler = self.factory()
        finally:
            loop.call_soon_threadsafe(_resolve, ready)
        while True:
            ticket = self.jobs.get()
            if ticket is None:
                return
            if ticket.answered:  # dropped while queued (busy, or the worker is going)
                continue
            ticket.started = time.monotonic()
            loop.call_soon_threadsafe(self._finish, ticket, evaluated(handler, ticket.job, ticket.started))

    # -- on the event loop
    def submit(self, job: Job, timeout: float, done: Done) -> None:
        """Queues the job; `done(result, late)` is called on the loop exactly once."""
        loop = self.loop
        assert loop is not None
        if self.retiring:
            done(restarting(), False)
            return
        ticket = Ticket(job, timeout, done, time.monotonic())
        self.pending.add(ticket)
        self.jobs.put(ticket)
        if self.sweeping is None:
            self.sweeping = loop.call_later(SWEEP, self._sweep)

    async def run(self, job: Job, timeout: float) -> Result:
        """The job's Result (the app's requests); the late job marks its request for `RetireAfterOverrun`."""
        assert self.loop is not None
        answer: asyncio.Future[tuple[Result, bool]] = self.loop.create_future()
        self.submit(job, timeout, lambda result, late: answer.set_result((result, late)))
        result, late = await answer
        if late:
            request = REQUEST.get(None)
            if request is not None:
                request["retire"] = True  # RetireAfterOverrun sends this answer last, then kills the process
        return result

    def _answer(self, ticket: Ticket, result: Result, late: bool = False) -> None:
        ticket.answered = True
        self.pending.discard(ticket)
        ticket.done(result, late)

    def _finish(self, ticket: Ticket, result: Result) -> None:
        if not ticket.answered:
            self._answer(ticket, result)

    def _sweep(self) -> None:
        """The time limits: a job queued for its whole time limit is dropped (503, busy); one that
        ran past its time limit (counted from its start) retires this worker. Again in SWEEP s while
        any job is pending."""
        self.sweeping = None
        if self.retiring:
            return
        now = time.monotonic()
        for ticket in list(self.pending):
            if ticket.answered:
                continue
            started = ticket.started
            if started is None:
                if now - ticket.queued >= ticket.timeout:  # never run
                    busy = "the server is busy: no evaluation thread was free within the time limit; try again later"
                    self._answer(ticket, failure(503, busy, RETRY))
            elif now - started >= ticket.timeout:
                self.retire(ticket)
                return
        if self.pending and self.loop is not None:
            self.sweeping = self.loop.call_later(SWEEP, self._sweep)

    def retire(self, late: Ticket | None = None) -> None:
        """Answer every other job 503, stop accepting, and kill this process once the answers are out."""
        if self.retiring:
            return
        self.retiring = True
        log.warning("kg serve: a query passed the time limit; worker %d stops and is replaced", os.getpid())
        for ticket in list(self.pending):
            if ticket is not late:
                self._answer(ticket, failure(
                    503, "this server process was stopped by another query past the time limit; try again", GONE))
        if self.on_retire is not None:
            with contextlib.suppress(Exception):
                self.on_retire()
        assert self.loop is not None
        self.loop.call_later(FALLBACK, _die)
        if late is not None:
            self._answer(late, timed_out(late.timeout), late=True)

    def close(self) -> None:
        for _ in self.threads:
            self.jobs.put(None)


def evaluated(handler: Callable[[Job], Result], job: Job, started: float) -> Result:
    """The handler's Result for the job, with how long it took since `started` (`Result.seconds`)."""
    try:
        result = handler(job)
    except Exception as e:  # the evaluator answers its own errors; this is a bug, still never a trace
        result = failure(500, f"evaluation failed: {type(e).__name__}: {e}")
    result.seconds = time.monotonic() - started
    return result


def restarting() -> Result:
    """The answer of a job that comes to a worker already retiring."""
    return failure(503, "this server process is restarting; try again", GONE)


def timed_out(timeout: float) -> Result:
    """The answer of the job that ran past the time limit (its worker is killed after it)."""
    return failure(503, f"query exceeded the time limit of {timeout:g} s and was stopped",
                   {**RETRY, "Connection": "close"})


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def after_the_others(others: Callable[[], int]) -> None:
    """Returns once no other request of this worker is in flight (GRACE s at most): the late job's answer
    goes out after their 503s, and then the process dies (`_die`). The one wait of a late answer, for the
    SPARQL pipeline's jobs and the app's (RetireAfterOverrun)."""
    deadline = time.monotonic() + GRACE
    while others() > 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.005)


BEFORE_DEATH: list[Callable[[], None]] = []  # what runs before the process kills itself (the access log's flush)


def _die(*_: Any) -> None:
    for hook in BEFORE_DEATH:
        with contextlib.suppress(Exception):
            hook()
    os.kill(os.getpid(), signal.SIGKILL)


Scope = Any
Receive = Callable[[], Any]
Send = Callable[[Any], Any]


class RetireAfterOverrun:
    """ASGI layer of a worker's app: tracks the requests in flight, and when a job ran past the time
    limit sends its 503 once the others have been answered (at most GRACE s), then kills the process."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Any], active: Callable[[], int] | None = None) -> None:
        self.app = app
        self.active = 0
        self.others = active  # requests in flight that do not pass through here (the front's own)

    def in_flight(self) -> int:
        return self.active + (self.others() if self.others is not None else 0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request: dict[str, bool] = {}
        REQUEST.set(request)  # each request runs in its own task: its own context

        async def relay(message: Any) -> None:
            if request.get("retire") and message["type"] == "http.response.start":
                await after_the_others(lambda: self.in_flight() - 1)
            await send(message)

        self.active += 1
        try:
            await self.app(scope, receive, relay)
        finally:
            self.active -= 1
        if request.get("retire"):
            _die()  # the answer is out and logged
