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
from kg.search.spill import SpilledAbstracts
from kg.search.write import SEARCH, add_persons, finish, write_documents
from kg.terms import KG

INDEX_DIR = "paths-index"  # kg.adjacency.INDEX (not imported: kg.adjacency imports kg.search)


def search_step(store: ox.Store, generation: Path, collected: Path | None = None) -> dict[str, Any]:
    """Writes `generation`/search.sqlite from `collected` (the documents written apart from the
    paths index: kg.pipeline's overlap) or from the ones written with the paths index; its counts,
    seconds and size."""
    return write_search(store, generation, collected if collected is not None else generation / INDEX_DIR / SEARCH)


def write_search(store: ox.Store, directory: Path, collected: Path | None = None) -> dict[str, Any]:
    """Writes `directory`/search.sqlite from `collected` (the documents the mapping wrote) when
    there is one, else from what `store` holds (kg:name, kg:title, … as kg.search.collect reads
    them; kg index gives a store of only those); its counts, seconds and size."""
    started = time.perf_counter()
    work = directory / f".{SEARCH}.part"
    spent = {"collected_seconds": 0.0, "collected_cpu_seconds": 0.0}
    if collected is not None and collected.is_file():
        collected.replace(work)
        conn = sqlite3.connect(work)
        source = "collected"
        spent.update((key, float(value)) for key, value in conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('collected_seconds', 'collected_cpu_seconds')"))
    else:
        spilled = SpilledAbstracts(directory)  # the abstracts wait on disk, not in memory
        try:
            names, papers = from_store(store, spilled)
            conn = write_documents(work, names, papers, spilled)
        finally:
            spilled.close()
        source = "store"
    add_persons(conn, [(int(count), cluster) for cluster, count in pairs(store, KG.personCount) if count.isdigit()])
    counts = {"names": conn.execute("SELECT count(*) FROM names").fetchone()[0],
              "papers": conn.execute("SELECT count(*) FROM papers").fetchone()[0]}
    final = directory / SEARCH
    finish(conn, work, final)
    # seconds: this step; collected_(cpu_)seconds: writing the documents in the mapping worker, with
    # the paths index (while the loader finishes) or apart from it (while this process runs the steps)
    return {**counts, "from": source, "bytes": final.stat().st_size, **spent,
            "seconds": round(time.perf_counter() - started, 3)}
