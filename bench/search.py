"""Benchmark: recall@10 of the search index (kg.search) for every way a person types a name, and
what the index costs a build.

Recall: the recorded real data (../shared/data/dblp_xml/*.xml and openalex/*.json, KG_SHARED
overrides) is built into a store; from every author row's name as the source wrote it, each kind
of variant is made (upper case, diacritics dropped, umlauts spelled out, NFD, token order, "Last,
First", initials "J. Becker" and "Becker, J.", punctuation dropped, a dblp homonym number, a
prefix while typing); a variant counts as found when the row's name cluster is among the first 10
name suggestions. A kind applies only to the names it changes (no "diacritics" variant of "Wei
Wang"). With --store DIR the same is measured on that store too (a generated graph).

Each kind also gets its ceiling: one typed text has one list of ten, so when the variant of more
than ten clusters' names is the same text ("J. Wang" of Jian, Jun, Jie ... Wang), no ranking finds
more than ten of them. The ceiling is the sum over typed texts of min(10, clusters giving it) over
the cases, from every case of the kind (before sampling): what the best possible ranking would get.

Cost, with --store DIR (a store built by `kg build`): the search step's seconds (and the seconds
spent writing the documents while the mapping's index was written) against the whole build's,
and search.sqlite's bytes against the store's (the Oxigraph directory).

    .venv/bin/python bench/search.py [--sample 3000] [--store DIR] [-o bench/results/search.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kg  # noqa: E402
from kg.names import strip_homonym  # noqa: E402
from kg.search.collect import pairs  # noqa: E402
from kg.search.query import SearchIndex  # noqa: E402
from kg.store import DATA, StoreDir  # noqa: E402
from kg.terms import KG  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KG_SHARED", ROOT.parent / "shared"))
TARGET = {"initials": 0.80, "last, initial": 0.80}  # every other kind: 0.95


def _plain(name: str) -> str:
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", name)
                                                if not unicodedata.combining(c)))


def _tokens(name: str) -> list[str]:
    return strip_homonym(name).split()


def _initial(word: str) -> str | None:
    return word[0] + "." if word[:1].isalpha() else None


Variant = Callable[[str], str | None]
VARIANTS: dict[str, Variant] = {
    "as written": lambda n: n,
    "upper case": lambda n: n.upper() if n.upper() != n else None,
    "lower case": lambda n: n.lower() if n.lower() != n else None,
    "no diacritics": lambda n: _plain(n) if _plain(n) != n else None,
    "umlauts as ae/oe/ue": lambda n: _plain(n.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss",
                                                                       "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})))
    if any(c in n for c in "äöüßÄÖÜ") else None,
    "NFD": lambda n: unicodedata.normalize("NFD", n) if unicodedata.normalize("NFD", n) != n else None,
    "token order": lambda n: " ".join(reversed(_tokens(n))) if len(_tokens(n)) > 1 else None,
    "last, first": lambda n: f"{_tokens(n)[-1]}, {' '.join(_tokens(n)[:-1])}" if len(_tokens(n)) > 1 else None,
    "initials": lambda n: f"{_initial(_tokens(n)[0])} {_tokens(n)[-1]}"
    if len(_tokens(n)) > 1 and _initial(_tokens(n)[0]) else None,
    "last, initial": lambda n: f"{_tokens(n)[-1]}, {_initial(_tokens(n)[0])}"
    if len(_tokens(n)) > 1 and _initial(_tokens(n)[0]) else None,
    "punctuation dropped": lambda n: "".join(" " if c in "-.'’," else c for c in n)
    if any(c in n for c in "-.'’,") else None,
    "homonym number": lambda n: n if strip_homonym(n) != n.strip() else None,
    "typing prefix": lambda n: " ".join([*_tokens(n)[:-1], _tokens(n)[-1][:3]])
    if len(_tokens(n)) > 1 and len(_tokens(n)[-1]) > 3 else None,
}


def rows_of(store: Path) -> list[tuple[str, str]]:
    """(name as written, cluster IRI) of every author row."""
    db = StoreDir(store).open()
    cluster = dict(pairs(db, KG.inCluster))
    return sorted({(name, cluster[row]) for row, name in pairs(db, KG.name) if row in cluster})


def recall(store: Path, sample: int, seed: int) -> dict[str, Any]:
    rows = rows_of(store)
    index = SearchIndex.open(StoreDir(store).require())
    rng = random.Random(seed)
    out: dict[str, Any] = {}
    latencies: list[float] = []
    for kind, make in VARIANTS.items():
        cases = [(v, c) for n, c in rows if (v := make(n)) is not None]
        giving: dict[str, set[str]] = {}
        for typed, cluster in cases:
            giving.setdefault(typed.casefold(), set()).add(cluster)
        distinct = sum(len(c) for c in giving.values())
        ceiling = sum(min(10, len(c)) for c in giving.values()) / distinct if distinct else None
        if len(cases) > sample:
            cases = rng.sample(cases, sample)
        found = 0
        for typed, cluster in cases:
            started = time.perf_counter()
            got = index.suggest(typed, "name", 10)
            latencies.append(time.perf_counter() - started)
            found += any(s.iri == cluster for s in got)
        target = TARGET.get(kind, 0.95)
        out[kind] = {"cases": len(cases), "recall_at_10": round(found / len(cases), 4) if cases else None,
                     "ceiling_at_10": round(ceiling, 4) if ceiling is not None else None, "target": target}
    latencies.sort()
    index.close()
    return {"rows": len(rows), "by_variant": out,
            "latency_ms": {"median": round(statistics.median(latencies) * 1000, 3),
                           "p95": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 3),
                           "queries": len(latencies)}}


def shared_store(work: Path) -> Path:
    dblp = sorted((SHARED / "data" / "dblp_xml").glob("*.xml"))
    openalex = sorted((SHARED / "data" / "openalex").glob("*.json"))
    if not dblp:
        sys.exit(f"bench/search.py: no recorded data in {SHARED / 'data'} (set KG_SHARED)")
    store = work / "shared-store"
    kg.build([*dblp, *openalex], store, dtd=SHARED / "data" / "dblp_xml" / "dblp.dtd")
    return store


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def cost(store: Path) -> dict[str, Any]:
    generation = StoreDir(store).require()
    meta = json.loads((generation / "build.json").read_text())
    search = meta["search"]
    spent = search["seconds"] + search.get("collected_seconds", 0.0)
    oxigraph = _size(generation / DATA)
    return {"build_seconds": meta["seconds"], "search_seconds": spent,
            "build_share": round(spent / meta["seconds"], 4), "store_bytes": oxigraph,
            "search_bytes": search["bytes"], "size_share": round(search["bytes"] / oxigraph, 4),
            "names": search["names"], "papers": search["papers"], "papers_in_store": meta["counts"].get("papers")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=3000, help="variants tried per kind at most")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--store", type=Path, help="also measure this (generated) store: recall and cost")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="kg-bench-search-") as tmp:
        real = shared_store(Path(tmp))
        result["shared_data"] = {**recall(real, args.sample, args.seed), **cost(real)}
    if args.store is not None:
        result["store"] = {"path": args.store.name, **recall(args.store, args.sample, args.seed), **cost(args.store)}
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.output is not None:
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
