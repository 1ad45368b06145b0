"""OpenAlex works: API pages ({"meta", "results": [...]}) and snapshot JSON Lines, optionally gzipped; and the
snapshot's merged-ids tables (kg.sources.openalex_merges)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from itertools import repeat
from pathlib import Path
from typing import Any

import kg.sources.jsonfile as jsonfile
from kg.iris import normalize_doi, normalize_orcid, normalize_ror, openalex_iri
from kg.records import Affiliation, Author, Authorship, Citation, Located, Paper, Record, Skipped, Venue
from kg.sources.context import ReadContext, head, optional_identifier
from kg.sources.openalex_merges import day_of, is_merged_ids, read_merged_ids
from kg.sources.snapshot import partition_day
from kg.text import plain

PREFIX = "openalex:"
_ID = re.compile(r"^(?:https?://openalex\.org/)?([WASIPFC]\d+)$", re.IGNORECASE)
_VENUE_KINDS = {"journal": "journal", "conference": "conference", "repository": "repository"}
_COUNTRY = re.compile(r"^[A-Z]{2}$")
STALE = "stale copies of merged works (merged_ids merged them after the copy's updated_date)"


def is_openalex(start: bytes) -> bool:
    works = jsonfile.opens_object(start) and (b"openalex.org/W" in start or b'"results"' in start)
    return works or is_merged_ids(start)


def read_openalex(path: Path, ctx: ReadContext) -> Iterator[Located]:
    file = str(path)
    if is_merged_ids(head(path, 1024)):
        yield from read_merged_ids(path)
        return
    day = partition_day(path)
    if jsonfile.is_json_lines(path, head(path)):
        for line, value in jsonfile.lines(path):
            if isinstance(value, jsonfile.InvalidLine):
                yield Located(str(value), file, line)
                continue
            # A saved API page on one line looks like JSON Lines too: read its results.
            page = value.get("results") if isinstance(value, dict) and "id" not in value else None
            for index, work in enumerate(page) if isinstance(page, list) else [(None, value)]:
                for item in _work(work, ctx, "work" if index is None else f"results[{index}]", day):
                    yield Located(item, file, line)
        return
    data = jsonfile.load(path)
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        works, where = data["results"], "results"
    elif isinstance(data, dict) and "id" in data:
        works, where = [data], "work"
    elif isinstance(data, list):
        works, where = data, "item"
    else:
        yield Located("expected an OpenAlex page {'meta', 'results'}, a work or a list of works", file, 1)
        return
    # A page is one JSON document: the line is the document's; the reason names the result.
    for index, work in enumerate(works):
        for item in _work(work, ctx, f"{where}[{index}]", day):
            yield Located(item, file, 1)


def _short(value: Any) -> str | None:
    match = _ID.match(value.strip()) if isinstance(value, str) else None
    return match.group(1).upper() if match else None


def _work(work: Any, ctx: ReadContext, where: str, day: date | None = None) -> Iterator[Record | Skipped | str]:
    """Venue, new authors, paper, authorships, their affiliations, the works it cites; nothing for a
    work already read (OpenAlex repeats some); Skipped for a stale copy of a merged work (`day`: the
    date of the snapshot partition the work was read from)."""
    if not isinstance(work, dict):
        yield f"{where}: expected a JSON object, found {type(work).__name__}"
        return
    wid = _short(work.get("id"))
    if wid is None or not wid.startswith("W"):
        yield f"{where}: no OpenAlex work id (found {work.get('id')!r})"
        return
    paper_id = PREFIX + wid
    if paper_id in ctx.merged_works and _stale(work, day, ctx.merged_works[paper_id]):
        yield Skipped(STALE)
        return
    # OpenAlex has works with "title": null: a paper without a title, not a reject
    title = plain(work.get("title")) or plain(work.get("display_name"))
    if not ctx.first("paper", paper_id):
        return  # a duplicate of a work already loaded: cursor paging and snapshots both repeat works
    venue = _venue(work)
    if venue is not None and ctx.first("venue", venue.id):
        yield venue
    # (position, ...): the index in `authorships`, also when one before it is rejected, so that every
    # later author keeps its place in the work's list (and its authorship IRI)
    signatures: list[tuple[int, str, str | None, dict[str, Any]]] = []
    for index, authorship in enumerate(work.get("authorships") or [], start=1):
        result = _signature(authorship, wid, index, ctx)
        if isinstance(result, str):
            yield f"{where} ({wid}): authorship {index}: {result}"
            continue
        author_id, printed, author = result
        if author is not None:
            yield author
        signatures.append((index, author_id, printed, authorship))
    year = work.get("publication_year")
    yield Paper(
        id=paper_id,
        title=title,
        year=year if isinstance(year, int) and 1000 <= year <= 2999 else None,
        venue_id=venue.id if venue is not None else None,
        type=work.get("type") if isinstance(work.get("type"), str) else None,
        abstract=abstract(work.get("abstract_inverted_index")),
        doi=_doi(work.get("doi")),
        url=openalex_iri(wid),
    )
    # The position is the list index: author_position only says first/middle/last.
    for position, author_id, printed, _ in signatures:
        yield Authorship(paper_id, author_id, position, printed)
    for position, _, _, authorship in signatures:
        yield from affiliations(authorship, paper_id, position)
    cited = [PREFIX + c for c in dict.fromkeys(map(_short, work.get("referenced_works") or [])) if c and c[0] == "W"]
    yield from (Citation(paper_id, c) for c in cited if c != paper_id)


def affiliations(authorship: dict[str, Any], paper_id: str, position: int) -> Iterator[Affiliation]:
    """An authorship's institutions, then its raw affiliation strings that no institution stands for
    (`affiliations[]` links each string to its institutions; without that list, the strings are kept
    only when the authorship has no institution)."""
    institutions = [i for i in authorship.get("institutions") or [] if isinstance(i, dict)]
    for institution in institutions:
        iid = _short(institution.get("id"))
        ror = optional_identifier(institution.get("ror"), normalize_ror)
        name = plain(institution.get("display_name")) or ror or iid
        if iid is None or not iid.startswith("I") or name is None:
            continue
        country = institution.get("country_code")
        yield Affiliation(paper_id, position, name, PREFIX + iid, ror,
                          country if isinstance(country, str) and _COUNTRY.match(country) else None)
    linked = authorship.get("affiliations")
    explained: set[str | None] | None
    if isinstance(linked, list):
        explained = {plain(a.get("raw_affiliation_string")) for a in linked
                     if isinstance(a, dict) and a.get("institution_ids")}
    else:
        explained = None if institutions else set()
    texts = [plain(t) for t in authorship.get("raw_affiliation_strings") or []]
    for text in dict.fromkeys(t for t in texts if t is not None):
        if explained is not None and text not in explained:
            yield Affiliation(paper_id, position, text)


def _signature(authorship: Any, wid: str, index: int, ctx: ReadContext) -> tuple[str, str | None, Author | None] | str:
    if not isinstance(authorship, dict):
        return "expected a JSON object"
    author = authorship.get("author") if isinstance(authorship.get("author"), dict) else {}
    assert isinstance(author, dict)
    printed = plain(authorship.get("raw_author_name"))
    name = plain(author.get("display_name")) or printed
    aid = _short(author.get("id"))
    if aid is None:
        if name is None:
            return "neither an author id nor a name"
        # No OpenAlex author: a row of its own for this signature keeps the printed name in the graph.
        author_id = f"{PREFIX}{wid}/{index}"
        return author_id, printed or name, Author(author_id, name) if ctx.first("author", author_id) else None
    author_id = PREFIX + aid
    if name is None:
        name = aid
    if not ctx.first("author", author_id):
        return author_id, printed or name, None
    orcid = optional_identifier(author.get("orcid"), normalize_orcid)
    return author_id, printed or name, Author(author_id, name, orcid=orcid, openalex_id=aid)


def _stale(work: dict[str, Any], day: date | None, merged: date | None) -> bool:
    """Whether a work the merged-ids tables merge on `merged` is a copy from before the merge: its
    `updated_date`, else the day of its partition, is on or before that date. OpenAlex moves a changed
    work to a newer partition but never deletes the old copy from a download that keeps files
    (`aws s3 sync` without --delete), so a merged work's last copy stays in an older partition. A copy
    updated after the merge, or one with no date to tell (then the merge is rejected as contradicted,
    kg.merges), is kept."""
    updated = work.get("updated_date")
    when = (day_of(updated) if isinstance(updated, str) else None) or day
    return merged is not None and when is not None and when <= merged


def _venue(work: dict[str, Any]) -> Venue | None:
    location = work.get("primary_location")
    source = location.get("source") if isinstance(location, dict) else None
    if not isinstance(source, dict):
        return None
    sid = _short(source.get("id"))
    if sid is None or not sid.startswith("S"):
        return None
    # a source without a name is still the work's venue: named by its id, as an author without one is
    name = plain(source.get("display_name")) or sid
    kind = _VENUE_KINDS.get(str(source.get("type")), "other")
    return Venue(PREFIX + sid, name, kind)


def abstract(index: Any) -> str | None:
    """The text of an abstract_inverted_index ({word: [positions]}), words in position order, plain (kg.text)."""
    if not isinstance(index, dict) or not index:
        return None
    placed: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(positions, list):
            continue
        if all(map(isinstance, positions, repeat(int))):  # the usual case: placed by C loops
            placed.update(zip(positions, repeat(word)))
            continue
        for position in positions:
            if isinstance(position, int):
                placed[position] = word
    return plain(" ".join(map(placed.__getitem__, sorted(placed))))


def _doi(value: Any) -> str | None:
    return optional_identifier(value, normalize_doi)
