"""Co-authorship paths: the shortest chains of joint papers between two authors, and co-author lists.

The search is a bidirectional breadth-first search that expands the smaller frontier one whole layer
at a time, so it finds every shortest path. Its neighbour step is answered by the adjacency index
written beside the store at build time (kg.adjacency) when there is one, otherwise by the store's
own pattern index; nothing is loaded whole. Nodes are author rows (`by="author"`) or name clusters
(`by="cluster"`). Ties are broken by IRI order: paths come in lexicographic order of their IRIs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import pyoxigraph as ox

from kg.adjacency import NONE, AdjacencyIndex
from kg.errors import KgError, QueryError
from kg.names import name_key, same_name
from kg.queries import named, select
from kg.store import StoreDir
from kg.terms import KG, RDF_TYPE, RDFS_LABEL

By = Literal["author", "cluster"]
Backend = Literal["auto", "index", "bipartite", "store", "sparql"]
Status = Literal["found", "not-connected", "beyond-max-hops", "timeout", "too-large"]
BYS: tuple[By, ...] = ("author", "cluster")
BACKENDS: tuple[Backend, ...] = ("auto", "index", "bipartite", "store", "sparql")
MAX_HOPS = 6
LIMIT = 100
TIMEOUT = 30.0
MAX_VISITED = 5_000_000

_TYPE = ox.NamedNode(RDF_TYPE)
_ROW = ox.NamedNode(KG.AuthorRow)
_CLUSTER = ox.NamedNode(KG.NameCluster)
_AUTHOR = ox.NamedNode(KG.author)
_NAME = ox.NamedNode(KG.name)
_LABEL = ox.NamedNode(RDFS_LABEL)
_MEMBER = ox.NamedNode(KG.hasMember)
_IN_CLUSTER = ox.NamedNode(KG.inCluster)
_SOURCE_ID = ox.NamedNode(KG.sourceId)
_NAME_KEY = ox.NamedNode(KG.nameKey)


@dataclass(frozen=True)
class Node:
    iri: str
    name: str


class UnknownAuthor(KgError):
    """No author row (or name cluster) answers to what was given."""


class AmbiguousAuthor(KgError):
    """A name that does not pick exactly one author row; `candidates` are the rows of its cluster."""

    def __init__(self, message: str, param: str, candidates: list[Node]) -> None:
        super().__init__(message)
        self.param = param
        self.candidates = candidates


@dataclass
class Paper:
    iri: str
    title: str
    year: int | None
    venue: str | None


@dataclass
class Link:
    papers: list[Paper]


@dataclass
class Chain:
    nodes: list[Node]
    links: list[Link]


@dataclass
class PathResult:
    source: Node
    target: Node
    by: By
    max_hops: int
    status: Status
    distance: int | None
    paths: list[Chain] = field(default_factory=list)
    capped: bool = False
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "from": asdict(self.source),
            "to": asdict(self.target),
            "by": self.by,
            "max_hops": self.max_hops,
            "status": self.status,
            "distance": self.distance,
            "paths": [asdict(p) for p in self.paths],
            "capped": self.capped,
        }


@dataclass
class Coauthor:
    iri: str
    name: str
    papers: int


@dataclass
class CoauthorsResult:
    author: Node
    coauthors: list[Coauthor]

    def to_json(self) -> dict[str, Any]:
        return {"author": asdict(self.author), "coauthors": [asdict(c) for c in self.coauthors]}


class Coauthorship:
    """A store opened for path searches: the Oxigraph store and, when the build wrote one, its index."""

    def __init__(self, store: ox.Store, index: AdjacencyIndex | None = None) -> None:
        self.store = store
        self.index = index

    @classmethod
    def open(cls, path: StoreDir | Path | str) -> Coauthorship:
        target = path if isinstance(path, StoreDir) else StoreDir(path)
        store = target.open()
        active = target.active()
        return cls(store, AdjacencyIndex.open(active) if active is not None else None)

    def close(self) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None


Source = Coauthorship | StoreDir | Path | str | ox.Store


def _graph(source: Source) -> Coauthorship:
    if isinstance(source, Coauthorship):
        return source
    if isinstance(source, ox.Store):
        return Coauthorship(source)
    return Coauthorship.open(source)


# --- resolving what the user typed -------------------------------------------------------------


def _is_type(store: ox.Store, iri: str, kind: ox.NamedNode) -> bool:
    return any(True for _ in store.quads_for_pattern(ox.NamedNode(iri), _TYPE, kind))


def _objects(store: ox.Store, iri: str, predicate: ox.NamedNode) -> list[ox.NamedNode | ox.Literal | ox.BlankNode]:
    return [q.object for q in store.quads_for_pattern(ox.NamedNode(iri), predicate, None)]  # type: ignore[misc]


def _first_text(store: ox.Store, iri: str, predicate: ox.NamedNode) -> str | None:
    values = sorted(o.value for o in _objects(store, iri, predicate) if isinstance(o, ox.Literal))
    return values[0] if values else None


def node(store: ox.Store, iri: str, by: By = "author") -> Node:
    """An author row or a name cluster with its display name."""
    name = _first_text(store, iri, _NAME if by == "author" else _LABEL)
    return Node(iri, name if name is not None else iri)


def _cluster_of(store: ox.Store, row: str) -> str | None:
    found = sorted(o.value for o in _objects(store, row, _IN_CLUSTER) if isinstance(o, ox.NamedNode))
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


def _rows_by_id(store: ox.Store, text: str) -> list[str]:
    subjects = {q.subject.value for q in store.quads_for_pattern(None, _SOURCE_ID, ox.Literal(text))
                if isinstance(q.subject, ox.NamedNode)}
    return sorted(s for s in subjects if _is_type(store, s, _ROW))


def _rows_by_key(store: ox.Store, key: str) -> list[str]:
    subjects = {q.subject.value for q in store.quads_for_pattern(None, _NAME_KEY, ox.Literal(key))
                if isinstance(q.subject, ox.NamedNode)}
    return sorted(s for s in subjects if _is_type(store, s, _ROW))


def resolve(store: ox.Store, text: str, *, by: By = "author", param: str = "A") -> Node:
    """An author row (by="author") or a name cluster (by="cluster") from an IRI, an author id or a name.

    Tried in that order. A name must equal one row's name case-insensitively, homonym number included;
    with several or none among the rows of its name cluster, AmbiguousAuthor lists that cluster's rows.
    """
    if by not in BYS:
        raise QueryError(f"by: must be one of {', '.join(BYS)}, not {by!r}")
    given = " ".join(text.split())
    if not given:
        raise UnknownAuthor(f"{param}: empty; give an author IRI, an author id or a name")
    iri = given[1:-1] if given.startswith("<") and given.endswith(">") else given
    if _looks_like_iri(iri):
        if _is_type(store, iri, _ROW):
            return _as(store, iri, by, param, given)
        if _is_type(store, iri, _CLUSTER):
            if by == "cluster":
                return node(store, iri, by)
            rows = sorted(o.value for o in _objects(store, iri, _MEMBER) if isinstance(o, ox.NamedNode))
            if len(rows) == 1:
                return node(store, rows[0])
            raise AmbiguousAuthor(f"{param}: {given} is a name cluster of {len(rows)} author rows; give one of them",
                                  param, [node(store, r) for r in rows])
    rows = _rows_by_id(store, given)
    if len(rows) == 1:
        return _as(store, rows[0], by, param, given)
    rows = _rows_by_key(store, name_key(given))
    if not rows:
        raise UnknownAuthor(f"{param}: no author row has the IRI, id or name {given!r}")
    if by == "cluster":
        return _as(store, rows[0], by, param, given)
    candidates = [node(store, r) for r in rows]
    exact = [c for c in candidates if same_name(c.name, given)]
    if len(exact) == 1:
        return exact[0]
    why = f"{len(exact)} author rows are named" if exact else "no author row is named exactly"
    raise AmbiguousAuthor(f"{param}: {why} {given!r}; give the IRI or id of one of the rows of its cluster",
                          param, candidates)


def _as(store: ox.Store, row: str, by: By, param: str, given: str) -> Node:
    if by == "author":
        return node(store, row)
    cluster = _cluster_of(store, row)
    if cluster is None:
        raise UnknownAuthor(f"{param}: author row {given!r} is in no name cluster")
    return node(store, cluster, by)


# --- neighbour steps -----------------------------------------------------------------------------

N = TypeVar("N", int, str)


@dataclass
class _Graph(Generic[N]):
    """A node numbering and the neighbour step of one backend."""

    to_node: Callable[[str], N | None]
    to_iri: Callable[[N], str]
    neighbours: Callable[[N], Iterable[N]]
    weight: Callable[[N], int] | None = None


def _index_graph(index: AdjacencyIndex, by: By, bipartite: bool = False) -> _Graph[int]:
    """Neighbours from the co-author CSR (a2a), or with `bipartite` through the papers (a2p, p2a)."""
    a2a, a2p, p2a, a2c, c2a = index.a2a, index.a2p, index.p2a, index.a2c, index.c2a

    def via_papers(i: int) -> set[int]:
        out: set[int] = set()
        for p in a2p.row(i):
            out.update(p2a.row(p))
        out.discard(i)
        return out

    rows: Callable[[int], Iterable[int]] = via_papers if bipartite else a2a.row

    def clusters(c: int) -> set[int]:
        out: set[int] = set()
        for r in c2a.row(c):
            out.update(a2c[x] for x in rows(r))
        out.discard(c)
        out.discard(NONE)
        return out

    if by == "author":
        return _Graph(index.authors.find, index.authors.iri, rows, a2a.degree)
    return _Graph(index.clusters.find, index.clusters.iri, clusters,
                  lambda c: sum(a2a.degree(r) for r in c2a.row(c)))


def _store_graph(store: ox.Store, by: By, sparql: bool = False) -> _Graph[str]:
    def rows(iri: str) -> set[str]:
        out: set[str] = set()
        for q in store.quads_for_pattern(None, _AUTHOR, ox.NamedNode(iri)):
            for q2 in store.quads_for_pattern(q.subject, _AUTHOR, None):
                out.add(q2.object.value)  # type: ignore[union-attr]
        out.discard(iri)
        return out

    query = named("neighbours")

    def rows_sparql(iri: str) -> set[str]:
        return {str(r["coauthor"]) for r in select(store, query, {"row": iri})}

    step = rows_sparql if sparql else rows

    def clusters(iri: str) -> set[str]:
        out: set[str] = set()
        for q in store.quads_for_pattern(ox.NamedNode(iri), _MEMBER, None):
            for other in step(q.object.value):  # type: ignore[union-attr]
                for q3 in store.quads_for_pattern(ox.NamedNode(other), _IN_CLUSTER, None):
                    out.add(q3.object.value)  # type: ignore[union-attr]
        out.discard(iri)
        return out

    return _Graph(lambda iri: iri, lambda iri: iri, step if by == "author" else clusters)


# --- the search ----------------------------------------------------------------------------------


@dataclass
class Search(Generic[N]):
    """What a bidirectional search found: the status, the distance and the shortest-path DAG."""

    status: Status
    distance: int | None
    meet: list[N] = field(default_factory=list)
    parents_a: dict[N, list[N]] = field(default_factory=dict)
    parents_b: dict[N, list[N]] = field(default_factory=dict)
    visited: int = 0


def bidirectional(neighbours: Callable[[N], Iterable[N]], a: N, b: N, *, max_hops: int = MAX_HOPS,
                  timeout: float | None = TIMEOUT, max_visited: int = MAX_VISITED,
                  weight: Callable[[N], int] | None = None) -> Search[N]:
    """Breadth-first from both ends, one whole layer of the smaller frontier at a time.

    The smaller frontier is the one with fewer nodes, or with `weight` (a node's degree) the one
    with fewer edges to follow.
    """
    if a == b:
        return Search("found", 0, [a], {a: []}, {b: []}, 1)
    deadline = None if timeout is None else time.monotonic() + timeout
    pa: dict[N, list[N]] = {a: []}
    pb: dict[N, list[N]] = {b: []}
    fa, fb = [a], [b]
    depth = 0
    while True:
        if not fa or not fb:
            return Search("not-connected", None, visited=len(pa) + len(pb))
        if depth >= max_hops:
            return Search("beyond-max-hops", None, visited=len(pa) + len(pb))
        forward = len(fa) <= len(fb) if weight is None else sum(map(weight, fa)) <= sum(map(weight, fb))
        mine, other, frontier = (pa, pb, fa) if forward else (pb, pa, fb)
        layer: dict[N, list[N]] = {}
        for k, u in enumerate(frontier):
            if deadline is not None and k % 64 == 0 and time.monotonic() > deadline:
                return Search("timeout", None, visited=len(pa) + len(pb) + len(layer))
            for w in neighbours(u):
                if w in mine:
                    continue
                parents = layer.get(w)
                if parents is None:
                    layer[w] = [u]
                else:
                    parents.append(u)
            if len(mine) + len(other) + len(layer) > max_visited:
                return Search("too-large", None, visited=len(pa) + len(pb) + len(layer))
        mine.update(layer)
        depth += 1
        if forward:
            fa = list(layer)
        else:
            fb = list(layer)
        meet = sorted(w for w in layer if w in other)
        if meet:
            return Search("found", depth, meet, pa, pb, len(pa) + len(pb))


def enumerate_paths(search: Search[N], a: N) -> Iterator[list[N]]:
    """Every shortest path of a successful search, in lexicographic order of the node sequences."""
    if search.distance == 0:
        yield [a]
        return
    children: dict[N, list[N]] = {}
    seen: set[N] = set(search.meet)
    todo = list(search.meet)
    while todo:  # the A side: from the meeting nodes back towards A
        w = todo.pop()
        for p in search.parents_a.get(w, []):
            children.setdefault(p, []).append(w)
            if p not in seen:
                seen.add(p)
                todo.append(p)
    seen = set(search.meet)
    todo = list(search.meet)
    while todo:  # the B side: from the meeting nodes on towards B
        w = todo.pop()
        for p in search.parents_b.get(w, []):
            children.setdefault(w, []).append(p)
            if p not in seen:
                seen.add(p)
                todo.append(p)
    for kids in children.values():
        kids.sort()
    length = (search.distance or 0) + 1
    path = [a]
    stack = [iter(children.get(a, []))]
    while stack:
        nxt = next(stack[-1], None)
        if nxt is None:
            stack.pop()
            path.pop()
            continue
        path.append(nxt)
        if len(path) == length:
            yield list(path)
            path.pop()
        else:
            stack.append(iter(children.get(nxt, [])))


# --- the API -------------------------------------------------------------------------------------


def shortest_paths(source: Source, a: str, b: str, *, by: By = "author", max_hops: int = MAX_HOPS,
                   all: bool = False, limit: int = LIMIT, timeout: float | None = TIMEOUT,
                   backend: Backend = "auto") -> PathResult:
    """The distance between `a` and `b` (IRI, author id or name) and one or (`all`) every shortest path.

    Raises UnknownAuthor or AmbiguousAuthor when an end does not name exactly one node.
    """
    if max_hops < 0:
        raise QueryError(f"max_hops: must be at least 0, not {max_hops}")
    if limit < 1:
        raise QueryError(f"limit: must be at least 1, not {limit}")
    if backend not in BACKENDS:
        raise QueryError(f"backend: must be one of {', '.join(BACKENDS)}, not {backend!r}")
    started = time.perf_counter()
    graph = _graph(source)
    start = resolve(graph.store, a, by=by, param="A")
    end = resolve(graph.store, b, by=by, param="B")
    if backend in ("index", "bipartite") and graph.index is None:
        raise QueryError(f"backend: this store has no adjacency index for {backend!r} (rebuild it with `kg build`)")
    if graph.index is not None and backend in ("auto", "index", "bipartite"):
        index_graph = _index_graph(graph.index, by, bipartite=backend == "bipartite")
        found = _search(index_graph, start.iri, end.iri, max_hops, timeout, all, limit)
    else:
        found = _search(_store_graph(graph.store, by, backend == "sparql"), start.iri, end.iri, max_hops, timeout,
                        all, limit)
    status, distance, iri_paths, capped = found
    index = graph.index if backend in ("auto", "index", "bipartite") else None
    links: dict[tuple[str, str], Link] = {}
    paths = []
    for iris in iri_paths:
        nodes = [start] + [node(graph.store, i, by) for i in iris[1:-1]] + ([end] if len(iris) > 1 else [])
        path_links = []
        for x, y in zip(iris, iris[1:], strict=False):
            if (x, y) not in links:
                links[(x, y)] = Link(joint_papers(graph.store, x, y, by=by, index=index))
            path_links.append(links[(x, y)])
        paths.append(Chain(nodes, path_links))
    return PathResult(start, end, by, max_hops, status, distance, paths, capped, time.perf_counter() - started)


def _search(graph: _Graph[N], a_iri: str, b_iri: str, max_hops: int, timeout: float | None, all: bool,
            limit: int) -> tuple[Status, int | None, list[list[str]], bool]:
    a, b = graph.to_node(a_iri), graph.to_node(b_iri)
    if a is None or b is None:  # in the store but in no paper with others: isolated
        if a_iri == b_iri:
            return "found", 0, [[a_iri]], False
        return "not-connected", None, [], False
    search = bidirectional(graph.neighbours, a, b, max_hops=max_hops, timeout=timeout, weight=graph.weight)
    if search.status != "found":
        return search.status, None, [], False
    wanted = limit if all else 1
    found: list[list[N]] = []
    capped = False
    for p in enumerate_paths(search, a):
        if len(found) == wanted:
            capped = all
            break
        found.append(p)
    return "found", search.distance, [[graph.to_iri(n) for n in p] for p in found], capped


def joint_papers(store: ox.Store, a: str, b: str, *, by: By = "author",
                 index: AdjacencyIndex | None = None) -> list[Paper]:
    """The papers of two author rows (or two name clusters) together, newest first (then by title, IRI).

    With the adjacency index the papers are found by intersecting the two ends' paper lists there,
    and only their details are read from the store; otherwise by a named query.
    """
    if index is not None:
        found = _joint_from_index(store, index, a, b, by)
        if found is not None:
            return found
    query = named("coauthors-joint-papers" if by == "author" else "coauthors-joint-cluster-papers")
    out: list[Paper] = []
    seen: set[str] = set()
    for r in select(store, query, {"a": a, "b": b}):
        iri = str(r["paper"])
        if iri in seen:
            continue
        seen.add(iri)
        year = r.get("year")
        venue = r.get("venueName")
        out.append(Paper(iri, str(r.get("title", iri)), year if isinstance(year, int) else None,
                         None if venue is None else str(venue)))
    return out


def _joint_from_index(store: ox.Store, index: AdjacencyIndex, a: str, b: str, by: By) -> list[Paper] | None:
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
    out = []
    for number in papers(x) & papers(y):
        iri = index.papers.iri(number)
        rows = select(store, query, {"paper": iri})
        r = rows[0] if rows else {}
        year, venue = r.get("year"), r.get("venueName")
        out.append(Paper(iri, str(r.get("title", iri)), year if isinstance(year, int) else None,
                         None if venue is None else str(venue)))
    out.sort(key=lambda p: (p.year is None, -(p.year or 0), p.title, p.iri))
    return out


def coauthors(source: Source, who: str) -> CoauthorsResult:
    """The co-author rows of one author row (IRI, id or name), with their joint-paper counts, most first."""
    graph = _graph(source)
    row = resolve(graph.store, who, param="AUTHOR")
    found = [Coauthor(str(r["coauthor"]), str(r.get("name", r["coauthor"])), int(r["papers"]))  # type: ignore[call-overload]
             for r in select(graph.store, named("coauthors"), {"row": row.iri})]
    return CoauthorsResult(row, found)


# --- rendering -----------------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def render_text(r: PathResult) -> str:
    head = f"{r.source.name} → {r.target.name} (by {r.by})"
    if r.status == "not-connected":
        return f"{head}: no chain — they are not connected by co-authorship\n"
    if r.status == "beyond-max-hops":
        return f"{head}: no chain within {_plural(r.max_hops, 'hop')} (raise --max-hops to search further)\n"
    if r.status == "timeout":
        return f"{head}: search stopped at the time budget before finding a chain (raise --timeout)\n"
    if r.status == "too-large":
        return f"{head}: search stopped after visiting {MAX_VISITED:,} nodes before finding a chain\n"
    lines = [f"{head}: distance {r.distance}"]
    if len(r.paths) > 1 or r.capped:
        more = f" (the first {len(r.paths)}; capped by --limit)" if r.capped else ""
        lines.append(f"{_plural(len(r.paths), 'shortest path')}{more}")
    for k, path in enumerate(r.paths):
        if len(r.paths) > 1:
            lines.append(f"\nPath {k + 1}:")
        for i, n in enumerate(path.nodes):
            lines.append(f"  {n.name}  <{n.iri}>")
            if i < len(path.links):
                for p in path.links[i].papers:
                    where = ", ".join(x for x in (p.venue, str(p.year) if p.year else None) if x)
                    lines.append(f"      · {p.title}" + (f" ({where})" if where else ""))
    return "\n".join(lines) + "\n"


def render_candidates(e: AmbiguousAuthor) -> str:
    lines = [str(e), "Candidates:"]
    lines += [f"  {c.name}  <{c.iri}>" for c in e.candidates]
    return "\n".join(lines) + "\n"


def render_coauthors(r: CoauthorsResult) -> str:
    lines = [f"{r.author.name}  <{r.author.iri}> — {_plural(len(r.coauthors), 'co-author')}"]
    lines += [f"  {c.papers:>4}  {c.name}  <{c.iri}>" for c in r.coauthors]
    return "\n".join(lines) + "\n"
