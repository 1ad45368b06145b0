"""Crossref `work` and `work-list` messages."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import DATA, shared

import kg
from kg import sources
from kg.records import Author, Authorship, Paper, Venue
from kg.store import StoreDir

WORK = DATA / "crossref" / "work.json"


def read(path: Path) -> list:  # type: ignore[type-arg]
    return [located.item for located in sources.read(path, "crossref")]


def test_work_message() -> None:
    items = read(WORK)
    paper = next(i for i in items if isinstance(i, Paper))
    assert (paper.id, paper.doi, paper.year, paper.type) == (
        "crossref:10.5555/neurips.2021.7", "10.5555/neurips.2021.7", 2021, "proceedings-article")
    assert paper.abstract == "We fit scaling laws & more."
    venue = next(i for i in items if isinstance(i, Venue))
    assert venue.name == "Advances in Neural Information Processing Systems" and venue.kind == "conference"
    ships = [(s.position, s.author_id, s.name_as_printed) for s in items if isinstance(s, Authorship)]
    assert ships == [(1, "crossref:10.5555/neurips.2021.7/1", "Bin Li"),
                     (2, "crossref:orcid/0000-0001-5109-3700", "André Straße")]
    assert sources.detect(WORK) == "crossref"


def test_other_message_types_are_rejected_with_the_file(tmp_path: Path) -> None:
    other = tmp_path / "members.json"
    other.write_text(json.dumps({"status": "ok", "message-type": "member-list", "message": {}}), encoding="utf-8")
    [located] = list(sources.read(other, "crossref"))
    assert located.file == str(other) and "member-list" in str(located.item)


def test_recorded_work_list_and_work(tmp_path: Path) -> None:
    worklist = read(shared("data", "crossref", "fmuro_crossref_worklist.json"))
    assert sum(isinstance(i, Paper) for i in worklist) == 4
    assert sum(isinstance(i, Authorship) for i in worklist) == 6
    # Fernando Muro signs all four with his ORCID: one author row.
    assert sum(isinstance(i, Author) for i in worklist) == 3
    work = read(shared("data", "crossref", "giraffe_crossref_work.json"))
    assert sum(isinstance(i, Paper) for i in work) == 1
    assert sum(isinstance(i, Authorship) for i in work) == 5
    store = tmp_path / "store"
    report = kg.build([shared("data", "crossref")], store)
    assert report.rows_rejected == 0
    assert StoreDir(store).meta()["counts"]["papers"] == 5
