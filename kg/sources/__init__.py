"""Input kinds: each module reads one kind of source into located records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from kg.errors import InputError
from kg.records import Located
from kg.sources import crossref, crossref_dump, dblp, openalex, openalex_merges, rows, snapshot
from kg.sources.context import ReadContext, head

KINDS = ("rows", "dblp", "openalex", "crossref")
# What a directory written by `kg fetch` (or holding a dump) may contain; anything else is ignored.
DATA_SUFFIXES = (".xml", ".xml.gz", ".json", ".json.gz", ".jsonl", ".jsonl.gz")

__all__ = ["KINDS", "ReadContext", "detect", "files", "merged_works", "read"]


def files(path: Path) -> list[Path]:
    """The data files of an input: the file itself, an OpenAlex snapshot's works files (newest
    partition first, so that where a stale copy of a work was left in an older partition, the
    current one is read first and wins) and its merged-ids files, or a directory's data files in
    name order.

    OpenAlex's merged-ids tables count as data files beside the works (CSV files with their header),
    and so do those under a `merged_ids` subdirectory, as the snapshot lays them out
    (`merged_ids/works/2024-01-01.csv.gz`)."""
    if not path.is_dir():
        return [path]
    if snapshot.is_snapshot(path):
        found = snapshot.partitions(path)
        if not found:
            raise InputError(f"{path}: an OpenAlex snapshot without works files")
        merges = [p for p in snapshot.merged_ids(path) if openalex_merges.is_merged_ids(head(p, 1024))]
        return sorted(found, key=lambda p: p.parent.name, reverse=True) + merges
    found = _data_files(path)
    if not found:
        raise InputError(f"{path}: no data files (expected {', '.join(DATA_SUFFIXES)})")
    return found


def _data_files(directory: Path) -> list[Path]:
    found = sorted(p for p in directory.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.name.endswith(DATA_SUFFIXES))
    return found + _merged_ids_files(directory)


def _merged_ids_files(directory: Path) -> list[Path]:
    beside = [p for p in directory.iterdir() if p.is_file()]
    under = directory / "merged_ids"
    nested = [p for p in under.rglob("*") if p.is_file()] if under.is_dir() else []
    candidates = (p for p in beside + nested if p.name.endswith(openalex_merges.SUFFIXES)
                  and not p.name.startswith("."))
    return sorted(p for p in candidates if openalex_merges.is_merged_ids(head(p, 1024)))


def detect(path: Path) -> str:
    """The kind of an input, from its content (a directory: from its first data file)."""
    if rows.is_rows_dir(path):
        return "rows"
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if snapshot.is_snapshot(path):
        return "openalex"
    if path.is_dir():
        tables = rows.table_files(path)
        if tables and not set(_data_files(path)) - set(tables):
            return "rows"  # some of the tables (read_rows names the ones missing)
        if not tables and not _data_files(path):
            tars = sorted(p.name for p in path.iterdir() if crossref_dump.is_tar(p))
            hint = f"; a tar (Crossref's public data file) is an input of its own: give {path / tars[0]}" \
                if tars else ""
            raise InputError(f"{path}: no input files (expected dblp, OpenAlex or Crossref files: "
                             f"{', '.join(DATA_SUFFIXES)}; or the rows tables papers.csv, authors.csv, ...){hint}")
    candidates = files(path)
    if crossref_dump.is_tar(candidates[0]):
        return "crossref"  # Crossref's public data file as distributed: a tar of its files
    # the first file with something in it (a dump's directory may hold an empty part)
    first, start = next(((p, s) for p in candidates if (s := head(p)).strip()), (candidates[0], b""))
    if not start.strip():
        empty = f"{first}: an empty file" if len(candidates) == 1 else f"{path}: every data file is empty"
        raise InputError(f"{empty}; nothing to build from")
    if dblp.is_dblp(start):
        return "dblp"
    if crossref.is_crossref(start):
        return "crossref"
    if openalex.is_openalex(start):
        return "openalex"
    raise InputError(f"{first}: not a dblp XML, OpenAlex, Crossref or rows (CSV tables) input; "
                     f"if it is one that kg could not recognise from its start, give --from")


def read(path: Path, kind: str, ctx: ReadContext | None = None) -> Iterator[Located]:
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if kind == "auto":
        kind = detect(path)
    if kind == "rows":
        return rows.read_rows(path)
    if kind not in KINDS:
        raise InputError(f"--from {kind}: unknown input kind (one of auto, {', '.join(KINDS)})")
    return _read_files(files(path), kind, ctx or ReadContext())


def merged_works(inputs: Iterable[tuple[Path, str]]) -> dict[str, date | None]:
    """The works merged by the merged-ids tables of the OpenAlex inputs among (path, kind), with
    their merge dates: what ReadContext.merged_works holds before any works file is read."""
    tables = [p for path, kind in inputs if kind == "openalex" for p in files(path)
              if p.name.endswith(openalex_merges.SUFFIXES) and openalex_merges.is_merged_ids(head(p, 1024))]
    return openalex_merges.merged_works(tables)


def _read_files(paths: list[Path], kind: str, ctx: ReadContext) -> Iterator[Located]:
    reader = {"dblp": dblp.read_dblp, "openalex": openalex.read_openalex, "crossref": crossref.read_crossref}[kind]
    for path in paths:
        yield from reader(path, ctx)
