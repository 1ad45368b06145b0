"""Examples taken from the served store: the names the home page offers (its most ambiguous name
clusters) and the values the query editor binds to the named queries' parameters (`# example:` in
queries/*.rq names the example graph's values, which find nothing in another store).
"""

from __future__ import annotations

import heapq
from typing import Any

import pyoxigraph as ox

from kg.adjacency import AdjacencyIndex
from kg.backend import Backend
from kg.cluster import ambiguous
from kg.terms import KG, RDF_TYPE, RDFS_LABEL

_TYPE = ox.NamedNode(RDF_TYPE)


def _objects(data: Backend, s: str, p: str) -> list[str]:
    return sorted(t.object.value for t in data.triples(ox.NamedNode(s), ox.NamedNode(p), None)
                  if isinstance(t.object, (ox.NamedNode, ox.Literal)))


def _subjects(data: Backend, p: str, o: str) -> list[str]:
    return sorted(t.subject.value for t in data.triples(None, ox.NamedNode(p), ox.NamedNode(o))
                  if isinstance(t.subject, ox.NamedNode))


def example_names(data: Backend, limit: int = 8) -> list[dict[str, Any]]:
    """The `limit` most ambiguous name clusters (most author rows first, then by name key): label, name
    key, IRI, rows. From the co-authorship index when the store has one (its cluster-to-rows lists: no
    query over every cluster), else with the named query kg.cluster.ambiguous; the two give the same."""
    index = data.index()
    if index is not None and len(index.clusters) > 0:
        return _from_index(data, index, limit)
    out = []
    for row in ambiguous(data, limit):  # plain values (Backend.select)
        key = str(row.get("key") or "")
        rows = row.get("rows")
        out.append({"iri": str(row.get("cluster") or ""), "name": str(row.get("label") or key), "key": key,
                    "rows": rows if isinstance(rows, int) else int(str(rows or 0))})
    return out


def _from_index(data: Backend, index: AdjacencyIndex, limit: int) -> list[dict[str, Any]]:
    off = index.c2a.off
    sizes = [n for n in heapq.nlargest(limit, (int(off[c + 1] - off[c]) for c in range(len(index.clusters))))
             if n >= 2]
    if not sizes:
        return []
    least = sizes[-1]  # every cluster at least this big is a candidate; ties are ordered by name key
    found: list[dict[str, Any]] = []
    for c in range(len(index.clusters)):
        rows = int(off[c + 1] - off[c])
        if rows >= least:
            iri = index.clusters.iri(c)
            keys = _objects(data, iri, KG.nameKey)
            labels = _objects(data, iri, RDFS_LABEL)
            if keys:
                found.append({"iri": iri, "name": labels[0] if labels else keys[0], "key": keys[0], "rows": rows})
    found.sort(key=lambda x: (-int(x["rows"]), str(x["key"])))
    return found[:limit]


def _papers(data: Backend, row: str) -> list[str]:
    return sorted({p for a in _subjects(data, KG.authorRow, row) for p in _objects(data, a, KG.paper)})


def example_values(data: Backend, names: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """Values for the named queries' parameters from this store: `key` and `a` (cluster) the most ambiguous
    cluster, `row`/`a` (author) its row with most papers, `paper` that row's first paper, `b` a co-author.
    Empty when the store has no name cluster (the queries keep their own examples)."""
    names = example_names(data, 1) if names is None else names
    if names:
        cluster, key = names[0]["iri"], names[0]["key"]
    else:
        found = next(iter(data.triples(None, _TYPE, ox.NamedNode(KG.NameCluster))), None)
        if found is None or not isinstance(found.subject, ox.NamedNode):
            return {}
        cluster = found.subject.value
        keys = _objects(data, cluster, KG.nameKey)
        if not keys:
            return {}
        key = keys[0]
    values = {"key": key, "cluster_a": cluster}
    rows = _objects(data, cluster, KG.hasMember)
    if not rows:
        return values
    row = max(rows, key=lambda r: (len(_papers(data, r)), [-ord(c) for c in r]))
    values["row"] = values["author_a"] = row
    papers = _papers(data, row)
    if papers:
        values["paper"] = papers[0]
    for p in papers:
        others = [r for a in _objects(data, p, KG.hasAuthorship) for r in _objects(data, a, KG.authorRow) if r != row]
        if others:
            values["author_b"] = others[0]
            clusters = _objects(data, others[0], KG.inCluster)
            if clusters:
                values["cluster_b"] = clusters[0]
            break
    return values
