"""Crossref REST API messages: `work` (GET /works/DOI) and `work-list` (GET /works?…)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kg.sources.crossref_dump as crossref_dump
import kg.sources.jsonfile as jsonfile
from kg.iris import normalize_doi, normalize_orcid, normalize_ror, safe_iri
from kg.records import Affiliation, Author, Authorship, Citation, Located, Paper, Record, Venue, VenueDetail
from kg.sources.context import ReadContext, head, optional_identifier
from kg.text import plain

PREFIX = "crossref:"
# A JATS element that sits inside a line of text (a subscript, italics, an inline formula, MathML) is
# removed with its text joined to the words around it: "CO<jats:sub>2</jats:sub>" reads "CO2". Any
# other element (a paragraph, a section, its title, a list item, a break) ends a run of text: a space.
_INLINE = frozenset({
    "sub", "sup", "italic", "bold", "sc", "underline", "overline", "strike", "monospace", "roman", "sans-serif",
    "inline-formula", "alternatives", "tex-math", "inline-graphic", "named-content", "styled-content", "xref",
    "ext-link", "uri", "email", "abbrev", "i", "b", "u", "em", "strong", "span", "a", "math",
})
_JATS_TAG = re.compile(r"<(/?)([A-Za-z][\w.-]*:)?([A-Za-z][\w.-]*)(?:\s[^<>]*)?/?>")
# A first heading that only says "Abstract" (as most publishers' JATS abstracts begin) is not part of it.
_HEADING = re.compile(
    r"^((?:\s*<[A-Za-z][^<>]*>)*?)\s*<([\w.-]+:)?title\b[^<>]*>\s*abstract\s*[.:]?\s*</([\w.-]+:)?title>",
    re.IGNORECASE)
_VENUE_KINDS = {"journal-article": "journal", "proceedings-article": "conference", "posted-content": "repository"}
_ENDS_CLAUSE = frozenset(":;?!.\u2014\u2013-\u3002\uff1a\uff1f\uff01\u061f")  # after these no ": " is added
_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dXx])$")
_DATES = ("issued", "published", "published-print", "published-online", "created")


def is_crossref(start: bytes) -> bool:
    """A REST API message, or a file of Crossref's public data file (kg.sources.crossref_dump)."""
    return (jsonfile.opens_object(start) and b'"message-type"' in start) or crossref_dump.is_dump_file(start)


def read_crossref(path: Path, ctx: ReadContext) -> Iterator[Located]:
    file = str(path)
    if crossref_dump.is_tar(path):
        for member, index, line, item in crossref_dump.tar_items(path):
            yield from _dump_work(item, index, member, line, ctx)
        return
    start = head(path, 1024)
    if not start.strip():  # one empty part of a dump is a reject, not the end of the build
        yield Located("an empty file: no Crossref message or items", file, 1)
        return
    if crossref_dump.is_dump_file(start):
        for index, line, item in crossref_dump.items(path):
            yield from _dump_work(item, index, file, line, ctx)
        return
    data = jsonfile.load(path)
    kind = data.get("message-type") if isinstance(data, dict) else None
    message = data.get("message") if isinstance(data, dict) else None
    if kind == "work" and isinstance(message, dict):
        items, where = [message], "message"
    elif kind == "work-list" and isinstance(message, dict) and isinstance(message.get("items"), list):
        items, where = message["items"], "message.items"
    else:
        yield Located(f"expected a Crossref 'work' or 'work-list' message, found message-type {kind!r}", file, 1)
        return
    for index, item in enumerate(items):
        label = where if kind == "work" else f"{where}[{index}]"
        for record in _work(item, ctx, label):
            yield Located(record, file, 1)


def _dump_work(item: Any, index: int, file: str, line: int, ctx: ReadContext) -> Iterator[Located]:
    """The records of the work at `items[index]` of a public data file, or why it has none."""
    if isinstance(item, crossref_dump.BadItem):
        yield Located(f"items[{index}]: {item}", file, line)
        return
    for record in _work(item, ctx, f"items[{index}]"):
        yield Located(record, file, line)


def _work(item: Any, ctx: ReadContext, where: str) -> Iterator[Record | str]:
    if not isinstance(item, dict):
        yield f"{where}: expected a JSON object"
        return
    try:
        doi = normalize_doi(str(item.get("DOI", "")))
    except ValueError:
        yield f"{where}: no valid DOI (found {item.get('DOI')!r})"
        return
    title = _title(item)  # None for works without one: loaded without a title
    paper_id = PREFIX + doi
    if not ctx.first("paper", paper_id):
        return  # the same DOI fetched twice
    venue = _venue(item)
    if venue is not None:
        yield from _venue_records(venue, ctx)
    # (position, ...): the index in `author`, also when one before it is rejected (as OpenAlex's)
    signatures: list[tuple[int, str, str, dict[str, Any]]] = []
    for index, person in enumerate(item.get("author") or [], start=1):
        if not isinstance(person, dict):
            yield f"{where} ({doi}): author {index}: expected a JSON object"
            continue
        # "Guy L." "Steele" "Jr.": the suffix is part of the name as printed (and as dblp writes it)
        parts = (person.get("given"), person.get("family"), person.get("suffix"))
        name = " ".join(p for p in map(plain, parts) if p is not None)
        name = name or plain(person.get("name")) or ""
        if not name:
            yield f"{where} ({doi}): author {index} has no name"
            continue
        orcid = optional_identifier(person.get("ORCID"), normalize_orcid)
        # Crossref has no author ids: an ORCID identifies a person across works, else the signature is its own row.
        author_id = f"{PREFIX}orcid/{orcid}" if orcid else f"{PREFIX}{doi}/{index}"
        if ctx.first("author", author_id):
            yield Author(author_id, name, orcid=orcid)
        signatures.append((index, author_id, name, person))
    url = item.get("URL")
    yield Paper(
        id=paper_id,
        title=title,
        year=_year(item),
        venue_id=venue.id if venue is not None else None,
        type=item.get("type") if isinstance(item.get("type"), str) else None,
        abstract=_abstract(item.get("abstract")),
        doi=doi,
        url=safe_iri(url) if isinstance(url, str) and url.startswith("http") else None,
    )
    for position, author_id, name, _ in signatures:
        yield Authorship(paper_id, author_id, position, name)
    for position, _, _, person in signatures:
        yield from affiliations(person, paper_id, position)
    references: list[Any] = item["reference"] if isinstance(item.get("reference"), list) else []
    cited = (optional_identifier(r.get("DOI"), normalize_doi) for r in references if isinstance(r, dict))
    yield from (Citation(paper_id, PREFIX + d) for d in dict.fromkeys(cited) if d and d != doi)


def affiliations(person: dict[str, Any], paper_id: str, position: int) -> Iterator[Affiliation]:
    """An author's `affiliation[]`: its name, and its ROR where an `id[]` of `id-type` ROR gives one
    (then the institution is the ROR's, `ror:…`: Crossref has no institution ids of its own)."""
    seen: set[tuple[str, str | None]] = set()
    for given in person.get("affiliation") or []:
        if not isinstance(given, dict):
            continue
        ids: list[Any] = given["id"] if isinstance(given.get("id"), list) else []
        rors = (optional_identifier(i.get("id"), normalize_ror) for i in ids
                if isinstance(i, dict) and str(i.get("id-type", "")).upper() == "ROR")
        ror = next((r for r in rors if r), None)
        name = plain(given.get("name")) or ror
        if name is None or (name, ror) in seen:
            continue
        seen.add((name, ror))
        yield Affiliation(paper_id, position, name, f"ror:{ror}" if ror else None, ror)


def _first(value: Any) -> str | None:
    """The first text of a Crossref list (or the value itself) that is not empty once plain (kg.text)."""
    values = value if isinstance(value, list) else [value]
    return next((text for text in map(plain, values) if text is not None), None)


def _title(item: dict[str, Any]) -> str | None:
    """The title as Crossref displays it: "Title: Subtitle" (`subtitle` is a field of its own, which
    the title alone loses: "Deep Learning" for "Deep Learning: A Practitioner's Approach"). No colon
    after a title that ends in punctuation already ("Why Now? A Survey"), and a subtitle the title
    repeats at its end (some deposits give the whole title in both) is not added twice."""
    title, subtitle = _first(item.get("title")), _first(item.get("subtitle"))
    if subtitle is None:
        return title
    if title is None:
        return subtitle  # the only title text the work has
    if _folded(title).endswith(_folded(subtitle)):
        return title
    return f"{title} {subtitle}" if title[-1] in _ENDS_CLAUSE else f"{title}: {subtitle}"


def _folded(text: str) -> str:
    """`text` for comparing: NFC, case-folded, without the punctuation around it."""
    return unicodedata.normalize("NFC", text).casefold().strip(" .:;!?")


def _venue(item: dict[str, Any]) -> Venue | None:
    """The work's journal (or proceedings), keyed by one ISSN that does not depend on the order
    Crossref lists them in (kg.sources.crossref.issns), else by its title; with every ISSN the work gives."""
    name = _first(item.get("container-title"))
    if name is None:
        return None
    found = issns(item)
    # keyed by the title's NFC form: one journal whose deposits spell it in NFC and in NFD is one venue
    vid = f"{PREFIX}issn/{found[0]}" if found else f"{PREFIX}title/{unicodedata.normalize('NFC', name)}"
    return Venue(vid, name, _VENUE_KINDS.get(str(item.get("type")), "other"), issns=found)


def _venue_records(venue: Venue, ctx: ReadContext) -> Iterator[Venue | VenueDetail]:
    """The venue on its first work; on a later one, each ISSN that work adds (a journal's works list
    its print and electronic ISSNs, or only one of them)."""
    first = ctx.first("venue", venue.id)
    new = [issn for issn in venue.issns if ctx.first("issn", f"{venue.id} {issn}")]
    if first:
        yield venue
    else:
        yield from (VenueDetail(venue.id, issn) for issn in new)


def issns(item: dict[str, Any]) -> tuple[str, ...]:
    """A work's ISSNs, the venue's key first: the print ISSN `issn-type` names, else its electronic
    one, else (a work without `issn-type`) the least of `ISSN`. Crossref lists a journal's ISSNs in
    no fixed order and sometimes only one of them: keyed by the first one listed, one journal was two
    venues. A work that gives only the electronic ISSN of a journal whose other works give both is
    still a venue of its own (nothing in it says which print ISSN goes with it); both carry kg:issn."""
    typed: dict[str, list[str]] = {"print": [], "electronic": []}
    for entry in item.get("issn-type") or []:
        issn = _issn(entry.get("value")) if isinstance(entry, dict) else None
        kind = str(entry.get("type", "")).lower() if isinstance(entry, dict) else ""
        if issn is not None and kind in typed:
            typed[kind].append(issn)
    listed = item.get("ISSN")
    untyped = [issn for issn in map(_issn, listed if isinstance(listed, list) else [listed]) if issn is not None]
    ordered = sorted(typed["print"]) + sorted(typed["electronic"]) + sorted(untyped)
    return tuple(dict.fromkeys(ordered))


def _issn(value: Any) -> str | None:
    """An ISSN as NNNN-NNNC (check character X upper-cased), or None for anything else."""
    match = _ISSN.match(value.strip()) if isinstance(value, str) else None
    return f"{match.group(1)}-{match.group(2).upper()}" if match else None


def _year(item: dict[str, Any]) -> int | None:
    for field in _DATES:
        date = item.get(field)
        parts = date.get("date-parts") if isinstance(date, dict) else None
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = parts[0][0]
            if isinstance(year, int) and 1000 <= year <= 2999:
                return year
    return None


def _abstract(value: Any) -> str | None:
    """Crossref abstracts are JATS XML in a string: its text, plain as titles are (kg.text)."""
    if not isinstance(value, str):
        return None
    value = _HEADING.sub(r"\1 ", value, count=1)
    return plain(_JATS_TAG.sub(_tag_gap, value))


def _tag_gap(tag: re.Match[str]) -> str:
    """What a JATS tag leaves in the text: nothing inside a line, a space between blocks."""
    inline = tag.group(3).lower() in _INLINE or (tag.group(2) or "").lower() == "mml:"
    return "" if inline else " "
