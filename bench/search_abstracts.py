"""Benchmark: what abstracts add to the search index (kg.search.abstracts), on the recorded real data.

The recorded OpenAlex and Crossref works (../shared/data/openalex/*.json, crossref/*.json; KG_SHARED
overrides) are built into a store; its search documents are read back (kg.search.collect.from_store)
and the index is written again from them with each bound on the words of an abstract kept: none (the
index as it was, titles only), 50, 100, 200 (kg.search.abstracts.WORDS, what the build writes) and
every word. For each: search.sqlite's bytes against the Oxigraph directory's, and the seconds its
writing took (the median of --rounds, with their spread: the machine is shared) against those of
the index without abstracts, and the build's own seconds. The store is the same for every bound
(it holds the whole abstracts, whatever the index keeps).

`kg generate` writes no abstracts: on a generated graph the index only gains its empty abstracts
tables (measure with bench/search.py --store DIR).

    .venv/bin/python bench/search_abstracts.py [--rounds 3] [-o bench/results/search_abstracts.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kg  # noqa: E402
from kg.search.collect import from_store, pairs  # noqa: E402
from kg.search.write import write_documents  # noqa: E402
from kg.store import DATA, StoreDir  # noqa: E402
from kg.terms import KG  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KG_SHARED", ROOT.parent / "shared"))
BOUNDS: tuple[int | None, ...] = (0, 50, 100, 200, None)  # None: every word


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _pack(text: str | None, words: int | None) -> bytes | None:
    kept = (text or "").split()[:words] if words is not None else (text or "").split()
    return zlib.compress(" ".join(kept).encode("utf-8")) if kept else None


def measure(rounds: int) -> dict[str, Any]:
    data = SHARED / "data"
    files = sorted((data / "openalex").glob("*.json")) + sorted((data / "crossref").glob("*.json"))
    if not files:
        sys.exit(f"bench/search_abstracts.py: no recorded data in {SHARED / 'data'} (set KG_SHARED)")
    with tempfile.TemporaryDirectory(prefix="kg-bench-abstracts-") as tmp:
        kg.build(files, Path(tmp) / "store")
        generation = StoreDir(Path(tmp) / "store").require()
        meta = json.loads((generation / "build.json").read_text())
        store_bytes = _size(generation / DATA)
        store = StoreDir(Path(tmp) / "store").open()
        full = dict(pairs(store, KG.abstract))
        names, papers = from_store(store)
        words = sorted(len(t.split()) for t in full.values())
        out: dict[str, Any] = {
            "papers": len(papers), "abstracts": len(full), "abstract_words_median": statistics.median(words),
            "abstract_words_max": words[-1], "store_bytes": store_bytes, "build_seconds": meta["seconds"],
            "build_search": {k: meta["search"].get(k) for k in ("bytes", "collected_seconds", "seconds")},
            "by_bound": {}}
        base: float | None = None
        for bound in BOUNDS:
            docs = [p._replace(abstract=_pack(full.get(p.iri), bound)) for p in papers]
            seconds = []
            path = Path(tmp) / "search.sqlite"
            for _ in range(rounds):
                started = time.perf_counter()
                write_documents(path, names, docs).close()
                seconds.append(time.perf_counter() - started)
            median = statistics.median(seconds)
            base = median if base is None else base
            size = path.stat().st_size
            out["by_bound"]["all" if bound is None else str(bound)] = {
                "bytes": size, "size_share": round(size / store_bytes, 4),
                "write_seconds_median": round(median, 3), "write_seconds_spread": [round(min(seconds), 3),
                                                                                   round(max(seconds), 3)],
                "write_ratio_to_none": round(median / base, 2),
                "write_share_of_build": round(median / meta["seconds"], 4)}
        del store
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    text = json.dumps(measure(args.rounds), indent=2)
    print(text)
    if args.output is not None:
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
