"""The Backend protocol (kg.backend re-exports it): the one interface the read features use.

Clusters, paths, describe, stats, VoID, the API and the pages ask a `Backend` (run a named query
with bound parameters; select / construct / ask; match a triple pattern) and never hold a
`pyoxigraph.Store`. `EmbeddedBackend` (kg.backend.embedded) answers from a store directory on disk;
a remote SPARQL 1.1 endpoint is a second implementation of the same Protocol.

Results use pyoxigraph's term classes (NamedNode, BlankNode, Literal, Triple) as the term model,
whatever the backend: a remote one parses its engine's answers into them, so features compare
and render terms the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pyoxigraph as ox

from kg.queries import NamedQuery

if TYPE_CHECKING:
    from kg.adjacency import AdjacencyIndex

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Query = NamedQuery | str
Params = Mapping[str, object] | None
Batch = tuple[NamedQuery, str, Sequence[object]]  # a named query, its parameter, the values to run it with


@runtime_checkable
class Backend(Protocol):
    """A read-only view of one knowledge graph; the default graph is the union of all graphs."""

    @property
    def label(self) -> str:
        """What the user gave to open it (`--store DIR`, `--endpoint URL`), for error messages."""
        ...

    @property
    def version(self) -> str | None:
        """An opaque data version: changes whenever the data may have changed (caches, ETags)."""
        ...

    def select(self, query: Query, params: Params = None) -> list[dict[str, object]]:
        """A SELECT's rows as dicts of Python values (kg.queries.value); unbound variables left out."""
        ...

    def select_terms(self, query: Query, params: Params = None) -> list[dict[str, Term]]:
        """A SELECT's rows as dicts of RDF terms; unbound variables left out."""
        ...

    def construct(self, query: Query, params: Params = None) -> list[ox.Triple]:
        """A CONSTRUCT (or DESCRIBE) query's triples."""
        ...

    def ask(self, query: Query, params: Params = None) -> bool:
        ...

    def triples(
        self,
        subject: ox.NamedNode | ox.BlankNode | None = None,
        predicate: ox.NamedNode | None = None,
        object: Term | None = None,
    ) -> Iterator[ox.Triple]:
        """The triples matching a pattern over the union of all graphs, each once, lazily."""
        ...

    def graphs(self) -> list[str]:
        """The IRIs of the named graphs."""
        ...

    def size(self) -> int:
        """The number of quads."""
        ...

    def index(self) -> AdjacencyIndex | None:
        """The co-authorship index of this data when there is one (kg.adjacency), else None."""
        ...

    def close(self) -> None:
        ...

    def __enter__(self) -> Backend:
        ...

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        ...


def select_batch(data: Backend, parts: Sequence[Batch]) -> list[list[list[dict[str, object]]]]:
    """For each part (query, param, values), `data.select(query, {param: v})` for every v: in one
    request when the backend can (a remote one: RemoteBackend.select_batch), else one by one (the
    embedded store answers each in microseconds)."""
    batch = getattr(data, "select_batch", None)
    if batch is not None:
        result: list[list[list[dict[str, object]]]] = batch(parts)
        return result
    return [[data.select(query, {param: v}) for v in values] for query, param, values in parts]
