"""Benchmark: what affiliations and citations add to a build of OpenAlex works, against the same
works without them, in one run.

The recorded OpenAlex works (../shared/data/openalex/, KG_SHARED overrides) are copied COPIES times
under new work, author and institution ids (so that the graph is COPIES times as large, with the
same shape), once as they are and once with their institutions, raw affiliation strings and
referenced works taken out. Each round builds both into fresh stores, alternately, each in its own
process, and reports the wall-clock seconds of each, their ratio, the triples and the identity
facts' size. The machine's noise shows in the spread of the rounds.

    KG_SHARED=../shared .venv/bin/python bench/affiliations_build.py [--copies 20] [--rounds 3]
        [-o bench/results/affiliations_build.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KG_SHARED", ROOT.parent / "shared"))
RESULTS = Path(__file__).resolve().parent / "results" / "affiliations_build.json"
_ID = re.compile(r"(https://openalex\.org/[WAI])(\d+)")


def works() -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((SHARED / "data" / "openalex").glob("*.json")):
        for work in json.loads(path.read_text(encoding="utf-8"))["results"]:
            found.setdefault(work["id"], work)
    if not found:
        sys.exit(f"bench/affiliations_build.py: no OpenAlex samples in {SHARED / 'data' / 'openalex'}")
    return list(found.values())


def copies(recorded: list[dict[str, Any]], n: int, affiliated: bool) -> list[dict[str, Any]]:
    """`n` copies of the works, ids renumbered per copy (ids inside one copy keep their links)."""
    out = []
    for k in range(min(n, 900)):
        for work in recorded:
            text = _ID.sub(rf"\g<1>{100 + k}\g<2>", json.dumps(work))  # 3 digits: no two copies collide
            copy = json.loads(text)
            if not affiliated:
                copy["referenced_works"] = []
                for a in copy.get("authorships") or []:
                    a["institutions"], a["raw_affiliation_strings"], a["affiliations"] = [], [], []
            out.append(copy)
    return out


def _build(page: Path, store: Path) -> float:
    shutil.rmtree(store, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kg", "build", str(page), "--store", str(store)], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _facts_bytes(store: Path) -> int:
    index = (store / "active").resolve() / "paths-index"
    return sum(p.stat().st_size for p in index.glob("identity-*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("-o", "--output", type=Path, default=RESULTS)
    args = ap.parse_args()
    recorded = works()
    seconds: dict[str, list[float]] = {"without": [], "with": []}
    with tempfile.TemporaryDirectory(prefix="kg-affiliations-bench-") as tmp:
        pages = {}
        for kind in seconds:
            pages[kind] = Path(tmp) / f"{kind}.json"
            pages[kind].write_text(json.dumps({"meta": {}, "results": copies(recorded, args.copies, kind == "with")}),
                                   encoding="utf-8")
        for _ in range(args.rounds):
            for kind in seconds:
                seconds[kind].append(_build(pages[kind], Path(tmp) / f"store-{kind}"))
        meta = {kind: json.loads((Path(tmp) / f"store-{kind}" / "active" / "build.json").read_text())
                for kind in seconds}
        facts = {kind: _facts_bytes(Path(tmp) / f"store-{kind}") for kind in seconds}
    ratios = [w / o for w, o in zip(seconds["with"], seconds["without"], strict=True)]
    report = {"works": len(recorded) * args.copies, "rounds": args.rounds, "seconds": seconds,
              "ratio_median": round(statistics.median(ratios), 3),
              "ratio_min": round(min(ratios), 3), "ratio_max": round(max(ratios), 3),
              "triples": {k: m["counts"]["triples"] for k, m in meta.items()},
              "identity_seconds": {k: m["identity"]["seconds"] for k, m in meta.items()},
              "identity_facts_bytes": facts,
              "loadavg": os.getloadavg()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
