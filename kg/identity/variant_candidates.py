"""Which row pairs of two name clusters the variant suggestions (kg.identity.variants) need to
score, found without trying every pair: the pairs the plain loop over the rows of both clusters
scores and would suggest are a subset of what this returns, in the same order.

A suggestion needs a shared co-author (by name cluster, or under another spelling of its name), a
shared identifier, title evidence, or the two rows alone at a venue among the rows of their names'
spellings (found venue by venue by kg.identity.variants, and always scored: `also`). The first three
are looked up in an inverted index of the
second cluster's rows (co-author cluster -> rows, identifier -> rows). A pair with none of them is
suggested only when its title evidence is above zero and its score reaches `Weights.suggest_min`;
both are bounded from above by the evidence's own formulas (kg.identity.evidence): the rarity of the
shared words in bits is at most the sum of their IDFs, and the score at most the priors of the pair
of clusters plus the caps of the title, venue, years, affiliation and self-citation evidence, less
what no co-author in common costs. A pair of clusters whose bound cannot reach `suggest_min` (the
prior of a large cluster of a common name: "John Smith" and its 700 rows) tries no pair for its
titles at all; otherwise a pair's own bound is checked before its profiles are built.

The plain loop read every pair of rows of the two clusters: at 1M papers, 1.9 million pairs, each
scored in full (generated titles share some rare word almost always), 446 s of a 2,149 s build.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from functools import cached_property

from kg.identity.evidence import Weights
from kg.identity.facts import RowFacts

_EPS = 1e-9  # the bounds sum in another order than the evidence: never prune a pair at the boundary
SCAN_MOST = 16  # partners of a cluster of at most this many rows are found row by row, not by an index
SCANS = 8  # and of a larger one too, for its first this many rows asked (an index costs more than a few scans)


class ClusterRows:
    """One cluster's rows as the candidate search reads them: per row its facts; read when the
    cluster is the second of a pair (and only then built): co-author cluster -> positions of the
    rows having it, identifier -> positions, and per row its title chance."""

    def __init__(self, rows: list[int], facts: Callable[[int], RowFacts],
                 coauthors: Callable[[int], frozenset[int]], chances: Sequence[float]) -> None:
        self.rows = rows
        self.facts = [facts(r) for r in rows]
        self.institutions = any(f.institutions for f in self.facts)  # some row has an institution
        self.cites = any(f.cites for f in self.facts)                # some row cites a row
        self._coauthors, self._chances = coauthors, chances
        self.asked = 0  # how many rows partners() was asked about

    @cached_property
    def coauthors(self) -> list[frozenset[int]]:
        """Per row: its co-author clusters."""
        return [self._coauthors(r) for r in self.rows]

    @cached_property
    def by_coauthor(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for k, theirs in enumerate(self.coauthors):
            for c in theirs:
                got = out.get(c)
                if got is None:
                    out[c] = [k]
                else:
                    got.append(k)
        return out

    @cached_property
    def coauthor_keys(self) -> frozenset[int]:
        """The co-author clusters of `by_coauthor`."""
        return frozenset(self.by_coauthor)

    @cached_property
    def by_identifier(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for k, f in enumerate(self.facts):
            for ident in (f.orcid, f.dblp, f.openalex):
                if ident:
                    out.setdefault(ident, []).append(k)
        return out

    @cached_property
    def chance(self) -> list[float]:
        """Per row: the sum of idf x 2**-idf of its title words (kg.identity.evidence.title_chance:
        `chances` holds each word's term, kg.identity.evidence.word_tables)."""
        term = self._chances.__getitem__
        return [sum(map(term, f.words)) for f in self.facts]


def priors(w: Weights, rows: int, commonness: float) -> float:
    """What compare adds to the evidence of a pair of a cluster of `rows` rows of this commonness."""
    return w.base - w.prior * math.log2(max(rows, 2)) - w.common * (commonness - w.common_free)


def _title_bound_possible(w: Weights) -> bool:
    """Whether the bounds below hold for these weights (they assume no evidence term grows without
    limit: a negative gap or absence weight would turn a penalty into a reward)."""
    return w.years_gap >= 0 and w.title > 0


def titles_may_suggest(w: Weights, prior: float, xs: ClusterRows, ys: ClusterRows) -> bool:
    """Whether any pair of the two clusters sharing no co-author nor identifier can reach
    `suggest_min` on its titles (with the best of every other evidence)."""
    if w.title <= 0:
        return False  # no title evidence, and without it no such pair is suggested
    if not _title_bound_possible(w):
        return True
    best = prior + max(0.0, w.title_cap) + max(0.0, w.venue_cap) + max(0.0, w.years_near)
    best += max(0.0, -w.absent_cap) if w.absent > 0 else 0.0
    if xs.institutions and ys.institutions:
        best += max(0.0, w.affiliation_cap)
    if xs.cites or ys.cites:
        best += max(0.0, w.self_cite_cap)
    return best >= w.suggest_min - _EPS


def _title_beyond(w: Weights, fx: RowFacts, fy: RowFacts, shared: frozenset[int], chance_x: float,
                  chance_y: float, bits: Sequence[float]) -> float:
    """At least the bits of the shared title words beyond chance and the free bits
    (kg.identity.evidence.title_evidence, with every shared word at its whole IDF)."""
    free = w.title_free + (w.title_venue if fx.venues & fy.venues else 0.0)
    return sum([bits[x] for x in shared]) - (fy.papers * chance_x + fx.papers * chance_y) / 2 - free


def _best(w: Weights, prior: float, fx: RowFacts, fy: RowFacts, beyond: float, rx: int, ry: int) -> float:
    """The most a pair without a shared co-author can score (kg.identity.evidence.compare): title
    evidence at most `beyond` bits, every other evidence at its cap, less what no co-author costs."""
    best = prior + max(0.0, min(w.title * max(0.0, beyond), w.title_cap)) + max(0.0, w.years_near)
    if fx.venues & fy.venues:
        best += max(0.0, w.venue_cap)
    if fx.institutions & fy.institutions:
        best += max(0.0, w.affiliation_cap)
    if ry in fx.cites or rx in fy.cites:
        best += max(0.0, w.self_cite_cap)
    return best


def title_pair_may_suggest(w: Weights, prior: float, fx: RowFacts, fy: RowFacts, chance_x: float,
                           chance_y: float, bits: Sequence[float], rx: int, ry: int) -> bool:
    """Whether two rows sharing no co-author nor identifier may be suggested on their titles: title
    evidence above zero and a score that may reach `suggest_min`."""
    shared = fx.words & fy.words
    if not shared:
        return False
    if not _title_bound_possible(w):
        return True
    beyond = _title_beyond(w, fx, fy, shared, chance_x, chance_y, bits)
    if beyond <= -_EPS:
        return False
    best = _best(w, prior, fx, fy, beyond, rx, ry)
    opportunity = math.log2(max(fx.papers, 1) * max(fy.papers, 1))
    if opportunity > w.absent_free and w.absent > 0:
        best -= min(w.absent * (opportunity - w.absent_free), w.absent_cap)
    return best >= w.suggest_min - _EPS


def coauthor_pair_may_suggest(w: Weights, prior: float, fx: RowFacts, fy: RowFacts, chance_x: float,
                              chance_y: float, bits: Sequence[float], rx: int, ry: int) -> bool:
    """Whether two rows that may share a co-author (under one name or two spellings) may reach
    `suggest_min`: with the co-author evidence at its cap (compare caps it, shared or spelt) and
    the rest as for titles; without a co-author in the end they score less, as above."""
    if w.years_gap < 0 or (w.absent > 0 and w.absent_cap < 0):
        return True
    shared = fx.words & fy.words
    beyond = _title_beyond(w, fx, fy, shared, chance_x, chance_y, bits) if shared and w.title > 0 else 0.0
    return _best(w, prior, fx, fy, beyond, rx, ry) + max(0.0, w.coauthor_cap) >= w.suggest_min - _EPS


def partners(ys: ClusterRows, coauthors: frozenset[int], reach: frozenset[int]) -> set[int]:
    """The positions of the rows of `ys` that share a co-author cluster with a row (`coauthors`, its
    own clusters left out), or one of whose co-author clusters may be a spelling of one of the row's
    (`reach`)."""
    ys.asked += 1
    if len(ys.rows) <= SCAN_MOST or ys.asked <= SCANS:  # each row's clusters asked, no index built (yet)
        return {k for k, theirs in enumerate(ys.coauthors)
                if not theirs.isdisjoint(coauthors) or not theirs.isdisjoint(reach)}
    found: set[int] = set()
    index, keys = ys.by_coauthor, ys.coauthor_keys
    # the clusters `ys` has, found by one set operation each (a row's co-authors and their other
    # spellings are many; few are co-authors of the other cluster's rows)
    for c in coauthors & keys:
        found.update(index[c])
    for c in reach & keys:
        found.update(index[c])
    return found


def identified(ys: ClusterRows, fx: RowFacts) -> set[int]:
    """The positions of the rows of `ys` that share an identifier with a row (its facts `fx`)."""
    found: set[int] = set()
    for ident in (fx.orcid, fx.dblp, fx.openalex):
        if ident:
            found.update(ys.by_identifier.get(ident, ()))
    return found


def worth_scoring(w: Weights, prior: float, xs: ClusterRows, ys: ClusterRows, x: int,
                  coauthors: frozenset[int], reach: frozenset[int],
                  bits: Sequence[float], titles: bool, also: AbstractSet[int] = frozenset()) -> Iterator[int]:
    """The rows of `ys` (in their order) the suggestions need to score with row `x` of `xs`;
    `titles`: titles_may_suggest for the two clusters; `also`: positions in `ys` always scored (the
    rows alone with it at a venue among the names' spellings, whose evidence no bound here counts)."""
    fx, rx = xs.facts[x], xs.rows[x]
    found = identified(ys, fx) | also  # decided by the identifier, or alone at a venue: always scored
    near = partners(ys, coauthors, reach) - found
    if near:
        chance_x, chance_y = xs.chance[x], ys.chance
        found.update(k for k in near if coauthor_pair_may_suggest(
            w, prior, fx, ys.facts[k], chance_x, chance_y[k], bits, rx, ys.rows[k]))
    if titles:
        chance_x, chance_y = xs.chance[x], ys.chance
        fys: Sequence[RowFacts] = ys.facts
        for k, fy in enumerate(fys):
            if k not in found and k not in near and title_pair_may_suggest(
                    w, prior, fx, fy, chance_x, chance_y[k], bits, rx, ys.rows[k]):
                found.add(k)
    for k in sorted(found):
        yield ys.rows[k]
