"""Variant suggestions: rows of other name clusters that are probably the same person as a row of
this one under another spelling of the name (kg.identity.spelling says which clusters may be), scored
by the same evidence as the rows within a cluster (kg.identity.evidence.compare).

Precision first: a pair is scored only when it shares more than the name, the venue and the years
(a co-author, by name cluster or under another spelling of its name, other than the two names
themselves and their spellings; an identifier; rare title words, suggested only when they weigh as
similar titles; or a venue where the two rows are the only rows of all the names spelt like either,
within `Weights.gap_free` years of each other: evidence about the graph beyond the pair, which adds
`Weights.suggest_alone` and leaves the verdict `unsure`), is never
suggested when the two rows are on one paper (a person is listed once per paper) or the evidence
says `distinct` (two ORCIDs, two dblp numbers), and must score at least `Weights.suggest_min`.
Similar titles are read with their own thresholds (`Weights.suggest_title_free`,
`suggest_title_venue`): a suggestion is shown, never merged, and the precision asked of it is
0.95, not the 0.99 of a merge (bench/variants.py --tune chose them on its tune half). The prior is
that of a cluster holding the rows of both names, with the commoner name's commonness.

Suggestions are never merged: the build writes each as a kg:VariantSuggestion (an identity verdict
about two rows of different clusters) in the identity graph; the read side
(kg.identity.suggested) shows them beside the cluster's own persons.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from kg.adjacency import AdjacencyIndex
from kg.identity.compute import NameClusters
from kg.identity.curation import Correction
from kg.identity.evidence import (
    DISTINCT,
    RULE_SCORE,
    SAME,
    Context,
    Profile,
    Weights,
    compare,
    homonym_number,
    variant_coauthors,
    word_tables,
)
from kg.identity.facts import Facts, RowFacts
from kg.identity.spelling import relation
from kg.identity.variant_candidates import ClusterRows, priors, titles_may_suggest, worth_scoring
from kg.nquads import iri, literal, typed
from kg.terms import KG, RDF_TYPE


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

    def __init__(self, index: AdjacencyIndex, facts: Facts, spelt: dict[int, frozenset[int]],
                 bits: list[float], plain: bool = False, tables: tuple[Sequence[float], Sequence[float]] = ((), ())
                 ) -> None:
        self.index, self.facts, self.spelt = index, facts, spelt
        self.plain = plain  # without the speed path's shortcuts (suggestions(every_pair=True))
        self._recent: OrderedDict[int, ClusterRows] = OrderedDict()  # the last _RECENT small clusters read
        self.spelt_keys = frozenset(spelt)  # the clusters with another spelling
        self._co: dict[int, frozenset[int]] = {}
        self._papers: dict[int, int] = {}
        self._names: dict[int, str] = {}
        self._reach: dict[int, frozenset[int]] = {}
        self._clusters: dict[int, ClusterRows] = {}
        self._venues: dict[int, dict[int, list[int]]] = {}
        self.bits = bits  # each title word's IDF
        # and its title_chance and title_ceiling terms (kg.identity.evidence.word_tables)
        self.chances, self.ceilings = tables if tables[0] else word_tables(bits)

    def clear(self) -> None:
        """Forget what was read. The clusters kept refer back to this (their rows' co-author
        clusters are read through it): a cycle that reference counting never frees, and the identity
        step pauses the cyclic collector, so the caches are emptied once the pairs are done."""
        for cache in (self._recent, self._co, self._papers, self._names, self._reach, self._clusters, self._venues):
            cache.clear()

    def coauthor_clusters(self, row: int) -> frozenset[int]:
        got = self._co.get(row)
        if got is None:
            a2c = self.index.a2c
            got = self._co[row] = frozenset({a2c[x] for x in self.index.a2a.row(row)})
        return got

    def joint(self, row: int, wanted: frozenset[int]) -> Counter[int]:
        """The row's joint papers with each co-author cluster of `wanted`."""
        a2c, p2a = self.index.a2c, self.index.p2a
        out: Counter[int] = Counter()
        if self.plain:
            for paper in self.index.a2p.row(row):
                out.update({int(a2c[x]) for x in p2a.row(paper) if x != row} & wanted)
            return out
        if not wanted:  # none asked (a pair that shares no co-author): none to count
            return out
        for paper in self.index.a2p.row(row):
            out.update({a2c[x] for x in p2a.row(paper) if x != row} & wanted)
        return out

    def cluster_papers(self, cluster: int) -> int:
        got = self._papers.get(cluster)
        if got is None:
            a2p = self.index.a2p
            got = self._papers[cluster] = sum(a2p.degree(int(r)) for r in self.index.c2a.row(cluster))
        return got

    def spellings(self, cluster: int) -> frozenset[int]:
        return self.spelt.get(cluster, frozenset())

    def spelt_reach(self, row: int) -> frozenset[int]:
        """The clusters whose names may be a co-author of the row's spelt otherwise."""
        got = self._reach.get(row)
        if got is None:
            spelt = self.spelt
            if self.plain:
                got = self._reach[row] = frozenset(
                    x for c in self.coauthor_clusters(row) if c in spelt for x in spelt[c])
                return got
            has = self.coauthor_clusters(row) & self.spelt_keys  # most have no other spelling
            got = self._reach[row] = frozenset().union(*[spelt[c] for c in has]) if has else _NONE
        return got

    def row_facts(self, row: int) -> RowFacts:
        return self.facts.row(row, self.index.authors.iri(row))

    def cluster_rows(self, cluster: int) -> ClusterRows:
        """The cluster's rows indexed for the candidate search (kg.identity.variant_candidates);
        kept for a large cluster (one name's many spellings pair it again and again), and for the
        last `recent` small ones (the pairs of the names of one bucket of spellings come close
        together: at 1M papers the rows read fell from 398,000 to 107,000, of 103,000 rows)."""
        got = self._clusters.get(cluster)
        if got is None:
            got = self._recent.get(cluster)
            if got is not None:
                self._recent.move_to_end(cluster)
                return got
            members = [int(r) for r in self.index.c2a.row(cluster)]
            got = ClusterRows(members, self.row_facts, self.coauthor_clusters, self.chances)
            if len(members) >= _KEPT:
                self._clusters[cluster] = got
            elif not self.plain:
                self._recent[cluster] = got
                if len(self._recent) > _RECENT:
                    self._recent.popitem(last=False)
        return got

    def by_venue(self, cluster: int) -> dict[int, list[int]]:
        """The cluster's rows by venue: venue -> the rows publishing there."""
        got = self._venues.get(cluster)
        if got is None:
            got = self._venues[cluster] = {}
            for r in self.index.c2a.row(cluster):
                for v in self.row_facts(int(r)).venues:
                    got.setdefault(v, []).append(int(r))
        return got

    def alone_at(self, cx: int, cy: int) -> dict[tuple[int, int], list[int]]:
        """The pairs of rows (of `cx`, of `cy`) that are the only two rows of all the names spelt like
        either cluster's (both clusters and their spellings) publishing at a venue -> those venues."""
        vx, vy = self.by_venue(cx), self.by_venue(cy)
        others = (self.spellings(cx) | self.spellings(cy)) - {cx, cy}
        found: dict[tuple[int, int], list[int]] = {}
        for v in sorted(vx.keys() & vy.keys()):
            xs, ys = vx[v], vy[v]
            if len(xs) == 1 and len(ys) == 1 and not any(v in self.by_venue(c) for c in others):
                found.setdefault((xs[0], ys[0]), []).append(v)
        return found

    def cluster_name(self, cluster: int) -> str:
        got = self._names.get(cluster)
        if got is None:
            row = int(self.index.c2a.row(cluster)[0])
            got = self._names[cluster] = self.facts.name(row, self.index.authors.iri(row))
        return got


def suggestions(index: AdjacencyIndex, facts: Facts, weights: Weights | None = None,
                hand: dict[tuple[str, str], Correction] | None = None, *,
                every_pair: bool = False, names: NameClusters | None = None) -> Iterator[Suggestion]:
    """Every variant suggestion of the graph, in the order of the clusters' keys, then those only a
    curator made. `hand`: the corrections by hand about rows of two clusters (kg.identity.curation.Hand
    .variants), by their sorted rows: a `same` is suggested as confirmed by hand whatever the evidence
    says, a `distinct` is never suggested. `every_pair`: the plain path, the speed path's reference
    (slow for large clusters): every pair of rows of two clusters tried rather than the pairs
    kg.identity.variant_candidates finds, and each scored without the speed path's shortcuts (the
    co-authors under another spelling looked for only when the other row has one, once a pair, among
    the clusters with another spelling only; the title words' IDFs once a build; the last clusters'
    rows kept; no joint papers counted when no co-author cluster is asked): the suggestions are the
    same. `names`: NameClusters.of(index, facts), when the caller has it."""
    given = weights or Weights()
    w = replace(given, title_free=given.suggest_title_free, title_venue=given.suggest_title_venue)
    hand = dict(hand or {})
    if names is None:
        names = NameClusters.of(index, facts)
    keys, ranks = names.keys, names.ranks
    rows = _Rows(index, facts, names.spelt, names.bits, plain=every_pair, tables=(names.chances, names.ceilings))
    try:
        for cx, cy in names.pairs:
            yield from _cluster_pair(rows, cx, cy, keys, ranks, w, hand, every_pair)
    finally:
        rows.clear()
    for (a, b), c in sorted(hand.items()):  # a curator's word about two names no spelling relates
        if c.verdict != SAME:
            continue
        ra, rb = index.authors.find(a), index.authors.find(b)
        if ra is None or rb is None:
            continue
        ka, kb = keys[int(index.a2c[ra])], keys[int(index.a2c[rb])]
        said = f"name: {relation(ka, kb)} ({facts.name(ra, a)} / {facts.name(rb, b)})"
        yield Suggestion(a, b, RULE_SCORE, SAME, [c.words(), said, "computed: not compared"])


def _by_hand(found: Suggestion | None, a: str, b: str, c: Correction) -> Suggestion | None:
    """The suggestion of rows `a` < `b` as a correction by hand makes it: `same` wins over whatever
    was computed (kept in the reasons), `distinct` removes it."""
    if c.verdict != SAME:
        return None
    if found is None:
        return Suggestion(a, b, RULE_SCORE, SAME, [c.words(), "computed: not suggested"])
    computed = f"computed: {found.verdict}, {found.score:.2f}"
    return Suggestion(a, b, RULE_SCORE, SAME, [c.words(), *found.reasons[:1], computed, *found.reasons[1:]])


def _cluster_pair(rows: _Rows, cx: int, cy: int, keys: list[str], ranks: list[float], w: Weights,
                  hand: dict[tuple[str, str], Correction], every_pair: bool = False) -> Iterator[Suggestion]:
    """The suggestions between the rows of clusters `cx` and `cy`; the corrections by hand of their
    pairs applied (and taken out of `hand`)."""
    yield from _computed(rows, cx, cy, keys, ranks, w, hand, every_pair)
    if not hand:  # no correction left to look for (the rows' IRIs of every pair of clusters unread)
        return
    index = rows.index
    xs = {index.authors.iri(int(r)) for r in index.c2a.row(cx)}
    ys = {index.authors.iri(int(r)) for r in index.c2a.row(cy)}
    for pair in [p for p in hand if (p[0] in xs and p[1] in ys) or (p[0] in ys and p[1] in xs)]:
        made = _by_hand(None, pair[0], pair[1], hand.pop(pair))
        if made is not None:
            name = f"name: {relation(keys[cx], keys[cy])}"
            made.reasons.insert(1, name)
            yield made


def _computed(rows: _Rows, cx: int, cy: int, keys: list[str], ranks: list[float], w: Weights,
              hand: dict[tuple[str, str], Correction], every_pair: bool = False) -> Iterator[Suggestion]:
    index, facts = rows.index, rows.facts
    cxs, cys = rows.cluster_rows(cx), rows.cluster_rows(cy)
    xs, ys = cxs.rows, cys.rows
    own = {cx, cy}
    # title words weigh by the graph only, not by a shared venue's topic: a suggestion is never
    # merged, and on bench/variants.py the venue's weighing cost found rows ("sliding, mode" at a
    # control journal) and no wrong suggestion
    ctx = Context(len(xs) + len(ys), max(ranks[cx], ranks[cy]), rows.cluster_papers, rows.cluster_name,
                  facts.venue_size, facts.venue_label, facts.idf if every_pair else rows.bits.__getitem__,
                  facts.vocabulary.__getitem__, institution_rows=facts.institution_size,
                  institution_names=facts.institution_label, coauthor_variants=rows.spellings,
                  own=own | rows.spellings(cx) | rows.spellings(cy),
                  spelt_clusters=None if every_pair else rows.spelt_keys,
                  word_chance=None if every_pair else rows.chances, word_ceiling=None if every_pair else rows.ceilings)
    known = dict(zip(xs, cxs.facts, strict=True)) | dict(zip(ys, cys.facts, strict=True))
    facts_of = known.__getitem__
    prior = priors(w, ctx.rows, ctx.commonness)
    by_titles = titles_may_suggest(w, prior, cxs, cys)
    alone = rows.alone_at(cx, cy) if w.suggest_alone > 0 else {}
    partners: dict[int, set[int]] = {}  # a row of cx -> the positions in ys of the rows alone with it
    if alone:
        position = {r: k for k, r in enumerate(ys)}
        for r, ry in alone:
            partners.setdefault(r, set()).add(position[ry])
    for x, rx in enumerate(xs):
        co_x = rows.coauthor_clusters(rx) - own
        reach = rows.spelt_reach(rx)  # its co-authors' other spellings: the rows it may share one with
        mates: frozenset[int] | None = None  # its co-authors' rows, read when a row of `ys` is to be scored
        also: AbstractSet[int] = partners.get(rx, frozenset())
        for ry in ys if every_pair else worth_scoring(w, prior, cxs, cys, x, co_x, reach, rows.bits, by_titles,
                                                      also):
            if mates is None:
                mates = frozenset(index.a2a.row(rx))
            if ry in mates:
                continue  # on one paper together: two people
            co_y = rows.coauthor_clusters(ry)
            shared = co_x & co_y
            fx, fy = facts_of(rx), facts_of(ry)
            same_id = any(i and i == j for i, j in ((fx.orcid, fy.orcid), (fx.dblp, fy.dblp),
                                                     (fx.openalex, fy.openalex)))
            venues = alone.get((rx, ry)) if _near(facts_of(rx), facts_of(ry), w) else None
            if not shared and not same_id and not fx.words & fy.words and reach.isdisjoint(co_y) and not venues:
                continue  # nothing beyond the name, the venue and the years
            co_y = co_y - own
            a = Profile(index.authors.iri(rx), fx, frozenset(co_x), row=rx)
            b = Profile(index.authors.iri(ry), fy, frozenset(co_y), row=ry)
            # no co-author of the other row spells one of its own otherwise: none shared so (the
            # speed path asks variant_coauthors only when one may be, and gives compare its answer)
            spelt = [] if not every_pair and reach.isdisjoint(co_y) else variant_coauthors(a, b, ctx)
            if not shared and not spelt and not same_id and not fx.words & fy.words and not venues:
                continue
            a.coauthors = rows.joint(rx, shared | {x for x, _ in spelt})
            b.coauthors = rows.joint(ry, shared | {y for _, y in spelt})
            pair = compare(a, b, ctx, w, None if every_pair else spelt)
            if venues and pair.verdict != DISTINCT:
                pair.score += w.suggest_alone
                pair.reasons.append(_alone_reason([facts.venue_label(v) for v in venues]))
            titles = any(r.startswith("similar titles") for r in pair.reasons)
            if pair.verdict == DISTINCT or pair.score < w.suggest_min or not (
                    shared or spelt or same_id or titles or venues):
                continue
            why = [f"name: {relation(keys[cx], keys[cy])} ({fx.name} / {fy.name})"]
            if homonym_number(fx.name) or homonym_number(fy.name):
                why.append("dblp's homonym number set aside")
            first, second = sorted((a.iri, b.iri))
            found = Suggestion(first, second, pair.score, pair.verdict, why + pair.reasons)
            c = hand.pop((first, second), None)
            made = found if c is None else _by_hand(found, first, second, c)
            if made is not None:
                yield made


def _near(fx: RowFacts, fy: RowFacts, w: Weights) -> bool:
    """Whether two rows' active years are known and no gap between them counts against them
    (`Weights.gap_free` years at most)."""
    if fx.first is None or fy.first is None or fx.last is None or fy.last is None:
        return False
    return max(0, max(fx.first, fy.first) - min(fx.last, fy.last)) <= w.gap_free


def _alone_reason(venues: list[str]) -> str:
    where = ", ".join(venues[:5]) + (f" and {len(venues) - 5} more" if len(venues) > 5 else "")
    return (f"the only two rows of these spellings at {where}: no other row of a name spelt like "
            "either publishes there")


def variant_lines(index: AdjacencyIndex, facts: Facts, graph: str, weights: Weights | None = None,
                  hand: dict[tuple[str, str], Correction] | None = None,
                  names: NameClusters | None = None) -> Iterator[str]:
    """The suggestions as N-Quads in `graph` (an N-Triples IRI): a kg:VariantSuggestion each,
    BASE/author/ROW/variant/K after its first row."""
    numbered: Counter[str] = Counter()
    for s in suggestions(index, facts, weights, hand, names=names):
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
_NONE: frozenset[int] = frozenset()
_KEPT = 64  # a cluster of at least this many rows keeps its candidate index for its other pairs
_RECENT = 1024  # and so do the last this many smaller clusters read (on the speed path)
_TYPE = iri(RDF_TYPE)
_ROW = iri(KG.comparedRow)
