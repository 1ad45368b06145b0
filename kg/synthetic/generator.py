"""A synthetic scholarly graph with the shapes of dblp, written as rows tables. Deterministic per seed.

The model (distributions and where their parameters come from: docs/generator.md):

1. Every paper draws its number of authors from `AUTHOR_COUNTS` (mean about 3.3, a rare tail into
   the hundreds). Their sum is the number of author slots.
2. There are `PEOPLE_PER_PAPER` people per paper. Each draws a productivity from a discretised
   log-normal, rescaled so that the productivities sum to the number of slots exactly (mean about
   6.9 authorships per person, heavy-tailed).
3. People are grouped into communities (research groups) of log-normal size, arranged on a ring.
   Each person's slots go to their own community, except a fraction that goes to a nearby community
   on the ring (or, rarely, anywhere): the bridges of the co-authorship graph. A share of the
   communities is isolated (no bridges): the people outside the giant component.
4. Each community's slots are shuffled and cut into papers in order, so people mostly write with the
   same group; a community prefers a few venues and a period of years.
5. Names: a mix of name pools with very skewed frequencies ("Wei Wang" is shared by hundreds of rows
   at 1M papers), dblp homonym numbers ("Wei Wang 0003") on about 1.6 % of people, and case and
   diacritic variants of the same name.
6. Abstracts only when asked (`abstracts` words, about; none by default): drawn from a random
   generator of their own, so that every other value is the same with or without them.

Nothing is held per paper: papers and authorships are written as they are cut; memory is the
per-person and per-slot arrays (a few bytes each).
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from kg.sources.rows import COLUMNS
from kg.synthetic.model import (
    assign_slots,
    cut_papers,
    draw_communities,
    paper_sizes,
    place_degrees,
    productivity,
    venue_count,
)
from kg.synthetic.names import person_names
from kg.synthetic.params import CORR_SHARE, HOME_VENUE_SHARE, LAST_YEAR, PEOPLE_PER_PAPER
from kg.synthetic.text import PAPER_TYPES, draw_abstract, draw_title, draw_venues


@dataclass
class Summary:
    papers: int = 0
    people: int = 0
    authorships: int = 0
    venues: int = 0
    communities: int = 0
    homonym_numbered: int = 0
    variants: int = 0
    files: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def table_writer(path: Path, header: Sequence[str]) -> tuple[IO[str], Any]:
    raw: Any = gzip.open(path, "wb", compresslevel=1) if path.name.endswith(".gz") else open(path, "wb")  # noqa: SIM115
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False)
    w = csv.writer(text, lineterminator="\n")
    w.writerow(header)
    return text, w


def generate(papers: int, seed: int, out: Path, *, compress: bool = False, abstracts: int = 0) -> Summary:
    """Write venues, authors, papers and authorships tables for `papers` synthetic papers into `out`;
    with `abstracts`, each paper has an abstract of about that many words."""
    if papers < 1:
        raise ValueError("papers: must be at least 1")
    if abstracts < 0:
        raise ValueError("abstracts: must be at least 0 (words)")
    rng = random.Random(seed)
    abstract_rng = random.Random(f"abstracts {seed}")  # apart: the other draws are the same without them
    out.mkdir(parents=True, exist_ok=True)
    suffix = ".csv.gz" if compress else ".csv"
    for table in ("venues", "authors", "papers", "authorships"):
        for other in (".csv", ".csv.gz", ".jsonl", ".jsonl.gz"):
            (out / f"{table}{other}").unlink(missing_ok=True)
    summary = Summary(papers=papers)

    sizes = paper_sizes(rng, papers)
    slots = sum(sizes)
    people = max(1, min(slots, round(PEOPLE_PER_PAPER * papers)))
    degrees = productivity(rng, people, slots)
    venue_rows = draw_venues(rng, venue_count(papers))
    communities = draw_communities(rng, people, len(venue_rows))
    place_degrees(rng, degrees, communities)
    pools = assign_slots(rng, degrees, communities)
    del degrees
    names = person_names(rng, people, summary)
    summary.people, summary.venues, summary.communities = people, len(venue_rows), len(communities)

    path = out / f"venues{suffix}"
    f, w = table_writer(path, COLUMNS["venues"])
    with f:
        w.writerows(venue_rows)
    summary.files.append(path.name)

    path = out / f"authors{suffix}"
    f, w = table_writer(path, COLUMNS["authors"])
    with f:
        w.writerows((f"a{i}", name, "", "", "") for i, name in enumerate(names))
    summary.files.append(path.name)

    printed = [name[:-5] if name[-5:-4] == " " and name[-4:].isdigit() else name for name in names]
    paper_path, ship_path = out / f"papers{suffix}", out / f"authorships{suffix}"
    pf, pw = table_writer(paper_path, COLUMNS["papers"])
    sf, sw = table_writer(ship_path, COLUMNS["authorships"])
    doi_prefixes = [f"10.{1000 + rng.randrange(9000)}" for _ in range(64)]
    with pf, sf:
        for index, ci, authors in cut_papers(rng, sizes, pools, communities, people):
            c = communities[ci]
            pid = f"p{index}"
            u = rng.random()
            if u < CORR_SHARE:
                venue = 0
            elif u < CORR_SHARE + (1 - CORR_SHARE) * HOME_VENUE_SHARE:
                venue = c.venues[rng.randrange(len(c.venues))]
            else:
                venue = 1 + rng.randrange(len(venue_rows) - 1) if len(venue_rows) > 1 else 0
            vid, _, kind, _ = venue_rows[venue]
            kind_label = PAPER_TYPES.get(kind, "Informal Publication")
            year = min(LAST_YEAR, c.start_year + rng.randrange(c.span))
            doi = f"{doi_prefixes[venue % 64]}/{vid}.{year}.{index}" if venue and rng.random() < 0.7 else ""
            abstract = draw_abstract(abstract_rng, c.topic, abstracts) if abstracts else ""
            pw.writerow((pid, draw_title(rng, c.topic), year, vid, kind_label, abstract, doi, "", ""))
            sw.writerows((pid, f"a{person}", pos, printed[person]) for pos, person in enumerate(authors, 1))
            summary.authorships += len(authors)
    summary.files += [paper_path.name, ship_path.name]
    return summary
