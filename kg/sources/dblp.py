"""dblp XML: the dump (raw ISO-8859-1 with its DTD, or re-serialised UTF-8) and person pages.

Read with lxml iterparse; each record element is cleared, and its earlier siblings deleted, as
soon as it has been turned into records, so memory does not grow with the size of the file.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lxml import etree

from kg.errors import InputError
from kg.iris import normalize_dblp_pid, normalize_doi, normalize_orcid, safe_iri
from kg.names import strip_homonym
from kg.records import Author, AuthorDetail, Authorship, Located, Paper, Record, Venue
from kg.sources.context import ReadContext, head, open_binary, optional_identifier
from kg.text import CONTROL

PREFIX = "dblp:"
# `data` is dblp's record of a research data set or artifact (dblp.dtd since 2023): a publication of its
# authors, listed on their dblp pages beside the papers.
PAPER_TAGS = ("article", "inproceedings", "proceedings", "book", "incollection", "phdthesis", "mastersthesis",
              "data")
# `www` is the dump's person record; `person` is the same thing in a person page (dblp.org/pid/….xml).
PERSON_TAGS = ("www", "person")
RECORD_TAGS = PAPER_TAGS + PERSON_TAGS
# Key prefixes whose second segment names a publication stream (conf/nips, journals/acta, …).
_STREAMS = {"conf": "conference", "journals": "journal", "series": "other", "reference": "other", "books": "other"}
_SPACE = re.compile(r"\s+")
_DOCTYPE = re.compile(rb"<!DOCTYPE\s+\w+\s+SYSTEM\s+[\"']([^\"']+)[\"']")


def is_dblp(start: bytes) -> bool:
    return b"<dblp" in start and start.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def find_dtd(path: Path, given: Path | None) -> Path | None:
    """The DTD the file's DOCTYPE names: --dtd if given, else the file beside it; None if no DOCTYPE."""
    match = _DOCTYPE.search(head(path, 4096))
    if match is None:
        return None
    if given is not None:
        if not given.is_file():
            raise InputError(f"--dtd {given}: no such file")
        return given
    beside = path.parent / Path(match.group(1).decode("ascii", "replace")).name
    return beside if beside.is_file() else None


class _DtdResolver(etree.Resolver):  # type: ignore[misc]
    """Answers every DTD request with the one file we chose, so gzipped input finds it too, and
    any other external entity with nothing, so a crafted file cannot pull in local files (XXE)."""

    def __init__(self, dtd: Path | None) -> None:
        super().__init__()
        self.dtd = dtd

    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:
        if self.dtd is not None and url and url.endswith(".dtd"):
            return self.resolve_filename(str(self.dtd), context)
        return self.resolve_string("", context)


def read_dblp(path: Path, ctx: ReadContext) -> Iterator[Located]:
    """Venue, new authors, paper, authorships for each publication; an author and name variants per person."""
    dtd = find_dtd(path, ctx.dtd)
    file = str(path)
    line = 0
    try:
        with open_binary(path) as f:
            events = etree.iterparse(
                f,
                events=("end",),
                tag=RECORD_TAGS,
                load_dtd=dtd is not None,
                resolve_entities=True,
                no_network=True,
                huge_tree=True,
            )
            events.resolvers.add(_DtdResolver(dtd))
            for _, elem in events:
                line = elem.sourceline or line
                # Person pages repeat a paper once per person fetched: only those are deduplicated,
                # so that reading the dump does not keep millions of keys.
                in_page = elem.getparent() is not None and elem.getparent().tag == "r"
                for item in _records(elem, ctx, in_page):
                    yield Located(item, file, line)
                elem.clear(keep_tail=True)
                parent = elem.getparent()
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
    except etree.XMLSyntaxError as e:
        where = e.lineno or line
        hint = ""
        if "Entity" in str(e) and dtd is None:
            hint = " (named entities need dblp.dtd: put it next to the file or give --dtd)"
        raise InputError(f"{path}:{where}: not well-formed dblp XML: {e.msg}{hint}") from e
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"{path}:{line}: cannot be read: {e}") from e


def _text(elem: Any) -> str:
    """The element's text with inline markup (<i>, <sub>) flattened and white space collapsed."""
    return _clean((elem.text or "") if len(elem) == 0 else "".join(elem.itertext()))


def _clean(text: str) -> str:
    """Control characters made spaces (kg.text.CONTROL, as in the other sources' text: the raw dump is
    ISO-8859-1, where a stray Windows-1252 byte, 0x92 for an apostrophe, is the control U+0092; of C0,
    XML 1.0 allows only tab and line breaks, so ASCII text needs the scan only for a DEL), white space
    collapsed and trimmed."""
    if not text.isascii() or "\x7f" in text:
        text = CONTROL.sub(" ", text)
    if "  " in text or "\n" in text or "\t" in text or "\r" in text:
        text = _SPACE.sub(" ", text)
    return text.strip()


def _author(elem: Any, ctx: ReadContext, pid: str | None = None) -> tuple[str, str, Author | AuthorDetail | None]:
    """(author id, dblp name, the Author record on its first appearance, or an AuthorDetail when a
    later signature brings the row's first ORCID)."""
    name = _text(elem)
    # dblp's name is its id of the person ("Bin Li 0019"): the same name in NFC and in NFD (a
    # re-serialised file) is the same person, one row; the name stays as written
    author_id = PREFIX + unicodedata.normalize("NFC", name)
    if not name:
        return author_id, name, None
    orcid = optional_identifier(elem.get("orcid"), normalize_orcid)
    # Only rows with an ORCID are remembered a second time, to give each its ORCID once.
    if orcid is not None and not ctx.first("orcid", author_id):
        orcid = None
    if not ctx.first("author", author_id):
        return author_id, name, AuthorDetail(author_id, orcid=orcid) if orcid else None
    pid = pid or optional_identifier(elem.get("pid"), normalize_dblp_pid)
    return author_id, name, Author(author_id, name, orcid=orcid, dblp_pid=pid)


def _records(elem: Any, ctx: ReadContext, in_page: bool) -> Iterator[Record | str]:
    key = elem.get("key")
    if not key:
        yield f"<{elem.tag}> record without a key"
        return
    if elem.tag in PERSON_TAGS:
        yield from _person(elem, key, ctx)
        return
    title_elem = elem.find("title")
    title = (_text(title_elem) if title_elem is not None else "") or None  # no title: a paper without one
    year_text = (elem.findtext("year") or "").strip()
    # isdecimal, not isdigit: "²" is a digit that int() refuses (a traceback, before)
    year = int(year_text) if year_text.isdecimal() and 1000 <= int(year_text) <= 2999 else None
    if year_text and year is None:
        yield f"{key}: year {year_text!r} is not a year"
        return
    paper_id = PREFIX + key
    if in_page and not ctx.first("paper", paper_id):
        return
    venue = _venue(elem, key)
    if venue is not None and ctx.first("venue", venue.id):
        yield venue
    signatures: list[tuple[str, str]] = []
    for author_elem in elem.iterfind("author"):
        author_id, name, author = _author(author_elem, ctx)
        if not name:
            continue
        if author is not None:
            yield author
        signatures.append((author_id, name))
    yield Paper(
        id=paper_id,
        title=title,
        year=year,
        venue_id=venue.id if venue is not None else None,
        type=elem.tag,
        doi=_doi(elem),
        url=safe_iri("https://dblp.org/rec/" + quote(key, safe="/")),  # as kg.bibliography links it
    )
    for position, (author_id, name) in enumerate(signatures, start=1):
        # The homonym number is dblp's, not printed on the paper.
        yield Authorship(paper_id, author_id, position, strip_homonym(name))


def _person(elem: Any, key: str, ctx: ReadContext) -> Iterator[Author | AuthorDetail | str]:
    """A dblp person record: the first <author> is the person's name, the others its variants."""
    if not key.startswith("homepages/"):
        return  # other www records are link collections, not people
    # A disambiguation page gathers the signatures of unrelated people sharing a name: its pid is no
    # person's. The dump and person pages mark it publtype="disambiguation"; a note says so too.
    if "disambiguation" in (elem.get("publtype") or "").split() or \
            any(note.get("type") == "disambiguation" for note in elem.iterfind("note")):
        return
    parent = elem.getparent()
    if parent is not None and parent.tag == "h":
        # A person page's <homonyms> lists the other people of its name, none of whose papers it holds:
        # rows for them would be people without papers in the name's cluster.
        return
    names = list(elem.iterfind("author"))
    if not names:
        yield f"{key}: person record without an <author>"
        return
    pid = optional_identifier(key.removeprefix("homepages/"), normalize_dblp_pid)
    author_id, name, author = _author(names[0], ctx, pid)
    if author is not None:
        yield author
    if not isinstance(author, Author) and pid is not None:
        yield AuthorDetail(author_id, dblp_pid=pid)  # the row came first, from a paper
    for other in names[1:]:
        variant = _text(other)
        if variant and variant != name:
            yield AuthorDetail(author_id, name_variant=variant)


def _venue(elem: Any, key: str) -> Venue | None:
    """The record's publication stream: one venue per key prefix, so NIPS and NeurIPS are one."""
    label = elem.findtext("journal") or elem.findtext("booktitle")
    label = _clean(label) or None if label else None
    parts = key.split("/")
    stream = parts[0] in _STREAMS and len(parts) >= 3
    if stream and (label or elem.tag == "proceedings"):
        kind = "repository" if parts[:2] == ["journals", "corr"] else _STREAMS[parts[0]]
        return Venue(f"{PREFIX}{parts[0]}/{parts[1]}", label or parts[1], kind)
    if label:
        # keyed by the label's NFC form (a re-serialised file may hold NFD): one spelling, one venue
        key = unicodedata.normalize("NFC", label)
        return Venue(f"{PREFIX}venue/{key}", label, "journal" if elem.find("journal") is not None else "other")
    return None


def _doi(elem: Any) -> str | None:
    for ee in elem.iterfind("ee"):
        text = (ee.text or "").strip()
        if "doi.org/" in text:
            try:
                return normalize_doi(text)
            except ValueError:
                continue
    return None
