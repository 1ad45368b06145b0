"""Rows tables written for a test build, and the built store's index and identity facts opened:
what the tests that check a speed path of the identity step against its plain path share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from conftest import write_csv_tables

import kg
from kg.adjacency import AdjacencyIndex
from kg.identity.facts import Facts


def write_tables(folder: Path, authors: list[list[str]], papers: list[list[object]], venues: Sequence[str],
                 author_columns: Sequence[str] = ("id", "name", "orcid")) -> Path:
    """The four rows tables in `folder`: each paper is [id, title, year, venue, [author ids]], each
    author a row of `author_columns`; a venue's name is its id in capitals."""
    folder.mkdir(parents=True)
    tables: dict[str, tuple[list[str], list[list[object]]]] = {
        "venues.csv": (["id", "name", "kind"], [[v, v.upper(), "conference"] for v in venues]),
        "papers.csv": (["id", "title", "year", "venue_id"], [p[:4] for p in papers]),
        "authors.csv": (list(author_columns), [list(a) for a in authors]),
        "authorships.csv": (["paper_id", "author_id", "position"],
                            [[p[0], a, i] for p in papers for i, a in enumerate(p[4], 1)]),  # type: ignore[arg-type]
    }
    return write_csv_tables(folder, tables)


@contextmanager
def opened_index(store: Path) -> Iterator[tuple[AdjacencyIndex, Facts]]:
    """The active generation's co-authorship index and identity facts, closed afterwards."""
    index = AdjacencyIndex.open((store / "active").resolve())
    assert index is not None
    try:
        facts = Facts.read(index.path)
        assert facts is not None
        yield index, facts
    finally:
        index.close()


@contextmanager
def built_index(authors: list[list[str]], papers: list[list[object]], venues: Sequence[str],
                author_columns: Sequence[str] = ("id", "name", "orcid")) -> Iterator[tuple[AdjacencyIndex, Facts]]:
    """The tables of write_tables built by kg.build into a temporary store, its index and facts
    opened; all removed afterwards."""
    with TemporaryDirectory() as tmp:
        root = Path(tmp)
        kg.build([write_tables(root / "rows", authors, papers, venues, author_columns)], root / "store")
        with opened_index(root / "store") as opened:
            yield opened
