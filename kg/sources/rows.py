"""The site's own tables: papers, venues, authors, authorships (and optionally merges) as .csv or .jsonl,
optionally .gz."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import kg.sources.jsonfile as jsonfile
from kg.errors import InputError
from kg.iris import normalize_dblp_pid, normalize_doi, normalize_openalex_author, normalize_orcid, safe_iri
from kg.records import MERGE_KINDS, VENUE_KINDS, Author, Authorship, Located, Merge, Paper, Record, Refused, Venue
from kg.sources.context import open_binary

TABLES = ("venues", "authors", "papers", "authorships")
OPTIONAL_TABLES = ("merges",)  # ids merged into others (kg.records.Merge): a directory may have none
SUFFIXES = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz")
REQUIRED = {
    "venues": ("id", "name"),
    "authors": ("id", "name"),
    "papers": ("id", "title"),
    "authorships": ("paper_id", "author_id", "position"),
    "merges": ("kind", "old_id", "new_id"),
}
COLUMNS = {
    "venues": ("id", "name", "kind", "full_name"),
    "authors": ("id", "name", "orcid", "dblp_pid", "openalex_id"),
    "papers": ("id", "title", "year", "venue_id", "type", "abstract", "doi", "url", "authors_truncated"),
    "authorships": ("paper_id", "author_id", "position", "name_as_printed"),
    "merges": ("kind", "old_id", "new_id"),
}

Row = dict[str, object]


class RowError(ValueError):
    """Why one row cannot become a record."""


def is_rows_dir(path: Path) -> bool:
    return path.is_dir() and any((path / f"papers{s}").exists() for s in SUFFIXES)


def table_files(directory: Path) -> list[Path]:
    """The files of `directory` named as a table (`authors.csv`, `venues.jsonl.gz`, ...)."""
    return [directory / f"{t}{s}" for t in TABLES + OPTIONAL_TABLES for s in SUFFIXES
            if (directory / f"{t}{s}").is_file()]


def _missing_tables(directory: Path) -> None:
    """InputError naming every required table `directory` lacks (a directory with authors.csv alone
    was told only of its venues table, and one with venues.csv alone that it held no data files)."""
    missing = [t for t in TABLES if not any((directory / f"{t}{s}").exists() for s in SUFFIXES)]
    if len(missing) == 1:
        find_table(directory, missing[0])
    if missing:
        raise InputError(f"{directory}: no {', '.join(missing[:-1])} or {missing[-1]} tables (a rows directory "
                         f"holds {', '.join(TABLES[:-1])} and {TABLES[-1]}, each as TABLE{', TABLE'.join(SUFFIXES)})")


def find_table(directory: Path, table: str, required: bool = True) -> Path | None:
    found = [directory / f"{table}{s}" for s in SUFFIXES if (directory / f"{table}{s}").exists()]
    if not found:
        if not required:
            return None
        names = ", ".join(f"{table}{s}" for s in SUFFIXES)
        raise InputError(f"{directory}: no {table} table (expected one of {names})")
    if len(found) > 1:
        raise InputError(f"{directory}: more than one {table} table: {', '.join(p.name for p in found)}")
    return found[0]


def read_rows(directory: Path) -> Iterator[Located]:
    """Every row of the four tables, in the order venues, authors, papers, authorships, then merges."""
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory of rows tables")
    _missing_tables(directory)
    paths = {table: find_table(directory, table) for table in TABLES}
    paths |= {table: find_table(directory, table, required=False) for table in OPTIONAL_TABLES}
    for table in TABLES + OPTIONAL_TABLES:
        path = paths[table]
        if path is None:
            continue
        name = str(path)
        for line, item in _read_table(path, table):
            yield Located(item, name, line)


def _parsed(parse: Callable[[Row], Record], row: Row) -> Record | str:
    """The record of a row, or why it cannot be one (a paper's or an author's with its id: Refused)."""
    try:
        return parse(row)
    except RowError as e:
        kind = _REFUSED_KINDS.get(parse)
        id = row.get("id")
        if kind is not None and isinstance(id, str) and id.strip():
            return Refused(str(e), kind, id.strip())
        return str(e)


def _open_text(path: Path) -> IO[str]:
    raw: IO[bytes] = open_binary(path)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")


def _read_table(path: Path, table: str) -> Iterator[tuple[int, Record | str]]:
    """The records of a table with their line numbers; a row that cannot be one is its reason instead."""
    try:
        if ".jsonl" in path.name:
            parse = _PARSERS[table]
            for line, row in _read_jsonl(path):
                yield line, row if isinstance(row, str) else _parsed(parse, row)
        else:
            yield from _read_csv(path, table)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"{path}: cannot be read: {e}") from e
    except csv.Error as e:
        raise InputError(f"{path}: broken CSV: {e}") from e


class _Lines:
    """The physical lines of a text file for csv.reader, numbered, keeping those of the current record
    so that the reader can start again on the line after a broken record's first line."""

    def __init__(self, f: IO[str]) -> None:
        self._file = f
        self._pending: list[str] = []  # lines given back, next one last
        self.number = 0  # lines handed out so far
        self.taken: list[str] = []  # the lines of the record being read

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._pending.pop() if self._pending else next(self._file)
        self.number += 1
        self.taken.append(line)
        return line

    def start_record(self) -> int:
        """The number of the line the next record starts on."""
        self.taken = []
        return self.number + 1

    def read_again_after_first(self) -> None:
        """Gives back every line of the current record but its first one."""
        again = self.taken[1:]
        self.number -= len(again)
        self._pending.extend(reversed(again))
        self.taken = self.taken[:1]


def _read_csv(path: Path, table: str) -> Iterator[tuple[int, Record | str]]:
    """The records of a CSV table with their line numbers; a broken row is its reason instead.

    Each row is parsed by its table's fast parser (`_FAST`), which takes the fields as they are and
    hands the rows it is not sure of (a value to check, an error to word) to the table's plain
    parser (`_PARSERS`), the one the .jsonl tables use: the same records, the same reasons.

    A broken quote (`"An unterminated quote, 2024` ...) makes csv read on into the next lines as one
    field. Whenever a record that spans lines cannot be a row (csv's error, or the wrong number of
    fields), it is rejected on its first line and reading starts again on the line after it, so the
    rows that follow are read as they are: a quoted field is bounded (csv.field_size_limit), and so
    is what is read twice. Until the first such record, csv reads the file itself (the line numbers
    from its count); from there on, the file is read again through `_Lines`, which keeps each
    record's lines to start again after its first one.
    """
    with _open_text(path) as f:
        reader = csv.reader(f, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as e:
            raise InputError(f"{path}:1: broken CSV header: {e}") from e
        if header is None:
            return
        header = [h.strip().lstrip("\ufeff") for h in header]
        missing = [c for c in REQUIRED[table] if c not in header]
        if missing:
            raise InputError(f"{path}:1: missing required column(s): {', '.join(missing)}")
        parse = _PARSERS[table]
        fast = _FAST[table](_Columns(header)) if table in _FAST else None
        while True:
            before = reader.line_num
            start = before + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                taken = reader.line_num - before
                yield start, f"broken CSV: {e}{_spans(start, taken)}"
                if taken > 1:
                    break
                continue
            if not fields:
                continue
            if len(fields) != len(header):
                taken = reader.line_num - before
                yield start, f"expected {len(header)} fields, found {len(fields)}{_spans(start, taken)}"
                if taken > 1:
                    break
                continue
            yield start, _row(fields, header, parse, fast)
    with _open_text(path) as f:
        lines = _Lines(f)
        for _ in range(start):  # up to the first line of the record that broke
            next(lines)
        yield from _read_csv_lines(lines, header, parse, fast)


def _read_csv_lines(
    lines: _Lines, header: list[str], parse: Callable[[Row], Record], fast: FastParser | None
) -> Iterator[tuple[int, Record | str]]:
    """`_read_csv` on from the line after `lines`' last, each record's lines kept."""
    reader = csv.reader(lines, strict=True)
    while True:
        start = lines.start_record()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield start, f"broken CSV: {e}{_spanning(start, lines)}"
            lines.read_again_after_first()
            continue
        if not fields:
            continue
        if len(fields) != len(header):
            yield start, f"expected {len(header)} fields, found {len(fields)}{_spanning(start, lines)}"
            if len(lines.taken) > 1:
                lines.read_again_after_first()
            continue
        yield start, _row(fields, header, parse, fast)


def _row(fields: list[str], header: list[str], parse: Callable[[Row], Record], fast: FastParser | None) -> Record | str:
    """The record of a CSV row of the right number of fields, or why it cannot be one."""
    joined = "".join(fields)
    if _SURROGATE_OR_CONTROL.search(joined) is not None:  # one regex scan: this runs on every row
        if _has_surrogate(joined):
            return "invalid UTF-8"
        fields = [_CONTROL.sub(" ", f) for f in fields]
    record = fast(fields) if fast is not None else None
    return record if record is not None else _parsed(parse, dict(zip(header, fields, strict=True)))


def _spans(start: int, taken: int) -> str:
    if taken < 2:
        return ""
    return f" (a quoted field runs from line {start} to {start + taken - 1}: an unbalanced quote?)"


def _spanning(start: int, lines: _Lines) -> str:
    return _spans(start, len(lines.taken))


def _read_jsonl(path: Path) -> Iterator[tuple[int, Row | str]]:
    with open_binary(path) as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, "invalid UTF-8"
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as e:
                yield number, jsonfile.line_error(e)
                continue
            if not isinstance(value, dict):
                yield number, f"expected a JSON object, found {type(value).__name__}"
                continue
            yield number, value


_SURROGATE = re.compile("[\ud800-\udfff]")
# control characters but tab, line feed and carriage return (a quoted field may hold lines): a BEL, a
# NUL or a form feed (PDF-extracted abstracts have them) is a space, as kg.text.plain makes it
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE_OR_CONTROL = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _has_surrogate(value: str) -> bool:
    """An undecodable byte, kept by errors="surrogateescape", or a lone surrogate from a JSON escape
    such as "\\ud800": neither can be written as UTF-8 (one regex scan: this runs on every field)."""
    return _SURROGATE.search(value) is not None


def _text(row: Row, column: str, required: bool = False) -> str | None:
    value = row.get(column)
    if isinstance(value, str):
        value = _CONTROL.sub(" ", value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError(f"missing required column {column!r}")
        return None
    if not isinstance(value, str):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RowError(f"column {column!r}: expected text, found {type(value).__name__}")
        value = str(value)
    if _has_surrogate(value):
        raise RowError(f"column {column!r}: invalid UTF-8 (an undecodable byte or a lone surrogate)")
    return value


def _required(row: Row, column: str) -> str:
    value = _text(row, column, required=True)
    assert value is not None
    return value.strip()


def _int(row: Row, column: str, required: bool = False, low: int = 1, high: int | None = None) -> int | None:
    value = row.get(column)
    if isinstance(value, bool):
        raise RowError(f"column {column!r}: expected an integer, found {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = _text(row, column, required)
        if text is None:
            return None
        try:
            number = int(text.strip())
        except ValueError:
            raise RowError(f"column {column!r}: expected an integer, found {text!r}") from None
    if number < low or (high is not None and number > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise RowError(f"column {column!r}: {number} is out of range ({bound})")
    return number


_TRUE = ("true", "1", "yes", "t", "y")  # a flag's words, in either case
_FALSE = ("false", "0", "no", "f", "n")
YEARS = (1000, 2999)  # a paper's year, both included


def _bool(row: Row, column: str) -> bool:
    value = row.get(column)
    if value is None or isinstance(value, bool):
        return bool(value)
    text = _text(row, column)
    if text is None:
        return False
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowError(f"column {column!r}: expected true or false, found {text!r}")


def _ident(row: Row, column: str, normalize: Callable[[str], str]) -> str | None:
    text = _text(row, column)
    if text is None:
        return None
    try:
        return normalize(text)
    except ValueError as e:
        raise RowError(f"column {column!r}: {e}") from None


def _venue(row: Row) -> Record:
    kind = (_text(row, "kind") or "other").strip().lower()
    if kind not in VENUE_KINDS:
        raise RowError(f"column 'kind': {kind!r} is not one of {', '.join(VENUE_KINDS)}")
    full_name = _text(row, "full_name")
    return Venue(_required(row, "id"), _required(row, "name"), kind, full_name.strip() if full_name else None)


def _author(row: Row) -> Record:
    return Author(
        id=_required(row, "id"),
        name=_required(row, "name"),
        orcid=_ident(row, "orcid", normalize_orcid),
        dblp_pid=_ident(row, "dblp_pid", normalize_dblp_pid),
        openalex_id=_ident(row, "openalex_id", normalize_openalex_author),
    )


def _paper(row: Row) -> Record:
    venue = _text(row, "venue_id")
    kind = _text(row, "type")
    abstract = _text(row, "abstract")
    title = _text(row, "title")  # empty: a paper without a title, as the other sources load theirs
    return Paper(
        id=_required(row, "id"),
        title=title.strip() if title else None,
        year=_int(row, "year", low=YEARS[0], high=YEARS[1]),
        venue_id=venue.strip() if venue else None,
        type=kind.strip() if kind else None,
        abstract=abstract.strip() if abstract else None,
        doi=_ident(row, "doi", normalize_doi),
        url=_ident(row, "url", safe_iri),
        authors_truncated=_bool(row, "authors_truncated"),
    )


def _authorship(row: Row) -> Record:
    position = _int(row, "position", required=True)
    assert position is not None
    name = _text(row, "name_as_printed")
    return Authorship(
        paper_id=_required(row, "paper_id"),
        author_id=_required(row, "author_id"),
        position=position,
        name_as_printed=name.strip() if name else None,
    )


def _merge(row: Row) -> Record:
    kind = _required(row, "kind").lower()
    if kind not in MERGE_KINDS:
        raise RowError(f"column 'kind': {kind!r} is not one of {', '.join(MERGE_KINDS)}")
    return Merge(kind, _required(row, "old_id"), _required(row, "new_id"))


_PARSERS: dict[str, Callable[[Row], Record]] = {
    "venues": _venue,
    "authors": _author,
    "papers": _paper,
    "authorships": _authorship,
    "merges": _merge,
}
_REFUSED_KINDS: dict[Callable[[Row], Record], str] = {_paper: "paper", _author: "author"}


# ---- the fast parsers of CSV rows ---------------------------------------------------------------
#
# A CSV row's fields are strings already checked for undecodable bytes (`_read_csv`): the plain
# parsers' checks of types and surrogates cannot fail on them. Each fast parser reads the fields by
# position and returns the record only where the plain parser would return the same one; it returns
# None for anything else (a blank required value, a number to check, an identifier the plain
# parser's normalisation rejects), and the plain parser then gives the record or the reason.



class _Columns:
    """Where each column is in a CSV table's rows (the last one of a repeated name, as a dict of
    the row would keep), and a field getter that gives "" for a column the table lacks."""

    def __init__(self, header: list[str]) -> None:
        self._at = {name: i for i, name in enumerate(header)}

    def get(self, column: str) -> Callable[[list[str]], str]:
        at = self._at.get(column)
        if at is None:
            return lambda fields: ""
        return lambda fields: fields[at]

    def index(self, column: str) -> int:
        return self._at[column]  # a required column (checked in the header)


FastParser = Callable[[list[str]], Record | None]


def _fast_authorship(columns: _Columns) -> FastParser:
    paper, author, position = columns.index("paper_id"), columns.index("author_id"), columns.index("position")
    printed = columns.get("name_as_printed")

    def parse(fields: list[str]) -> Record | None:
        paper_id, author_id, number = fields[paper].strip(), fields[author].strip(), fields[position]
        # at most 9 ASCII digits: int() takes them as they are (and no digit limit applies)
        if not (paper_id and author_id and len(number) <= 9 and number.isascii() and number.isdigit()):
            return None
        at = int(number)
        if at < 1:
            return None
        return Authorship(paper_id, author_id, at, printed(fields).strip() or None)

    return parse


def _fast_paper(columns: _Columns) -> FastParser:
    id_, title = columns.index("id"), columns.index("title")
    year, venue, kind = columns.get("year"), columns.get("venue_id"), columns.get("type")
    abstract, doi, url, truncated = columns.get("abstract"), columns.get("doi"), columns.get("url"), \
        columns.get("authors_truncated")

    def parse(fields: list[str]) -> Record | None:
        paper_id, paper_title = fields[id_].strip(), fields[title].strip() or None
        if not paper_id:
            return None
        number: int | None = None
        text = year(fields)
        if text:
            if not (len(text) == 4 and text.isascii() and text.isdigit()):
                return None
            number = int(text)
            if not YEARS[0] <= number <= YEARS[1]:
                return None
        flag = truncated(fields).strip().lower()
        if flag and flag not in _TRUE and flag not in _FALSE:
            return None
        try:
            doi_text, url_text = doi(fields), url(fields)
            normal_doi = normalize_doi(doi_text) if doi_text.strip() else None
            safe_url = safe_iri(url_text) if url_text.strip() else None
        except ValueError:
            return None
        return Paper(paper_id, paper_title, number, venue(fields).strip() or None, kind(fields).strip() or None,
                     abstract(fields).strip() or None, normal_doi, safe_url, flag in _TRUE)

    return parse


def _fast_author(columns: _Columns) -> FastParser:
    id_, name = columns.index("id"), columns.index("name")
    orcid, dblp_pid, openalex_id = columns.get("orcid"), columns.get("dblp_pid"), columns.get("openalex_id")

    def parse(fields: list[str]) -> Record | None:
        author_id, author_name = fields[id_].strip(), fields[name].strip()
        if not (author_id and author_name):
            return None
        try:
            o, d, a = orcid(fields), dblp_pid(fields), openalex_id(fields)
            return Author(author_id, author_name, normalize_orcid(o) if o.strip() else None,
                          normalize_dblp_pid(d) if d.strip() else None,
                          normalize_openalex_author(a) if a.strip() else None)
        except ValueError:
            return None

    return parse


def _fast_venue(columns: _Columns) -> FastParser:
    id_, name = columns.index("id"), columns.index("name")
    kind, full_name = columns.get("kind"), columns.get("full_name")

    def parse(fields: list[str]) -> Record | None:
        venue_id, venue_name = fields[id_].strip(), fields[name].strip()
        venue_kind = kind(fields).strip().lower() or "other"
        if not (venue_id and venue_name) or venue_kind not in VENUE_KINDS:
            return None
        return Venue(venue_id, venue_name, venue_kind, full_name(fields).strip() or None)

    return parse


_FAST: dict[str, Callable[[_Columns], FastParser]] = {
    "venues": _fast_venue,
    "authors": _fast_author,
    "papers": _fast_paper,
    "authorships": _fast_authorship,
}
