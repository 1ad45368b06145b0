"""The merges of one run, checked and resolved once every record has been read.

A merge is held until the end of the inputs because what it may be rejected for can come after it:
a record describing the merged id (a merged id describes nothing), or the merge that makes it part
of a chain or a cycle. Chains resolve to their final survivor (A -> B, B -> C gives A sameAs C and
B sameAs C), so that the server redirects in one hop; a cycle has no survivor, and every merge in it
or leading into it is rejected. Merges are few beside the records (OpenAlex lists tens of them per
ten thousand works), so the table is a dict held in memory. (An OpenAlex work's stale copy from
before its merge never reaches this check: the reader skips it, kg.sources.openalex._stale.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from kg.records import Merge, Reject

T = TypeVar("T")  # what the caller keeps with each merge (the mapper of its source's graph)


@dataclass(frozen=True, slots=True)
class Held(Generic[T]):
    merge: Merge
    file: str
    line: int
    tag: T


class Merges(Generic[T]):
    def __init__(self) -> None:
        self._held: dict[tuple[str, str], Held[T]] = {}

    def __len__(self) -> int:
        return len(self._held)

    def add(self, merge: Merge, file: str, line: int, tag: T) -> str | None:
        """Holds the merge; why not when its old id was merged already (None: held)."""
        key = (merge.kind, merge.old_id)
        first = self._held.get(key)
        if first is not None:
            return (f"{merge.kind} {merge.old_id!r} is merged already (into {first.merge.new_id!r}, "
                    f"{first.file}:{first.line})")
        self._held[key] = Held(merge, file, line, tag)
        return None

    def resolved(self, described: Callable[[str, str], bool]) -> Iterator[Held[T] | Reject]:
        """Each held merge, in the order read: resolved to its final survivor, or its Reject.

        `described(kind, id)`: whether a record of the run describes that id (such a merge is rejected,
        and its old id then ends the chains that reach it)."""
        live: dict[tuple[str, str], Held[T]] = {}
        out: dict[tuple[str, str], Held[T] | Reject] = {}
        for key, held in self._held.items():
            if described(*key):
                out[key] = _reject(held, f"merged {key[0]} {key[1]!r} is still described by a record of this input")
            else:
                live[key] = held
        final: dict[tuple[str, str], str | None] = {}  # None: the chain runs into a cycle
        for key in live:
            final[key] = _survivor(key, live, final)
        for key, held in live.items():
            survivor = final[key]
            if survivor is None:
                out[key] = _reject(held, f"{key[0]} {key[1]!r}: a cycle of merges ({_trail(key, live)}); "
                                         "no survivor to redirect to")
            else:
                out[key] = held if survivor == held.merge.new_id else replace(
                    held, merge=replace(held.merge, new_id=survivor))
        for key in self._held:
            yield out[key]


def _survivor(start: tuple[str, str], live: dict[tuple[str, str], Held[T]],
              final: dict[tuple[str, str], str | None]) -> str | None:
    """The id the chain from `start` ends on (None: it cycles), filling `final` for every key on the way."""
    path: list[tuple[str, str]] = []
    on_path: set[tuple[str, str]] = set()
    key = start
    while key in live and key not in final:
        if key in on_path:
            for k in path:
                final[k] = None
            return None
        path.append(key)
        on_path.add(key)
        key = (key[0], live[key].merge.new_id)
    end = final[key] if key in final else key[1]
    for k in path:
        final[k] = end
    return end


def _trail(start: tuple[str, str], live: dict[tuple[str, str], Held[T]]) -> str:
    """The ids from `start` until one repeats: 'A -> B -> A'."""
    ids = [start[1]]
    key = start
    while key in live and len(ids) <= len(live):
        key = (key[0], live[key].merge.new_id)
        ids.append(key[1])
        if key[1] in ids[:-1]:
            break
    return " -> ".join(repr(i) for i in ids)


def _reject(held: Held[T], reason: str) -> Reject:
    return Reject(held.file, held.line, reason)
