"""The search index written by the mapping worker while the build's steps after the load run
(`kg build --search-overlap`, the default) is the index written in turn, and a writer that fails or
dies fails the build with the previous generation left as it was."""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kg
import kg.pipeline
import kg.store
from kg.errors import KgError
from kg.search.write import SEARCH
from kg.store import StoreDir
from kg.synthetic import generate

# names in Latin with diacritics (NFC and NFD), CJK, Greek, Cyrillic and Arabic
NAMES = Path(__file__).parent / "data" / "search" / "names.xml"

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="the failing writer is patched into a forked worker")


def _rows(tmp_path: Path) -> Path:
    rows = tmp_path / "rows"
    generate(400, 7, rows)
    return rows


def _dump(generation: Path) -> dict[str, object]:
    """Everything a reader of the index sees: the rows by rank, and every term of both FTS tables
    with the documents that hold it, and what each term's first letters match."""
    conn = sqlite3.connect(generation / SEARCH)
    try:
        found: dict[str, object] = {
            "names": conn.execute("SELECT * FROM names ORDER BY id").fetchall(),
            "papers": conn.execute("SELECT * FROM papers ORDER BY id").fetchall(),
            "meta": conn.execute("SELECT * FROM meta WHERE key NOT LIKE 'collected%' ORDER BY key").fetchall(),
        }
        found["abstracts"] = conn.execute("SELECT * FROM abstracts ORDER BY id").fetchall()
        for table in ("names_fts", "papers_fts", "abstracts_fts"):
            conn.execute(f"CREATE VIRTUAL TABLE temp.{table}_terms USING fts5vocab(main, {table}, 'row')")
            terms = conn.execute(f"SELECT term, doc FROM temp.{table}_terms ORDER BY term").fetchall()
            found[table] = terms
            found[f"{table}_prefixes"] = {
                term[:n]: conn.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid",
                                       (f'"{term[:n]}" *',)).fetchall()
                for term, _ in terms for n in (1, 3)}
        return found
    finally:
        conn.close()


@pytest.mark.parametrize("start", ["order", "load"])
def test_the_writer_begins_when_search_start_says(start: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`order`: the worker is told to write after the identity step and the compaction, as the big
    clusters' order begins (before its work); `load`: as soon as the load is over, before the identity step."""
    said: list[str] = []
    building = importlib.import_module("kg.build")  # the module: `kg.build` is its function
    identity, compact, begin = building.identity_step, kg.store.Generation.compact, kg.pipeline.Worker.start_search
    order = building.build_cluster_order

    def identity_step(*args: object, **kwargs: object) -> object:
        said.append("identity")
        return identity(*args, **kwargs)  # type: ignore[arg-type]

    def compacted(self: kg.store.Generation) -> None:
        said.append("compaction")
        compact(self)

    def build_cluster_order(*args: object, **kwargs: object) -> object:
        said.append("order")
        return order(*args, **kwargs)  # type: ignore[arg-type]

    def start_search(self: kg.pipeline.Worker) -> None:
        said.append("search")
        begin(self)

    monkeypatch.setattr(building, "identity_step", identity_step)
    monkeypatch.setattr(kg.store.Generation, "compact", compacted)
    monkeypatch.setattr(kg.pipeline.Worker, "start_search", start_search)
    monkeypatch.setattr(building, "build_cluster_order", build_cluster_order)
    kg.build([_rows(tmp_path)], tmp_path / "store", workers=2, search_start=start)
    assert said == (["identity", "compaction", "search", "order"] if start == "order"
                    else ["search", "identity", "compaction", "order"])
    with pytest.raises(ValueError, match="search_start"):
        kg.build([_rows(tmp_path)], tmp_path / "other", workers=2, search_start="never")


@pytest.mark.parametrize("source", ["names", "rows", "abstracts"])
def test_the_index_written_beside_the_steps_is_the_one_written_in_turn(source: str, tmp_path: Path) -> None:
    from test_search_abstracts import write_rows

    inputs = NAMES if source == "names" else _rows(tmp_path) if source == "rows" else write_rows(tmp_path)
    built = {}
    for name, workers, overlap, start in (("turn", 2, False, "order"), ("overlap", 2, True, "order"),
                                          ("overlap-load", 2, True, "load"), ("one", 1, True, "order")):
        store = tmp_path / name
        kg.build([inputs], store, workers=workers, search_overlap=overlap, search_start=start)
        generation = StoreDir(store).require()
        search = json.loads((generation / "build.json").read_text())["search"]
        assert search["from"] == "collected"
        assert search["overlap"] is name.startswith("overlap")
        assert search.get("start") == (start if overlap and workers == 2 else None)
        assert search["collected_cpu_seconds"] > 0
        assert not (generation / "paths-index" / SEARCH).exists()
        built[name] = _dump(generation)
    assert built["overlap"] == built["overlap-load"] == built["turn"] == built["one"]
    assert len(built["one"]["abstracts"]) == (9 if source == "abstracts" else 0)  # type: ignore[arg-type]
    assert any(p is not None for *_, p in built["overlap"]["names"])  # type: ignore[attr-defined]  # persons' counts in
    assert not list(tmp_path.glob(".*paths-index-*")), "the worker's scratch directory was left behind"


def _fails(documents: object, path: Path) -> None:
    raise OSError(28, "No space left on device", str(path))


def _dies(documents: object, path: Path) -> None:
    path.write_bytes(b"half an index")
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize(("writer", "error"), [
    (_fails, "cannot write: No space left on device: .*search.sqlite \\(the store is unchanged\\)"),
    (_dies, "the mapping worker stopped before it wrote the search index"),
])
def test_a_search_writer_that_fails_or_dies_fails_the_build_and_changes_nothing(
    writer: object, error: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    kg.build([NAMES], store, workers=2)
    before = StoreDir(store).require()
    listing = sorted(p.name for p in store.iterdir())
    monkeypatch.setattr(kg.pipeline, "write_collected", writer)  # forked into the worker
    with pytest.raises(KgError, match=error):
        kg.build([_rows(tmp_path)], store, workers=2)
    assert StoreDir(store).require() == before
    assert (before / SEARCH).is_file()
    assert sorted(p.name for p in store.iterdir()) == listing  # no half-built generation left either
    assert not list(tmp_path.glob(".*paths-index-*")), "the worker's scratch directory was left behind"
    # and the same build without the failing writer goes through
    monkeypatch.undo()
    kg.build([_rows(tmp_path / "again")], store, workers=2)
    assert StoreDir(store).require() != before


def _slow(documents: object, path: Path) -> None:
    time.sleep(600)


def _refuse(store: object) -> None:
    raise KgError("the new graph does not conform")


def test_a_build_that_fails_while_the_index_is_written_ends_its_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    kg.build([NAMES], store, workers=2)
    before = StoreDir(store).require()
    monkeypatch.setattr(kg.pipeline, "write_collected", _slow)  # forked into the worker
    started = time.monotonic()
    with pytest.raises(KgError, match="does not conform"):
        kg.build([_rows(tmp_path)], store, workers=2, check=_refuse)
    assert time.monotonic() - started < 300, "the build waited for its writer"
    assert multiprocessing.active_children() == []
    assert StoreDir(store).require() == before
    assert not list(tmp_path.glob(".*paths-index-*")), "the worker's scratch directory was left behind"


def test_kg_build_says_where_the_index_was_written(tmp_path: Path) -> None:
    for flag, overlap in (("--search-overlap", True), ("--no-search-overlap", False)):
        store = tmp_path / flag
        subprocess.run([sys.executable, "-m", "kg", "build", str(NAMES), "--store", str(store), "--workers", "2", flag],
                       check=True, capture_output=True)
        assert json.loads((StoreDir(store).require() / "build.json").read_text())["search"]["overlap"] is overlap
