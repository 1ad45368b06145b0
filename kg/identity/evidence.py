"""Evidence per pair of author rows of one name cluster: a score, a verdict and the reasons in words.

Hard rules first: the same ORCID, dblp person or OpenAlex author -> `same`; two different ORCIDs,
two different dblp homonym numbers ("Wei Wang 0001" / "Wei Wang 0002": dblp told them apart), or
the two rows on one paper -> `distinct`. Otherwise a score adds up, as log-odds:

- shared co-authors (by name cluster, so a co-author split into two rows still counts once), each
  weighted by how rare it is: a co-author with few papers says more than a prolific one, and one
  with a common name ("Bin Li": perhaps two co-authors of one name) less than one with a rare name,
  unless both rows wrote with the same row of it;
- co-authors shared under another spelling of their name ("J. Han" on one row's paper, "Jiawei
  Han" on the other's; diacritics folded, given and family names swapped, a middle name dropped:
  kg.identity.spelling), each weighted as a shared co-author by the commoner of its two names and
  by `Weights.coauthor_variant` (an initial may stand for another given name); a co-author whose
  name is the pair's own name or a spelling of it is left out (it may be the person itself);
- similar titles: the rare title words the two rows share, each weighted by its rarity over the whole
  graph (its IDF, in bits), or by its rarity among the papers of a venue both rows publish at when
  it is commoner there (the venue's topic: two people of one workshop on robots both write
  "robot"), beyond what two unrelated rows with as many papers would share by chance, and beyond
  more when they share a venue;
- shared venues, each weighted by how few author rows of the whole graph publish there;
- shared affiliations (an institution the source names, or the same affiliation text folded), each
  weighted the same way by how few author rows of the whole graph it has: a university of thousands
  says little, a small institute more;
- self-citations: a paper of one row cites a paper of the other;
- no shared co-author at all between two rows with many papers counts against (collaborations
  persist: a person with 19 papers and another with 2 that share not one co-author are probably
  two people), capped so that it never makes a pair `distinct` on its own;
- the years: overlapping or adjacent active years count for, a long gap against;
- a prior that falls with the size of the cluster and with how common the name is: the number of
  names one would expect to be spelt this way if given and family names were combined at random
  (a common given name with a common family name, "Bin Li", is shared by many people; "Rainer
  Bischoff" by few).

`same` needs a score (evidence plus priors) of at least `Weights.same` *and* positive evidence
beyond the name, the venue and the years (a shared co-author, under one name or two spellings of
it, similar titles worth at least `Weights.positive`, shared affiliations worth at least
`Weights.affiliation_positive`, which large institutions never are, or self-citations worth at
least `Weights.self_cite_positive`): two
people of one venue given one name share a venue and years too, so a pair held together by those
alone is `unsure`, and its reasons say so ("possibly one person: same venue, same years, nothing
else shared"). `distinct` needs the evidence alone at most `Weights.distinct` (a common name is no
evidence that two rows differ).
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from urllib.parse import unquote

from kg.identity.facts import RowFacts

SAME, DISTINCT, UNSURE = "same", "distinct", "unsure"
RULE_SCORE = 99.0  # the score of a pair an identifier or a shared paper decides (+ same, - distinct)
_NUMBER = re.compile(r"\s(\d{4})$")
_BOUND_EPS = 1e-9  # a bound sums in its own order: it decides nothing at the boundary
# a ceiling sums a row's words, not the shared ones: it turns a pair away only when clearly below
CEILING_EPS = 1e-6


@dataclass(frozen=True)
class Weights:
    """The model's parameters: tuned on half of the dblp samples' names (bench/identity.py: title*,
    venue_prior, positive, and coauthor_common, which the tune half leaves at 0: none of its wrong
    joins comes from a co-author of a common name, so a discount only costs recall there; the
    co-author, years and prior weights by the grids of issue 17). Set by hand: `venue`,
    `venue_small` and `venue_cap` (a venue weighed by the rows of the whole graph; since a venue
    never makes `same` alone, it only adds to co-author or title evidence) and `absent*`, which no
    pair of the samples' thin profiles reaches: set so that the example's two "Liyuan Liu" rows (19
    and 2 papers, one shared venue, no shared co-author) stay apart. The affiliation and self-citation
    weights: tuned on the tune half of the `openalex` truths (bench/identity.py), where one shared
    institution, or one citing pair, alone joined different people of one institution given one name
    (a sample's few rows cannot tell a university from a lab; colleagues cite each other): each
    needs two to count as positive evidence, and adds to other evidence below that.
    `coauthor_variant`: a co-author under two spellings counts 0.3 of one under one name (an
    initial may stand for another given name: "Alexander Smirnov" / "Alexander V. Smirnov" joined
    two people of one venue at 0.6), searched apart on the tune half of the dblp truths
    (bench/identity.py `VARIANT_GRID`, every other weight as shipped), where dblp itself writes
    some co-authors two ways ("Patrick C. K. Luk" / "Patrick Chi-Kwong Luk").
    The `suggest_*` weights are the variant suggestions' own (bench/variants.py --tune), and so is
    `suggest_alone`: two rows of two spellings that are the only rows of all the names spelt like
    either at a venue (kg.identity.variants)."""

    coauthor: float = 2.6        # a shared co-author of one paper
    coauthor_cap: float = 6.0
    prolific: float = 32.0       # a co-author's weight halves at about 2x this many papers
    coauthor_common: float = 0.0  # and falls by up to this share when its name is common (it may be two people)
    coauthor_variant: float = 0.3  # a co-author shared under two spellings of its name weighs this share of one
    title: float = 0.2           # per bit of shared title-word rarity beyond chance and `title_free`
    title_free: float = 12.0
    title_venue: float = 6.0     # more bits when the rows share a venue (its topic explains some words)
    title_cap: float = 4.0
    venue_prior: float = 8.0    # a word's share of a shared venue's papers, pulled towards its share of the
                                # graph's as if the venue had this many more papers
    venue: float = 1.0           # a shared venue where at most `venue_small` rows of the graph publish
    venue_small: float = 30.0    # (a venue with 4x as many rows weighs half)
    venue_cap: float = 1.5
    absent: float = 1.0          # no shared co-author: per doubling of papers(a) x papers(b) beyond
    absent_free: float = 4.0     # 2 ** absent_free (16) paper pairs
    absent_cap: float = 3.0      # (never `distinct` on this alone)
    years_near: float = 1.0      # active years overlap or follow each other
    years_gap: float = 0.12      # per year of gap beyond `gap_free`
    gap_free: int = 4
    prior: float = 1.2           # minus this times log2(rows in the cluster)
    common: float = 4.0          # minus this times the name's commonness rank beyond `common_free`
    common_free: float = 0.8
    base: float = 0.4
    same: float = 2.0
    positive: float = 2.0        # the title evidence a `same` needs at least when no co-author is shared
    distinct: float = -4.0
    affiliation: float = 2.0     # a shared institution with at most `affiliation_small` rows in the graph
    affiliation_small: float = 20.0  # (one with 4x as many rows weighs half)
    affiliation_cap: float = 3.0
    affiliation_positive: float = 3.0  # shared affiliations count as positive evidence from this (two small ones)
    self_cite: float = 2.0       # per citing pair of papers
    self_cite_cap: float = 4.0
    self_cite_positive: float = 4.0  # self-citations count as positive evidence from this (two citing pairs)
    # variant suggestions (kg.identity.variants: never merged, precision >= 0.95 asked, not 0.99),
    # tuned on the tune half of bench/variants.py: rare title words beyond chance (and 2 free bits)
    # are evidence, and so is being alone at a venue among the rows of the names' spellings
    suggest_title_free: float = 2.0   # title_free and title_venue of the title evidence a suggestion needs
    suggest_title_venue: float = 0.0
    suggest_min: float = -1.0         # the score a suggestion needs at least
    suggest_alone: float = 0.5        # two rows alone at a venue among all rows of their names' spellings


@dataclass
class Profile:
    """One row as the evidence sees it. `coauthors` holds the joint papers per co-author cluster,
    filled (kg.identity.compute) only for rows whose pairs share a co-author; `clusters` is the set."""

    iri: str
    facts: RowFacts
    clusters: frozenset[int] = frozenset()                     # co-author name clusters
    coauthors: Counter[int] = field(default_factory=Counter)   # co-author name cluster -> joint papers
    mates: frozenset[int] = frozenset()                        # rows of the same cluster on a paper with it
    row: int = -1                                              # the index's row number
    papers: frozenset[int] = frozenset()                       # index paper numbers, filled for rows with mates
    chance: float | None = None                                # sum of idf x 2**-idf of its words (title_chance)
    ceiling: float | None = None                               # the sum of its words' IDFs above 0 (title_ceiling)
    coauthor_rows: frozenset[int] = frozenset()                # its co-authors' rows (empty: not known)
    spelt: frozenset[int] | None = None  # its co-author clusters that have another spelling (None: not known)

    @property
    def first(self) -> int | None:
        return self.facts.first

    @property
    def last(self) -> int | None:
        return self.facts.last


@dataclass
class Context:
    """What the pairs of one cluster are weighed by: the rarity of each co-author, venue and title
    word in the whole graph, and their names for the reasons."""

    rows: int
    commonness: float                     # the name's commonness rank in the graph, 0 (rarest) to 1
    coauthor_papers: Callable[[int], int]  # co-author cluster -> the papers of all its rows
    coauthor_names: Callable[[int], str]
    venue_rows: Callable[[int], int]      # venue -> author rows of the whole graph publishing there
    venue_names: Callable[[int], str]
    word_bits: Callable[[int], float] = lambda w: 0.0  # title word -> its IDF in bits
    word_names: Callable[[int], str] = str
    coauthor_rank: Callable[[int], float] = lambda c: 0.0  # co-author cluster -> its name's commonness rank
    venue_word: Callable[[int, int], tuple[int, int]] = lambda v, w: (0, 0)  # (venue's papers using it, its papers)
    row_cluster: Callable[[int], int] = lambda r: -1  # a co-author row -> its name cluster
    # institution -> author rows of the whole graph there (unknown: as many as a large one has)
    institution_rows: Callable[[int], int] = lambda i: 1 << 30
    institution_names: Callable[[int], str] = str
    # co-author cluster -> the co-author clusters whose names may be another spelling of its name
    coauthor_variants: Callable[[int], AbstractSet[int]] = lambda c: frozenset()
    own: AbstractSet[int] = frozenset()  # the clusters of the pair's own names and their spellings
    # the co-author clusters that have another spelling at all (None: not known, each one is asked)
    spelt_clusters: AbstractSet[int] | None = None
    # title_evidence first bounds the shared words' bits by their whole IDFs, and reads no venue's
    # rarities for words that cannot add up to evidence even so (kg.identity.compute's speed path)
    title_bound: bool = False
    # per title word, its bits x 2**-bits (title_chance's terms) and its bits above zero (title_ceiling's),
    # computed once a build; with the second, title_evidence turns away at once a pair whose words
    # cannot add up to evidence whichever they share (kg.identity.compute's speed path; None: neither)
    word_chance: Sequence[float] | None = None
    word_ceiling: Sequence[float] | None = None


@dataclass
class Pair:
    a: str
    b: str
    score: float
    verdict: str
    reasons: list[str]

    def to_json(self) -> dict[str, object]:
        return {"rows": [self.a, self.b], "score": round(self.score, 2), "verdict": self.verdict,
                "reasons": self.reasons}


def homonym_number(name: str) -> str | None:
    m = _NUMBER.search(name.strip())
    return m.group(1) if m else None


def hard_rule(a: Profile, b: Profile) -> tuple[str, str] | None:
    """(verdict, reason) when an identifier, a dblp number or a shared paper decides the pair."""
    fa, fb = a.facts, b.facts
    if fa.orcid and fb.orcid and fa.orcid != fb.orcid:
        return DISTINCT, f"different ORCIDs ({_short(fa.orcid)}, {_short(fb.orcid)})"
    shared = a.papers & b.papers if b.row in a.mates else None
    if shared:
        return DISTINCT, f"both on {_count(len(shared), 'paper')} together (a person is listed once per paper)"
    na, nb = homonym_number(fa.name), homonym_number(fb.name)
    if na and nb and na != nb:
        return DISTINCT, f"dblp tells them apart ({fa.name}, {fb.name})"
    for label, x, y in (("ORCID", fa.orcid, fb.orcid), ("dblp person", fa.dblp, fb.dblp),
                        ("OpenAlex author", fa.openalex, fb.openalex)):
        if x and x == y:
            return SAME, f"the same {label} {_short(x)}"
    return None


def compare(a: Profile, b: Profile, ctx: Context, w: Weights,
            spelt: list[tuple[int, int]] | None = None) -> Pair:
    """The pair's evidence; `spelt`: variant_coauthors(a, b, ctx), when the caller has it."""
    rule = hard_rule(a, b)
    if rule is not None:
        verdict, reason = rule
        return Pair(a.iri, b.iri, RULE_SCORE if verdict == SAME else -RULE_SCORE, verdict, [reason])
    reasons: list[str] = []
    score = 0.0  # the evidence; the priors are added at the end
    co = 0.0
    shared = sorted(a.clusters & b.clusters, key=lambda c: (ctx.coauthor_papers(c), ctx.coauthor_names(c)))
    if spelt is None:
        spelt = variant_coauthors(a, b, ctx)
    for x, y in spelt:  # a co-author under two spellings: weighed as one, by its commoner name, and less
        joint = min(a.coauthors[x], b.coauthors[y])
        papers = max(ctx.coauthor_papers(x), ctx.coauthor_papers(y))
        co += w.coauthor_variant * w.coauthor * (1 + 0.3 * math.log2(joint)) / math.log2(2 + papers / w.prolific)
    spelt_names = [f"{ctx.coauthor_names(x)} / {ctx.coauthor_names(y)}" for x, y in spelt]
    spelt_reason = f"{_count(len(spelt), 'shared co-author')} under another spelling: {_list(spelt_names)}"
    if shared:
        # a co-author of a common name ("Bin Li") may be two people, unless both wrote with its one row
        known = bool(a.coauthor_rows and b.coauthor_rows)
        one_row = {ctx.row_cluster(x) for x in a.coauthor_rows & b.coauthor_rows} if known else set()
        for c in shared:
            joint = min(a.coauthors[c], b.coauthors[c])
            doubt = w.coauthor_common if known and c not in one_row else 0.0
            trust = 1 - doubt * max(0.0, ctx.coauthor_rank(c) - w.common_free) / (1 - w.common_free)
            co += trust * w.coauthor * (1 + 0.3 * math.log2(joint)) / math.log2(2 + ctx.coauthor_papers(c) / w.prolific)
        co = min(co, w.coauthor_cap)
        score += co
        names = [ctx.coauthor_names(c) for c in shared]
        reasons.append(f"{_count(len(shared), 'shared co-author')}: {_list(names)}")
        if spelt:
            reasons.append(spelt_reason)
    elif spelt:
        co = min(co, w.coauthor_cap)
        score += co
        reasons.append(spelt_reason)
    else:
        reasons.append("no shared co-author")
        # many papers between them and not one co-author in common: probably two people
        opportunity = math.log2(max(a.facts.papers, 1) * max(b.facts.papers, 1))
        if opportunity > w.absent_free and w.absent > 0:
            score -= min(w.absent * (opportunity - w.absent_free), w.absent_cap)
            reasons.append(f"{a.facts.papers} and {b.facts.papers} papers without a co-author in common")
    title, words = title_evidence(a, b, ctx, w)
    if title > 0:
        score += title
        reasons.append(f"similar titles: {_count(len(words), 'rare word')} in common ({_list(words)})")
    affiliation, institutions = affiliation_evidence(a, b, ctx, w)
    if institutions:
        score += affiliation
        reasons.append(f"{_count(len(institutions), 'shared affiliation')}: {_list(institutions)}"
                       + ("" if affiliation >= w.affiliation else
                          " (a large institution: weak evidence)" if len(institutions) == 1 else
                          " (large institutions: weak evidence)"))
    cites = a.facts.cites.count(b.row) + b.facts.cites.count(a.row) if b.row >= 0 else 0
    self_cite = min(w.self_cite * cites, w.self_cite_cap)
    if cites:
        score += self_cite
        reasons.append(f"self-citation: {_citing(a, b)}")
    venues = sorted(a.facts.venues & b.facts.venues, key=lambda v: (ctx.venue_rows(v), v))
    if venues:
        ve = 0.0
        for v in venues:
            ve += w.venue * min(1.0, w.venue_small / max(ctx.venue_rows(v), 1)) ** 0.5
        score += min(ve, w.venue_cap)
        reasons.append(f"{_count(len(venues), 'shared venue')}: {_list([ctx.venue_names(v) for v in venues])}")
    elif a.facts.venues and b.facts.venues:
        reasons.append("no shared venue")
    gap = _gap(a, b)
    if gap is not None:
        if gap <= 1:
            score += w.years_near
            reasons.append("active in the same years" if gap == 0 else "active in adjacent years")
        else:
            score -= w.years_gap * max(0, gap - w.gap_free)
            reasons.append(f"{gap} years apart ({_years(a)} and {_years(b)})")
    total = score + w.base - w.prior * math.log2(max(ctx.rows, 2)) - w.common * (ctx.commonness - w.common_free)
    if total >= w.same and (co > 0 or title >= w.positive or affiliation >= w.affiliation_positive
                               or self_cite >= w.self_cite_positive > 0):
        verdict = SAME
    elif score <= w.distinct:  # evidence against (years far apart), not only a common name or a large cluster
        verdict = DISTINCT
    else:
        verdict = UNSURE
        if total >= w.same:  # enough on the name, the venue and the years, nothing to say it is one person
            held = (["same venue"] if venues else []) + (["same institution"] if institutions else []) + (
                ["a self-citation"] if cites else []) + (
                ["same years" if gap == 0 else "adjacent years"] if gap is not None and gap <= 1 else [])
            rest = "nothing else shared" if title == 0 and not institutions and not cites else "too little else shared"
            reasons.append(f"possibly one person: {', '.join(held + [rest])}" if held
                           else f"possibly one person: the name alone, {rest}")
    return Pair(a.iri, b.iri, total, verdict, reasons)


def variant_coauthors(a: Profile, b: Profile, ctx: Context) -> list[tuple[int, int]]:
    """The co-authors the two rows share under two spellings of the name: (a's co-author cluster,
    b's), each cluster once, rarest first; none that either row also shares under one name, nor
    one of the pair's own names (`ctx.own`)."""
    if not a.clusters or not b.clusters:
        return []
    own = ctx.own
    options: dict[int, Collection[int]]
    if ctx.spelt_clusters is None:
        theirs = b.clusters - a.clusters
        options = {x: got for x in a.clusters - b.clusters
                   if x not in own and (got := [y for y in ctx.coauthor_variants(x) if y in theirs and y not in own])}
    else:  # the speed path: only the clusters with another spelling (Profile.spelt, when known), their
        # spellings among b's at once (a few spellings each, against rows of a hundred co-authors and more)
        mine, variants = a.clusters, ctx.coauthor_variants
        spelt = a.spelt if a.spelt is not None else mine & ctx.spelt_clusters
        options = {x: near for x in spelt - b.clusters
                   if x not in own and (near := ((variants(x) & b.clusters) - mine) - own)}
    if not options:
        return []

    def rarest(c: int) -> tuple[int, int]:
        return ctx.coauthor_papers(c), c

    found: list[tuple[int, int]] = []
    used: set[int] = set()
    for x in sorted(options, key=rarest):
        y = min((y for y in options[x] if y not in used), key=rarest, default=None)
        if y is not None:
            found.append((x, y))
            used.add(y)
    return found


def affiliation_evidence(a: Profile, b: Profile, ctx: Context, w: Weights) -> tuple[float, list[str]]:
    """The score of the institutions two rows share, each by how few rows of the whole graph it
    has (as a venue), and their names, smallest institution first."""
    shared = sorted(a.facts.institutions & b.facts.institutions, key=lambda i: (ctx.institution_rows(i), i))
    if not shared:
        return 0.0, []
    score = sum(w.affiliation * min(1.0, w.affiliation_small / max(ctx.institution_rows(i), 1)) ** 0.5
                for i in shared)
    return min(score, w.affiliation_cap), [ctx.institution_names(i) for i in shared]


def _citing(a: Profile, b: Profile) -> str:
    """Which row's papers cite the other's, in words."""
    parts = []
    for x, y in ((a, b), (b, a)):
        n = x.facts.cites.count(y.row)
        if n:
            ends = ("a paper", "a paper") if n == 1 else ("the papers", "those")
            parts.append(f"{_count(n, 'citation')} from {ends[0]} of {x.facts.name} ({_row(x.iri)}) "
                         f"to {ends[1]} of {y.facts.name} ({_row(y.iri)})")
    return "; ".join(parts)


def _row(iri: str) -> str:
    return unquote(iri.rstrip("/").rsplit("/", 1)[-1])


def title_chance(p: Profile, ctx: Context) -> float:
    """What a row's title words are worth, per paper of another row, by chance: a word used by a
    share 2**-idf of the graph's titled papers turns up in another row's paper that often."""
    if p.chance is None:
        table = ctx.word_chance
        p.chance = sum(bits * 2 ** -bits for bits in map(ctx.word_bits, p.facts.words)) if table is None \
            else sum(map(table.__getitem__, p.facts.words))  # the same terms, added in the same order
    return p.chance


def title_ceiling(p: Profile, ctx: Context) -> float:
    """The most a row's title words can weigh in a pair, whichever of them the other row shares: the
    sum of their IDFs in bits, those above zero (a shared word's bits are at most its IDF: venue_bits)."""
    if p.ceiling is None:
        table = ctx.word_ceiling
        p.ceiling = sum(max(0.0, bits) for bits in map(ctx.word_bits, p.facts.words)) if table is None \
            else sum(map(table.__getitem__, p.facts.words))
    return p.ceiling


def word_tables(bits: Sequence[float]) -> tuple[array[float], array[float]]:
    """Context.word_chance and Context.word_ceiling from the title words' IDFs."""
    return array("d", [b * 2 ** -b for b in bits]), array("d", [max(0.0, b) for b in bits])


def title_evidence(a: Profile, b: Profile, ctx: Context, w: Weights) -> tuple[float, list[str]]:
    """The score of the rare title words two rows share (their IDF in bits, less what rows with as
    many papers would share by chance, less `title_free`) and the words, rarest first."""
    shared = a.facts.words & b.facts.words
    if not shared or w.title <= 0:
        return 0.0, []
    venues = a.facts.venues & b.facts.venues
    chance = (b.facts.papers * title_chance(a, ctx) + a.facts.papers * title_chance(b, ctx)) / 2
    free = w.title_free + (w.title_venue if venues else 0.0)
    if ctx.word_ceiling is not None and \
            min(title_ceiling(a, ctx), title_ceiling(b, ctx)) - chance - free < -CEILING_EPS:
        return 0.0, []  # the shared words weigh at most either row's ceiling: the score would be 0 below
    if venues and ctx.title_bound and sum([ctx.word_bits(x) for x in shared]) - chance - free < -_BOUND_EPS:
        return 0.0, []  # venue_bits never raises a word's bits: the score would be 0 below
    own = a.facts.papers + b.facts.papers
    rarity = {x: venue_bits(x, venues, ctx, w, own) if venues else ctx.word_bits(x) for x in shared}
    bits = sum(rarity.values())
    score = min(w.title * max(0.0, bits - chance - free), w.title_cap)
    if score <= 0:
        return 0.0, []
    return score, [ctx.word_names(x) for x in sorted(shared, key=lambda x: (-rarity[x], x))]


def venue_bits(word: int, venues: frozenset[int], ctx: Context, w: Weights, own: int = 2) -> float:
    """A title word's rarity for two rows that both publish at `venues`: its IDF over the graph, or
    less where it is common at one of those venues (the venue's topic: "linear, systems" at a
    control journal). At a venue, the share of its titled papers using the word beyond the two
    rows' own (at most `own`, their papers: a person's own papers at its venue repeat its words),
    pulled towards the graph's share by `venue_prior` papers, so that a small venue says little
    either way."""
    bits = ctx.word_bits(word)
    for v in venues:
        used, papers = ctx.venue_word(v, word)
        if used > own and papers:
            local = (used - own + w.venue_prior * 2 ** -bits) / (papers + w.venue_prior)
            bits = min(bits, -math.log2(local))
    return bits


def commonness(key: str, first: Counter[str], last: Counter[str], names: int) -> float:
    """log2 of how many of `names` names one expects to read like `key` if given and family names
    were paired at random: first[given] * last[family] / names (name keys, counted once each)."""
    tokens = key.split()
    if len(tokens) < 2:
        return 0.0
    return math.log2(max(first[tokens[0]] * last[tokens[-1]] / max(names, 1), 1e-6))


def _gap(a: Profile, b: Profile) -> int | None:
    if a.first is None or b.first is None or a.last is None or b.last is None:
        return None
    return max(0, max(a.first, b.first) - min(a.last, b.last))


def _years(p: Profile) -> str:
    return str(p.first) if p.first == p.last else f"{p.first}–{p.last}"


def _short(iri: str) -> str:
    return iri.rsplit("/", 1)[-1] if "orcid.org/" in iri or "openalex.org/" in iri else iri.removeprefix("https://dblp.org/pid/")


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"


def _list(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
