"""The page cache: the API's and the pages' responses kept in memory for the active store generation.

A popular cluster page is then answered at the HTTP layer's speed, without a worker. The cache is
bounded (entries, and bytes of the bodies and their keys, least recently used out first) and
belongs to one generation: the first lookup after a rebuild (another build tag) empties it. Only
200 answers of read-only stores are kept (with updates enabled the store changes in place, as for
ETags).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()  # headers of the answer itself (Link, X-KG-More), not validators


class PageCache:
    """LRU of answers keyed by (build tag, variant); `max_bytes` bounds the total size of the bodies
    and of their variants (a request's path and query: up to the head's limit each)."""

    def __init__(self, max_entries: int = 2048, max_bytes: int = 64 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.tag: str | None = None
        self.entries: OrderedDict[str, Answer] = OrderedDict()
        self.size = 0
        self.hits = 0
        self.misses = 0
        self.lock = threading.Lock()

    def _generation(self, tag: str) -> None:
        if tag != self.tag:
            self.entries.clear()
            self.size = 0
            self.tag = tag

    def get(self, tag: str, variant: str) -> Answer | None:
        with self.lock:
            self._generation(tag)
            found = self.entries.get(variant)
            if found is None:
                self.misses += 1
                return None
            self.entries.move_to_end(variant)
            self.hits += 1
            return found

    def put(self, tag: str, variant: str, answer: Answer) -> None:
        if self.max_entries < 1 or len(answer.body) > self.max_bytes // 8:
            return  # one huge answer must not push everything else out
        with self.lock:
            self._generation(tag)
            old = self.entries.pop(variant, None)
            if old is not None:
                self.size -= len(old.body) + len(variant)
            self.entries[variant] = answer
            self.size += len(answer.body) + len(variant)
            while self.entries and (len(self.entries) > self.max_entries or self.size > self.max_bytes):
                gone_variant, gone = self.entries.popitem(last=False)
                self.size -= len(gone.body) + len(gone_variant)
