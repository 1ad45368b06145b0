"""The structure of the graph: authors per paper, productivity, communities on a ring with
bridges, and the cut of each community's author slots into papers (docs/generator.md)."""

from __future__ import annotations

import bisect
import math
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

from kg.synthetic.params import (
    AUTHOR_COUNTS,
    BRIDGE_LOCAL,
    BRIDGE_REACH,
    BRIDGE_SHARE,
    COMMUNITY_MU,
    COMMUNITY_SIGMA,
    FIRST_YEAR,
    HUGE_RANGE,
    HUGE_SHARE,
    ISOLATED_SHARE,
    ISOLATED_SIZES,
    LAST_YEAR,
    MAX_PAPERS_PER_PERSON,
    PRODUCTIVITY_MU,
    PRODUCTIVITY_SIGMA,
)
from kg.synthetic.sampling import cumulative, pick, zipf_table
from kg.synthetic.text import TOPICS


def venue_count(papers: int) -> int:
    """A few thousand at dblp scale: 4·sqrt(papers), between 20 and 6000."""
    return max(20, min(6000, round(4 * math.sqrt(papers))))


def _author_count_table() -> tuple[list[int], list[float]]:
    values = [k for k, _ in AUTHOR_COUNTS]
    weights = [p for _, p in AUTHOR_COUNTS]
    return values, cumulative(weights)


def expected_authors_per_paper() -> float:
    total = sum(p for _, p in AUTHOR_COUNTS)
    lo, hi = HUGE_RANGE
    huge_mean = (hi - lo) / math.log(hi / lo)
    return (1 - HUGE_SHARE) * sum(k * p for k, p in AUTHOR_COUNTS) / total + HUGE_SHARE * huge_mean


def paper_sizes(rng: random.Random, n: int) -> array[int]:
    values, cum = _author_count_table()
    lo, hi = HUGE_RANGE
    sizes = array("i", bytes(4 * n))
    for i in range(n):
        if rng.random() < HUGE_SHARE:
            sizes[i] = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        else:
            sizes[i] = values[bisect.bisect_left(cum, rng.random())]
    return sizes


def productivity(rng: random.Random, people: int, slots: int) -> array[int]:
    """Authorships per person: heavy-tailed, at least 1 each, summing to `slots` exactly."""
    cap = max(1, min(MAX_PAPERS_PER_PERSON, slots - people + 1))
    raw = [min(cap, 1 + int(rng.lognormvariate(PRODUCTIVITY_MU, PRODUCTIVITY_SIGMA))) for _ in range(people)]
    total = sum(raw)
    scale = (slots - people) / max(1, total - people)
    degrees = array("i", bytes(4 * people))
    for i, d in enumerate(raw):
        extra = (d - 1) * scale
        whole = int(extra)
        degrees[i] = min(cap, 1 + whole + (rng.random() < extra - whole))
    diff = slots - sum(degrees)
    while diff != 0:
        i = rng.randrange(people)
        if diff > 0 and degrees[i] < cap:
            degrees[i] += 1
            diff -= 1
        elif diff < 0 and degrees[i] > 1:
            degrees[i] -= 1
            diff += 1
    return degrees


@dataclass
class Community:
    first: int  # first person
    size: int
    isolated: bool
    venues: tuple[int, ...]
    start_year: int
    span: int
    topic: str


def draw_communities(rng: random.Random, people: int, venues: int) -> list[Community]:
    venue_cum = zipf_table(max(1, venues - 1), 0.9)
    year_weights = [1.09 ** (y - FIRST_YEAR) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
    year_cum = cumulative(year_weights)
    out: list[Community] = []
    small = sum(ISOLATED_SIZES) / len(ISOLATED_SIZES)
    large = 1 + math.exp(COMMUNITY_MU + COMMUNITY_SIGMA**2 / 2)
    # the share of communities that are isolated so that they hold ISOLATED_SHARE of the people
    isolated_share = ISOLATED_SHARE * large / (small + ISOLATED_SHARE * (large - small))
    first = 0
    while first < people:
        isolated = rng.random() < isolated_share
        size = rng.choice(ISOLATED_SIZES) if isolated else 1 + int(rng.lognormvariate(COMMUNITY_MU, COMMUNITY_SIGMA))
        size = min(size, people - first)
        home = tuple(1 + pick(rng, venue_cum) for _ in range(1 + rng.randrange(4)))
        span = 3 + int(rng.expovariate(1 / 12))
        start = FIRST_YEAR + pick(rng, year_cum)
        start = max(FIRST_YEAR, min(start, LAST_YEAR) - span // 2)
        out.append(Community(first, size, isolated, home, start, span, rng.choice(TOPICS)))
        first += size
    return out


def assign_slots(
    rng: random.Random, degrees: array[int], communities: list[Community]
) -> list[array[int]]:
    """Each community's pool of author slots (person indexes), bridges included, shuffled."""
    pools = [array("i") for _ in communities]
    open_ = [i for i, c in enumerate(communities) if not c.isolated]
    position = {c: i for i, c in enumerate(open_)}
    n_open = len(open_)
    for ci, c in enumerate(communities):
        pool = pools[ci]
        ring = position.get(ci)
        for person in range(c.first, c.first + c.size):
            for _ in range(degrees[person]):
                if ring is None or n_open < 2 or rng.random() >= BRIDGE_SHARE:
                    pool.append(person)
                    continue
                if rng.random() < BRIDGE_LOCAL:
                    step = 1 + int(rng.expovariate(1 / BRIDGE_REACH))
                    target = open_[(ring + (step if rng.random() < 0.5 else -step)) % n_open]
                else:
                    target = open_[rng.randrange(n_open)]
                pools[target].append(person)
    for pool in pools:
        rng.shuffle(pool)
    return pools


def cut_papers(
    rng: random.Random, sizes: array[int], pools: list[array[int]], communities: list[Community], people: int
) -> Iterator[tuple[int, int, list[int]]]:
    """The papers of `_cut`, the last one also given anyone left without a paper."""
    seen = bytearray(people)
    held: tuple[int, int, list[int]] | None = None
    for paper in _cut(rng, sizes, pools, communities):
        for person in paper[2]:
            seen[person] = 1
        if held is not None:
            yield held
        held = paper
    if held is not None:
        held[2].extend(p for p in range(people) if not seen[p])
        yield held


def _cut(
    rng: random.Random, sizes: array[int], pools: list[array[int]], communities: list[Community]
) -> Iterator[tuple[int, int, list[int]]]:
    """(paper index, community, people in author order): pools cut into papers of the drawn sizes.

    A person met twice in one paper waits for the next paper (deferred). A paper that outgrows an
    open community is finished with the next one's slots; one that outgrows an isolated community
    is cut short, so isolated communities stay isolated.
    """
    paper = 0
    n = len(sizes)
    carried: list[int] = []  # deferred people of the open communities, carried to the next one
    surplus = 0  # slots left unused by papers cut short in isolated communities
    order = [ci for ci, c in enumerate(communities) if c.isolated]
    order += [ci for ci, c in enumerate(communities) if not c.isolated]
    for ci in order:  # isolated first: what they leave unused is known before the open ones are cut
        pool = pools[ci]
        isolated = communities[ci].isolated
        deferred = [] if isolated else carried
        i = 0
        while paper < n and (i < len(pool) or deferred):
            want = sizes[paper]
            if surplus and not isolated and want >= 3:
                want += 1
                surplus -= 1
            authors: list[int] = []
            seen: set[int] = set()
            keep: list[int] = []
            for person in deferred:
                if len(authors) < want and person not in seen:
                    authors.append(person)
                    seen.add(person)
                else:
                    keep.append(person)
            deferred = keep
            while len(authors) < want and i < len(pool):
                person = pool[i]
                i += 1
                if person in seen:
                    deferred.append(person)
                else:
                    authors.append(person)
                    seen.add(person)
            if len(authors) < want and not isolated and ci != order[-1]:
                deferred = authors + deferred  # finish this paper with the next community's slots
                break
            if isolated:
                surplus += want - len(authors)
            yield paper, ci, authors
            paper += 1
        if not isolated:
            carried = deferred
    open_ = [ci for ci, c in enumerate(communities) if not c.isolated] or [len(communities) - 1]
    while paper < n:  # slots lost to short and de-duplicated papers: papers of random open communities
        ci = open_[rng.randrange(len(open_))]
        c = communities[ci]
        authors = rng.sample(range(c.first, c.first + c.size), min(c.size, sizes[paper]))
        yield paper, ci, authors
        paper += 1


def place_degrees(rng: random.Random, degrees: array[int], communities: list[Community]) -> None:
    """Give the people of isolated communities the smallest productivities (as outside dblp's giant)."""
    ordered = sorted(degrees)
    isolated = [p for c in communities if c.isolated for p in range(c.first, c.first + c.size)]
    low = ordered[: len(isolated)]
    rest = ordered[len(isolated):]
    rng.shuffle(low)
    rng.shuffle(rest)
    flags = bytearray(len(degrees))
    for p in isolated:
        flags[p] = 1
    li = ri = 0
    for p in range(len(degrees)):
        if flags[p]:
            degrees[p] = low[li]
            li += 1
        else:
            degrees[p] = rest[ri]
            ri += 1
