"""Counts of what a store holds."""

from __future__ import annotations

from kg.backend import Backend
from kg.queries import as_int, named


def compute_stats(data: Backend) -> dict[str, int]:
    """papers, authors, venues, authorships, clusters (over all graphs) and triples (all quads)."""
    rows = data.select(named("stats"))
    row = rows[0] if rows else {}
    counts = {k: as_int(row.get(k)) or 0 for k in ("papers", "authors", "venues", "authorships", "clusters")}
    counts["triples"] = data.size()
    return counts
