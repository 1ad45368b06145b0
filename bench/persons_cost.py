"""Benchmark: the cost of the persons inside the name clusters (kg.identity.compute.clusters) on a
built store's index and facts, in process: the speed path against the plain path it shortcuts
(`plain=True`, the reference), in the same run, each in turn `--rounds` times. The store is only
read (its generation's index files, never its Oxigraph store).

Both must give the same identity lines (a digest of every cluster's lines, as the build writes
them, is compared). Figures: CPU seconds of this process (less disturbed than the wall clock by
other processes on a shared machine; both are given, with the load average), each path's median
and spread, the ratio of the medians, and the clusters (bench/speed_vs_plain.py).

    .venv/bin/python bench/persons_cost.py STORE [--rounds 3] [-o bench/results/persons_cost.json]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed_vs_plain import measure  # noqa: E402

from kg.adjacency import AdjacencyIndex  # noqa: E402
from kg.identity.compute import clusters  # noqa: E402
from kg.identity.facts import Facts  # noqa: E402
from kg.identity.step import cluster_lines  # noqa: E402

GRAPH = "<http://example.org/graph/identity>"


def _lines(plain: bool) -> Callable[[AdjacencyIndex, Facts], Iterator[str]]:
    """Each cluster's identity lines, as the build writes them."""
    def lines(index: AdjacencyIndex, facts: Facts) -> Iterator[str]:
        for ci in clusters(index, facts, plain=plain):
            yield "".join(cluster_lines(ci, GRAPH))
    return lines


if __name__ == "__main__":
    raise SystemExit(measure(__doc__.split("\n\n", 1)[0], ("speed path", _lines(False)), ("plain", _lines(True)),
                             "clusters"))
