"""`GET /api/suggest` of `kg serve` against `oxigraph serve-read-only` answering one name-key lookup,
both at the same concurrency, in the same run (issue 27's throughput target: >= 1.0x, p95 within 2x
of the median).

    .venv/bin/python bench/suggest_rate.py --store STORE [--seconds 5] [--rounds 3] [--concurrency 8]

The suggestions are typed prefixes of 1-6 characters (the length drawn evenly) of real names and
titles: the labels and titles of the store's own search index, half each, --sample of them with a
fixed --seed, sent as `/api/suggest?q=PREFIX&limit=10` (kind all: names, then titles). The
references are the name-key lookups of bench/endpoint.py on keys drawn from the same store:
`rows_of_key` (the rows of one kg:nameKey, the cheapest lookup there is) and `papers_of_key` (the
lookup mix's query: the papers and titles of one key). Each round measures the three, one after
the other, for --seconds each after a 1 s warm-up, with bench/endpoint.py's keep-alive load
generator; both servers stay up for the whole run, so each round sees the same neighbours.

kg serve runs with `--cache 0` by default (every suggestion answered from the index, none from the
page cache; `--cache N` measures the served default too). The clients share the cores with the
servers. Prints one JSON object (every round, the median and spread of the rounds, the ratios);
--out also writes it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from endpoint import KG, LOOKUPS, cpu_seconds, free_port, load, prepare, report, wait_up  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REFERENCES = {
    "rows_of_key": KG + "SELECT ?row WHERE { ?row kg:nameKey {key} }",
    "papers_of_key": LOOKUPS["papers_of_key"],
}


def prefixes(search: Path, sample: int, seed: int) -> list[str]:
    """`sample` typed prefixes (1-6 characters) of the index's names and titles, alternately."""
    conn = sqlite3.connect(f"{search.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
    names = [r[0] for r in conn.execute("SELECT label FROM names")]
    titles = [r[0] for r in conn.execute("SELECT title FROM papers")]
    conn.close()
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < sample:
        text = rng.choice(names if len(out) % 2 == 0 else titles)
        typed = text[: rng.randint(1, 6)].strip()
        if any(c.isalnum() for c in typed):
            out.append(typed)
    return out


def name_keys(data: str, sample: int, seed: int) -> list[str]:
    """`sample` kg:nameKey literals of the store, as N-Triples terms."""
    import pyoxigraph as ox

    store = ox.Store.read_only(data)
    found = store.query(KG + "SELECT DISTINCT ?k WHERE { ?r kg:nameKey ?k }", use_default_graph_as_union=True)
    assert isinstance(found, ox.QuerySolutions)
    keys = sorted(str(s[0]) for s in found)
    del found, store
    return random.Random(seed).sample(keys, min(sample, len(keys)))


def suggest_requests(typed: list[str]) -> list[bytes]:
    return [(f"GET /api/suggest?{urlencode({'q': q, 'limit': 10})} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Accept: application/json\r\n\r\n").encode() for q in typed]


def run(port: int, pid: int, requests: list[bytes], seconds: float, concurrency: int) -> dict[str, Any]:
    load(port, requests, 1.0, concurrency)  # warm-up
    before = cpu_seconds(pid)
    found = load(port, requests, seconds, concurrency)
    after = cpu_seconds(pid)
    if before is not None and after is not None and found["queries"]:
        found["cpu_ms_per_query"] = round((after - before) * 1000 / found["queries"], 3)
    return found


def spread(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True, help="A kg store (kg build).")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--sample", type=int, default=2000, help="Prefixes typed, and name keys looked up.")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="kg serve --workers")
    ap.add_argument("--cache", type=int, default=0, help="kg serve --cache (0: every answer from the index)")
    ap.add_argument("--out", type=Path, help="Also write the JSON here.")
    args = ap.parse_args()

    oxigraph = shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph")
    if oxigraph is None:
        raise SystemExit("oxigraph CLI not found: pip install -e '.[bench]'")
    generation = Path(os.path.realpath(args.store / "active"))
    data = str(generation / "oxigraph")
    typed = prefixes(generation / "search.sqlite", args.sample, args.seed)
    keys = name_keys(data, args.sample, args.seed)
    ours = suggest_requests(typed)
    theirs = {name: prepare("/query", [q.replace("{key}", k) for k in keys]) for name, q in REFERENCES.items()}

    kg_port, ox_port = free_port(), free_port()
    kg_cmd = [str(BIN / "kg"), "serve", "--store", str(args.store), "--port", str(kg_port),
              "--workers", str(args.workers), "--cache", str(args.cache)]
    ox_cmd = [oxigraph, "serve-read-only", "--location", data, "--bind", f"127.0.0.1:{ox_port}",
              "--union-default-graph"]
    load_before = os.getloadavg()
    rounds: list[dict[str, Any]] = []
    kg_proc = subprocess.Popen(kg_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    ox_proc = subprocess.Popen(ox_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        wait_up(kg_port, "/sparql")
        wait_up(ox_port, "/query")
        for _ in range(args.rounds):
            got = {"suggest": run(kg_port, kg_proc.pid, ours, args.seconds, args.concurrency)}
            for name, requests in theirs.items():
                got[name] = run(ox_port, ox_proc.pid, requests, args.seconds, args.concurrency)
            got["ratios"] = {name: round(got["suggest"]["qps"] / got[name]["qps"], 3) for name in REFERENCES}
            got["suggest_p95_over_median"] = round(got["suggest"]["p95_ms"] / got["suggest"]["median_ms"], 2)
            rounds.append(got)
    finally:
        for proc in (kg_proc, ox_proc):
            proc.terminate()
            proc.wait(10)
    summary: dict[str, Any] = {}
    for name in ("suggest", *REFERENCES):
        summary[name] = {k: spread([r[name][k] for r in rounds]) for k in ("qps", "median_ms", "p95_ms")}
    summary["ratios"] = {name: spread([r["ratios"][name] for r in rounds]) for name in REFERENCES}
    summary["suggest_p95_over_median"] = spread([r["suggest_p95_over_median"] for r in rounds])
    meta = json.loads((generation / "build.json").read_text())
    result = {
        "store": args.store.name, "papers": meta.get("counts", {}).get("papers"),
        "prefixes": len(typed), "keys": len(keys), "seconds": args.seconds, "concurrency": args.concurrency,
        "kg_serve_args": kg_cmd[kg_cmd.index("--workers"):],
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "summary": summary, "rounds": rounds,
    }
    report(result, args.out)


if __name__ == "__main__":
    main()
