"""Reference neighbour steps, for benchmarks and cross-checks only: no runtime path chooses them.

`shortest_paths(..., backend=...)` accepts them by name so that bench/paths.py can time them against
the index and tests can check that every step gives the same answer:

- "bipartite": the index's paper lists (author -> papers -> authors) instead of its co-author CSR;
- "sparql": one named query (queries/neighbours.rq) per expanded row instead of triple patterns.

("index" and "store", the index and the triple patterns, are the runtime steps of kg.paths.steps.)
"""

from __future__ import annotations

from kg.adjacency import AdjacencyIndex
from kg.backend import Backend
from kg.paths.model import By
from kg.paths.search import Graph
from kg.paths.steps import index_graph, pattern_graph
from kg.queries import named


def bipartite_graph(index: AdjacencyIndex, by: By) -> Graph[int]:
    """The index graph with each row's co-authors found through its papers (a2p, p2a)."""
    a2p, p2a = index.a2p, index.p2a

    def via_papers(i: int) -> set[int]:
        out: set[int] = set()
        for p in a2p.row(i):
            out.update(p2a.row(p))
        out.discard(i)
        return out

    return index_graph(index, by, via_papers)


def sparql_graph(data: Backend, by: By) -> Graph[str]:
    """The pattern graph with each row's co-authors found by the named query "neighbours"."""
    query = named("neighbours")

    def rows(iri: str) -> set[str]:
        return {str(r["coauthor"]) for r in data.select(query, {"row": iri})}

    return pattern_graph(data, by, rows)
