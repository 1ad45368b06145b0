"""The build's search step (kg.build): finishes the index the mapping collected (or reads the
documents back from the store when none was collected: --add, kg load), adds each cluster's
probable persons' count from the identity graph, and puts it into the generation."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.search.collect import from_store, pairs
from kg.search.write import SEARCH, add_names, add_papers, create, finish
from kg.terms import KG

INDEX_DIR = "paths-index"  # kg.adjacency.INDEX (not imported: kg.adjacency imports kg.search)


def search_step(store: ox.Store, generation: Path) -> dict[str, Any]:
    """Writes `generation`/search.sqlite; its counts, seconds and size."""
    return write_search(store, generation, generation / INDEX_DIR / SEARCH)


def write_search(store: ox.Store, directory: Path, collected: Path | None = None) -> dict[str, Any]:
    """Writes `directory`/search.sqlite from `collected` (the documents the mapping wrote) when
    there is one, else from what `store` holds (kg:name, kg:title, … as kg.search.collect reads
    them; kg index gives a store of only those); its counts, seconds and size."""
    started = time.perf_counter()
    work = directory / f".{SEARCH}.part"
    if collected is not None and collected.is_file():
        collected.replace(work)
        conn = sqlite3.connect(work)
        source = "collected"
        got = conn.execute("SELECT value FROM meta WHERE key = 'collected_seconds'").fetchone()
        collected_seconds = float(got[0]) if got else 0.0
    else:
        names, papers = from_store(store)
        conn = create(work)
        add_papers(conn, papers)
        add_names(conn, names)
        source = "store"
        collected_seconds = 0.0
    persons = [(int(count), cluster) for cluster, count in pairs(store, KG.personCount) if count.isdigit()]
    with conn:
        conn.execute("CREATE INDEX IF NOT EXISTS names_iri ON names(iri)")
        conn.executemany("UPDATE names SET persons = ? WHERE iri = ?", persons)
        counts = {"names": conn.execute("SELECT count(*) FROM names").fetchone()[0],
                  "papers": conn.execute("SELECT count(*) FROM papers").fetchone()[0]}
    final = directory / SEARCH
    finish(conn, work, final)
    # seconds: this step; collected_seconds: writing the documents while the paths index was written
    return {**counts, "from": source, "bytes": final.stat().st_size, "collected_seconds": collected_seconds,
            "seconds": round(time.perf_counter() - started, 3)}
