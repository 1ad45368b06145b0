"""An OpenAlex snapshot on disk: which works files hold the changes since a date.

OpenAlex writes every record into the `updated_date=YYYY-MM-DD` partition of the day it last changed
(an older copy leaves its old partition), and lists the data files of an entity in its `manifest`
(Redshift manifest format: `{"entries": [{"url": "s3://…/works/updated_date=…/part_000.gz",
"meta": {"content_length": …, "record_count": …}}]}`). Works merged into others are listed in
`merged_ids/works/YYYY-MM-DD.csv.gz`. The snapshot root is the directory holding `data/works/…`
(as `aws s3 sync s3://openalex ROOT` writes it; `data/jsonl/works/…` in the newer layout), or
`works/…`, or the works directory itself.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.sources.openalex_merges import day_of

_PARTITION = re.compile(r"updated_date=(\d{4}-\d{2}-\d{2})")
_MERGED = re.compile(r"(\d{4}-\d{2}-\d{2})\.csv(\.gz)?")

__all__ = ["is_snapshot", "merged_ids", "partition_day", "partitions", "works_dir"]


def works_dir(root: Path) -> Path | None:
    """The directory holding the `updated_date=` partitions of works, or None if `root` is no snapshot."""
    for candidate in (root / "data" / "works", root / "data" / "jsonl" / "works", root / "works",
                      root / "jsonl" / "works", root):
        if candidate.is_dir() and any(p.is_dir() and _partition_date(p.name) for p in candidate.iterdir()):
            return candidate
    return None


def is_snapshot(path: Path) -> bool:
    return path.is_dir() and works_dir(path) is not None


def partitions(root: Path, since: date | None = None) -> list[Path]:
    """The works data files of the partitions newer than `since` (all when None), oldest partition
    first, then by file name. With a manifest, exactly the files it lists (a listed file that is
    missing or of another size is an error: an incomplete download); without one, the `.gz` files of
    each partition directory. A `since` with a time of day keeps that day's partition (it may hold
    changes after the time); a plain date keeps only the later days."""
    works = works_dir(root)
    if works is None:
        raise InputError(f"{root}: not an OpenAlex snapshot (no data/works/updated_date=YYYY-MM-DD/ directories)")
    manifest = works / "manifest"
    listed = _from_manifest(manifest, works) if manifest.is_file() else _from_directories(works)
    return [path for day, path in sorted(listed, key=lambda dp: (dp[0], dp[1].name)) if _newer(day, since)]


def merged_ids(root: Path, since: date | None = None, entity: str | None = None) -> list[Path]:
    """The `merged_ids/<entity>/<YYYY-MM-DD>.csv.gz` files newer than `since` (all when None), by date
    then entity; only `entity`'s ("works", "authors", …) when given. The files are listed, not read."""
    works = works_dir(root)
    if works is None:
        raise InputError(f"{root}: not an OpenAlex snapshot (no data/works/updated_date=YYYY-MM-DD/ directories)")
    base = next((d for d in (works.parent / "merged_ids", works.parent.parent / "merged_ids") if d.is_dir()), None)
    if base is None:
        return []
    found: list[tuple[date, str, Path]] = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and (entity is None or p.name == entity)):
        for path in folder.iterdir():
            match = _MERGED.fullmatch(path.name)
            day = day_of(match.group(1)) if match and path.is_file() else None
            if day is not None and _newer(day, since):
                found.append((day, folder.name, path))
    return [path for _, _, path in sorted(found)]


def _newer(day: date, since: date | None) -> bool:
    if since is None:
        return True
    if isinstance(since, datetime):
        return day >= since.date()
    return day > since


def partition_day(path: Path) -> date | None:
    """The day of the `updated_date=YYYY-MM-DD` partition a works file is in (None: not in one)."""
    return _partition_date(path.parent.name)


def _partition_date(name: str) -> date | None:
    match = _PARTITION.fullmatch(name)
    return day_of(match.group(1)) if match else None


def _from_directories(works: Path) -> list[tuple[date, Path]]:
    listed: list[tuple[date, Path]] = []
    for folder in works.iterdir():
        day = _partition_date(folder.name) if folder.is_dir() else None
        if day is not None:
            listed += [(day, f) for f in folder.iterdir()
                       if f.is_file() and f.name.endswith(".gz") and not f.name.startswith(".")]
    return listed


def _from_manifest(manifest: Path, works: Path) -> list[tuple[date, Path]]:
    try:
        data: Any = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{manifest}: not a readable JSON manifest: {e}") from e
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InputError(f"{manifest}: not a snapshot manifest (no 'entries' list)")
    listed: list[tuple[date, Path]] = []
    for index, entry in enumerate(entries):
        url = entry.get("url") if isinstance(entry, dict) else None
        parts = url.rstrip("/").split("/") if isinstance(url, str) else []
        day = _partition_date(parts[-2]) if len(parts) >= 2 else None
        if day is None:
            raise InputError(f"{manifest}: entries[{index}]: no updated_date=YYYY-MM-DD/FILE in its url {url!r}")
        path = works / parts[-2] / parts[-1]
        if not path.is_file():
            raise InputError(f"{manifest}: entries[{index}]: {path} is missing (an incomplete download?)")
        meta = entry.get("meta")
        expected = meta.get("content_length") if isinstance(meta, dict) else None
        if isinstance(expected, int) and path.stat().st_size != expected:
            raise InputError(f"{manifest}: entries[{index}]: {path} has {path.stat().st_size} bytes, the manifest "
                             f"says {expected} (an incomplete download?)")
        listed.append((day, path))
    return listed
