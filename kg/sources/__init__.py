"""Input kinds: each module reads one kind of source into located records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kg.errors import InputError
from kg.records import Located
from kg.sources import rows

KINDS = ("rows",)


def detect(path: Path) -> str:
    """The kind of an input, from its content."""
    if rows.is_rows_dir(path):
        return "rows"
    raise InputError(f"{path}: cannot tell what kind of input this is (give --from)")


def read(path: Path, kind: str) -> Iterator[Located]:
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if kind == "auto":
        kind = detect(path)
    if kind == "rows":
        return rows.read_rows(path)
    raise InputError(f"--from {kind}: unknown input kind (one of auto, {', '.join(KINDS)})")
