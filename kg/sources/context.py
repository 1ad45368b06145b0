"""State shared by every input of one build: reader options and the ids already emitted."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, cast

from kg.errors import InputError


@dataclass
class ReadContext:
    """One per build. Sources emit each venue and author once over all their files, because the
    generic integrity check rejects a repeated id; the sets here are what makes that possible."""

    dtd: Path | None = None
    # OpenAlex works the inputs' merged_ids tables say were merged: id -> the merge's date (None when
    # the table gives none). Read before any works file (kg.sources.merged_works), so that a stale
    # copy of a merged work left in an older partition is skipped rather than kept un-merged.
    merged_works: dict[str, date | None] = field(default_factory=dict)
    _seen: dict[str, set[str]] = field(default_factory=dict)

    def first(self, table: str, id: str) -> bool:
        """True the first time `id` is seen in `table` (and remembers it), False afterwards."""
        seen = self._seen.setdefault(table, set())
        if id in seen:
            return False
        seen.add(id)
        return True


def optional_identifier(value: object, normalize: Callable[[str], str]) -> str | None:
    """`normalize(value)` (kg.iris.normalize_doi, _orcid, ...), or None when the value is missing, not
    text or malformed: in a source's record, a bad identifier loses only itself, not the record."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return normalize(value)
    except ValueError:
        return None


def open_binary(path: Path) -> IO[bytes]:
    """The bytes of a file, gunzipped when it ends in .gz."""
    try:
        if path.name.endswith(".gz"):
            return cast(IO[bytes], gzip.open(path, "rb"))
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as e:
        raise InputError(f"{path}: cannot be read: {e}") from e


def head(path: Path, size: int = 1 << 16) -> bytes:
    """The first `size` bytes of a file (decompressed), for sniffing its kind."""
    try:
        with open_binary(path) as f:
            return f.read(size)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"{path}: cannot be read: {e}") from e
