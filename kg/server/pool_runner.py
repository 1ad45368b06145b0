"""The app's side of the process pool (kg.server.process_pool): evaluators on one store, every answer a Result.

kg.server.process_pool runs any handler in killable processes; here the handler is kg.server.evaluator
with the call table it is given, and the pool's failures become the 503s a client gets (with
`Retry-After`): a job past the time limit, a pool process that died, none free in time.
"""

from __future__ import annotations

from kg.backend.remote import RemoteSpec
from kg.server.evaluator import Calls, factory
from kg.server.messages import Job, Result, failure
from kg.server.process_pool import Busy, Died, Pool, TimedOut

RETRY = {"Retry-After": "5"}


class PoolRunner:
    def __init__(self, store: str | RemoteSpec, size: int, writable: bool, calls: Calls) -> None:
        self.pool: Pool[Job, Result] = Pool(factory(store, writable, calls), size)

    @property
    def size(self) -> int:
        return self.pool.size

    async def start(self) -> None:
        await self.pool.start()

    async def run(self, job: Job, timeout: float) -> Result:
        try:
            return await self.pool.run(job, timeout)
        except TimedOut:
            return failure(503, f"query exceeded the time limit of {timeout:g} s and was stopped", RETRY)
        except Died:
            return failure(503, "the query worker stopped unexpectedly (out of memory?); try again later", RETRY)
        except Busy:
            return failure(503, "all query workers are busy; try again later", RETRY)

    def close(self) -> None:
        self.pool.close()
