"""The tables a worker keeps to skip work it did before (checked query texts, answer formats,
request plans, header lines), each bounded by its entries and by its bytes.

A table is emptied whole when a new entry would pass either bound: the bytes are what its entries'
keys and values hold, as each `put` counts them, so that many distinct large requests (a 1 MB
query text each) cannot grow a worker without end. One entry bigger than a sixteenth of the bytes
is not kept at all: its work is done again the next time, which costs little next to reading it.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")
ENTRIES = 4096  # entries a table keeps at most
BYTES = 4 << 20  # bytes a table keeps at most (keys and values, as counted)


class Table(dict[K, V]):
    """A dict whose `put` keeps it within `entries` entries and `max_bytes` bytes."""

    def __init__(self, entries: int = ENTRIES, max_bytes: int = BYTES) -> None:
        super().__init__()
        self.entries = entries
        self.max_bytes = max_bytes
        self.size = 0  # bytes held, as counted by `put`

    def put(self, key: K, value: V, cost: int) -> V:
        """Keeps `value` under `key` (`cost`: the bytes they hold), emptying the table first when it
        would pass a bound; returns `value`."""
        if cost > self.max_bytes >> 4:
            return value
        if len(self) >= self.entries or self.size + cost > self.max_bytes:
            self.clear()
        self[key] = value
        self.size += cost
        return value

    def clear(self) -> None:
        super().clear()
        self.size = 0


def cost(*parts: str | bytes | None) -> int:
    """The bytes a key or value made of these parts holds, about (their lengths, and 64 per part)."""
    return sum(64 + (len(p) if p is not None else 0) for p in parts)
