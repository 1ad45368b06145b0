"""The embedded backend: a kg store directory opened with pyoxigraph, and its co-authorship index."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pyoxigraph as ox

from kg.adjacency import AdjacencyIndex
from kg.backend.base import Params, Query, Term
from kg.errors import QueryError
from kg.queries import execute, value
from kg.store import ACTIVE, StoreDir


class EmbeddedBackend:
    """A store (usually the active generation of a store directory) behind the Backend protocol.

    `refresh()` follows the directory's active generation: a rebuild swaps it and deletes the old
    one, so a long-lived reader (a server worker) calls it before each job (one readlink). The
    adjacency index is opened lazily, once per generation, and closed with it.
    """

    def __init__(self, store: ox.Store, directory: StoreDir | None = None, *, writable: bool = False) -> None:
        self.store = store
        self.directory = directory
        self.writable = writable
        self.generation: Path | None = directory.active() if directory is not None else None
        self._index: AdjacencyIndex | None = None
        self._index_loaded = False

    @classmethod
    def open(cls, path: Path | str | StoreDir, *, writable: bool = False) -> EmbeddedBackend:
        directory = path if isinstance(path, StoreDir) else StoreDir(path)
        store = directory.open_for_update() if writable else directory.open()
        return cls(store, directory, writable=writable)

    # -- lifecycle
    def refresh(self) -> bool:
        """Reopens the store when its directory's active generation changed; True when it did."""
        if self.directory is None:
            return False
        try:  # one readlink, compared as text: this runs before every job of a server's evaluator
            target: str | None = os.readlink(os.path.join(self.directory.path, ACTIVE))
        except OSError:
            target = None
        if target is not None and self.generation is not None and self.generation.name == target:
            return False
        active = self.directory.active()
        if active == self.generation:
            return False
        self._close_index()
        if hasattr(self, "store"):  # not after a failed reopen
            del self.store  # the old generation is closed before the new one opens (a writable one is locked)
        self.store = self.directory.open_for_update() if self.writable else self.directory.open()
        self.generation = active  # read before the open: a swap during it is seen by the next refresh
        return True

    def close(self) -> None:
        self._close_index()

    def _close_index(self) -> None:
        if self._index is not None:
            self._index.close()
        self._index, self._index_loaded = None, False

    def __enter__(self) -> EmbeddedBackend:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the Backend protocol
    @property
    def label(self) -> str:
        return f"--store {self.directory.path}" if self.directory is not None else "the store"

    @property
    def version(self) -> str | None:
        return self.generation.name if self.generation is not None else None

    def select(self, query: Query, params: Params = None) -> list[dict[str, object]]:
        return [{k: value(v) for k, v in row.items()} for row in self.select_terms(query, params)]

    def select_terms(self, query: Query, params: Params = None) -> list[dict[str, Term]]:
        results = execute(self.store, query, params)
        if not isinstance(results, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        names = [v.value for v in results.variables]
        rows: list[dict[str, Term]] = []
        for solution in results:
            row: dict[str, Term] = {}
            for n in names:
                term = solution[n]
                if term is not None:
                    row[n] = term
            rows.append(row)
        return rows

    def construct(self, query: Query, params: Params = None) -> list[ox.Triple]:
        results = execute(self.store, query, params)
        if not isinstance(results, ox.QueryTriples):
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        return list(results)

    def ask(self, query: Query, params: Params = None) -> bool:
        results = execute(self.store, query, params)
        if not isinstance(results, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(results)

    def triples(
        self,
        subject: ox.NamedNode | ox.BlankNode | None = None,
        predicate: ox.NamedNode | None = None,
        object: Term | None = None,
    ) -> Iterator[ox.Triple]:
        seen: set[ox.Triple] = set()
        for q in self.store.quads_for_pattern(subject, predicate, object):
            t = q.triple
            if t not in seen:
                seen.add(t)
                yield t

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def size(self) -> int:
        return len(self.store)

    def index(self) -> AdjacencyIndex | None:
        if not self._index_loaded:
            self._index = AdjacencyIndex.open(self.generation) if self.generation is not None else None
            self._index_loaded = True
        return self._index
