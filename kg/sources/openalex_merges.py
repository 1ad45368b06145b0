"""OpenAlex's merged ids: the snapshot's `merged_ids/<entity>/<date>.csv.gz` files.

Each is a CSV table with the header `merge_date,id,merge_into_id`, one merge a line, ids as keys
(`W2741809807`) or as IRIs (`https://openalex.org/W2741809807`). The entity kind comes from the id's
letter: W a paper, A an author, S a venue (a source); the other entities (institutions, concepts,
publishers, funders, ...) are not in kg's graph, so their merges are skipped and counted, not rejected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from kg.errors import InputError
from kg.records import Located, Merge, Skipped
from kg.sources.context import open_binary

HEADER = ("merge_date", "id", "merge_into_id")
SUFFIXES = (".csv", ".csv.gz")
PREFIX = "openalex:"  # as kg.sources.openalex names its records
KINDS = {"W": "paper", "A": "author", "S": "venue"}
ENTITIES = {"I": "institution", "C": "concept", "P": "publisher", "F": "funder", "T": "topic", "K": "keyword",
            "V": "venue (a pre-2023 V id)"}
_ID = re.compile(r"^(?:https?://openalex\.org/)?([A-Za-z])(\d+)$")


def is_merged_ids(start: bytes) -> bool:
    """Whether a file's first bytes are a merged-ids table's header."""
    first = start.split(b"\n", 1)[0].strip().lstrip(b"\xef\xbb\xbf").decode("utf-8", "replace")
    return tuple(f.strip().strip('"').lower() for f in first.split(",")) == HEADER


def read_merged_ids(path: Path) -> Iterator[Located]:
    file = str(path)
    for line, fields in _rows(path):
        yield Located(_merge(fields), file, line)


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The table's rows after its header (checked), with their line numbers."""
    try:
        with io.TextIOWrapper(open_binary(path), encoding="utf-8", errors="replace", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                return
            names = [h.strip().lstrip("\ufeff").lower() for h in header]
            if tuple(names) != HEADER:
                raise InputError(f"{path}:1: not an OpenAlex merged-ids table (expected the header "
                                 f"{','.join(HEADER)}, found {','.join(header)})")
            for fields in reader:
                if not fields:
                    continue
                yield reader.line_num, fields
    except csv.Error as e:
        raise InputError(f"{path}: broken CSV: {e}") from e
    except (OSError, EOFError) as e:
        raise InputError(f"{path}: cannot be read: {e}") from e


def merged_works(paths: Iterable[Path]) -> dict[str, date | None]:
    """The works the merged-ids tables `paths` merge (`openalex:W…`), each with its merge date (the
    `merge_date` column, else the file's `YYYY-MM-DD` name; None when neither is a date). A row that
    is no work merge is left to read_merged_ids to skip or reject."""
    found: dict[str, date | None] = {}
    for path in paths:
        named = day_of(path.name.split(".", 1)[0])
        for _, fields in _rows(path):
            item = _merge(fields)
            if isinstance(item, Merge) and item.kind == "paper":
                found.setdefault(item.old_id, day_of(fields[0]) or named)
    return found


def day_of(text: str) -> date | None:
    """The date an OpenAlex date or date-time (`2024-09-23T20:06:48.880291`) starts with, or None."""
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _merge(fields: list[str]) -> Merge | Skipped | str:
    if len(fields) != len(HEADER):
        return f"expected {len(HEADER)} fields ({','.join(HEADER)}), found {len(fields)}"
    old, new = _key(fields[1]), _key(fields[2])
    if old is None or new is None:
        bad = fields[1] if old is None else fields[2]
        return f"{'id' if old is None else 'merge_into_id'}: not an OpenAlex id: {bad.strip()!r}"
    if old[0] != new[0]:
        return f"{old} is merged into {new}, an entity of another kind"
    kind = KINDS.get(old[0])
    if kind is None:
        entity = ENTITIES.get(old[0], f"{old[0]} entity")
        return Skipped(f"merged {entity} ids (kg's graph has works, authors and sources only)")
    return Merge(kind, PREFIX + old, PREFIX + new)


def _key(value: str) -> str | None:
    match = _ID.match(value.strip())
    return (match.group(1).upper() + match.group(2)) if match else None
