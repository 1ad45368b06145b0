"""The caches of a worker: one bounded helper (`Table`) and one registry per worker (`Caches`).

Every cache of kg.server is a Table: checked query texts, answer formats, request plans, endpoint
URLs, answer header lines and access-log paths (the SPARQL pipeline), the answers cache (the front's
copies of the page cache's answers), the page
cache (the API's and the pages' answers), the variants answered 200 (which may be a 304 before their
answer is made again: kg.server.web.Site.conditional) and the VoID description. Each is bounded by its entries
and by its bytes, as each `put` counts them, so that many distinct large requests (a 1 MB query
text each) cannot grow a worker without end; one entry bigger than `largest` is not kept at all
(its work is done again the next time, which costs little next to reading it). A plain table is
emptied whole when a new entry would pass a bound; an LRU table (`lru=True`) drops its least
recently used entries instead, and `find` marks an entry used. A table has a build tag: `generation`
empties it when the tag changes.

Each Table is made by the worker's registry (`Caches.table`), which knows them all by name: a new
store generation (`Caches.generation`, called by kg.server.web.Site.build when the `active`
generation or the remote engine's data version changes) empties every one of them together.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")
ENTRIES = 4096  # entries a table keeps at most
BYTES = 4 << 20  # bytes a table keeps at most (keys and values, as counted)


class Table(dict[K, V]):
    """A dict whose `put` keeps it within `entries` entries and `max_bytes` bytes."""

    def __init__(self, name: str = "", entries: int = ENTRIES, max_bytes: int = BYTES, *,
                 largest: int | None = None, lru: bool = False) -> None:
        super().__init__()
        self.name = name
        self.entries = entries
        self.max_bytes = max_bytes
        self.largest = max_bytes >> 4 if largest is None else largest  # bytes of one entry at most
        self.lru = lru
        self.size = 0  # bytes held, as counted by `put`
        self.costs: dict[K, int] = {}  # each entry's bytes (LRU tables only)
        self.tag: str | None = None  # the build the entries belong to (see `generation`)

    def put(self, key: K, value: V, cost: int) -> V:
        """Keeps `value` under `key` (`cost`: the bytes they hold) within the bounds; returns `value`."""
        if cost > self.largest or self.entries < 1:
            return value
        if not self.lru:
            if len(self) >= self.entries or self.size + cost > self.max_bytes:
                self.clear()
            self[key] = value
            self.size += cost
            return value
        if key in self:
            del self[key]
            self.size -= self.costs.pop(key)
        self[key] = value
        self.costs[key] = cost
        self.size += cost
        while self and (len(self) > self.entries or self.size > self.max_bytes):
            oldest = next(iter(self))
            del self[oldest]
            self.size -= self.costs.pop(oldest)
        return value

    def find(self, key: K) -> V | None:
        """The value under `key`, or None; in an LRU table it becomes the most recently used."""
        found = self.get(key)
        if found is not None and self.lru:
            del self[key]
            self[key] = found
        return found

    def generation(self, tag: str) -> None:
        """Empties the table when `tag` is another build's than its entries'."""
        if tag != self.tag:
            self.clear()
            self.tag = tag

    def clear(self) -> None:
        super().clear()
        self.costs.clear()
        self.size = 0


class Caches:
    """The registry of one worker's tables: each made here under its name, all emptied together."""

    def __init__(self) -> None:
        self.tables: dict[str, Table[object, object]] = {}
        self.tag: str | None = None  # the store generation the tables belong to

    def table(self, name: str, entries: int = ENTRIES, max_bytes: int = BYTES, *,
              largest: int | None = None, lru: bool = False) -> Table[K, V]:
        """A new table registered as `name` (a name taken already is a programming error)."""
        if name in self.tables:
            raise ValueError(f"a cache named {name!r} is registered already")
        made: Table[K, V] = Table(name, entries, max_bytes, largest=largest, lru=lru)
        self.tables[name] = made  # type: ignore[assignment]
        return made

    def clear(self) -> None:
        """Empties every table."""
        for table in self.tables.values():
            table.clear()

    def generation(self, tag: str) -> None:
        """Empties every table when `tag` (the store generation in use) is not the one before."""
        if tag != self.tag:
            if self.tag is not None:
                self.clear()
            self.tag = tag


def cost(*parts: str | bytes | None) -> int:
    """The bytes a key or value made of these parts holds, about (their lengths, and 64 per part)."""
    return sum(64 + (len(p) if p is not None else 0) for p in parts)
