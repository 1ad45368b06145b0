"""A pool of processes that can really be stopped: generic, it knows nothing of the app. (Not the
HTTP worker processes of kg.server.prefork: these are pool processes.)

pyoxigraph cannot cancel a running query, and a thread left running burns a core. Each pool process is a
spawned process running a handler made by the pool's `factory` (a picklable callable, called once
in the process); a job is any picklable message, answered by `handler(job)`. A job that exceeds its
timeout gets its process killed (SIGKILL frees the CPU at once) and replaced; so does a process that
died. The pool says so by raising `TimedOut`, `Died` or `Busy`: what that means to a client is the
caller's business.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

_CTX = multiprocessing.get_context("spawn")

J = TypeVar("J")
R = TypeVar("R")

Handler = Callable[[Any], Any]
Factory = Callable[[], Handler]


class PoolError(Exception):
    """A job got no answer."""


class TimedOut(PoolError):
    def __init__(self, timeout: float) -> None:
        super().__init__(f"exceeded the time limit of {timeout:g} s and was stopped")
        self.timeout = timeout


class Died(PoolError):
    def __init__(self) -> None:
        super().__init__("the worker stopped unexpectedly (out of memory?)")


class Busy(PoolError):
    def __init__(self) -> None:
        super().__init__("all workers are busy")


READY = "ready"
STARTUP = 60.0  # seconds a new pool process may take to import and build its handler


def _pool_process_main(conn: multiprocessing.connection.Connection, factory: Factory) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handler = factory()
    conn.send(READY)  # a job's time limit starts with a process that is up, not with its start-up
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        result = handler(job)
        try:
            conn.send(result)
        except (BrokenPipeError, OSError):
            return


class _Dead:
    """What PoolProcess.call returns when the worker died."""


_DEAD = _Dead()


class PoolProcess:
    def __init__(self, factory: Factory) -> None:
        parent, child = _CTX.Pipe()
        self.conn = parent
        self.process: BaseProcess = _CTX.Process(target=_pool_process_main, args=(child, factory), daemon=True)
        self.process.start()
        child.close()
        with contextlib.suppress(EOFError, OSError):
            if self.conn.poll(STARTUP):
                self.conn.recv()  # READY (a process that died starting is found dead on its first job)

    def call(self, job: Any, timeout: float) -> Any:
        """The job's answer; None when it timed out, _DEAD when the process died (either way it is unusable)."""
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                return None
            return self.conn.recv()
        except (EOFError, OSError):
            return _DEAD

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        self.process.join(2)
        with contextlib.suppress(Exception):
            self.conn.close()


class Pool(Generic[J, R]):
    """A fixed number of pool processes; a killed one is replaced in the background."""

    def __init__(self, factory: Factory, size: int) -> None:
        self.factory = factory
        self.size = size
        self.executor = ThreadPoolExecutor(max_workers=2 * size + 2, thread_name_prefix="kg-pool")
        self.idle: asyncio.Queue[PoolProcess] = asyncio.Queue()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.all: set[PoolProcess] = set()
        self.lock = threading.Lock()
        self.closed = False

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        workers = await asyncio.gather(
            *(self.loop.run_in_executor(self.executor, self._spawn) for _ in range(self.size))
        )
        for w in workers:
            self.idle.put_nowait(w)

    def _spawn(self) -> PoolProcess:
        w = PoolProcess(self.factory)
        with self.lock:
            self.all.add(w)
        return w

    def _replace(self, dead: PoolProcess) -> None:
        dead.kill()
        with self.lock:
            self.all.discard(dead)
        if self.closed:
            return
        fresh = self._spawn()
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.idle.put_nowait, fresh)

    def _exchange(self, w: PoolProcess, job: J, timeout: float) -> Any:
        answer = w.call(job, timeout)
        if answer is None or answer is _DEAD:
            # Kill first (frees the CPU now), answer, then replace on another thread.
            with contextlib.suppress(Exception):
                w.process.kill()
                w.process.join(1)  # SIGKILL takes effect in milliseconds: the CPU is free before we answer
            self.executor.submit(self._replace, w)
            return answer
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.idle.put_nowait, w)
        return answer

    async def run(self, job: J, timeout: float) -> R:
        """The handler's answer to `job`, or TimedOut / Died / Busy (no process free within `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                w = await asyncio.wait_for(self.idle.get(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise Busy() from None
            if w.process.is_alive():
                break
            # Died while idle (killed from outside, out of memory): replace it and take another.
            assert self.loop is not None
            self.loop.run_in_executor(self.executor, self._replace, w)
        assert self.loop is not None
        # The thread returns the process to the pool itself, so a client that goes away loses none.
        future = self.loop.run_in_executor(self.executor, self._exchange, w, job, timeout)
        answer = await asyncio.shield(future)
        if answer is None:
            raise TimedOut(timeout)
        if answer is _DEAD:
            raise Died()
        result: R = answer
        return result

    def close(self) -> None:
        self.closed = True
        with self.lock:
            workers = list(self.all)
        for w in workers:
            w.kill()
        self.executor.shutdown(wait=False, cancel_futures=True)
