"""What the sync tests compare: a synced store against a full rebuild of the same inputs."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import build, open_store
from kg.cluster import cluster
from kg.paths import shortest_paths
from kg.search.query import SearchIndex
from kg.store import StoreDir

Rows = list[dict[str, str]]


def quads(store: Path) -> list[str]:
    """The store's canonical N-Quads (Oxigraph's serialisation), sorted."""
    data = StoreDir(store).open().dump(format=ox.RdfFormat.N_QUADS)
    assert data is not None
    return sorted(data.decode("utf-8").splitlines())


def names_of(store: Path, limit: int = 40) -> list[str]:
    """Up to `limit` author names of the store, in name order (what the checks ask about)."""
    with open_store(store) as g:
        rows = g.select_terms(
            "SELECT DISTINCT ?n WHERE { ?a a <https://w3id.org/scholarly-kg/ontology#AuthorRow> ; "
            "<https://w3id.org/scholarly-kg/ontology#name> ?n } ORDER BY ?n"
        )
    return [r["n"].value for r in rows][:limit]


def _answers(store: Path, names: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with open_store(store) as g:
        for name in names:
            found[f"cluster {name}"] = cluster(g, name, pairs=True).to_json()
        for a, b in zip(names, reversed(names), strict=True):
            try:
                found[f"path {a} {b}"] = shortest_paths(g, a, b).to_json()
            except Exception as e:  # an unknown or ambiguous end is an answer too
                found[f"path {a} {b}"] = f"{type(e).__name__}: {e}"
    index = SearchIndex.open(StoreDir(store).require())
    try:
        for name in names:
            for text in (name[:1], name[:3], name):
                found[f"suggest {text}"] = [s.iri for s in index.suggest(text, "all", 10)]
    finally:
        index.close()
    return found


def assert_same_as_rebuild(store: Path, inputs: list[Path], scratch: Path, names: Iterable[str] = ()) -> None:
    """The synced `store` holds the quads a full build of `inputs` holds, and gives the same clusters
    (with their persons and pairs), paths and search suggestions for the names (and a sample of the
    store's own)."""
    full = scratch / "rebuilt"
    shutil.rmtree(full, ignore_errors=True)
    build(inputs, full)
    synced, rebuilt = quads(store), quads(full)
    only_synced = sorted(set(synced) - set(rebuilt))[:5]
    only_rebuilt = sorted(set(rebuilt) - set(synced))[:5]
    assert synced == rebuilt, f"only in the synced store: {only_synced}; only in the rebuilt one: {only_rebuilt}"
    asked = sorted({*names, *names_of(full)})
    assert _answers(store, asked) == _answers(full, asked)


def read_table(path: Path) -> tuple[list[str], Rows]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_table(path: Path, fields: list[str], rows: Rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(rows)


def edit_table(path: Path, change: Callable[[Rows], Rows]) -> None:
    fields, rows = read_table(path)
    write_table(path, fields, change(rows))
