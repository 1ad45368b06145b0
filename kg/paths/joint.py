"""The joint papers of two author rows or two name clusters: what links one step of a chain."""

from __future__ import annotations

from kg.adjacency import AdjacencyIndex
from kg.backend import Backend
from kg.paths.model import By, Paper
from kg.queries import named


def joint_papers(data: Backend, a: str, b: str, *, by: By = "author",
                 index: AdjacencyIndex | None = None) -> list[Paper]:
    """The papers of two author rows (or two name clusters) together, newest first (then by title, IRI).

    With the adjacency index the papers are found by intersecting the two ends' paper lists there,
    and only their details are asked of the backend; otherwise by a named query.
    """
    if index is not None:
        found = _from_index(data, index, a, b, by)
        if found is not None:
            return found
    query = named("coauthors-joint-papers" if by == "author" else "coauthors-joint-cluster-papers")
    out: list[Paper] = []
    seen: set[str] = set()
    for r in data.select(query, {"a": a, "b": b}):
        iri = str(r["paper"])
        if iri not in seen:
            seen.add(iri)
            out.append(_paper(iri, r))
    return out


def _paper(iri: str, row: dict[str, object]) -> Paper:
    year, venue = row.get("year"), row.get("venueName")
    return Paper(iri, str(row.get("title", iri)), year if isinstance(year, int) else None,
                 None if venue is None else str(venue))


def _from_index(data: Backend, index: AdjacencyIndex, a: str, b: str, by: By) -> list[Paper] | None:
    table = index.authors if by == "author" else index.clusters
    x, y = table.find(a), table.find(b)
    if x is None or y is None:
        return None

    def papers(n: int) -> set[int]:
        if by == "author":
            return set(index.a2p.row(n))
        out: set[int] = set()
        for r in index.c2a.row(n):
            out.update(index.a2p.row(r))
        return out

    query = named("coauthors-paper")
    iris = [index.papers.iri(number) for number in papers(x) & papers(y)]
    batch = getattr(data, "select_each", None)  # a remote backend asks for them all in one request
    found = batch(query, "paper", iris) if batch is not None else [data.select(query, {"paper": i}) for i in iris]
    out = [_paper(iri, rows[0] if rows else {}) for iri, rows in zip(iris, found, strict=True)]
    out.sort(key=lambda p: (p.year is None, -(p.year or 0), p.title, p.iri))
    return out
