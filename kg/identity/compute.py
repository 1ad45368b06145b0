"""The identity evidence of every name cluster with two or more rows, from the co-authorship index
(rows -> co-author rows -> their clusters) and the row facts; no store access.

One pass over the clusters; per row, its co-author clusters are read from the index's materialised
co-author relation (a2a) and the rows of its own cluster among them are the ones it shares a paper
with. Pairs are compared only when the comparison can matter, so that pairs with nothing in common are
never built: every pair of a cluster only where the name alone (rare, in a small cluster) can
score `same` (`reachable`); elsewhere the pairs that share a key of an inverted index (a co-author
cluster, or two co-author clusters whose names may be one name spelt two ways
(kg.identity.spelling), a paper, an identifier, an institution, a citation, rare title words that make
title evidence enough for `same`, and a venue where a venue and the years could make a pair look
like one person), or that both carry an ORCID or a dblp homonym number (which may decide them
apart). A co-author or institution key shared by more than `BLOCK_MAX` rows of a cluster pairs
nobody (too common to say anything, and quadratic);
in clusters of more than `ALL_PAIRS` rows a venue pairs rows only when at most `VENUE_BLOCK` of
them use it. The joint paper counts a score
needs are counted only for the rows of pairs that share a co-author. The grouping computes any
other pair it needs on demand.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import combinations
from urllib.parse import unquote

from kg.adjacency import AdjacencyIndex
from kg.identity.evidence import (
    CEILING_EPS,
    Context,
    Pair,
    Profile,
    Weights,
    commonness,
    compare,
    homonym_number,
    title_ceiling,
    title_chance,
    title_evidence,
    variant_coauthors,
    word_tables,
)
from kg.identity.facts import Facts, row_label
from kg.identity.grouping import Group, partition
from kg.identity.spelling import cluster_key as spelt_key
from kg.identity.spelling import cluster_pairs, read_pairs, spellings

Grouper = Callable[[list[str], list[Pair], Callable[[str, str], Pair], Callable[[str], str]], list[Group]]
ALL_PAIRS = 8
_EPS = 1e-9  # the bounds sum in another order than the evidence: never prune a pair at the boundary
BLOCK_MAX = 20    # a co-author (or ORCIDs, dblp numbers) shared by more rows of one cluster pairs nobody
DIRECT = 40      # clusters of up to this many rows find their candidate pairs pair by pair
VENUE_BLOCK = 3   # in clusters of more than ALL_PAIRS rows, a venue pairs rows only if at most this many use it


@dataclass
class ClusterIdentity:
    cluster: str
    rows: list[str]
    papers: dict[str, int]
    pairs: list[Pair]
    groups: list[Group]


@dataclass(frozen=True)
class NameClusters:
    """What the persons and the variant suggestions (kg.identity.variants) both read of the graph's
    name clusters, computed once a build (`of`): each cluster's name key, its commonness rank
    (commonness_ranks), the pairs of clusters whose names may be one name spelt two ways
    (kg.identity.spelling, by cluster number, in the order of the pairs written beside the index)
    and the same as a relation (`spelt`: each cluster -> those clusters), and each title word's IDF."""

    keys: list[str]
    ranks: list[float]
    pairs: list[tuple[int, int]]
    spelt: dict[int, frozenset[int]]
    bits: list[float]
    chances: Sequence[float] = ()   # each title word's bits x 2**-bits and bits above zero
    ceilings: Sequence[float] = ()  # (kg.identity.evidence.word_tables), once

    @classmethod
    def of(cls, index: AdjacencyIndex, facts: Facts) -> NameClusters:
        iris = [index.clusters.iri(c) for c in range(len(index.clusters))]
        keys = [spelt_key(iri) for iri in iris]
        pairs = read_pairs(index.path)
        if pairs is None:  # an index written before the pairs were
            pairs = cluster_pairs(iris)
        number = {iri: c for c, iri in enumerate(iris)}
        found = [(number.get(x), number.get(y)) for x, y in pairs]
        bits = [facts.idf(w) for w in range(len(facts.word_papers))]
        return cls(keys, commonness_ranks(keys), [(x, y) for x, y in found if x is not None and y is not None],
                   spellings(pairs, number.get), bits, *word_tables(bits))


class _Graph:
    """What every cluster's evidence reads: the index, the facts, and per name cluster the papers
    of all its rows (how prolific a co-author's name is)."""

    def __init__(self, index: AdjacencyIndex, facts: Facts, names: NameClusters) -> None:
        self.index, self.facts = index, facts
        self.ranks: list[float] = names.ranks  # each name cluster's commonness rank (commonness_ranks)
        self.bits = names.bits  # each title word's IDF, once
        self.chances, self.ceilings = (names.chances, names.ceilings) if names.chances else word_tables(self.bits)
        self.spelt = names.spelt
        self.spelt_keys = frozenset(self.spelt)  # the clusters with another spelling
        self._papers: dict[int, int] = {}

    def cluster_papers(self, cluster: int) -> int:
        """The papers of all the rows of a name cluster (asked of the co-author clusters two rows
        share: a small part of all clusters, so counted when asked, once)."""
        got = self._papers.get(cluster)
        if got is None:
            off = self.index.a2p.off
            got = self._papers[cluster] = sum([off[r + 1] - off[r] for r in self.index.c2a.row(cluster)])
        return got

    def spellings(self, cluster: int) -> frozenset[int]:
        """The name clusters whose names may be `cluster`'s spelt otherwise."""
        return self.spelt.get(cluster, _NONE)

    def coauthor_name(self, cluster: int) -> str:
        """A co-author cluster's name in reasons: the name of its first row."""
        row = int(self.index.c2a.row(cluster)[0])
        return self.facts.name(row, self.index.authors.iri(row))


def clusters(index: AdjacencyIndex, facts: Facts, weights: Weights | None = None,
             group: Grouper = partition, names: NameClusters | None = None,
             plain: bool = False) -> Iterator[ClusterIdentity]:
    """The identity of every cluster with two or more rows, in cluster order; `group` makes the
    probable persons (kg.identity.curation.Hand.partition: with the corrections by hand); `names`:
    NameClusters.of(index, facts), when the caller has it. `plain`: without the shortcuts of the speed
    path (the reference it is checked equal to: every title evidence computed in full)."""
    w = weights or Weights()
    graph = _Graph(index, facts, NameClusters.of(index, facts) if names is None else names)
    ranks = graph.ranks
    c_off = index.c2a.off
    for c in range(len(index.clusters)):
        if c_off[c + 1] - c_off[c] < 2:
            continue
        yield cluster_identity(graph, [int(r) for r in index.c2a.row(c)], w, c, ranks[c], group, plain)


def commonness_ranks(keys: list[str]) -> list[float]:
    """Each name's commonness as a rank in [0, 1] among the graph's names (1: the commonest):
    scale-free, so that it means the same in a sample and in all of dblp."""
    first: Counter[str] = Counter()
    last: Counter[str] = Counter()
    for key in keys:
        tokens = key.split()
        if len(tokens) >= 2:
            first[tokens[0]] += 1
            last[tokens[-1]] += 1
    raw = [commonness(key, first, last, len(keys)) for key in keys]
    order = sorted(range(len(keys)), key=raw.__getitem__)
    ranks = [0.0] * len(keys)
    for position, k in enumerate(order):
        ranks[k] = position / max(len(keys) - 1, 1)
    return ranks


def cluster_key(iri: str) -> str:
    """The name key of a cluster IRI (BASE/cluster/KEY)."""
    return unquote(iri.rsplit("/cluster/", 1)[-1])


def cluster_identity(graph: _Graph, members: list[int], w: Weights, cluster_no: int,
                     common: float = 0.0, group: Grouper = partition, plain: bool = False) -> ClusterIdentity:
    index, facts = graph.index, graph.facts
    a2a, a2c = index.a2a, index.a2c
    profiles: list[Profile] = []
    for r in members:
        iri = index.authors.iri(r)
        coauthor_rows = frozenset(a2a.row(r))
        co = {a2c[x] for x in coauthor_rows}
        mates: frozenset[int] = frozenset()
        if cluster_no in co:  # it shares a paper with another row of its own name
            co.discard(cluster_no)
            mates = frozenset(x for x in coauthor_rows if a2c[x] == cluster_no)
        profiles.append(Profile(iri, facts.row(r, iri), frozenset(co), mates=mates, row=r,
                                coauthor_rows=coauthor_rows))
    names: dict[int, str] = {}

    def coauthor_name(cx: int) -> str:
        name = names.get(cx)
        if name is None:
            name = names[cx] = graph.coauthor_name(cx)
        return name

    bits = graph.bits
    ctx = Context(len(profiles), common, graph.cluster_papers, coauthor_name, facts.venue_size,
                  facts.venue_label, facts.idf if plain else bits.__getitem__, facts.vocabulary.__getitem__,
                  graph.ranks.__getitem__ if graph.ranks else _rarest, facts.venue_word, a2c.__getitem__,
                  facts.institution_size, facts.institution_label, graph.spellings,
                  frozenset({cluster_no} | graph.spellings(cluster_no)), None if plain else graph.spelt_keys,
                  title_bound=not plain, word_chance=None if plain else graph.chances,
                  word_ceiling=None if plain else graph.ceilings)
    by_iri = {p.iri: k for k, p in enumerate(profiles)}
    computed: dict[tuple[int, int], Pair] = {}

    # each row's co-author clusters spelt otherwise: a pair whose other row has none of them shares
    # no co-author under two spellings (variant_coauthors looks for none)
    # (asked of a pair's first row only, so never of the last row: a cluster of two reads one)
    reach = None if plain else [_reach(p, graph.spelt, graph.spelt_keys) for p in profiles[:-1]] + [_NONE]

    def judge(i: int, j: int) -> Pair:
        a, b = profiles[i], profiles[j]
        if reach is None:
            if a.clusters & b.clusters or variant_coauthors(a, b, ctx):
                _joint(index, a, cluster_no)
                _joint(index, b, cluster_no)
            spelt = None
        else:
            spelt = [] if reach[i].isdisjoint(b.clusters) else variant_coauthors(a, b, ctx)
            if spelt or not a.clusters.isdisjoint(b.clusters):
                _joint(index, a, cluster_no)
                _joint(index, b, cluster_no)
        if b.row in a.mates:
            _papers(index, a)
            _papers(index, b)
        pair = computed[(i, j)] = compare(a, b, ctx, w, spelt)
        return pair

    def titled(a: Profile, b: Profile) -> bool:
        if not plain and not may_title(a, b, ctx, w, bits):
            return False
        return title_evidence(a, b, ctx, w)[0] >= w.positive

    for i, j in sorted(_candidates(profiles, w, common, titled, graph.spellings, reach,
                                   None if plain else graph.spelt_keys)):
        judge(i, j)

    def verdict(a: str, b: str) -> Pair:
        i, j = sorted((by_iri[a], by_iri[b]))
        return computed.get((i, j)) or judge(i, j)

    rows = [p.iri for p in profiles]
    groups = group(rows, list(computed.values()), verdict, row_label)
    pairs = [computed[k] for k in sorted(computed)]
    counts = {p.iri: p.facts.papers or index.a2p.degree(p.row) for p in profiles}
    return ClusterIdentity(index.clusters.iri(cluster_no), rows, counts, pairs, groups)


def may_title(a: Profile, b: Profile, ctx: Context, w: Weights, bits: Sequence[float]) -> bool:
    """Whether the title evidence of two rows may reach `Weights.positive`: its bound, with every
    shared word at its whole IDF (kg.identity.evidence.venue_bits only lowers a word's bits) and
    the chance and free bits it subtracts. On generated titles (110 words) the bound leaves 10 of
    the 202,823 pairs whose title evidence the candidates asked for at 300k papers."""
    if w.title <= 0 or w.positive <= 0:
        return True  # no bound: the evidence itself decides
    fa, fb = a.facts, b.facts
    if not fa.words or not fb.words:
        return False  # no evidence (0.0), below a positive `positive`
    # each row's chance and ceiling are read once a row (asked of about 900,000 pairs at 1M papers)
    ca, cb = a.chance, b.chance
    chance = (fb.papers * (title_chance(a, ctx) if ca is None else ca)
              + fa.papers * (title_chance(b, ctx) if cb is None else cb)) / 2
    free = w.title_free + (w.title_venue if fa.venues & fb.venues else 0.0)
    if ctx.word_ceiling is not None:
        ga, gb = a.ceiling, b.ceiling
        ceiling = min(title_ceiling(a, ctx) if ga is None else ga, title_ceiling(b, ctx) if gb is None else gb)
        if w.title * (ceiling + CEILING_EPS - chance - free) < w.positive - _EPS:
            return False  # whichever words they share (the first question, without the words in common)
    shared = fa.words & fb.words
    if not shared:
        return False
    return w.title * (sum([bits[x] for x in shared]) - chance - free) >= w.positive - _EPS


def _reach(p: Profile, spelt: Mapping[int, frozenset[int]], keys: frozenset[int]) -> frozenset[int]:
    """The clusters that spell one of the row's co-author clusters otherwise (the set operation
    first: most have none); those of its clusters that have another spelling kept as `p.spelt`
    (variant_coauthors reads them there)."""
    has = p.spelt = p.clusters & keys
    return frozenset().union(*[spelt[c] for c in has]) if has else _NONE


def _rarest(cluster: int) -> float:
    return 0.0


_NONE: frozenset[int] = frozenset()


def _unspelt(cluster: int) -> frozenset[int]:
    return _NONE


def _joint(index: AdjacencyIndex, p: Profile, cluster_no: int) -> None:
    """Fill a row's joint papers per co-author cluster (once)."""
    if p.coauthors or not p.clusters:
        return
    a2c, p2a = index.a2c, index.p2a
    p.coauthors.update([cx for paper in index.a2p.row(p.row) for cx in {a2c[x] for x in p2a.row(paper)}])
    del p.coauthors[cluster_no]  # itself (and rows of its own name on one paper with it)


def _papers(index: AdjacencyIndex, p: Profile) -> None:
    if not p.papers:
        p.papers = frozenset(int(x) for x in index.a2p.row(p.row))


def _direct(profiles: list[Profile], by_venue: bool, venue_most: int,
            titled: Callable[[Profile, Profile], bool],
            spelt: Callable[[int], AbstractSet[int]] = _unspelt,
            reach: list[frozenset[int]] | None = None) -> set[tuple[int, int]]:
    """_candidates of a small cluster, pair by pair (set intersections, no inverted index)."""
    out: set[tuple[int, int]] = set()
    venue_rows: Counter[int] = Counter()
    if by_venue and venue_most < len(profiles):
        for p in profiles:
            venue_rows.update(p.facts.venues)
    if reach is None:  # co-authors spelt otherwise
        reach = [frozenset(x for c in p.clusters for x in spelt(c)) for p in profiles]
    orcids = sum(1 for p in profiles if p.facts.orcid)
    numbers = sum(1 for p in profiles if homonym_number(p.facts.name))
    coauthors: Counter[int] = Counter()
    institutions: Counter[int] = Counter()
    if len(profiles) > BLOCK_MAX:
        for p in profiles:
            coauthors.update(p.clusters)
            institutions.update(p.facts.institutions)
    for (i, a), (j, b) in combinations(enumerate(profiles), 2):
        fa, fb = a.facts, b.facts
        shared = a.clusters & b.clusters
        worth = (  # the titles last: the one costly question, asked only when nothing else decides
            bool(shared) and (not coauthors or any(coauthors[c] <= BLOCK_MAX for c in shared))
            or not reach[i].isdisjoint(b.clusters)
            or b.row in a.mates
            or any(institutions[x] <= BLOCK_MAX for x in fa.institutions & fb.institutions)
            or b.row in fa.cites or a.row in fb.cites
            or by_venue and any(venue_rows[v] <= venue_most for v in fa.venues & fb.venues)
            or bool(fa.orcid and fb.orcid and (fa.orcid == fb.orcid or orcids <= BLOCK_MAX))
            or bool(fa.dblp and fa.dblp == fb.dblp) or bool(fa.openalex and fa.openalex == fb.openalex)
            or 1 < numbers <= BLOCK_MAX and bool(homonym_number(fa.name) and homonym_number(fb.name))
            or bool(fa.words & fb.words) and titled(a, b)
        )
        if worth:
            out.add((i, j))
    return out


def reachable(w: Weights, rows: int, common: float) -> tuple[bool, bool]:
    """Whether, in a cluster of `rows` rows of a name this common, a pair can score `same` with
    no shared co-author at all: (on years and the name alone, with a shared venue)."""
    best = w.years_near + w.base - w.prior * math.log2(max(rows, 2)) - w.common * (common - w.common_free)
    return best >= w.same, best + w.venue_cap >= w.same


def _candidates(profiles: list[Profile], w: Weights, common: float,
                titled: Callable[[Profile, Profile], bool],
                spelt: Callable[[int], AbstractSet[int]] = _unspelt,
                reach: list[frozenset[int]] | None = None,
                spelt_keys: AbstractSet[int] | None = None) -> set[tuple[int, int]]:
    """The pairs worth comparing (see the module's docstring); `reach`: per profile, the
    clusters spelling its co-author clusters otherwise, when the caller has them; `spelt_keys`:
    the clusters that have another spelling (the others' spellings are not asked for)."""
    n = len(profiles)
    alone, by_venue = reachable(w, n, common)
    if alone:
        return set(combinations(range(n), 2))
    venue_most = n if n <= ALL_PAIRS else VENUE_BLOCK
    if n <= DIRECT:
        return _direct(profiles, by_venue, venue_most, titled, spelt, reach)
    position = {p.row: k for k, p in enumerate(profiles)}
    out: set[tuple[int, int]] = set()
    by_coauthor: dict[int, list[int]] = {}
    by_venue_rows: dict[int, list[int]] = {}
    by_word: dict[int, list[int]] = {}
    by_institution: dict[int, list[int]] = {}
    other: dict[tuple[str, str], list[int]] = {}
    for k, p in enumerate(profiles):
        for c in p.clusters:
            got = by_coauthor.get(c)
            if got is None:
                by_coauthor[c] = [k]
            else:
                got.append(k)
        for x in p.facts.words:
            by_word.setdefault(x, []).append(k)
        for x in p.facts.institutions:
            by_institution.setdefault(x, []).append(k)
        for cited in p.facts.cites:  # a self-citation: compared whatever else they share
            m = position.get(cited)
            if m is not None and m != k:
                out.add((min(k, m), max(k, m)))
        if by_venue:
            for v in p.facts.venues:
                by_venue_rows.setdefault(v, []).append(k)
        for mate in p.mates:  # on one paper: compared (and found distinct) whatever else they share
            m = position[mate]
            out.add((min(k, m), max(k, m)))
        f = p.facts
        if f.orcid or f.dblp or f.openalex:
            for kind, ident in (("i", f.orcid), ("i", f.dblp), ("i", f.openalex)):
                if ident:
                    other.setdefault((kind, ident), []).append(k)
            if f.orcid:  # two ORCIDs that differ decide a pair too
                other.setdefault(("o", ""), []).append(k)
        if homonym_number(f.name):  # and so do two dblp numbers
            other.setdefault(("n", ""), []).append(k)
    for ks in (*by_coauthor.values(), *by_institution.values()):
        if 1 < len(ks) <= BLOCK_MAX:
            out.update(combinations(ks, 2))
    # the cluster's co-authors looked up among the spelt ones (a dict view & a frozenset walks the
    # frozenset: every cluster of the graph with another spelling, once per large cluster)
    spelt_coauthors = by_coauthor if spelt_keys is None else [c for c in by_coauthor if c in spelt_keys]
    for c in spelt_coauthors:  # a co-author under two spellings of its name
        ks = by_coauthor[c]
        if len(ks) > BLOCK_MAX:
            continue
        for spelling in spelt(c):
            them = by_coauthor.get(spelling) if spelling > c else None
            if them and len(them) <= BLOCK_MAX:
                out.update((min(i, j), max(i, j)) for i in ks for j in them if i != j)
    for ks in by_venue_rows.values():
        if 1 < len(ks) <= venue_most:
            out.update(combinations(ks, 2))
    for (kind, _), ks in other.items():
        if len(ks) > 1 and (kind == "i" or len(ks) <= BLOCK_MAX):
            out.update(combinations(ks, 2))
    shared_words: set[tuple[int, int]] = set()
    for ks in by_word.values():  # pairs whose rare title words could add up to title evidence
        if 1 < len(ks) <= BLOCK_MAX:
            shared_words.update(combinations(ks, 2))
    for pair in shared_words:  # last: the titles are asked only of pairs nothing else pairs
        if pair not in out and titled(profiles[pair[0]], profiles[pair[1]]):
            out.add(pair)
    return out
