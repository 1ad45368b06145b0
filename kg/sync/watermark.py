"""A watermark per source: what a source graph was last built or synced from.

Kept in the generation's build.json under "sources" (graph IRI -> watermark), shown by `kg stats`
and in the VoID description (a dct:modified per source dataset). A sync whose inputs have the
fingerprint of the watermark does nothing; one that stopped before its swap left the watermark of
the previous generation, so running it again redoes exactly what was not done.

`modified` is the newest date the input itself gives for its records, where it gives one: dblp's
`mdate`, OpenAlex's `updated_date`, Crossref's `indexed` date; else None (rows tables).
"""

from __future__ import annotations

import gzip
import os
import re
import time
import zlib
from dataclasses import asdict, dataclass
from hashlib import blake2b
from pathlib import Path
from typing import Any

import kg.sources as sources
from kg.errors import InputError
from kg.files import open_binary

_DATES = {
    "dblp": re.compile(rb'\smdate="(\d{4}-\d{2}-\d{2})"'),
    "openalex": re.compile(rb'"updated_date"\s*:\s*"(\d{4}-\d{2}-\d{2})'),
    "crossref": re.compile(rb'"indexed"\s*:\s*\{[^{}]*?"date-time"\s*:\s*"(\d{4}-\d{2}-\d{2})'),
}
_BLOCK = 1 << 20
SOURCES = "sources"  # the key of build.json that holds each source graph's watermark


@dataclass(frozen=True)
class Watermark:
    inputs: list[str]
    fingerprint: str
    modified: str | None
    synced_at: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Watermark | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(list(data["inputs"]), str(data["fingerprint"]), data.get("modified"), str(data["synced_at"]))
        except (KeyError, TypeError):
            return None


def kept(meta: dict[str, Any]) -> dict[str, Watermark]:
    """The watermarks a generation's build.json holds, by source graph."""
    found = {g: Watermark.from_json(w) for g, w in (meta.get(SOURCES) or {}).items()}
    return {g: w for g, w in found.items() if w is not None}


def up_to_date(marks: dict[str, Watermark], last: dict[str, Watermark]) -> bool:
    """Whether every graph's inputs have the fingerprint they were last built or synced from."""
    return all((k := last.get(g)) is not None and k.fingerprint == w.fingerprint for g, w in marks.items())


def merged(meta: dict[str, Any], marks: dict[str, Watermark]) -> dict[str, Any]:
    """build.json's "sources" with `marks` replacing the watermarks of their graphs."""
    return {**(meta.get(SOURCES) or {}), **{g: w.to_json() for g, w in marks.items()}}


def watermarks(inputs: list[Path], kind: str, graph_of: Any) -> dict[str, Watermark]:
    """The watermark of each source graph the inputs map into (`graph_of(kind)` names it)."""
    by_graph: dict[str, list[tuple[Path, str]]] = {}
    for path in inputs:
        source_kind = sources.detect(path) if kind == "auto" else kind
        by_graph.setdefault(graph_of(source_kind), []).append((path, source_kind))
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    found = {}
    for graph, paths in by_graph.items():
        digest = blake2b(digest_size=16)
        newest: str | None = None
        for path, source_kind in paths:
            for file in _files(path, source_kind):
                name = Path(os.path.relpath(file, path)).as_posix() if path.is_dir() else file.name
                digest.update(name.encode("utf-8") + b"\0")
                date = _scan(file, digest, _DATES.get(source_kind))
                if date is not None and (newest is None or date > newest):
                    newest = date
        found[graph] = Watermark([str(p) for p, _ in paths], digest.hexdigest(), newest, now)
    return found


def _files(path: Path, kind: str) -> list[Path]:
    """The files of an input that a build reads (kg.sources.files: an OpenAlex snapshot's works
    partitions and merged ids, not its authors', institutions' or other entities' files, which
    change every day and may be most of its bytes; a directory's data files, not a fetch's state
    file); a rows directory's files, those in its subdirectories too, hidden ones left out."""
    if not path.is_dir():
        return [path]
    if kind != "rows":
        return sources.files(path)
    return sorted(p for p in path.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(path).parts))


def _scan(file: Path, digest: Any, dates: re.Pattern[bytes] | None) -> str | None:
    """Feeds the file's bytes (decompressed) to `digest`; the newest date `dates` finds in them.
    A file that cannot be read to its end (a truncated or corrupt .gz) is an InputError naming it."""
    newest: bytes | None = None
    tail = b""
    try:
        with open_binary(file, "rb") as f:
            while block := f.read(_BLOCK):
                digest.update(block)
                if dates is not None:
                    window = tail + block
                    for m in dates.finditer(window):
                        if newest is None or m.group(1) > newest:
                            newest = m.group(1)
                    tail = window[-256:]
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise InputError(f"{file}: cannot be read: {e}") from e
    return newest.decode("ascii") if newest is not None else None
