"""The shape of a rows directory: the figures docs/generator.md compares with dblp's.

Reads the four tables (no store needed): authors per paper, people per paper, authorships per
person, the co-authorship graph's giant component and mean distance (breadth-first search from
sampled people over the paper-person graph), name collisions, venues and years.
"""

from __future__ import annotations

import random
import re
import statistics
from array import array
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kg.names import loose_key, name_key
from kg.records import Author, Authorship, Paper, Venue
from kg.sources.rows import read_rows

_HOMONYM = re.compile(r"\s\d{4}$")


@dataclass
class Shape:
    papers: int
    people: int
    authorships: int
    venues: int
    venue_kinds: dict[str, int]
    authors_per_paper: float
    single_author: float
    two_authors: float
    three_to_six: float
    seven_or_more: float
    max_authors: int
    people_per_paper: float
    authorships_per_person: float
    median_authorships_per_person: float
    one_paper_people: float
    people_without_papers: int
    max_authorships_per_person: int
    giant_component: float
    mean_distance: float
    repeat_coauthor_share: float
    top_venue_share: float
    homonym_numbered: float
    largest_cluster_rows: int
    case_variant_clusters: int
    diacritic_variant_clusters: int
    first_year: int
    last_year: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def measure(directory: Path, *, sources: int = 24, seed: int = 0) -> Shape:
    """Measure the rows in `directory`; mean distance from `sources` sampled people."""
    person_index: dict[str, int] = {}
    names: list[str] = []
    paper_index: dict[str, int] = {}
    paper_venue: list[str | None] = []
    venue_kinds: Counter[str] = Counter()
    years: list[int] = []
    ship_paper, ship_person = array("i"), array("i")
    for located in read_rows(directory):
        item = located.item
        if isinstance(item, Authorship):
            ship_paper.append(paper_index[item.paper_id])
            ship_person.append(person_index[item.author_id])
        elif isinstance(item, Paper):
            paper_index[item.id] = len(paper_venue)
            paper_venue.append(item.venue_id)
            if item.year is not None:
                years.append(item.year)
        elif isinstance(item, Author):
            person_index[item.id] = len(names)
            names.append(item.name)
        elif isinstance(item, Venue):
            venue_kinds[item.kind] += 1
    n_papers, n_people, n_ships = len(paper_venue), len(names), len(ship_paper)
    paper_authors: list[list[int]] = [[] for _ in range(n_papers)]
    person_papers: list[list[int]] = [[] for _ in range(n_people)]
    for p, a in zip(ship_paper, ship_person, strict=True):
        paper_authors[p].append(a)
        person_papers[a].append(p)
    sizes = [len(a) for a in paper_authors]
    degrees = [len(p) for p in person_papers]
    share = _shares(sizes, n_papers)
    giant, members = _giant(paper_authors, n_people)
    clusters = Counter(name_key(n) for n in names)
    exact_by_key: dict[str, set[str]] = {}
    loose_by_key: dict[str, set[str]] = {}
    for n in names:
        base = _HOMONYM.sub("", n)
        exact_by_key.setdefault(name_key(n), set()).add(base)
        loose_by_key.setdefault(loose_key(n), set()).add(name_key(n))
    return Shape(
        papers=n_papers,
        people=n_people,
        authorships=n_ships,
        venues=sum(venue_kinds.values()),
        venue_kinds=dict(sorted(venue_kinds.items())),
        authors_per_paper=n_ships / max(1, n_papers),
        single_author=share(1, 1),
        two_authors=share(2, 2),
        three_to_six=share(3, 6),
        seven_or_more=share(7, 10**9),
        max_authors=max(sizes, default=0),
        people_per_paper=n_people / max(1, n_papers),
        authorships_per_person=n_ships / max(1, n_people),
        median_authorships_per_person=statistics.median(degrees) if degrees else 0.0,
        one_paper_people=sum(1 for d in degrees if d == 1) / max(1, n_people),
        people_without_papers=sum(1 for d in degrees if d == 0),
        max_authorships_per_person=max(degrees, default=0),
        giant_component=giant / max(1, n_people),
        mean_distance=_mean_distance(paper_authors, person_papers, members, sources, seed),
        repeat_coauthor_share=_repeat_share(paper_authors, person_papers),
        top_venue_share=_top_venue_share(person_papers, paper_venue),
        homonym_numbered=sum(1 for n in names if _HOMONYM.search(n)) / max(1, n_people),
        largest_cluster_rows=max(clusters.values(), default=0),
        case_variant_clusters=sum(1 for v in exact_by_key.values() if len(v) > 1),
        diacritic_variant_clusters=sum(1 for v in loose_by_key.values() if len(v) > 1),
        first_year=min(years, default=0),
        last_year=max(years, default=0),
    )


def _shares(sizes: list[int], n: int) -> Any:
    counts = Counter(sizes)

    def share(lo: int, hi: int) -> float:
        return sum(c for k, c in counts.items() if lo <= k <= hi) / max(1, n)

    return share


def _giant(paper_authors: list[list[int]], n_people: int) -> tuple[int, list[int]]:
    parent = list(range(n_people))

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for authors in paper_authors:
        if len(authors) > 1:
            r0 = find(authors[0])
            for a in authors[1:]:
                r = find(a)
                if r != r0:
                    parent[r] = r0
    sizes = Counter(find(x) for x in range(n_people))
    if not sizes:
        return 0, []
    root, size = sizes.most_common(1)[0]
    return size, [x for x in range(n_people) if find(x) == root]


def _mean_distance(
    paper_authors: list[list[int]], person_papers: list[list[int]], members: list[int], sources: int, seed: int
) -> float:
    """Mean co-authorship distance between people of the giant component, from sampled sources."""
    if len(members) < 2:
        return 0.0
    rng = random.Random(seed)
    total = pairs = 0
    n = len(person_papers)
    for source in rng.sample(members, min(sources, len(members))):
        dist = array("i", [-1]) * n
        paper_seen = bytearray(len(paper_authors))
        dist[source] = 0
        frontier = [source]
        depth = 0
        while frontier:
            depth += 1
            nxt: list[int] = []
            for person in frontier:
                for p in person_papers[person]:
                    if paper_seen[p]:
                        continue
                    paper_seen[p] = 1
                    for other in paper_authors[p]:
                        if dist[other] < 0:
                            dist[other] = depth
                            nxt.append(other)
                            total += depth
                            pairs += 1
            frontier = nxt
    return total / max(1, pairs)


def _repeat_share(paper_authors: list[list[int]], person_papers: list[list[int]]) -> float:
    """Of the co-author pairs (sampled by person), the share that wrote together more than once."""
    repeated = pairs = 0
    for person, papers in enumerate(person_papers[:: max(1, len(person_papers) // 20000)]):
        if len(papers) < 2:
            continue
        together: Counter[int] = Counter()
        for p in papers:
            authors = paper_authors[p]
            if len(authors) <= 50:
                together.update(a for a in authors if a != person)
        pairs += len(together)
        repeated += sum(1 for c in together.values() if c > 1)
    return repeated / max(1, pairs)


def _top_venue_share(person_papers: list[list[int]], paper_venue: list[str | None]) -> float:
    """For people with at least 3 papers, the mean share of their papers in their most used venue."""
    shares = []
    for papers in person_papers:
        if len(papers) >= 3:
            counts = Counter(paper_venue[p] for p in papers)
            shares.append(counts.most_common(1)[0][1] / len(papers))
    return statistics.fmean(shares) if shares else 0.0
