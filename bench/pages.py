"""Benchmark: what the visitor's pages (issue 29) cost in a worker, against a reference in the same run.

Builds a generated graph (`kg generate`), then times in alternating turns, as CPU seconds of this
process (the machine is shared, its wall clock noisy):

- the home page's data (kg.showcase: the most ambiguous names, the editor's values; kg.stats'
  counts) against the name-cluster page of the most ambiguous name (kg.cluster_page, the page a
  visitor reaches from it);
- an author page of the row with most papers: the description alone (kg.describe, the page before
  issue 29) against the description plus its lists (papers by year with their authors, the summary:
  kg.server.calls.listing), and its BibTeX export (kg.bibliography).

The ratios to the reference are given as median and range.

    .venv/bin/python bench/pages.py [--papers 50000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kg.bibliography as bib
import kg.describe as ld
from kg.backend import open_store
from kg.build import build
from kg.cluster_page import cluster_page
from kg.server.calls import listing
from kg.showcase import example_names, example_values
from kg.stats import compute_stats
from kg.synthetic.generator import generate


def _cpu(run: Callable[[], Any]) -> float:
    started = time.process_time()
    run()
    return time.process_time() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows, store = Path(tmp) / "rows", Path(tmp) / "store"
        generate(args.papers, 0, rows)
        build([rows], store)
        with open_store(store) as data:
            names = example_names(data, 8)
            row = example_values(data, names[:1])["row"]

            def home() -> None:
                found = example_names(data, 8)
                example_values(data, found[:1])
                compute_stats(data)

            def author(with_lists: bool) -> None:
                desc = ld.describe(data, row)
                assert desc is not None
                view = ld.view(data, desc)
                if with_lists:
                    listing(data, desc, view)

            turns: dict[str, Callable[[], Any]] = {
                "cluster page (reference)": lambda: cluster_page(data, names[0]["name"]),
                "home page data": home,
                "home: the names and values (kg.showcase)": lambda: example_values(data, example_names(data, 8)[:1]),
                "home: the counts (kg.stats)": lambda: compute_stats(data),
                "author page, description only (reference)": lambda: author(False),
                "author page with its lists": lambda: author(True),
                "BibTeX export of the row": lambda: bib.bibtex(bib.author_papers(data, row, 10_000)),
            }
            times: dict[str, list[float]] = {k: [] for k in turns}
            for _ in range(args.repeats):
                for k, run in turns.items():
                    times[k].append(_cpu(run))
            papers = len(bib.author_papers(data, row))
        print(f"{args.papers:,} generated papers; the row {row} has {papers} papers; the most ambiguous name "
              f"{names[0]['name']!r} has {names[0]['rows']} rows; {args.repeats} repeats", file=sys.stderr)
        refs = {"home page data": "cluster page (reference)",
                "home: the names and values (kg.showcase)": "cluster page (reference)",
                "home: the counts (kg.stats)": "cluster page (reference)", "author page with its lists":
                "author page, description only (reference)", "BibTeX export of the row":
                "author page, description only (reference)"}
        print("| turn | median CPU ms | range | ratio to reference, median | range |")
        print("|---|---|---|---|---|")
        for k, ts in times.items():
            ref = refs.get(k)
            ratio = "1.000 | —" if ref is None else (
                f"{statistics.median(a / b for a, b in zip(ts, times[ref], strict=True)):.2f} | "
                f"{min(a / b for a, b in zip(ts, times[ref], strict=True)):.2f}–"
                f"{max(a / b for a, b in zip(ts, times[ref], strict=True)):.2f}")
            print(f"| {k} | {statistics.median(ts) * 1000:.1f} | {min(ts) * 1000:.1f}–{max(ts) * 1000:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
