"""The derived steps a sync runs after its delta: the build's own (kg.build.AFTER_LOAD), with the
big clusters' order recomputed for the touched name keys only (kg.cluster_order_touched) when the
delta touches few of them, the rest kept from the previous generation.

The whole-graph step runs instead when the touched keys are TOUCHED_MAX or more of the name
clusters (a large change: recomputing most clusters one lookup at a time costs more than the
scans of the whole step), when the previous generation has no order to keep, and with
`kg sync --whole-derived` (the setting that measures one against the other).
"""

from __future__ import annotations

import time
from pathlib import Path

from kg.adjacency import INDEX, AdjacencyIndex
from kg.build import AFTER_LOAD, Loaded, Step, order_big_clusters
from kg.cluster_order import build_cluster_order
from kg.cluster_order_touched import update_cluster_order
from kg.sync.delta import Delta
from kg.sync.touched import Touched

TOUCHED_MAX = 0.20  # a share of the name clusters: at or above it, the whole-graph steps


def small(delta: Delta) -> bool:
    """Whether a delta moves few enough resources (under TOUCHED_MAX of those its graphs held) that
    reading what it touches, subject by subject, is worth it (else the whole-graph steps, and
    the statistics counted over the store)."""
    moved = sum(n for kinds in delta.moved.values() for n in kinds.values())
    return moved < TOUCHED_MAX * max(sum(delta.before.values()), 1)


def derived_steps(touched: Touched | None, previous: Path, clusters: int) -> tuple[tuple[Step, ...], str]:
    """The steps after a sync's delta, and which ones: "touched" or "whole" (with the reason);
    `touched` None: the whole-graph steps (kg sync --whole-derived, or a large delta)."""
    if touched is None:
        return AFTER_LOAD, "whole (--whole-derived or a large change)"
    if clusters == 0 or len(touched.strict) >= TOUCHED_MAX * clusters:
        return AFTER_LOAD, f"whole ({len(touched.strict):,} of {clusters:,} name keys touched)"

    def cluster_order(loaded: Loaded) -> None:
        _cluster_order_touched(loaded, touched, previous / INDEX)

    steps = tuple(Step(cluster_order, s.writes, s.on_load) if s.run is order_big_clusters else s for s in AFTER_LOAD)
    return steps, "touched"


def _cluster_order_touched(loaded: Loaded, touched: Touched, previous: Path) -> None:
    """kg.build.order_big_clusters for the touched keys only; the whole step when the previous
    generation's order cannot be kept."""
    index = AdjacencyIndex.open(loaded.gen.path)
    if index is None:
        return
    started = time.perf_counter()
    try:
        counts = update_cluster_order(loaded.gen.store, index, previous, touched.keys, touched.rows)
        how = "touched keys"
        if counts is None:
            counts, how = build_cluster_order(loaded.gen.store, index), "whole graph"
    finally:
        index.close()
    loaded.meta["cluster_order"] = {**counts, "seconds": round(time.perf_counter() - started, 3), "for": how}
