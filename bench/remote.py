"""Remote backends (issue 14): name-cluster and path latencies over the embedded store, Oxigraph
server and Virtuoso on the same triples, and `kg index --endpoint` against `kg index` from the N-Quads.

    .venv/bin/python bench/remote.py --store STORE --nquads SHARDS_DIR --rows ROWS_DIR
    ... --oxigraph URL --virtuoso URL --index DIR   # only the latencies, on engines loaded before

STORE is `kg build ROWS` (with its index), SHARDS_DIR `kg etl ROWS --shards N` of the same rows. The
engines are started here on free ports (tests/engines.py: the recipes of docs/scaling.md), loaded,
measured one after the other, and stopped. Writes bench/results/remote-<size>.json and its section
of bench/RESULTS.md (`bench/remote.py --render bench/results/remote-100k.json` rewrites the section).

- cluster: `kg.cluster.cluster(backend, name)` for names drawn from the rows (clusters of at most 50
  papers), median and p95 per backend; beside it, for each engine, the engine's own time for the
  same requests: the exact bytes and headers the RemoteBackend sends (recorded as it sends them,
  encoded before the clock starts), POSTed on one bare kept-alive http.client connection, the body
  read, nothing parsed, in turns with kg's. The overhead is kg's (binding, encoding, parsing,
  normalising, assembling); kg's side is also timed alone, the engine's answers replayed from memory.
- path: `kg.paths.shortest_paths(backend, a, b)` for random pairs of author rows, embedded (its
  index) and each engine with the local index (`--index`), median and p95; the ratio to embedded.
- index: `kg index --endpoint URL` (pages of 10,000) per engine against `kg index SHARDS` (no store).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(os.environ.get("KG_ROOT", Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(ROOT / "tests"))

from engines import start_oxigraph, start_virtuoso  # noqa: E402

from kg.backend import open_store  # noqa: E402
from kg.backend.remote import RemoteBackend  # noqa: E402
from kg.cluster import cluster  # noqa: E402
from kg.names import name_key  # noqa: E402
from kg.paths import shortest_paths  # noqa: E402

REPEAT = 3


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _ms(values: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(values) * 1000, 2), "p95_ms": round(_p95(values) * 1000, 2)}


def _names(rows: Path, count: int, seed: int) -> list[str]:
    """Names whose clusters have at most 50 authorships (issue 5's bin), drawn with `seed`."""
    key_of: dict[str, str] = {}
    names: dict[str, str] = {}
    with open(rows / "authors.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = name_key(row["name"])
            key_of[row["id"]] = key
            names.setdefault(key, row["name"])
    counts: dict[str, int] = {}
    with open(rows / "authorships.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            k = key_of[row["author_id"]]
            counts[k] = counts.get(k, 0) + 1
    pool = sorted(names[k] for k, n in counts.items() if n <= 50)
    return random.Random(seed).sample(pool, min(count, len(pool)))


def _cluster_times(backend: Any, names: list[str]) -> list[float]:
    out = []
    for name in names:
        best = []
        for _ in range(REPEAT):
            t = time.perf_counter()
            cluster(backend, name)
            best.append(time.perf_counter() - t)
        out.append(statistics.median(best))
    return out


def _sent(remote: RemoteBackend, call: Any) -> list[tuple[str, str]]:
    """The (query, Accept) of every request `call()` makes through `remote`'s client, in order."""
    texts: list[tuple[str, str]] = []
    post = remote.client.post

    def recording(query: str, accept: str, timeout: float | None = None) -> Any:
        texts.append((query, accept))
        return post(query, accept, timeout)

    remote.client.post = recording  # type: ignore[method-assign]
    try:
        call()
    finally:
        remote.client.post = post  # type: ignore[method-assign]
    return texts


class _Replay:
    """A client's `post` that records the engine's answers, then (`replay()`) gives them back in
    order from memory, each request still bound and encoded but not sent."""

    def __init__(self, remote: RemoteBackend, post: Any) -> None:
        self.remote, self.post = remote, post
        self.answers: list[Any] = []
        self.at: int | None = None

    def replay(self) -> None:
        self.at = 0

    def __call__(self, query: str, accept: str, timeout: float | None = None) -> Any:
        if self.at is None:
            self.answers.append(self.post(query, accept, timeout))
            return self.answers[-1]
        self.remote.client.request(query, accept)
        self.at += 1
        return self.answers[self.at - 1]


def _replayed_times(remote: RemoteBackend, names: list[str]) -> list[float]:
    """For each name, kg's side of `cluster(remote, name)` alone (the engine's answers recorded once,
    then replayed from memory): the median of REPEAT * 2 calls."""
    out = []
    post = remote.client.post
    try:
        for name in names:
            replay = _Replay(remote, post)
            remote.client.post = replay  # type: ignore[method-assign]
            cluster(remote, name)
            times = []
            for _ in range(REPEAT * 2):
                replay.replay()
                t = time.perf_counter()
                cluster(remote, name)
                times.append(time.perf_counter() - t)
            out.append(statistics.median(times))
    finally:
        remote.client.post = post  # type: ignore[method-assign]
    return out


def _remote_cluster_times(remote: RemoteBackend, names: list[str]) -> tuple[list[float], list[float], list[int]]:
    """For each name: `cluster(remote, name)`, and the engine's own time for the requests it makes
    (the same requests, recorded as it sends them and encoded before the clock starts, POSTed on one
    bare kept-alive http.client connection, the least a Python client spends: bodies read, nothing
    parsed), measured in turns (kg then the
    engine, then the other way round) so that both see the same moments of a shared machine; the
    median of each over REPEAT turns, and the number of requests."""
    parts = urllib.parse.urlsplit(remote.url)
    conn = http.client.HTTPConnection(parts.hostname or "localhost", parts.port or 80)

    def own(requests: list[tuple[bytes, dict[str, str]]]) -> float:
        t = time.perf_counter()
        for body, headers in requests:
            conn.request("POST", parts.path, body, headers)
            response = conn.getresponse()
            _ = response.read()
            assert response.status == 200, response.status
        return time.perf_counter() - t

    def ours(name: str) -> float:
        t = time.perf_counter()
        cluster(remote, name)
        return time.perf_counter() - t

    kg_times, own_times, counts = [], [], []
    for name in names:
        texts = _sent(remote, lambda name=name: cluster(remote, name))
        counts.append(len(texts))
        # the bytes and headers kg sends, made before the clock starts
        sent = [remote.client.request(text, accept) for text, accept in texts]
        a, b = [], []
        for turn in range(REPEAT * 2):
            if turn % 2 == 0:
                a.append(ours(name))
                b.append(own(sent))
            else:
                b.append(own(sent))
                a.append(ours(name))
        kg_times.append(statistics.median(a))
        own_times.append(statistics.median(b))
    conn.close()
    return kg_times, own_times, counts


def _pairs(backend: Any, count: int, seed: int) -> list[tuple[str, str]]:
    index = backend.index()
    rng = random.Random(seed)
    n = len(index.authors)
    connected = [i for i in range(n) if index.a2a.degree(i) > 0]
    return [(index.authors.iri(rng.choice(connected)), index.authors.iri(rng.choice(connected))) for _ in range(count)]


def _path_times(backend: Any, pairs: list[tuple[str, str]]) -> tuple[list[float], list[Any]]:
    times, answers = [], []
    for a, b in pairs:
        t = time.perf_counter()
        result = shortest_paths(backend, a, b, timeout=30)
        times.append(time.perf_counter() - t)
        answers.append(result.to_json())
    return times, answers


def _kg(*args: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kg", *args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


BEGIN, END = "<!-- bench/remote.py: begin -->", "<!-- bench/remote.py: end -->"


def render(r: dict[str, Any], label: str) -> str:
    """The section of bench/RESULTS.md for one run."""
    c, p = r["cluster"], r["path"]
    lines = [
        BEGIN,
        f"## Remote backends ({label} papers): embedded store, Oxigraph server, Virtuoso 7.2",
        "",
        f"`bench/remote.py`, {r['date']}, commit {r['commit']}, {r['cpus']} cores shared (load "
        f"{r['load_before']:.1f} before, {r['load_after']:.1f} after); {r['names']} names of clusters of at most 50 "
        f"papers, {r['pairs']} random pairs of author rows, the same triples in every backend.",
        "",
        "| | embedded | Oxigraph server | Virtuoso |",
        "|---|---|---|---|",
        "| `kg.cluster.cluster(backend, name)` median / p95 ms | "
        + " | ".join(f"{c[k]['median_ms']} / {c[k]['p95_ms']}" for k in ("embedded", "oxigraph server", "Virtuoso"))
        + " |",
        "| the engine's own time for the same requests (bare kept-alive HTTP, body read) median / p95 ms | – | "
        + " | ".join(f"{c[k]['engine_own']['median_ms']} / {c[k]['engine_own']['p95_ms']}"
                     for k in ("oxigraph server", "Virtuoso")) + " |",
        "| requests per cluster, per path (median) | – | "
        + " | ".join(f"{c[k].get('requests', 4)}, {p[k].get('requests', '–')}" for k in ("oxigraph server", "Virtuoso"))
        + " |",
        "| kg's overhead over the engine's own time, median ms (target ≤ 3) | – | "
        + " | ".join(str(c[k]["kg_overhead_median_ms"]) for k in ("oxigraph server", "Virtuoso")) + " |",
        "| kg's side alone (the engine's answers replayed from memory: binding, encoding, reading, assembling) "
        "median / p95 ms | – | "
        + " | ".join(f"{c[k]['kg_side_alone']['median_ms']} / {c[k]['kg_side_alone']['p95_ms']}"
                     if "kg_side_alone" in c[k] else "–" for k in ("oxigraph server", "Virtuoso")) + " |",
        "| `kg.paths.shortest_paths` median / p95 ms (remote: with `--index`) | "
        + " | ".join(f"{p[k]['median_ms']} / {p[k]['p95_ms']}" for k in ("embedded", "oxigraph server", "Virtuoso"))
        + " |",
        "| path median against embedded (target ≤ 1.5×) | 1 | "
        + " | ".join(f"{p[k]['ratio_to_embedded']}×" for k in ("oxigraph server", "Virtuoso")) + " |",
        f"| load the shards into the engine, s | – | {r['load_oxigraph_s']} (`oxigraph load`) | "
        f"{r['load_virtuoso_s']} (start, `ld_dir` + `rdf_loader_run` + `checkpoint`) |",
        f"| `kg index` s: from the shards {r['index_nquads_s']}; `--endpoint` (pages of 5,000) | – | "
        f"{r['index_endpoint_oxigraph server_s']} | {r['index_endpoint_Virtuoso_s']} |",
        "",
        "The cluster and path answers over both engines were checked equal to the embedded store's in the run."
        + (f" The latencies were measured on engines loaded before the run (`--oxigraph/--virtuoso/--index`); "
           f"the load and `kg index` rows are those of the last full run ({r['full_run']['date']}, commit "
           f"{r['full_run']['commit']})." if r.get("engines_loaded_before") else ""),
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    old = path.read_text(encoding="utf-8")
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + text.rstrip("\n") + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


def measure(results: dict[str, Any], args: argparse.Namespace, names: list[str], endpoints: dict[str, str],
            index: Path) -> None:
    """The cluster and path latencies over the embedded store and each engine (`endpoints`, by label)."""
    with open_store(args.store) as embedded:
        cluster(embedded, names[0])  # warm
        results["cluster"] = {"embedded": _ms(_cluster_times(embedded, names))}
        pairs = _pairs(embedded, args.pairs, args.seed)
        times, want = _path_times(embedded, pairs)
        results["path"] = {"embedded": _ms(times)}
        expected = [cluster(embedded, n).to_json() for n in names[:10]]
    for label, endpoint in endpoints.items():
        with RemoteBackend(endpoint, index=index) as remote:
            cluster(remote, names[0])
            remote_times, own, counts = _remote_cluster_times(remote, names)
            overhead = [a - b for a, b in zip(remote_times, own, strict=True)]
            results["cluster"][label] = {**_ms(remote_times), "engine_own": _ms(own),
                                         "requests": statistics.median(counts),
                                         "kg_overhead_median_ms": round(statistics.median(overhead) * 1000, 2),
                                         "kg_side_alone": _ms(_replayed_times(remote, names))}
            assert [cluster(remote, n).to_json() for n in names[:10]] == expected, label
            times, got = _path_times(remote, pairs)
            assert got == want, f"{label}: paths differ from the embedded store's"
            trips = [len(_sent(remote, lambda a=a, b=b: shortest_paths(remote, a, b, timeout=30)))
                     for a, b in pairs]
            ratio = statistics.median(times) * 1000 / results["path"]["embedded"]["median_ms"]
            results["path"][label] = {**_ms(times), "requests": statistics.median(trips),
                                      "ratio_to_embedded": round(ratio, 2)}


def latencies(args: argparse.Namespace) -> None:
    """--oxigraph/--virtuoso/--index: the latencies on engines loaded before (their load and index
    times are those of the last full run, kept from its results file)."""
    out = ROOT / "bench" / "results" / f"remote-{args.label}.json"
    results: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    if not results.get("engines_loaded_before"):
        results["full_run"] = {"date": results.get("date"), "commit": results.get("commit")}
    results.update({
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_before": os.getloadavg()[0], "names": args.names, "pairs": args.pairs,
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                 cwd=ROOT).stdout.strip(),
        "engines_loaded_before": True,
    })
    names = _names(args.rows, args.names, args.seed)
    measure(results, args, names, {"oxigraph server": args.oxigraph, "Virtuoso": args.virtuoso}, args.index)
    results["load_after"] = os.getloadavg()[0]
    out.write_text(json.dumps(results, indent=2) + "\n")
    write_section(render(results, args.label))
    print(json.dumps(results, indent=2))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--render":  # the RESULTS.md section of a results file
        source = Path(sys.argv[2])
        write_section(render(json.loads(source.read_text()), source.stem.removeprefix("remote-")))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--nquads", type=Path, required=True)
    parser.add_argument("--rows", type=Path, required=True)
    parser.add_argument("--names", type=int, default=40)
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="100k")
    parser.add_argument("--oxigraph", metavar="URL", help="an Oxigraph server already serving the shards")
    parser.add_argument("--virtuoso", metavar="URL", help="a Virtuoso already loaded with the shards")
    parser.add_argument("--index", type=Path, metavar="DIR", help="`kg index SHARDS -o DIR`, built already")
    args = parser.parse_args()
    if args.oxigraph or args.virtuoso or args.index:  # the latencies only, on engines loaded before
        if not (args.oxigraph and args.virtuoso and args.index):
            parser.error("--oxigraph, --virtuoso and --index go together")
        latencies(args)
        return
    shards = sorted(args.nquads.glob("*.nq*"))
    work = Path(tempfile.mkdtemp(prefix="kg-bench-remote-"))
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_before": os.getloadavg()[0], "names": args.names, "pairs": args.pairs,
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                 cwd=ROOT).stdout.strip(),
    }
    names = _names(args.rows, args.names, args.seed)
    engines: dict[str, Any] = {}
    try:
        t = time.perf_counter()
        engines["oxigraph server"] = start_oxigraph(shards, work / "oxigraph")
        results["load_oxigraph_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        data = work / "virtuoso" / "data"  # inside the folder its DirsAllowed names
        data.mkdir(parents=True)
        for shard in shards:
            shutil.copy(shard, data / shard.name)
        engines["Virtuoso"] = start_virtuoso(data, work / "virtuoso")
        results["load_virtuoso_s"] = round(time.perf_counter() - t, 1)

        # the index: from the shards, and from each endpoint
        results["index_nquads_s"] = round(_kg("index", *map(str, shards), "-o", str(work / "ix-nq")), 2)
        for label, engine in engines.items():
            results[f"index_endpoint_{label}_s"] = round(
                _kg("index", "--endpoint", engine.endpoint, "-o", str(work / f"ix-{label[:3]}")), 2)

        measure(results, args, names, {k: e.endpoint for k, e in engines.items()}, work / "ix-nq")
    finally:
        for engine in engines.values():
            engine.stop()
        shutil.rmtree(work, ignore_errors=True)
    results["load_after"] = os.getloadavg()[0]
    out = ROOT / "bench" / "results" / f"remote-{args.label}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    write_section(render(results, args.label))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
