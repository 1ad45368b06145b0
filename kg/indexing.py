"""`kg index`: the co-authorship index (kg.adjacency's CSR arrays, the same format) without a store,
for a graph that lives in a remote engine: from the N-Quads (or `kg etl --shards` shards) that were
loaded into it, or from the engine itself, reading the kg:author relation in pages.

Both read three relations: the author rows (`?row a kg:AuthorRow`), kg:author (paper -> row) and
kg:inCluster (row -> cluster), and write DIR/paths-index as a build writes it beside a store, so
`--index DIR` (and a store generation) open the same way. Papers are numbered in IRI order, so the
files do not depend on the order the triples came in.

Then the predicates the search index and the big clusters' order are made of (names, titles, years,
venues, name keys, labels, the identity graph's persons) are read into a store in memory, and
DIR/search.sqlite and the big clusters' order (kg.cluster_order, in DIR/paths-index) are written
from it as a build writes them, so that a big cluster's page over --endpoint URL --index DIR is a
slice of its order, as over a store, not counted by the engine.
"""

from __future__ import annotations

import gzip
import re
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.adjacency import INDEX, AdjacencyIndex, _finish, _group_pairs, _start
from kg.backend.paging import pages
from kg.backend.remote import RemoteBackend
from kg.cluster_order import build_cluster_order
from kg.errors import InputError, KgError
from kg.search.step import write_search
from kg.terms import KG, RDF_TYPE, RDFS_LABEL

PAGE = 5_000
_AUTHOR, _IN_CLUSTER, _TYPE, _ROW = KG.author, KG.inCluster, RDF_TYPE, KG.AuthorRow
# the three relations' IRIs as they appear in an N-Quads line: a cheap filter before parsing it
_NEEDLES = tuple(f"<{iri}>".encode() for iri in (_AUTHOR, _IN_CLUSTER, _ROW))
_LINES = re.compile(b"^[^\\n]*(?:" + b"|".join(re.escape(n) for n in _NEEDLES) + b")[^\\n]*$", re.M)
_BLOCK = 8 << 20


@dataclass
class Relations:
    """What the index is built from, gathered in any order."""

    rows: set[str] = field(default_factory=set)
    authorships: list[tuple[str, str]] = field(default_factory=list)  # (paper, row)
    in_cluster: dict[str, str] = field(default_factory=dict)  # row -> cluster (the first seen)

    def add(self, subject: str, predicate: str, obj: str) -> None:
        if predicate == _AUTHOR:
            self.authorships.append((subject, obj))
        elif predicate == _IN_CLUSTER:
            self.in_cluster.setdefault(subject, obj)
        elif predicate == _TYPE and obj == _ROW:
            self.rows.add(subject)


def write(relations: Relations, out: Path) -> dict[str, int]:
    """The index of `relations` written to `out`/paths-index (swapped in whole); its counts."""
    out.mkdir(parents=True, exist_ok=True)
    authors = sorted(relations.rows)
    number = {iri: i for i, iri in enumerate(authors)}
    papers = sorted({p for p, r in relations.authorships if r in number})
    paper_number = {iri: i for i, iri in enumerate(papers)}
    pair_paper, pair_row = array("I"), array("I")
    for paper, row in relations.authorships:
        n = number.get(row)
        if n is not None:
            pair_paper.append(paper_number[paper])
            pair_row.append(n)
    in_cluster = {number[r]: c for r, c in relations.in_cluster.items() if r in number}
    del paper_number
    tmp = _start(out)
    p2a_off, p2a_dat = _group_pairs(pair_paper, pair_row, papers, tmp / "papers")
    return _finish(out, tmp, authors, in_cluster, p2a_off, p2a_dat)


# -- from N-Quads files

def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]  # noqa: SIM115 - closed by the caller
    return open(path, "rb")  # noqa: SIM115


def from_nquads(files: Iterable[Path]) -> Relations:
    """The relations from N-Quads (or N-Triples) files, .gz or not. The file is read in blocks of
    whole lines and only the lines that can hold one of the relations (found by one regular
    expression over the block) are parsed. A line that does not parse is an error naming the file
    and line (counted again only then)."""
    relations = Relations()
    for path in files:
        for block, lines_before in _blocks(path):
            _parse(path, block, lines_before, relations)
    return relations


def _blocks(path: Path) -> Iterator[tuple[bytes, int]]:
    """The file's whole lines in blocks of about _BLOCK bytes, each with the number of lines before it (a
    last line without its line break gets one); a file that is missing or cannot be read is an InputError."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with _open(path) as f:
            lines_before, rest = 0, b""
            while block := f.read(_BLOCK):
                block = rest + block
                cut = block.rfind(b"\n") + 1
                block, rest = block[:cut], block[cut:]
                yield block, lines_before
                lines_before += block.count(b"\n")
            if rest:
                yield rest + b"\n", lines_before
    except (OSError, EOFError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None


def _parse(path: Path, block: bytes, lines_before: int, relations: Relations) -> None:
    matched = b"\n".join(m.group() for m in _LINES.finditer(block))
    try:
        quads = list(ox.parse(matched + b"\n", format=ox.RdfFormat.N_QUADS)) if matched else []
    except SyntaxError:
        for number, line in enumerate(block.split(b"\n"), lines_before + 1):  # find the line to name
            if any(n in line for n in _NEEDLES):
                try:
                    list(ox.parse(line + b"\n", format=ox.RdfFormat.N_QUADS))
                except SyntaxError as e:
                    raise InputError(f"{path}:{number}: not N-Quads: {e}") from None
        raise
    for q in quads:
        s, p, o = q.subject, q.predicate, q.object
        if isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
            relations.add(s.value, p.value, o.value)


# -- from a SPARQL endpoint

_PREFIX = "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>\n"
_PATTERNS = {
    "rows": ("?row", "?row a kg:AuthorRow"),
    "authorships": ("?paper ?row", "?paper kg:author ?row"),
    "in_cluster": ("?row ?cluster", "?row kg:inCluster ?cluster"),
}


def _pages(backend: RemoteBackend, what: str, page: int, progress: Callable[[str, int], None]) -> Iterator[list[str]]:
    """The rows of one relation as flat lists of their IRIs, page by page (kg.backend.paging:
    LIMIT/OFFSET, checked against COUNT(*))."""
    projection, pattern = _PATTERNS[what]
    names = projection.replace("?", "").split()
    seen = 0
    for solutions in pages(backend, projection, pattern, page, what, _PREFIX):
        batch: list[list[str]] = []
        for solution in solutions:
            terms = [solution[n] for n in names]
            if all(isinstance(t, ox.NamedNode) for t in terms):
                batch.append([t.value for t in terms if t is not None])
        seen += len(solutions)
        progress(what, seen)
        yield [x for row in batch for x in row]


def from_endpoint(
    backend: RemoteBackend, page: int = PAGE, progress: Callable[[str, int], None] | None = None
) -> Relations:
    """The relations read from a SPARQL endpoint in pages of `page` rows."""
    report = progress or (lambda what, n: None)
    relations = Relations()
    for flat in _pages(backend, "rows", page, report):
        relations.rows.update(flat)
    for flat in _pages(backend, "authorships", page, report):
        relations.authorships.extend(zip(flat[0::2], flat[1::2], strict=True))
    for flat in _pages(backend, "in_cluster", page, report):
        for row, cluster in zip(flat[0::2], flat[1::2], strict=True):
            relations.in_cluster.setdefault(row, cluster)
    return relations


# -- the search index (kg.search) and the big clusters' order (kg.cluster_order): the triples they
# are made of, into a store in memory

_SEARCH_PREDICATES = (KG.inCluster, KG.name, KG.title, KG.year, KG.publishedIn, KG.paper, KG.authorRow, KG.position,
                      KG.personCount, KG.abstract,
                      # and those the big clusters' order reads besides (the name keys, the clusters'
                      # labels, the identity graph's probable persons)
                      KG.nameKey, KG.looseNameKey, RDFS_LABEL, KG.probablePerson, KG.paperCount, KG.evidence)
_SEARCH_LINES = re.compile(b"^[^\\n]*(?:" + b"|".join(re.escape(f"<{p}>".encode()) for p in _SEARCH_PREDICATES)
                           + b")[^\\n]*$", re.M)


def _search_pattern(what: str) -> tuple[str, str]:
    """`what` is a predicate IRI of _SEARCH_PREDICATES."""
    return "?s ?o", f"?s <{what}> ?o"


def search_from_nquads(files: Iterable[Path]) -> ox.Store:
    """The triples the search index is made of, from N-Quads files, in a store in memory."""
    found = ox.Store()
    for path in files:
        for block, lines_before in _blocks(path):
            _load_search(path, block, lines_before, found)
    return found


def _load_search(path: Path, block: bytes, lines_before: int, found: ox.Store) -> None:
    matched = b"\n".join(m.group() for m in _SEARCH_LINES.finditer(block))
    if matched:
        try:
            found.bulk_load(input=matched + b"\n", format=ox.RdfFormat.N_QUADS)
        except SyntaxError:
            # the parser's line is one of the lines picked out: find the file's line to name
            for number, line in enumerate(block.split(b"\n"), lines_before + 1):
                if _SEARCH_LINES.fullmatch(line):
                    try:
                        list(ox.parse(line + b"\n", format=ox.RdfFormat.N_QUADS))
                    except SyntaxError as e:
                        raise InputError(f"{path}:{number}: not N-Quads: {e}") from None
            raise


def search_from_endpoint(backend: RemoteBackend, page: int = PAGE,
                         progress: Callable[[str, int], None] | None = None) -> ox.Store:
    """The same triples read from a SPARQL endpoint, a predicate at a time in pages of `page` rows,
    each object as the engine gave it (an IRI, or a literal with its datatype: a year an integer)."""
    report = progress or (lambda what, n: None)
    found = ox.Store()
    for predicate in _SEARCH_PREDICATES:
        for quads in _triples(backend, predicate, page, report):
            found.bulk_extend(quads)
    return found


def _triples(backend: RemoteBackend, predicate: str, page: int,
             progress: Callable[[str, int], None]) -> Iterator[list[ox.Quad]]:
    """The triples of one predicate, page by page (kg.backend.paging), those whose subject is an IRI
    and object an IRI or a literal (a blank node left out: the page is still a full one)."""
    p = ox.NamedNode(predicate)
    projection, pattern = _search_pattern(predicate)
    seen = 0
    for solutions in pages(backend, projection, pattern, page, predicate, _PREFIX):
        seen += len(solutions)
        progress(predicate, seen)
        yield [ox.Quad(s, p, o) for s, o in ((r["s"], r["o"]) for r in solutions)
               if isinstance(s, ox.NamedNode) and isinstance(o, (ox.NamedNode, ox.Literal))]


def build(
    out: Path, *, files: Iterable[Path] = (), backend: RemoteBackend | None = None, page: int = PAGE,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, object]:
    """Build DIR/paths-index from files or an endpoint; its counts and the seconds taken."""
    started = time.monotonic()
    files = list(files)  # read twice: the paths index's relations, then the search index's triples
    relations = from_endpoint(backend, page, progress) if backend is not None else from_nquads(files)
    if not relations.rows:
        source = backend.label if backend is not None else "the N-Quads"
        raise KgError(f"{source}: no kg:AuthorRow in the graph: nothing to index")
    counts = write(relations, out)
    del relations
    triples = search_from_endpoint(backend, page, progress) if backend is not None else search_from_nquads(files)
    search = write_search(triples, out)
    index = AdjacencyIndex(out / INDEX)
    try:
        order = build_cluster_order(triples, index)
    finally:
        index.close()
    return {**counts, "index": str(out / INDEX), "search": {k: v for k, v in search.items() if k != "seconds"},
            "cluster_order": order, "seconds": round(time.monotonic() - started, 3)}
