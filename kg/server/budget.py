"""Fair shares: a budget of query seconds per minute for each client (`kg serve --client-budget`).

Each request's time (from its first byte in to its last byte out; a query's evaluation is nearly
all of it) is charged to its client, the address the HTTP front reports (the forwarded one behind
a proxy on 127.0.0.1, kg.server.wire). A client that has spent its budget over the last 60 seconds gets 429 Too Many
Requests with `Retry-After` (the seconds until enough of its spending leaves the window), as the
Wikidata Query Service does, so one heavy user cannot starve the rest. Loopback clients
(127.0.0.1, ::1) are exempt unless `--client-budget-loopback`.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WINDOW = 60.0
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class Charged(Protocol):
    """What a budget reads of a request: its client (the address the HTTP front reports) and when it began."""

    @property
    def client(self) -> tuple[str, int]: ...

    @property
    def started(self) -> float: ...


class Ledger:
    """Seconds spent by each client over the last WINDOW seconds."""

    def __init__(self, budget: float, window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self.window = window
        self.clock = clock
        self.spent: dict[str, deque[tuple[float, float]]] = {}

    def _recent(self, client: str, now: float) -> deque[tuple[float, float]]:
        entries = self.spent.setdefault(client, deque())
        while entries and entries[0][0] <= now - self.window:
            entries.popleft()
        return entries

    def retry_after(self, client: str) -> int | None:
        """None when the client may go on; else the whole seconds until it may."""
        now = self.clock()
        entries = self._recent(client, now)
        total = sum(seconds for _, seconds in entries)
        if total < self.budget:
            if not entries:
                self.spent.pop(client, None)
            return None
        # Oldest spending leaves the window first: wait until what remains is under the budget.
        for at, seconds in entries:
            total -= seconds
            if total < self.budget:
                return max(1, math.ceil(at + self.window - now))
        return max(1, math.ceil(self.window))

    def charge(self, client: str, seconds: float) -> None:
        now = self.clock()
        self._recent(client, now).append((now, seconds))


class SharedLedger:
    """A Ledger in shared memory, so that every HTTP worker process charges one budget per client.

    Each client (hashed) owns a slot of one-second buckets over the window; a slot is found by
    linear probing from the hash and reused once its spending is older than the window. Made in the
    supervisor before the workers start (they inherit it); one lock for all.
    """

    SLOTS = 4096
    PROBES = 16

    def __init__(self, budget: float, window: int = int(WINDOW), clock: Callable[[], float] = time.monotonic) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.budget = budget
        self.window = window
        self.clock = clock
        self.keys = ctx.Array("q", self.SLOTS, lock=False)  # client hash, 0: free
        self.last = ctx.Array("q", self.SLOTS, lock=False)  # the second of the slot's last charge
        self.seconds = ctx.Array("d", self.SLOTS * window, lock=False)  # spent in bucket (second % window)
        self.stamps = ctx.Array("q", self.SLOTS * window, lock=False)  # which second each bucket holds
        self.lock = ctx.Lock()

    def _slot(self, client: str, now: int, claim: bool) -> int | None:
        key = (int.from_bytes(hashlib.blake2b(client.encode(), digest_size=8).digest(), "little") >> 1) or 1
        start = key % self.SLOTS
        free = None
        for i in range(self.PROBES):
            slot = (start + i) % self.SLOTS
            if self.keys[slot] == key:
                return slot
            stale = self.keys[slot] == 0 or self.last[slot] <= now - self.window
            if free is None and stale:
                free = slot
        if not claim:
            return None
        slot = free if free is not None else start  # every probe busy: share the first slot's budget
        if self.keys[slot] != key:
            self.keys[slot] = key
            for b in range(self.window):
                self.seconds[slot * self.window + b] = 0.0
        return slot

    def _buckets(self, slot: int, now: int) -> list[tuple[int, float]]:
        base = slot * self.window
        out = []
        for b in range(self.window):
            stamp = self.stamps[base + b]
            if now - self.window < stamp <= now and self.seconds[base + b]:
                out.append((stamp, self.seconds[base + b]))
        return sorted(out)

    def retry_after(self, client: str) -> int | None:
        now = int(self.clock())
        with self.lock:
            slot = self._slot(client, now, claim=False)
            if slot is None:
                return None
            buckets = self._buckets(slot, now)
        total = sum(s for _, s in buckets)
        if total < self.budget:
            return None
        for stamp, seconds in buckets:
            total -= seconds
            if total < self.budget:
                return max(1, stamp + self.window - now)
        return self.window

    def charge(self, client: str, seconds: float) -> None:
        now = int(self.clock())
        with self.lock:
            slot = self._slot(client, now, claim=True)
            assert slot is not None
            i = slot * self.window + now % self.window
            if self.stamps[i] != now:
                self.stamps[i], self.seconds[i] = now, 0.0
            self.seconds[i] += seconds
            self.last[slot] = now


def refusal(budget: float, wait: int) -> bytes:
    """The body of a 429: the budget and when to come back."""
    return (f"too many query seconds: this client used its budget of {budget:g} query seconds"
            f" per minute; retry after {wait} s\n").encode()


class _Charged:
    """What Charges reads of an ASGI request: its client and when it began."""

    __slots__ = ("client", "started")

    def __init__(self, client: tuple[str, int], started: float) -> None:
        self.client = client
        self.started = started


class ClientBudget:
    """ASGI middleware of the app's routes: the front's Charges (429 with Retry-After for a client past its
    budget; every request's time charged)."""

    def __init__(self, app: ASGIApp, budget: float, loopback: bool = False,
                 ledger: Ledger | SharedLedger | None = None) -> None:
        self.app = app
        self.charges = Charges(budget, loopback, ledger if ledger is not None else Ledger(budget))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client") or ("-", 0)
        request = _Charged((str(client[0]), 0), time.monotonic())
        refused = self.charges.refusal(request)
        if refused is not None:
            status, headers, body, scope["kg.note"] = refused
            headers = [*headers, (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.charges.charge(request)


class Charges:
    """The client budget of a worker's requests (kg serve --client-budget), whoever answers them: the
    SPARQL pipeline, the answers cache, the app (ClientBudget)."""

    def __init__(self, budget: float | None, loopback: bool, ledger: Ledger | SharedLedger | None) -> None:
        self.ledger = ledger if budget else None
        self.loopback = loopback

    def _client(self, request: Charged) -> str | None:
        """The client to charge, or None when budgets are off or it is exempt (loopback)."""
        if self.ledger is None:
            return None
        client = request.client[0]
        if not self.loopback and client in LOOPBACK:
            return None
        return client

    def refusal(self, request: Charged) -> tuple[int, list[tuple[bytes, bytes]], bytes, str] | None:
        """The 429 (status, header fields, body, access-log note) of a client past its budget, or None."""
        client = self._client(request)
        if client is None or self.ledger is None:
            return None
        wait = self.ledger.retry_after(client)
        if wait is None:
            return None
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"retry-after", str(wait).encode())]
        return 429, headers, refusal(self.ledger.budget, wait), f"refused: over the client budget, retry after {wait} s"

    def charge(self, request: Charged) -> None:
        client = self._client(request)
        if client is not None and self.ledger is not None:
            self.ledger.charge(client, time.monotonic() - request.started)
