"""Variant suggestions: rows of other name clusters that are probably the same person as a row of
this one under another spelling of the name (kg.identity.spelling says which clusters may be), scored
by the same evidence as the rows within a cluster (kg.identity.evidence.compare).

Precision first: a pair is scored only when it shares more than the name, the venue and the years
(a co-author, by name cluster, other than the two names themselves; an identifier; or rare title
words, suggested only when they weigh as similar titles), is never
suggested when the two rows are on one paper (a person is listed once per paper) or the evidence
says `distinct` (two ORCIDs, two dblp numbers), and must score at least `MIN_SCORE`. The prior is
that of a cluster holding the rows of both names, with the commoner name's commonness.

Suggestions are never merged: the build writes each as a kg:VariantSuggestion (an identity verdict
about two rows of different clusters) in the identity graph; the read side
(kg.identity.suggested) shows them beside the cluster's own persons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from kg.adjacency import AdjacencyIndex
from kg.identity.compute import commonness_ranks
from kg.identity.evidence import DISTINCT, Context, Profile, Weights, compare, homonym_number
from kg.identity.facts import Facts, RowFacts
from kg.identity.spelling import cluster_key, cluster_pairs, read_pairs, relation
from kg.nquads import iri, literal, typed
from kg.terms import KG, RDF_TYPE

MIN_SCORE = 0.0


@dataclass
class Suggestion:
    """Rows `a` and `b` of two different clusters (`a` < `b`), probably one person."""

    a: str
    b: str
    score: float
    verdict: str
    reasons: list[str]


class _Rows:
    """What the evidence reads about rows, cached: co-author clusters, joint papers, cluster papers."""

    def __init__(self, index: AdjacencyIndex, facts: Facts) -> None:
        self.index, self.facts = index, facts
        self._co: dict[int, frozenset[int]] = {}
        self._papers: dict[int, int] = {}
        self._names: dict[int, str] = {}

    def coauthor_clusters(self, row: int) -> frozenset[int]:
        got = self._co.get(row)
        if got is None:
            a2c = self.index.a2c
            got = self._co[row] = frozenset(int(a2c[x]) for x in self.index.a2a.row(row))
        return got

    def joint(self, row: int, wanted: frozenset[int]) -> Counter[int]:
        """The row's joint papers with each co-author cluster of `wanted`."""
        a2c, p2a = self.index.a2c, self.index.p2a
        out: Counter[int] = Counter()
        for paper in self.index.a2p.row(row):
            out.update({int(a2c[x]) for x in p2a.row(paper) if x != row} & wanted)
        return out

    def cluster_papers(self, cluster: int) -> int:
        got = self._papers.get(cluster)
        if got is None:
            a2p = self.index.a2p
            got = self._papers[cluster] = sum(a2p.degree(int(r)) for r in self.index.c2a.row(cluster))
        return got

    def cluster_name(self, cluster: int) -> str:
        got = self._names.get(cluster)
        if got is None:
            row = int(self.index.c2a.row(cluster)[0])
            got = self._names[cluster] = self.facts.name(row, self.index.authors.iri(row))
        return got


def suggestions(index: AdjacencyIndex, facts: Facts, weights: Weights | None = None) -> Iterator[Suggestion]:
    """Every variant suggestion of the graph, in the order of the clusters' keys."""
    w = weights or Weights()
    pairs = read_pairs(index.path)
    if pairs is None:  # an index written before the pairs were
        pairs = cluster_pairs(index.clusters.iri(c) for c in range(len(index.clusters)))
    if not pairs:
        return
    iris = [index.clusters.iri(c) for c in range(len(index.clusters))]
    number = {iri: c for c, iri in enumerate(iris)}
    keys = [cluster_key(iri) for iri in iris]
    ranks = commonness_ranks(keys)
    rows = _Rows(index, facts)
    for x, y in pairs:
        cx, cy = number.get(x), number.get(y)
        if cx is not None and cy is not None:
            yield from _cluster_pair(rows, cx, cy, keys, ranks, w)


def _cluster_pair(rows: _Rows, cx: int, cy: int, keys: list[str], ranks: list[float],
                  w: Weights) -> Iterator[Suggestion]:
    index, facts = rows.index, rows.facts
    xs, ys = [int(r) for r in index.c2a.row(cx)], [int(r) for r in index.c2a.row(cy)]
    own = {cx, cy}
    ctx: Context | None = None
    known: dict[int, RowFacts] = {}

    def facts_of(r: int) -> RowFacts:
        got = known.get(r)
        if got is None:
            got = known[r] = facts.row(r, index.authors.iri(r))
        return got

    for rx in xs:
        co_x = rows.coauthor_clusters(rx) - own
        mates = frozenset(int(m) for m in index.a2a.row(rx))
        for ry in ys:
            if ry in mates:
                continue  # on one paper together: two people
            shared = co_x & rows.coauthor_clusters(ry)
            fx, fy = facts_of(rx), facts_of(ry)
            same_id = any(i and i == j for i, j in ((fx.orcid, fy.orcid), (fx.dblp, fy.dblp),
                                                     (fx.openalex, fy.openalex)))
            if not shared and not same_id and not fx.words & fy.words:
                continue  # nothing beyond the name, the venue and the years
            if ctx is None:  # title words weigh by the graph only, not by a shared venue's topic: a
                # suggestion is never merged, and on bench/variants.py the venue's weighing cost found
                # rows ("sliding, mode" at a control journal) and no wrong suggestion
                ctx = Context(len(xs) + len(ys), max(ranks[cx], ranks[cy]), rows.cluster_papers,
                              rows.cluster_name, facts.venue_size, facts.venue_label, facts.idf,
                              facts.vocabulary.__getitem__, institution_rows=facts.institution_size,
                              institution_names=facts.institution_label)
            a = Profile(index.authors.iri(rx), fx, frozenset(co_x), rows.joint(rx, shared), row=rx)
            b = Profile(index.authors.iri(ry), fy, frozenset(rows.coauthor_clusters(ry) - own),
                        rows.joint(ry, shared), row=ry)
            pair = compare(a, b, ctx, w)
            titles = any(r.startswith("similar titles") for r in pair.reasons)
            if pair.verdict == DISTINCT or pair.score < MIN_SCORE or not (shared or same_id or titles):
                continue
            why = [f"name: {relation(keys[cx], keys[cy])} ({fx.name} / {fy.name})"]
            if homonym_number(fx.name) or homonym_number(fy.name):
                why.append("dblp's homonym number set aside")
            first, second = sorted((a.iri, b.iri))
            yield Suggestion(first, second, pair.score, pair.verdict, why + pair.reasons)


def variant_lines(index: AdjacencyIndex, facts: Facts, graph: str, weights: Weights | None = None) -> Iterator[str]:
    """The suggestions as N-Quads in `graph` (an N-Triples IRI): a kg:VariantSuggestion each,
    BASE/author/ROW/variant/K after its first row."""
    numbered: Counter[str] = Counter()
    for s in suggestions(index, facts, weights):
        node = iri(f"{s.a}/variant/{numbered[s.a]}")
        numbered[s.a] += 1
        yield f"{node} {_TYPE} {iri(KG.VariantSuggestion)} {graph} .\n"
        yield f"{node} {_ROW} {iri(s.a)} {graph} .\n"
        yield f"{node} {_ROW} {iri(s.b)} {graph} .\n"
        yield f"{node} {iri(KG.verdict)} {literal(s.verdict)} {graph} .\n"
        yield f"{node} {iri(KG.score)} {typed(f'{s.score:.2f}', XSD_DECIMAL)} {graph} .\n"
        for reason in s.reasons:
            yield f"{node} {iri(KG.reason)} {literal(reason)} {graph} .\n"


XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
_TYPE = iri(RDF_TYPE)
_ROW = iri(KG.comparedRow)
