"""The page cache: the API's and the pages' responses kept in memory for the active store generation.

A popular cluster page is then answered at the HTTP layer's speed, without a worker. The cache is
bounded (entries, and bytes of the bodies and their keys, least recently used out first) and
belongs to one generation: the first lookup after a rebuild (another build tag) empties it. Only
200 answers of read-only stores are kept (with updates enabled the store changes in place, as for
ETags).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kg.server.tables import Caches, Table


@dataclass(frozen=True)
class Answer:
    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()  # headers of the answer itself (Link, X-KG-More), not validators


class PageCache:
    """LRU of answers keyed by variant for one build tag (kg.server.tables.Table); `max_bytes` bounds
    the total size of the bodies and of their variants (a request's path and query: up to the head's
    limit each). Registered in the worker's `caches` as "page cache" when given."""

    def __init__(self, max_entries: int = 2048, max_bytes: int = 64 << 20, caches: Caches | None = None) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        registry = caches if caches is not None else Caches()
        self.entries: Table[str, Answer] = registry.table("page cache", max_entries, max_bytes, largest=max_bytes,
                                                          lru=True)
        self.hits = 0
        self.misses = 0
        self.lock = threading.Lock()

    def get(self, tag: str, variant: str) -> Answer | None:
        with self.lock:
            self.entries.generation(tag)
            found = self.entries.find(variant)
            if found is None:
                self.misses += 1
                return None
            self.hits += 1
            return found

    def put(self, tag: str, variant: str, answer: Answer) -> None:
        if self.max_entries < 1 or len(answer.body) > self.max_bytes // 8:
            return  # one huge answer must not push everything else out
        with self.lock:
            self.entries.generation(tag)
            self.entries.put(variant, answer, len(answer.body) + len(variant))
