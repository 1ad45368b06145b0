"""Jobs evaluated in this process, on one thread beside the event loop, with a hard time limit.

In an HTTP worker process (kg.server.prefork) the evaluator runs here: no pipe, no pickling, the
answer's bytes go straight out. A few evaluation threads (`threads`, each with its own evaluator
and store handle) run the jobs in arrival order; pyoxigraph releases the GIL while it evaluates, so
the event loop goes on serving this worker's other connections during a query, and a long query
does not hold up a short one. A job that waits longer than the time limit for a free thread is 503
(busy), as when every worker is busy.

A query cannot be cancelled, so a job that runs past the time limit dooms the process: every other
job here is answered 503 at once (with `Retry-After`), the worker stops accepting connections, and
the late job's own 503 goes out last, after which the process kills itself (SIGKILL, by `Doom`, the
outermost layer of the worker's app): the CPU is free as the client reads its answer. The
supervisor starts a fresh worker; other workers keep serving meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kg.server.messages import Job, Result, failure

log = logging.getLogger("kg.server")
RETRY = {"Retry-After": "5"}
GONE = {"Retry-After": "1", "Connection": "close"}  # this worker is going: ask again on a new connection
GRACE = 0.2  # at most this long for the other 503s to go out before the late job's own
FALLBACK = 1.0  # seconds after the doom when the process dies anyway
REQUEST: contextvars.ContextVar[dict[str, bool]] = contextvars.ContextVar("kg_request")


class LocalRunner:
    """The Runner interface (size, start, run, close) for one worker process."""

    def __init__(
        self,
        factory: Callable[[], Callable[[Job], Result]],
        threads: int = 2,
        on_doom: Callable[[], None] | None = None,
    ) -> None:
        self.factory = factory
        self.local = threading.local()
        self.size = max(1, threads)
        self.executor = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="kg-eval")
        self.on_doom = on_doom
        self.doomed: asyncio.Event | None = None

    async def start(self) -> None:
        """Starts the threads and builds their evaluators (the store opened before the first job's clock)."""
        self.doomed = asyncio.Event()
        loop = asyncio.get_running_loop()
        barrier = threading.Barrier(self.size)
        await asyncio.gather(*(loop.run_in_executor(self.executor, self._prepare, barrier) for _ in range(self.size)))

    def _prepare(self, barrier: threading.Barrier) -> None:
        self._handler()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(60)  # each thread takes one: every thread gets its evaluator now

    def _handler(self) -> Callable[[Job], Result]:
        handler: Callable[[Job], Result] | None = getattr(self.local, "handler", None)
        if handler is None:
            handler = self.local.handler = self.factory()
        return handler

    def _work(self, job: Job, started: Callable[[], None]) -> Result:
        started()
        return self._handler()(job)

    async def run(self, job: Job, timeout: float) -> Result:
        assert self.doomed is not None
        if self.doomed.is_set():
            return failure(503, "this query worker is restarting; try again", GONE)
        loop = asyncio.get_running_loop()
        began: asyncio.Future[Any] = loop.create_future()

        def mark() -> None:
            if not began.done():
                began.set_result(time.monotonic())

        def started() -> None:
            loop.call_soon_threadsafe(mark)

        work: asyncio.Future[Any] = asyncio.ensure_future(loop.run_in_executor(self.executor, self._work, job, started))
        doom: asyncio.Future[Any] = asyncio.ensure_future(self.doomed.wait())
        try:
            # Its turn: within the time limit, else busy (it is dropped, never run).
            done, _ = await asyncio.wait({began, doom}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not began.done():
                work.cancel()  # still queued: cancelling the executor's future keeps it from running
                if doom in done:
                    return failure(503, "this query worker was stopped by another query past the time limit;"
                                        " try again", GONE)
                return failure(503, "all query workers are busy; try again later", RETRY)
            remaining = max(0.0, timeout - (time.monotonic() - began.result()))
            done, _ = await asyncio.wait({work, doom}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            if work in done:
                answer: Result = work.result()
                return answer
            if doom in done:
                return failure(503, "this query worker was stopped by another query past the time limit; try again",
                               GONE)
            request = REQUEST.get(None)
            if request is not None:
                request["doom"] = True  # Doom sends this answer last, then kills the process
            self.doom()
            return failure(503, f"query exceeded the time limit of {timeout:g} s and was stopped",
                           {**RETRY, "Connection": "close"})
        finally:
            doom.cancel()

    def doom(self) -> None:
        """Answer every waiting job 503, stop accepting, and kill this process once the answers are out."""
        assert self.doomed is not None
        if self.doomed.is_set():
            return
        self.doomed.set()
        log.warning("kg serve: a query passed the time limit; worker %d stops and is replaced", os.getpid())
        if self.on_doom is not None:
            with contextlib.suppress(Exception):
                self.on_doom()
        asyncio.get_running_loop().call_later(FALLBACK, _die)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def _die(*_: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


Scope = Any
Receive = Callable[[], Any]
Send = Callable[[Any], Any]


class Doom:
    """ASGI layer of a worker's app: tracks the requests in flight, and when a job ran past the time
    limit sends its 503 once the others have been answered (at most GRACE s), then kills the process."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Any]) -> None:
        self.app = app
        self.active = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request: dict[str, bool] = {}
        REQUEST.set(request)  # each request runs in its own task: its own context

        async def relay(message: Any) -> None:
            if request.get("doom") and message["type"] == "http.response.start":
                deadline = time.monotonic() + GRACE
                while self.active > 1 and time.monotonic() < deadline:
                    await asyncio.sleep(0.005)
            await send(message)

        self.active += 1
        try:
            await self.app(scope, receive, relay)
        finally:
            self.active -= 1
        if request.get("doom"):
            _die()  # the answer is out and logged
