"""The joint papers of two author rows or two name clusters: what links one step of a chain."""

from __future__ import annotations

from collections.abc import Iterable

from kg.adjacency import AdjacencyIndex
from kg.backend import Backend, select_batch
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
    title, year, venue, venue_iri, doi = (row.get(k) for k in ("title", "year", "venueName", "venue", "doi"))
    return Paper(iri, None if title is None else str(title), year if isinstance(year, int) else None,
                 None if venue is None else str(venue), None if venue_iri is None else str(venue_iri),
                 None if doi is None else str(doi))


def _on_index(index: AdjacencyIndex, a: str, b: str, by: By) -> list[str] | None:
    """The IRIs of the joint papers of two rows (or clusters) by intersecting their paper lists on
    the index; None when the index does not number both."""
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

    return [index.papers.iri(number) for number in papers(x) & papers(y)]


def _details(iris: list[str], found: list[list[dict[str, object]]]) -> list[Paper]:
    out = [_paper(iri, rows[0] if rows else {}) for iri, rows in zip(iris, found, strict=True)]
    out.sort(key=lambda p: (p.year is None, -(p.year or 0), p.title is not None, p.title or "", p.iri))
    return out


def _from_index(data: Backend, index: AdjacencyIndex, a: str, b: str, by: By) -> list[Paper] | None:
    iris = _on_index(index, a, b, by)
    if iris is None:
        return None
    return _details(iris, select_batch(data, [(named("coauthors-paper"), "paper", iris)])[0])


def chain_details(data: Backend, paths: list[list[str]], by: By, index: AdjacencyIndex | None,
                  nodes: Iterable[str] = ()) -> tuple[dict[str, str], dict[tuple[str, str], list[Paper]]]:
    """What the chains `paths` show beyond their IRIs: the display names of their inner nodes (and
    of `nodes`), and the joint papers of each link. Over a remote engine with the index that is one
    request (kg.backend.base.select_batch): the names and every link's papers together."""
    inner = sorted({i for p in paths for i in p[1:-1]} | set(nodes))
    pairs = list(dict.fromkeys((x, y) for p in paths for x, y in zip(p, p[1:], strict=False)))
    on_index: dict[tuple[str, str], list[str]] = {}
    for pair in pairs if index is not None else []:
        assert index is not None
        iris = _on_index(index, pair[0], pair[1], by)
        if iris is not None:
            on_index[pair] = iris
    papers = sorted({i for iris in on_index.values() for i in iris})
    names_rows, paper_rows = select_batch(data, [(named("node-names"), "node", inner),
                                                 (named("coauthors-paper"), "paper", papers)])
    column = "name" if by == "author" else "label"
    names = {}
    for iri, rows in zip(inner, names_rows, strict=True):
        found = sorted(str(r[column]) for r in rows if column in r)
        names[iri] = found[0] if found else iri
    details = dict(zip(papers, paper_rows, strict=True))
    joint = {pair: _details(iris, [details[i] for i in iris]) for pair, iris in on_index.items()}
    for x, y in pairs:
        if (x, y) not in joint:  # no index (or it does not number them): the named query
            joint[(x, y)] = joint_papers(data, x, y, by=by)
    return names, joint
