"""Resolving what the user typed (an IRI, an author id or a name) to one author row or name cluster."""

from __future__ import annotations

import pyoxigraph as ox

from kg.backend import Backend
from kg.errors import QueryError
from kg.names import name_key, same_name
from kg.paths.model import BYS, AmbiguousAuthor, By, Node, UnknownAuthor
from kg.terms import KG, RDF_TYPE, RDFS_LABEL

_TYPE = ox.NamedNode(RDF_TYPE)
_ROW = ox.NamedNode(KG.AuthorRow)
_CLUSTER = ox.NamedNode(KG.NameCluster)
_NAME = ox.NamedNode(KG.name)
_LABEL = ox.NamedNode(RDFS_LABEL)
_MEMBER = ox.NamedNode(KG.hasMember)
_IN_CLUSTER = ox.NamedNode(KG.inCluster)
_SOURCE_ID = ox.NamedNode(KG.sourceId)
_NAME_KEY = ox.NamedNode(KG.nameKey)


def _is_type(data: Backend, iri: str, kind: ox.NamedNode) -> bool:
    return any(True for _ in data.triples(ox.NamedNode(iri), _TYPE, kind))


def _objects(data: Backend, iri: str, predicate: ox.NamedNode) -> list[object]:
    return [t.object for t in data.triples(ox.NamedNode(iri), predicate, None)]


def _first_text(data: Backend, iri: str, predicate: ox.NamedNode) -> str | None:
    values = sorted(o.value for o in _objects(data, iri, predicate) if isinstance(o, ox.Literal))
    return values[0] if values else None


def node(data: Backend, iri: str, by: By = "author") -> Node:
    """An author row or a name cluster with its display name."""
    name = _first_text(data, iri, _NAME if by == "author" else _LABEL)
    return Node(iri, name if name is not None else iri)


def _cluster_of(data: Backend, row: str) -> str | None:
    found = sorted(o.value for o in _objects(data, row, _IN_CLUSTER) if isinstance(o, ox.NamedNode))
    return found[0] if found else None


def _looks_like_iri(text: str) -> bool:
    head, sep, _ = text.partition(":")
    if not (sep and head[:1].isalpha() and all(c.isalnum() or c in "+.-" for c in head) and " " not in text):
        return False
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def _rows_with(data: Backend, predicate: ox.NamedNode, text: str) -> list[str]:
    subjects = {t.subject.value for t in data.triples(None, predicate, ox.Literal(text))
                if isinstance(t.subject, ox.NamedNode)}
    return sorted(s for s in subjects if _is_type(data, s, _ROW))


def unicode_text(text: str, param: str) -> str:
    """`text`, or QueryError naming `param` when it holds a lone surrogate: a byte that is not UTF-8
    in a command's argument reaches Python so (the server reads one as U+FFFD)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError(f"{param}: not valid Unicode text (a lone surrogate)") from None
    return text


def resolve(data: Backend, text: str, *, by: By = "author", param: str = "A") -> Node:
    """An author row (by="author") or a name cluster (by="cluster") from an IRI, an author id or a name.

    Tried in that order. A name must equal one row's name case-insensitively, homonym number included;
    with several or none among the rows of its name cluster, AmbiguousAuthor lists that cluster's rows.
    """
    if by not in BYS:
        raise QueryError(f"by: must be one of {', '.join(BYS)}, not {by!r}")
    given = " ".join(unicode_text(text, param).split())
    if not given:
        raise UnknownAuthor(f"{param}: empty; give an author IRI, an author id or a name")
    iri = given[1:-1] if given.startswith("<") and given.endswith(">") else given
    if _looks_like_iri(iri):
        if _is_type(data, iri, _ROW):
            return _as(data, iri, by, param, given)
        if _is_type(data, iri, _CLUSTER):
            if by == "cluster":
                return node(data, iri, by)
            rows = sorted(o.value for o in _objects(data, iri, _MEMBER) if isinstance(o, ox.NamedNode))
            if len(rows) == 1:
                return node(data, rows[0])
            raise AmbiguousAuthor(f"{param}: {given} is a name cluster of {len(rows)} author rows; give one of them",
                                  param, [node(data, r) for r in rows])
    rows = _rows_with(data, _SOURCE_ID, given)
    if len(rows) == 1:
        return _as(data, rows[0], by, param, given)
    rows = _rows_with(data, _NAME_KEY, name_key(given))
    if not rows:
        raise UnknownAuthor(f"{param}: no author row has the IRI, id or name {given!r}")
    if by == "cluster":
        return _as(data, rows[0], by, param, given)
    candidates = [node(data, r) for r in rows]
    exact = [c for c in candidates if same_name(c.name, given)]
    if len(exact) == 1:
        return exact[0]
    why = f"{len(exact)} author rows are named" if exact else "no author row is named exactly"
    raise AmbiguousAuthor(f"{param}: {why} {given!r}; give the IRI or id of one of the rows of its cluster",
                          param, candidates, _activity(data, given))


def _activity(data: Backend, name: str) -> dict[str, tuple[int, int | None, int | None]]:
    """Papers and active years of each row of the name's cluster, for an ambiguous name's candidates."""
    from kg.cluster import cluster

    return {r.iri: (r.paper_count, r.first_year, r.last_year) for r in cluster(data, name, details=False).rows}


def _as(data: Backend, row: str, by: By, param: str, given: str) -> Node:
    if by == "author":
        return node(data, row)
    cluster = _cluster_of(data, row)
    if cluster is None:
        raise UnknownAuthor(f"{param}: author row {given!r} is in no name cluster")
    return node(data, cluster, by)
