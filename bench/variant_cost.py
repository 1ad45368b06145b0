"""Benchmark: the variant suggestions' cost (kg.identity.variants) on a built store's index and facts,
in process: the candidate search (kg.identity.variant_candidates) against the plain loop over every
pair of rows of two clusters (`every_pair=True`, the reference), in the same run, each run in turn
`--rounds` times. The store is only read (its generation's index files, never its Oxigraph store).

Both must give the same suggestions (a digest of them is compared). Figures: CPU seconds of this
process (less disturbed than the wall clock by other processes on a shared machine; both are given,
with the load average), each path's median and spread, and the ratio of the medians
(bench/speed_vs_plain.py).

    .venv/bin/python bench/variant_cost.py STORE [--rounds 3] [-o bench/results/variant_cost.json]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed_vs_plain import measure  # noqa: E402

import kg.identity.variants as variants  # noqa: E402
from kg.adjacency import AdjacencyIndex  # noqa: E402
from kg.identity.facts import Facts  # noqa: E402


def _suggestions(every_pair: bool) -> Callable[[AdjacencyIndex, Facts], Iterator[str]]:
    """The suggestions, each as its repr."""
    def suggested(index: AdjacencyIndex, facts: Facts) -> Iterator[str]:
        return (repr(s) for s in variants.suggestions(index, facts, every_pair=every_pair))
    return suggested


if __name__ == "__main__":
    raise SystemExit(measure(__doc__.split("\n\n", 1)[0], ("candidates", _suggestions(False)),
                             ("every pair", _suggestions(True)), "suggestions"))
