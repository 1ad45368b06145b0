"""The build's identity step: the evidence of every name cluster with two or more rows, written as
the named graph BASE/graph/identity (a kg:ProbablePerson per group, a kg:IdentityVerdict per
compared pair, a kg:VariantSuggestion per pair of rows of two clusters that are probably one person
under two spellings of the name: kg.identity.variants), and owl:sameAs between rows of different
sources sharing an identifier (in the links graph, as papers sharing a DOI are).

It runs once per build, after the load and before the compaction, from the co-authorship index the
build has written and the facts collected beside it (kg.identity.facts); a store without those
facts (`kg build --add`) has them read back from the store.
"""

from __future__ import annotations

import gc
import io
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.adjacency import AdjacencyIndex
from kg.identity.compute import ClusterIdentity, NameClusters, clusters
from kg.identity.curation import Correction, Hand, Outcome, summary
from kg.identity.curation_rdf import UNDONE, curation_lines
from kg.identity.evidence import UNSURE, Weights
from kg.identity.facts import Facts, facts_from_store
from kg.identity.read import PAIRS_MAX
from kg.identity.spelling import cluster_pairs, read_pairs, write_pairs
from kg.identity.variants import variant_lines
from kg.iris import Minter
from kg.links import IDENTITY, LINKS
from kg.nquads import iri, literal, typed
from kg.terms import KG, OWL_SAME_AS, RDF_TYPE, XSD_INTEGER

XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
_P = {name: iri(value) for name, value in vars(KG).items() if isinstance(value, str) and "#" in value}
_TYPE = iri(RDF_TYPE)


def person_iri(group_rows: list[str]) -> str:
    """A probable person's IRI: its first row's IRI + /person (stable while that row leads the group)."""
    return min(group_rows) + "/person"


def base_of(store: ox.Store) -> str | None:
    """The base IRI of a store built by kg (its source graphs are BASE/graph/KIND), for `kg load`."""
    for g in store.named_graphs():
        if isinstance(g, ox.NamedNode) and "/graph/" in g.value:
            return g.value.rsplit("/graph/", 1)[0] + "/"
    return None


def identity_graph(store: ox.Store) -> str | None:
    """The identity graph's IRI in a store kg built (None when the store's base is unknown)."""
    base = base_of(store)
    return Minter(base).graph(IDENTITY) if base is not None else None


def identity_step(
    store: ox.Store, generation: Path, minter: Minter | None = None, weights: Weights | None = None,
    corrections: Sequence[Correction] = (),
) -> dict[str, Any]:
    """Writes the identity graph and the rows' cross-source links into `store`; its counts, and with
    `corrections` (kg.identity.curation: the active ones applied over the computed verdicts; every
    one, undone ones too, written into the identity graph) what became of each under "curations".
    Without `minter` (kg load) the base IRI is the one of the store's source graphs."""
    started = time.perf_counter()
    if minter is None:
        base = base_of(store)
        if base is None:
            return {}
        minter = Minter(base)
    index = AdjacencyIndex.open(generation)
    if index is None:
        return {}
    with _collector_paused():
        counts = _write(store, index, minter, weights, corrections, started)
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return counts


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, and given back as it was: the step makes millions
    of short-lived containers (profiles, sets, pairs) and keeps growing caches, none of them in a
    reference cycle (kg.identity.variants empties its caches at the end), so each collection only
    scanned them, and in a build the build's own objects too, for nothing; reference counting frees
    them as before (the same peak memory at 1M papers)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write(store: ox.Store, index: AdjacencyIndex, minter: Minter, weights: Weights | None,
           corrections: Sequence[Correction], started: float) -> dict[str, Any]:
    """identity_step's work on the opened index."""
    try:
        facts = Facts.read(index.path)
        if facts is None:
            facts = _read_back(store, index)
        graph = iri(minter.graph(IDENTITY))
        counts: dict[str, Any] = {"clusters": 0, "persons": 0, "pairs": 0, "same_as": 0, "triples": 0}
        lines = _Lines()
        a2c, a2p = index.a2c, index.a2p
        hand = Hand([c for c in corrections if c.active], index.authors.find, lambda r: int(a2c[r]),
                    lambda r: set(a2p.row(r)))
        names = NameClusters.of(index, facts)  # read by both passes
        begun = time.perf_counter()
        counts["facts_seconds"] = round(begun - started, 3)
        for ci in clusters(index, facts, weights, hand.partition, names):
            ci.pairs = hand.corrected_pairs(ci.rows, ci.pairs)
            counts["clusters"] += 1
            counts["persons"] += len(ci.groups)
            counts["pairs"] += len(ci.pairs)
            lines.extend(cluster_lines(ci, graph))
        counts["persons_seconds"] = round(time.perf_counter() - begun, 3)
        begun = time.perf_counter()
        counts["suggestion_triples"] = lines.extend(variant_lines(index, facts, graph, weights, hand.variants,
                                                                     names))
        counts["suggestion_seconds"] = round(time.perf_counter() - begun, 3)
        if corrections:
            outcomes = hand.report()
            undone = [Outcome(c, UNDONE) for c in corrections if not c.active]
            lines.extend(curation_lines([*outcomes, *undone], minter, graph))
            counts["curations"] = summary(outcomes)
        counts["same_as"] = lines.extend(_same_as_lines(store, facts, iri(minter.graph(LINKS))))
        counts["triples"] = lines.count
        # the step's tables are not needed to load its lines: dropped first, so that the loader's
        # buffers do not come on top of them (the step's peak memory at 1M papers)
        del facts, names, hand
        begun = time.perf_counter()
        if lines.count:
            store.bulk_load(input=lines.read(), format=ox.RdfFormat.N_QUADS, lenient=True)
        counts["load_seconds"] = round(time.perf_counter() - begun, 3)
    finally:
        index.close()
    return counts


class _Lines:
    """The N-Quads lines the step writes, kept as UTF-8 bytes as they come (a list of the lines,
    joined and encoded at the end, held them three times over)."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self.count = 0

    def extend(self, lines: Iterable[str]) -> int:
        """Adds the lines; how many."""
        n = 0
        for line in lines:
            self._out.write(line.encode("utf-8"))
            n += 1
        self.count += n
        return n

    def read(self) -> io.BytesIO:
        self._out.seek(0)
        return self._out


def cluster_lines(ci: ClusterIdentity, graph: str) -> Iterator[str]:
    """The cluster's person count; a kg:ProbablePerson per group, except a row compared with no
    other (nothing could join it: the read side makes it a person of its own); its pairs."""
    p = _P
    yield f"{iri(ci.cluster)} {p['personCount']} {typed(str(len(ci.groups)), XSD_INTEGER)} {graph} .\n"
    compared = {r for pair in ci.pairs for r in (pair.a, pair.b)}
    for group in ci.groups:
        if len(group.rows) == 1 and group.rows[0] not in compared:
            continue
        person = iri(person_iri(group.rows))
        yield f"{person} {_TYPE} {p['ProbablePerson']} {graph} .\n"
        yield f"{person} {p['paperCount']} {typed(str(sum(ci.papers[r] for r in group.rows)), XSD_INTEGER)} {graph} .\n"
        for reason in group.evidence:
            yield f"{person} {p['evidence']} {literal(reason)} {graph} .\n"
        for row in group.rows:
            yield f"{iri(row)} {p['probablePerson']} {person} {graph} .\n"
    # the decided pairs, and where the pairwise table is shown every compared pair (a pair not
    # compared had nothing in common that could make it one person: the table says so)
    table = len(ci.rows) <= PAIRS_MAX
    for k, pair in enumerate(ci.pairs):
        if pair.verdict == UNSURE and not table:
            continue
        node = iri(f"{ci.cluster}/pair/{k}")
        yield f"{node} {_TYPE} {p['IdentityVerdict']} {graph} .\n"
        yield f"{node} {p['comparedRow']} {iri(pair.a)} {graph} .\n"
        yield f"{node} {p['comparedRow']} {iri(pair.b)} {graph} .\n"
        yield f"{node} {p['verdict']} {literal(pair.verdict)} {graph} .\n"
        yield f"{node} {p['score']} {typed(f'{pair.score:.2f}', XSD_DECIMAL)} {graph} .\n"
        for reason in pair.reasons:
            yield f"{node} {p['reason']} {literal(reason)} {graph} .\n"


def _same_as_lines(store: ox.Store, facts: Facts, graph: str) -> Iterator[str]:
    """owl:sameAs both ways between rows of different source graphs that share an identifier."""
    same_as = iri(OWL_SAME_AS)
    row_type = ox.NamedNode(KG.AuthorRow)
    source: dict[str, set[str]] = {}
    done: set[tuple[str, str]] = set()
    for rows in facts.identified.values():
        if len(rows) < 2:
            continue
        for r in rows:
            if r not in source:
                source[r] = {str(q.graph_name.value) for q in store.quads_for_pattern(
                    ox.NamedNode(r), ox.NamedNode(RDF_TYPE), row_type) if isinstance(q.graph_name, ox.NamedNode)}
        for a in rows:
            for b in rows:
                if a != b and (a, b) not in done and source[a] != source[b]:
                    done.add((a, b))
                    yield f"{iri(a)} {same_as} {iri(b)} {graph} .\n"


def _read_back(store: ox.Store, index: AdjacencyIndex) -> Facts:
    """The facts of a store built without them, from the store itself (slower: kg build --add)."""
    pairs = read_pairs(index.path)
    if pairs is None:
        pairs = cluster_pairs(index.clusters.iri(c) for c in range(len(index.clusters)))
        write_pairs(index.path, pairs)
    variant = {c for pair in pairs for c in pair}
    wanted = [(int(r), index.authors.iri(int(r))) for c in range(len(index.clusters))
              if index.c2a.degree(c) > 1 or index.clusters.iri(c) in variant for r in index.c2a.row(c)]
    names: dict[str, str] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(KG.name), None):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal):
            names.setdefault(q.subject.value, q.object.value)
    return facts_from_store(store, wanted, [names.get(index.authors.iri(i), "") for i in range(len(index.authors))])
