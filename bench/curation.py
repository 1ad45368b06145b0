"""Benchmark: what the corrections by hand (kg.identity.curation) cost the identity step.

Builds a generated graph (`kg generate`), then evaluates every cluster's identity, as the build's
step does (kg.identity.compute.clusters), in turns: the plain grouping (the reference, in the same
run), the grouping through kg.identity.curation.Hand with no correction (what every build now
runs), and with CORRECTIONS corrections of rows of the biggest clusters (half `same`, half
`distinct`), including the corrected pairs written for the table. CPU seconds of this process (the
machine is shared); the turns alternate so the noise falls on all alike; the ratios to the
reference are given as median and range.

    .venv/bin/python bench/curation.py [--papers 100000] [--repeats 5] [--corrections 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kg.adjacency import AdjacencyIndex
from kg.build import build
from kg.identity.compute import clusters
from kg.identity.curation import Correction, Hand
from kg.identity.evidence import DISTINCT, SAME
from kg.identity.facts import Facts
from kg.synthetic.generator import generate


def _hand(index: AdjacencyIndex, corrections: list[Correction]) -> Hand:
    a2c, a2p = index.a2c, index.a2p
    return Hand(corrections, index.authors.find, lambda r: int(a2c[r]), lambda r: set(a2p.row(r)))


def _corrections(index: AdjacencyIndex, n: int) -> list[Correction]:
    """`n` corrections of pairs of rows of the biggest clusters, alternately same and distinct."""
    sizes = sorted(range(len(index.clusters)), key=lambda c: -index.c2a.degree(c))
    out: list[Correction] = []
    for c in sizes:
        rows = [index.authors.iri(int(r)) for r in index.c2a.row(c)]
        for a, b in zip(rows, rows[1:], strict=False):
            if len(out) == n:
                return out
            verdict = SAME if len(out) % 2 == 0 else DISTINCT
            out.append(Correction(len(out) + 1, verdict, (min(a, b), max(a, b)), "bench", "bench",
                                  "2026-01-01T00:00:00Z"))
    return out


def _run(index: AdjacencyIndex, facts: Facts, hand: Hand | None) -> float:
    started = time.process_time()  # CPU time: the machine is shared, its wall clock noisy
    for ci in clusters(index, facts, group=hand.partition) if hand is not None else clusters(index, facts):
        if hand is not None:
            ci.pairs = hand.corrected_pairs(ci.rows, ci.pairs)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--corrections", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tables = Path(tmp) / "tables"
        generate(args.papers, 1, tables)
        build([tables], Path(tmp) / "store")
        generation = (Path(tmp) / "store" / "active").resolve()
        index = AdjacencyIndex.open(generation)
        assert index is not None
        facts = Facts.read(index.path)
        assert facts is not None
        corrections = _corrections(index, args.corrections)
        times: dict[str, list[float]] = {"plain": [], "no corrections": [], f"{len(corrections)} corrections": []}
        for _ in range(args.repeats):
            times["plain"].append(_run(index, facts, None))
            times["no corrections"].append(_run(index, facts, _hand(index, [])))
            times[f"{len(corrections)} corrections"].append(_run(index, facts, _hand(index, corrections)))
        index.close()
    print(f"identity of every cluster, {args.papers:,} generated papers, {args.repeats} turns each (CPU seconds)")
    reference = times["plain"]
    for name, got in times.items():
        ratios = [g / r for g, r in zip(got, reference, strict=True)]
        print(f"  {name:18} median {statistics.median(got):.3f} s (range {min(got):.3f}-{max(got):.3f}); "
              f"ratio to plain median {statistics.median(ratios):.3f} (range {min(ratios):.3f}-{max(ratios):.3f})")


if __name__ == "__main__":
    sys.exit(main())
