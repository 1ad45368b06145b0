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

from kg.errors import InputError
from kg.iris import normalize_dblp_pid, normalize_doi, normalize_openalex_author, normalize_orcid, safe_iri
from kg.records import MERGE_KINDS, VENUE_KINDS, Author, Authorship, Located, Merge, Paper, Record, Venue
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
    paths = {table: find_table(directory, table) for table in TABLES}
    paths |= {table: find_table(directory, table, required=False) for table in OPTIONAL_TABLES}
    for table in TABLES + OPTIONAL_TABLES:
        path = paths[table]
        if path is None:
            continue
        parse = _PARSERS[table]
        for line, row in _read_table(path, table):
            if isinstance(row, str):
                yield Located(row, str(path), line)
                continue
            try:
                yield Located(parse(row), str(path), line)
            except RowError as e:
                yield Located(str(e), str(path), line)


def _open_text(path: Path) -> IO[str]:
    raw: IO[bytes] = open_binary(path)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")


def _read_table(path: Path, table: str) -> Iterator[tuple[int, Row | str]]:
    try:
        if ".jsonl" in path.name:
            yield from _read_jsonl(path)
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


def _read_csv(path: Path, table: str) -> Iterator[tuple[int, Row | str]]:
    """The rows of a CSV table with their line numbers; a broken row is its reason instead.

    A broken quote (`"An unterminated quote, 2024` ...) makes csv read on into the next lines as one
    field. Whenever a record that spans lines cannot be a row (csv's error, or the wrong number of
    fields), it is rejected on its first line and reading starts again on the line after it, so the
    rows that follow are read as they are: a quoted field is bounded (csv.field_size_limit), and so
    is what is read twice.
    """
    with _open_text(path) as f:
        lines = _Lines(f)
        reader = csv.reader(lines, strict=True)
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
            if _has_surrogate("".join(fields)):
                yield start, "invalid UTF-8"
                continue
            yield start, dict(zip(header, fields, strict=True))


def _spanning(start: int, lines: _Lines) -> str:
    if len(lines.taken) < 2:
        return ""
    return f" (a quoted field runs from line {start} to {start + len(lines.taken) - 1}: an unbalanced quote?)"


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
                yield number, f"invalid JSON: {e.msg} at column {e.colno}"
                continue
            if not isinstance(value, dict):
                yield number, f"expected a JSON object, found {type(value).__name__}"
                continue
            yield number, value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(value: str) -> bool:
    """An undecodable byte, kept by errors="surrogateescape", or a lone surrogate from a JSON escape
    such as "\\ud800": neither can be written as UTF-8 (one regex scan: this runs on every field)."""
    return _SURROGATE.search(value) is not None


def _text(row: Row, column: str, required: bool = False) -> str | None:
    value = row.get(column)
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


def _bool(row: Row, column: str) -> bool:
    value = row.get(column)
    if value is None or isinstance(value, bool):
        return bool(value)
    text = _text(row, column)
    if text is None:
        return False
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "t", "y"):
        return True
    if lowered in ("false", "0", "no", "f", "n"):
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
    return Paper(
        id=_required(row, "id"),
        title=_required(row, "title"),
        year=_int(row, "year", low=1000, high=2999),
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
