"""Benchmark: the two structures considered for the search index (docs/search.md), on the same names.

- FTS5: kg.search.write's table (contentless, prefix indexes 1-3, documents numbered by rank) and
  kg.search.query's MATCH of every word as a prefix, first 10 in rank order;
- a sorted key array: every (word, document) pair sorted, a word's prefix found by bisection; a
  query of several words takes the candidates of its rarest word (at most all of them) and keeps
  those whose other words match too (each document's words kept beside), best 10 by rank.

Both are given every name of a rows table (`kg generate`'s authors.csv, or any with a `name`
column), numbered in a random rank order; queries are prefixes of 1-6 characters of names' words,
one word or two ("J. Becker": an initial and a word). Reported: build seconds, bytes (the FTS5 file;
the array's keys as UTF-8 plus 4 bytes a pair), and per-query median and p95 in microseconds.

    .venv/bin/python bench/search_structures.py AUTHORS.csv [--queries 2000]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.search.fold import index_tokens, query_terms  # noqa: E402
from kg.search.query import _match  # noqa: E402
from kg.search.write import create  # noqa: E402


def _timed(queries: list[str], run: Callable[[str], list[int]]) -> dict[str, float]:
    times = []
    for q in queries:
        started = time.perf_counter()
        run(q)
        times.append(time.perf_counter() - started)
    times.sort()
    return {"median_us": round(statistics.median(times) * 1e6, 1),
            "p95_us": round(times[int(0.95 * (len(times) - 1))] * 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("authors", type=Path)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with open(args.authors, newline="", encoding="utf-8") as f:
        names = sorted({row["name"] for row in csv.DictReader(f)})
    rng = random.Random(args.seed)
    rng.shuffle(names)  # the rank order
    tokens = [index_tokens(n) for n in names]
    queries = []
    for _ in range(args.queries):
        words = rng.choice(tokens)
        one = rng.choice(words)[: rng.randint(1, 6)]
        two = f"{words[0][0]}. {words[-1][: rng.randint(1, 6)]}"
        queries.append(one if rng.random() < 0.5 or len(words) < 2 else two)
    out: dict[str, object] = {"names": len(names), "queries": len(queries)}

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fts.sqlite"
        started = time.perf_counter()
        conn = create(path)
        with conn:
            conn.executemany("INSERT INTO names_fts(rowid, tokens) VALUES (?, ?)",
                             ((k, " ".join(t)) for k, t in enumerate(tokens, 1)))
            conn.execute("INSERT INTO names_fts(names_fts) VALUES ('optimize')")
        conn.close()
        fts_build = time.perf_counter() - started
        conn = __import__("sqlite3").connect(path)

        def fts(q: str) -> list[int]:
            terms = query_terms(q)
            return [r[0] for r in conn.execute(
                "SELECT rowid FROM names_fts WHERE names_fts MATCH ? ORDER BY rowid LIMIT 10", (_match(terms),))]

        out["fts5"] = {"build_s": round(fts_build, 3), "bytes": path.stat().st_size, **_timed(queries, fts)}
        conn.close()

    started = time.perf_counter()
    keys = sorted((t, k) for k, words in enumerate(tokens) for t in words)
    words_only = [t for t, _ in keys]
    docs = [k for _, k in keys]
    array_build = time.perf_counter() - started

    def candidates(prefix: str) -> list[int]:
        lo = bisect.bisect_left(words_only, prefix)
        hi = bisect.bisect_left(words_only, prefix + "\U0010ffff")
        return docs[lo:hi]

    def array(q: str) -> list[int]:
        terms = query_terms(q)
        spans = sorted((candidates(alts[0]) for alts in terms), key=len)
        if not spans:
            return []
        found = sorted(set(spans[0]))
        rest = [alts[0] for alts in terms]
        return [k for k in found if all(any(t.startswith(p) for t in tokens[k]) for p in rest)][:10]

    size = sum(len(t.encode()) + 4 for t in words_only)
    out["sorted_array"] = {"build_s": round(array_build, 3), "bytes": size, **_timed(queries, array)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
