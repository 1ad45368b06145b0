"""Counts of what a store holds."""

from __future__ import annotations

import pyoxigraph as ox

from kg.queries import as_int, named, select


def compute_stats(store: ox.Store) -> dict[str, int]:
    """papers, authors, venues, authorships, clusters (over all graphs) and triples (all quads)."""
    rows = select(store, named("stats"))
    row = rows[0] if rows else {}
    counts = {k: as_int(row.get(k)) or 0 for k in ("papers", "authors", "venues", "authorships", "clusters")}
    counts["triples"] = len(store)
    return counts
