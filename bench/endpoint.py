"""Queries per second of `kg serve` against `oxigraph serve-read-only`, same store, same query mix.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/endpoint.py --papers 2000 --seconds 15 --concurrency 8

Both servers run on 127.0.0.1 one after the other over the same store (the active generation of a
store built from `kg generate` rows), with the union of all graphs as default graph. A fixed mix of
read queries (constant text, no parameters) is sent by --concurrency threads with keep-alive
connections for --seconds each, after a short warm-up. Prints one JSON object with both rates.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

MIX = [
    "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#> SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }",
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 100",
    "ASK { ?s a ?t }",
    "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n)",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 50",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?s ?l WHERE { ?s rdfs:label ?l } ORDER BY ?l LIMIT 20",
]


def named_mix() -> list[str]:
    """The named queries that take no parameter (queries/*.rq), added to the mix."""
    out = []
    for path in sorted((ROOT / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        if "# param:" not in text:
            out.append(text)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_up(port: int, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path + "?" + urlencode({"query": "ASK {}"}))
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not come up")


def load(port: int, path: str, queries: list[str], seconds: float, concurrency: int) -> dict[str, float]:
    stop = time.monotonic() + seconds
    counts = [0] * concurrency
    errors = [0] * concurrency

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        k = i
        while time.monotonic() < stop:
            q = queries[k % len(queries)]
            k += 1
            body = urlencode({"query": q})
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json, text/turtle;q=0.9",
            }
            try:
                conn.request("POST", path, body, headers)
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    counts[i] += 1
                else:
                    errors[i] += 1
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return {
        "queries": sum(counts),
        "errors": sum(errors),
        "seconds": round(elapsed, 2),
        "qps": round(sum(counts) / elapsed, 1),
    }


def run_server(
    cmd: list[str], port: int, path: str, queries: list[str], seconds: float, concurrency: int
) -> dict[str, float]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        wait_up(port, path)
        load(port, path, queries, 2.0, concurrency)  # warm-up
        return load(port, path, queries, seconds, concurrency)
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, help="An existing kg store (default: build one from `kg generate`).")
    ap.add_argument("--papers", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2, help="kg serve --workers")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "endpoint")
    args = ap.parse_args()

    kg = str(BIN / "kg")
    oxigraph = shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph")
    if oxigraph is None:
        raise SystemExit("oxigraph CLI not found: pip install -e '.[bench]'")
    store: Path = args.store
    if store is None:
        store = args.work / f"store-{args.papers}"
        if not (store / "active").exists():
            rows = args.work / f"rows-{args.papers}"
            shutil.rmtree(rows, ignore_errors=True)
            subprocess.run([kg, "generate", "--papers", str(args.papers), "--seed", "1", "-o", str(rows)], check=True)
            subprocess.run([kg, "build", str(rows), "--store", str(store)], check=True)
    data = os.path.realpath(store / "active") + "/oxigraph"
    queries = MIX + named_mix()

    port = free_port()
    kg_cmd = [
        kg,
        "serve",
        "--store",
        str(store),
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--max-rows",
        "0",
    ]
    ours = run_server(kg_cmd, port, "/sparql", queries, args.seconds, args.concurrency)
    port = free_port()
    ox_cmd = [oxigraph, "serve-read-only", "--location", data, "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    theirs = run_server(ox_cmd, port, "/query", queries, args.seconds, args.concurrency)
    result = {
        "store": str(store.name),
        "triples": json.loads((Path(os.path.realpath(store / "active")) / "build.json").read_text())
        .get("counts", {})
        .get("triples"),
        "queries_in_mix": len(queries),
        "concurrency": args.concurrency,
        "kg_serve": ours,
        "oxigraph_serve_read_only": theirs,
        "ratio": round(ours["qps"] / theirs["qps"], 3) if theirs["qps"] else None,
    }
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
