"""The identity evidence of every name cluster with two or more rows, from the co-authorship index
(rows -> papers -> rows) and the row facts; no store access.

Pairs are compared when they share something (a co-author, a venue few rows of the cluster use,
a paper, an identifier) or both carry an ORCID or a dblp homonym number (which may decide them
apart), and all pairs in clusters of up to `ALL_PAIRS` rows: a pair that shares nothing cannot
score `same`. A key shared by more than `BLOCK_MAX` rows of a cluster pairs nobody (too common to
say anything, and quadratic); in larger clusters a venue pairs rows only when at most
`VENUE_BLOCK` of them use it. The grouping computes any other pair it needs on demand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from urllib.parse import unquote

from kg.adjacency import AdjacencyIndex
from kg.identity.evidence import Context, Pair, Profile, Weights, commonness, compare, homonym_number
from kg.identity.facts import Facts, RowFacts, row_label
from kg.identity.grouping import Group, partition

ALL_PAIRS = 8
BLOCK_MAX = 20    # a co-author (or ORCIDs, dblp numbers) shared by more rows of one cluster pairs nobody
VENUE_BLOCK = 3   # in clusters of more than ALL_PAIRS rows, a venue pairs rows only if at most this many use it


@dataclass
class ClusterIdentity:
    cluster: str
    rows: list[str]
    papers: dict[str, int]
    pairs: list[Pair]
    groups: list[Group]


def clusters(index: AdjacencyIndex, facts: Facts, weights: Weights | None = None) -> Iterator[ClusterIdentity]:
    """The identity of every cluster with two or more rows, in cluster order."""
    w = weights or Weights()
    keys = [cluster_key(index.clusters.iri(c)) for c in range(len(index.clusters))]
    ranks = commonness_ranks(keys)
    c2a = index.c2a
    prolific: dict[int, int] = {}  # co-author cluster -> the papers of all its rows, shared by all clusters
    for c in range(len(index.clusters)):
        members = c2a.row(c)
        if len(members) < 2:
            continue
        yield cluster_identity(index, facts, [int(r) for r in members], w, c, ranks[c], prolific)


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


def cluster_identity(index: AdjacencyIndex, facts: Facts, members: list[int], w: Weights,
                     cluster_no: int, common: float = 0.0, prolific: dict[int, int] | None = None) -> ClusterIdentity:
    a2p, p2a, a2c, c2a = index.a2p, index.p2a, index.a2c, index.c2a
    profiles: list[Profile] = []
    coauthor_papers: dict[int, int] = {}
    coauthor_rows: dict[int, int] = {}
    papers_of = prolific if prolific is not None else {}
    for r in members:
        iri = index.authors.iri(r)
        f = facts.rows.get(iri) or RowFacts(row_label(iri))
        papers = a2p.row(r)
        co: Counter[int] = Counter()
        for p in papers:
            for x in p2a.row(p):
                if x == r:
                    continue
                cx = a2c[x]
                if cx == cluster_no:
                    continue
                co[cx] += 1
                if cx not in coauthor_papers:
                    # how prolific the co-author's name is: the papers of all its rows
                    n = papers_of.get(cx)
                    if n is None:
                        off = c2a.off
                        n = papers_of[cx] = sum(a2p.off[y + 1] - a2p.off[y] for y in c2a.dat[off[cx]: off[cx + 1]])
                    coauthor_papers[cx] = n
                    coauthor_rows[cx] = x
        profiles.append(Profile(iri, f, co, frozenset(int(p) for p in papers)))
    venue_rows: Counter[str] = Counter()
    for prof in profiles:
        venue_rows.update(prof.facts.venues.keys())
    names: dict[int, str] = {}
    ctx = Context(len(profiles), common, coauthor_papers, names, venue_rows, facts.venue_names)
    candidates = _candidates(profiles)
    wanted = {c for i, j in candidates for c in set(profiles[i].coauthors) & set(profiles[j].coauthors)}
    for cx in wanted:
        names[cx] = facts.name(coauthor_rows[cx], index.authors.iri(coauthor_rows[cx]))
    by_iri = {p.iri: k for k, p in enumerate(profiles)}
    computed: dict[tuple[int, int], Pair] = {}
    for i, j in sorted(candidates):
        computed[(i, j)] = compare(profiles[i], profiles[j], ctx, w)

    def verdict(a: str, b: str) -> Pair:
        i, j = sorted((by_iri[a], by_iri[b]))
        pair = computed.get((i, j))
        if pair is None:
            for cx in set(profiles[i].coauthors) & set(profiles[j].coauthors):
                names.setdefault(cx, facts.name(coauthor_rows[cx], index.authors.iri(coauthor_rows[cx])))
            pair = computed[(i, j)] = compare(profiles[i], profiles[j], ctx, w)
        return pair

    rows = [p.iri for p in profiles]
    groups = partition(rows, list(computed.values()), verdict, row_label)
    pairs = [computed[k] for k in sorted(computed)]
    counts = {p.iri: p.facts.papers or len(p.papers) for p in profiles}
    return ClusterIdentity(index.clusters.iri(cluster_no), rows, counts, pairs, groups)


def _candidates(profiles: list[Profile]) -> set[tuple[int, int]]:
    n = len(profiles)
    if n <= ALL_PAIRS:
        return set(combinations(range(n), 2))
    keyed: dict[object, list[int]] = {}
    for k, p in enumerate(profiles):
        for c in p.coauthors:
            keyed.setdefault(("c", c), []).append(k)
        for v in p.facts.venues:
            keyed.setdefault(("v", v), []).append(k)
        for paper in p.papers:
            keyed.setdefault(("p", paper), []).append(k)
        for ident in (p.facts.orcid, p.facts.dblp, p.facts.openalex):
            if ident:
                keyed.setdefault(("i", ident), []).append(k)
        if p.facts.orcid:  # two ORCIDs that differ decide a pair too
            keyed.setdefault(("o",), []).append(k)
        if homonym_number(p.facts.name):  # and so do two dblp numbers
            keyed.setdefault(("n",), []).append(k)
    out: set[tuple[int, int]] = set()
    for key, ks in keyed.items():
        kind = key[0]  # type: ignore[index]
        if len(ks) < 2 or (len(ks) > BLOCK_MAX and kind in ("c", "o", "n")) or (kind == "v" and len(ks) > VENUE_BLOCK):
            continue
        out.update(combinations(ks, 2))
    return out
