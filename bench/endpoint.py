"""`kg serve` against `oxigraph serve-read-only` on the same store: a lookup mix and an aggregate mix.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/endpoint.py --store STORE --seconds 8 --concurrency 1,8

Both servers run on 127.0.0.1 one after the other over the same store (the active generation of a
kg store), with the union of all graphs as default graph, in the same run. Two mixes:

- lookup: what a name-cluster site sends, parameterised queries with keys and IRIs sampled from the
  store (--sample of each, fixed --seed): the papers of one name key, the co-authors of one author
  row, the triples of one paper. The client writes each term in its N-Triples form.
- aggregate: a fixed mix of read queries over the whole graph (counts, GROUP BY, LIMIT scans) and
  the named queries of queries/ that take no parameter.

For each server, mix, client kind (--clients) and --concurrency level, that many client threads
send requests for --seconds after a 1 s warm-up. Client kinds:

- keepalive (the default): POST form requests on keep-alive connections, by a minimal HTTP/1.1
  client (prepared request bytes, Content-Length or chunked answers), so that its own cost stays
  small next to the servers';
- new-connection: the same requests with `Connection: close`, each on a new connection (what
  curl, `requests` without a session and HTTP/1.0 proxies do);
- sparqlwrapper: SPARQLWrapper (GET, JSON results, the answer read whole and not parsed), which
  opens a connection per query through urllib.

`--clients new-connection:8,sparqlwrapper:4` gives a kind its own concurrency. The clients run on
the same cores as the servers, which the figures share. Prints one JSON object
(qps, median and p95 latency in ms, errors, and the CPU each query cost the server: its processes'
user + system time over the run, from /proc, divided by the queries answered; for both servers, and
the ratios); --out also writes it. The CPU a query cost is also given split between the main
threads (its workers' event loops) and the other threads (their evaluation threads), with the context
switches a query cost (all threads, voluntary and involuntary); for kg serve only, whose threads live
as long as it does (Oxigraph's end with their connections). On shared cores the rate moves with the
neighbours' load; the CPU a query costs moves much less, and it is what the rate follows once the
cores are full.

Which texts the clients ask (--texts):

- repeated (the default below --sample 1000): every client walks all the texts from its own starting
  point, after a warm-up over the same texts, so that each text is asked again and again;
- new (the default from --sample 1000 up: most texts new): each client asks its own slice of the
  texts, disjoint from the others', after a warm-up on other texts (the same lookups over keys, rows
  and papers that are not measured), so that in a run a text is asked at most once per server, unless
  a client comes to the end of its slice and starts it again; each concurrency level (and client
  kind) is given the texts no earlier one asked that server.

Each figure gives `reused`: how many of its requests asked a text asked before in that run or its
warm-up, or by an earlier level of the same server (0 with --texts new unless a client wrapped around
its slice: then ask for a bigger --sample or fewer --seconds).

`--floor` also measures bench/front_floor.py, a server with the least Python a front of kg serve's
shape can have (parse, hand the text to an evaluation thread, write the engine's bytes: `floor_hop`;
or evaluate on the event loop: `floor_inline`), so that kg's own cost and what any such front can
reach against Oxigraph on the machine are read in the same run. `--granian` measures the same least
work behind granian, a Rust HTTP server (bench/front_floor_granian.py, as WSGI and as RSGI).

kg serve's own log goes to WORK/kg-serve.log; from its access log each of kg's figures also gives
`cached_share`, the share of its /sparql answers noted `cached` (from the results cache). Measure the
cache off with `--kg-args="--results-cache 0"`, on and off in turns.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
KG = "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>\n"

AGGREGATE = [
    KG + "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }",
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 100",
    "ASK { ?s a ?t }",
    "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n)",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 50",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?s ?l WHERE { ?s rdfs:label ?l } ORDER BY ?l LIMIT 20",
]

# The three lookups; {key}, {row}, {paper} are replaced by N-Triples terms sampled from the store.
LOOKUPS = {
    "papers_of_key": KG + "SELECT ?paper ?title ?year WHERE { ?row kg:nameKey {key} . ?paper kg:author ?row ;"
    " kg:title ?title . OPTIONAL { ?paper kg:year ?year } }",
    "coauthors_of_row": KG + "SELECT DISTINCT ?coauthor ?name WHERE { ?paper kg:author {row} , ?coauthor ."
    " FILTER(?coauthor != {row}) ?coauthor kg:name ?name }",
    "triples_of_paper": "SELECT ?p ?o WHERE { {paper} ?p ?o }",
}
ACCEPT = "application/sparql-results+json, text/turtle;q=0.9"


def named_mix() -> list[str]:
    """The named queries that take no parameter (queries/*.rq)."""
    out = []
    for path in sorted((ROOT / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        if "# param:" not in text:
            out.append(text)
    return out


WARM_UP = 500  # terms of each kind drawn for the warm-up of --texts new (its texts are not measured)


def lookup_mix(data: str, sample: int, seed: int, warm_up: int = 0) -> tuple[list[str], list[str]]:
    """`sample` queries of each lookup kind, terms drawn from the store at `data`, interleaved; and
    `warm_up` queries of each kind over other terms (no text of one list is in the other)."""
    import pyoxigraph as ox

    store = ox.Store.read_only(data)

    def column(query: str) -> list[str]:
        found = store.query(KG + query, use_default_graph_as_union=True)
        assert isinstance(found, ox.QuerySolutions)
        return sorted({str(s[0]) for s in found})

    rng = random.Random(seed)
    drawn = []
    for query in ("SELECT ?k WHERE { ?r a kg:AuthorRow ; kg:nameKey ?k }", "SELECT ?r WHERE { ?r a kg:AuthorRow }",
                  "SELECT ?p WHERE { ?p a kg:Paper }"):
        terms = column(query)
        if sample + warm_up > len(terms):
            raise SystemExit(f"--sample {sample} (+ {warm_up} for the warm-up) is more than the store's {len(terms)}"
                             f" terms for: {query}")
        drawn.append(rng.sample(terms, sample + warm_up))

    def texts(keys: list[str], rows: list[str], papers: list[str]) -> list[str]:
        out = []
        for k, r, p in zip(keys, rows, papers, strict=True):
            out.append(LOOKUPS["papers_of_key"].replace("{key}", k))
            out.append(LOOKUPS["coauthors_of_row"].replace("{row}", r))
            out.append(LOOKUPS["triples_of_paper"].replace("{paper}", p))
        return out

    return texts(*(d[:sample] for d in drawn)), texts(*(d[sample:] for d in drawn))


def slices(n: int, clients: int) -> list[range]:
    """Each client's own part of n texts: disjoint, together all of them (as equal as they divide)."""
    return [range(n * i // clients, n * (i + 1) // clients) for i in range(clients)]


def report(result: dict[str, Any], out: Path | None) -> None:
    """The result as JSON on standard output, and in `out` too when given."""
    text = json.dumps(result, indent=2) + "\n"
    sys.stdout.write(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Client:
    """One keep-alive HTTP/1.1 connection that sends prepared requests and reads whole answers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buf = bytearray()

    def connect(self) -> socket.socket:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf = bytearray()
        return self.sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def _fill(self, sock: socket.socket) -> None:
        chunk = sock.recv(1 << 18)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def _skip(self, sock: socket.socket, n: int) -> None:
        """Drops the next n bytes of the stream (the body), reading what is not here yet."""
        while len(self.buf) < n:
            n -= len(self.buf)
            self.buf.clear()
            self._fill(sock)
        del self.buf[:n]

    def exchange(self, request: bytes) -> int:
        """Send one request, read its answer; the status code."""
        sock = self.connect()
        sock.sendall(request)
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._fill(sock)
        head = bytes(self.buf[:end])
        del self.buf[: end + 4]
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower()] = v.strip()
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            while True:
                while (cut := self.buf.find(b"\r\n")) < 0:
                    self._fill(sock)
                size = int(bytes(self.buf[:cut]).split(b";")[0], 16)
                del self.buf[: cut + 2]
                self._skip(sock, size + 2)
                if size == 0:
                    break
        else:
            self._skip(sock, int(headers.get(b"content-length", b"0")))
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return status


def prepare(path: str, queries: list[str], close: bool = False) -> list[bytes]:
    out = []
    for q in queries:
        body = urlencode({"query": q}).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {ACCEPT}\r\n"
            + ("Connection: close\r\n" if close else "")
            + f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


class Wrapper:
    """SPARQLWrapper's client as a user's script holds it: one per thread, a connection per query."""

    def __init__(self, url: str) -> None:
        from SPARQLWrapper import GET, JSON, SPARQLWrapper

        self.sparql = SPARQLWrapper(url)
        self.sparql.setMethod(GET)
        self.sparql.setReturnFormat(JSON)

    def exchange(self, query: str) -> int:
        from urllib.error import HTTPError

        self.sparql.setQuery(query)
        try:
            response = self.sparql.query().response
        except HTTPError as e:
            return e.code
        response.read()
        return int(response.status)

    def close(self) -> None:
        pass


def wait_up(port: int, path: str, seconds: float = 90) -> None:
    request = prepare(path, ["ASK {}"])[0]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        c = Client(port)
        try:
            if c.exchange(request) == 200:
                return
        except OSError:
            pass
        finally:
            c.close()
        time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not come up")


def load(port: int, requests: list[Any], seconds: float, concurrency: int, kind: str = "keepalive",
         path: str = "/sparql", disjoint: bool = False, asked: set[int] | None = None,
         pool: list[int] | None = None) -> dict[str, Any]:
    """`concurrency` clients of this kind send `requests` (prepared bytes; query texts for
    sparqlwrapper) in turn for `seconds`: each all of them from its own starting point, or
    (`disjoint`) each its own slice of them (`slices`), again from its start when it comes to its end.
    `reused` counts the requests whose text was asked before, in this load or in `asked` (the indexes
    of texts asked before it; the indexes asked here are added to it). `pool`: the indexes of the
    texts the slices are cut from (default: all of them)."""
    stop = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    every_index = list(range(len(requests))) if pool is None else pool
    parts = ([[every_index[j] for j in part] for part in slices(len(every_index), concurrency)] if disjoint
             else [range(len(requests))] * concurrency)
    if disjoint and not all(parts):
        raise SystemExit(f"{len(requests)} texts cannot give {concurrency} clients a slice each: a bigger --sample")
    indexes: list[list[int]] = [[] for _ in range(concurrency)]

    def client(i: int) -> None:
        c: Any = Wrapper(f"http://127.0.0.1:{port}{path}") if kind == "sparqlwrapper" else Client(port)
        mine, part, seen = latencies[i], parts[i], indexes[i]
        k = 0 if disjoint else i * 7919
        while True:
            t0 = time.perf_counter()
            if t0 >= stop:
                break
            index = part[k % len(part)]
            request = requests[index]
            seen.append(index)
            k += 1
            try:
                status = c.exchange(request)
                if kind == "new-connection":
                    c.close()
            except (OSError, ValueError, IndexError):
                errors[i] += 1
                c.close()
                continue
            if status == 200:
                mine.append(time.perf_counter() - t0)
            else:
                errors[i] += 1
        c.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    every = sorted(x for xs in latencies for x in xs)
    n = len(every)
    before = set() if asked is None else asked
    sent = [index for seen in indexes for index in seen]
    fresh = set(sent) - before
    before |= fresh
    return {
        "queries": n,
        "errors": sum(errors),
        "reused": len(sent) - len(fresh),
        "seconds": round(elapsed, 2),
        "qps": round(n / elapsed, 1),
        "median_ms": round(statistics.median(every) * 1000, 3) if n else None,
        "p95_ms": round(every[min(n - 1, int(n * 0.95))] * 1000, 3) if n else None,
    }


TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of the process `pid` and all its live descendants (Linux /proc), or None."""
    total = 0.0
    todo = [pid]
    seen = 0
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
            seen += 1
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total if seen else None


def thread_stats(pid: int) -> dict[str, float]:
    """CPU seconds of the main threads and of the other threads of the process `pid` and its live
    descendants (for kg serve: the workers' event loops, and their evaluation threads), and the context
    switches of all of them (voluntary and involuntary; Linux /proc). Threads that end between two calls
    leave their part out of the difference."""
    out = {"main": 0.0, "other": 0.0, "voluntary": 0.0, "involuntary": 0.0}
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/stat", encoding="ascii") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                out["main" if int(task) == p else "other"] += (int(fields[11]) + int(fields[12])) / TICK
                with open(f"/proc/{p}/task/{task}/status", encoding="ascii") as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                            out["voluntary" if line[0] == "v" else "involuntary"] += int(line.split()[1])
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError, IndexError):
            continue
    return out


def cached_share(log: Path, start: int) -> tuple[float | None, int]:
    """The share of the /sparql access-log lines written to `log` after byte `start` that are noted
    `cached`, and where the log ends now (the lines are written within 0.1 s of their request)."""
    time.sleep(0.3)
    with open(log, "rb") as f:
        f.seek(start)
        text = f.read()
    lines = [line for line in text.decode("utf-8", "replace").splitlines()
             if "kg.server.access" in line and " /sparql " in line]
    cached = sum(1 for line in lines if line.endswith(" cached"))
    return (round(cached / len(lines), 3) if lines else None), start + len(text)


@dataclass(frozen=True)
class Mix:
    """The texts of a mix, those of its warm-up, and whether each client asks its own slice of them."""

    texts: list[str]
    warm_up: list[str]
    disjoint: bool = False


def measure(
    cmd: list[str], port: int, path: str, mixes: dict[str, Mix], seconds: float,
    clients: list[tuple[str, list[int]]], env: dict[str, str] | None = None, log: Path | None = None,
    split: bool = False,
) -> dict[str, dict[str, Any]]:
    """Each mix, client kind and concurrency level against the server `cmd` starts (its output to `log`,
    whose access log then gives each figure's `cached_share`; `split`: the CPU of its main and other
threads too, for a server whose threads live as long as it does)."""
    output: Any = subprocess.DEVNULL
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        output = open(log, "wb")  # noqa: SIM115 (closed below, once the server is stopped)
    proc = subprocess.Popen(cmd, stdout=output, stderr=output, cwd=ROOT,
                            env=None if env is None else {**os.environ, **env})
    out: dict[str, dict[str, Any]] = {}
    try:
        wait_up(port, path)
        for mix, texts in mixes.items():
            used: set[int] = set()  # --texts new: the texts this server was asked, by any level or client kind
            for kind, levels in clients:
                requests, warm_up = ([queries if kind == "sparqlwrapper" else
                                      prepare(path, queries, close=kind == "new-connection")
                                      for queries in (texts.texts, texts.warm_up)])
                for c in levels:
                    # new texts: each level's slices cut from the texts no earlier level asked
                    asked: set[int] = used if texts.disjoint else set()
                    pool = [i for i in range(len(requests)) if i not in used] if texts.disjoint else None
                    # the warm-up over the measured texts counts as their asking before (repeated texts)
                    load(port, warm_up, 1.0, c, kind, path, asked=set() if texts.disjoint else asked)
                    start = cached_share(log, 0)[1] if log is not None else 0
                    before, threads_before = cpu_seconds(proc.pid), thread_stats(proc.pid)
                    found = load(port, requests, seconds, c, kind, path, texts.disjoint, asked, pool)
                    after, threads_after = cpu_seconds(proc.pid), thread_stats(proc.pid)
                    n = found["queries"]
                    if before is not None and after is not None and n:
                        found["cpu_ms_per_query"] = round((after - before) * 1000 / n, 3)
                    if split and n:
                        spent = {k: threads_after[k] - threads_before[k] for k in threads_after}
                        found["cpu_ms_per_query_main_threads"] = round(spent["main"] * 1000 / n, 3)
                        found["cpu_ms_per_query_other_threads"] = round(spent["other"] * 1000 / n, 3)
                        found["switches_per_query"] = round((spent["voluntary"] + spent["involuntary"]) / n, 2)
                    if log is not None:
                        found["cached_share"] = cached_share(log, start)[0]
                    out[f"{mix} c{c}" if kind == "keepalive" else f"{mix} {kind} c{c}"] = found
    finally:
        proc.terminate()
        proc.wait(10)
        if log is not None:
            output.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, help="An existing kg store (default: build one from `kg generate`).")
    ap.add_argument("--papers", type=int, default=2000, help="Without --store: the size of the generated graph.")
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--concurrency", default="1,8", help="Comma-separated client counts.")
    ap.add_argument("--mix", default="lookup,aggregate", help="lookup, aggregate or both (comma-separated).")
    ap.add_argument("--clients", default="keepalive",
                    help="Client kinds, comma-separated: keepalive, new-connection, sparqlwrapper; KIND:N runs that"
                    " kind at concurrency N instead of --concurrency.")
    ap.add_argument("--sample", type=int, default=200, help="Keys, author rows and papers drawn for the lookups.")
    ap.add_argument("--texts", choices=["repeated", "new"],
                    help="The lookups' texts asked again and again by every client, or each client's own slice"
                    " of them, warmed up on others (see above; default: new from --sample 1000 up).")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="kg serve --workers")
    ap.add_argument("--kg-args", default="", help="More arguments for kg serve (space-separated).")
    ap.add_argument("--only", choices=["kg", "oxigraph"], help="Measure one server only.")
    ap.add_argument("--uvicorn", action="store_true",
                    help="Also measure the same app (kg.server.asgi: the SPARQL pipeline and the Starlette app) under"
                    " uvicorn with httptools and uvloop, --workers as kg serve's, instead of kg's own HTTP front.")
    ap.add_argument("--floor", action="store_true",
                    help="Also measure bench/front_floor.py, the least a Python front of kg serve's shape costs (its"
                    " evaluation threads: `floor_hop`; the event loop evaluating: `floor_inline`), --workers"
                    " processes.")
    ap.add_argument("--granian", action="store_true",
                    help="Also measure bench/front_floor_granian.py: the same least work behind granian's Rust HTTP"
                    " front, as WSGI (evaluated on granian's blocking threads: `granian_wsgi`) and as RSGI (an asyncio"
                    " coroutine handing the query to a thread: `granian_rsgi`), --workers processes.")
    ap.add_argument("--granian-threads", type=int, default=4,
                    help="With --granian: blocking threads a WSGI worker (granian's RSGI takes one).")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "endpoint")
    ap.add_argument("--out", type=Path, help="Also write the JSON here.")
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
    generation = Path(os.path.realpath(store / "active"))
    data = str(generation / "oxigraph")
    levels = [int(c) for c in args.concurrency.split(",")]
    clients: list[tuple[str, list[int]]] = []
    for item in args.clients.split(","):
        kind, _, n = item.partition(":")
        if kind not in ("keepalive", "new-connection", "sparqlwrapper"):
            raise SystemExit(f"--clients: unknown client kind {kind!r}")
        clients.append((kind, [int(n)] if n else levels))
    texts = args.texts or ("new" if args.sample >= 1000 else "repeated")
    mixes: dict[str, Mix] = {}
    for mix in args.mix.split(","):
        if mix == "lookup":
            if texts == "new":
                mixes["lookup"] = Mix(*lookup_mix(data, args.sample, args.seed, WARM_UP), disjoint=True)
            else:
                measured = lookup_mix(data, args.sample, args.seed)[0]
                mixes["lookup"] = Mix(measured, measured)
        elif mix == "aggregate":
            fixed = AGGREGATE + named_mix()
            mixes["aggregate"] = Mix(fixed, fixed)
        else:
            raise SystemExit(f"--mix: unknown mix {mix!r}")

    load_before = os.getloadavg()
    results: dict[str, dict[str, dict[str, Any]]] = {}
    if args.only != "oxigraph":
        port = free_port()
        kg_cmd = [kg, "serve", "--store", str(store), "--port", str(port), "--workers", str(args.workers)]
        results["kg_serve"] = measure(kg_cmd + args.kg_args.split(), port, "/sparql", mixes, args.seconds, clients,
                                      log=args.work / "kg-serve.log", split=True)
    if args.uvicorn:
        port = free_port()
        uv_cmd = [str(BIN / "python"), "-m", "uvicorn", "--factory", "reference_app:app", "--app-dir",
                  str(ROOT / "tests"), "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
                  "--http", "httptools", "--loop", "uvloop", "--no-access-log", "--log-level", "warning"]
        # the app as a kg serve worker runs it (tests/reference_app.py), with the workers' malloc setting too
        env = {"KG_REFERENCE_STORE": str(store), "KG_REFERENCE_PORT": str(port),
               "GLIBC_TUNABLES": "glibc.malloc.tcache_count=256"}
        results["uvicorn_same_app"] = measure(uv_cmd, port, "/sparql", mixes, args.seconds, clients, env)
    if args.floor:
        for name, extra in (("floor_hop", []), ("floor_inline", ["--inline"])):
            port = free_port()
            floor_cmd = [str(BIN / "python"), str(ROOT / "bench" / "front_floor.py"), "--store", str(store),
                         "--port", str(port), "--processes", str(args.workers), *extra]
            results[name] = measure(floor_cmd, port, "/sparql", mixes, args.seconds, clients)
    if args.granian:
        granian = shutil.which("granian", path=str(BIN)) or shutil.which("granian")
        if granian is None:
            raise SystemExit("granian not found: pip install -e '.[bench]'")
        for name, interface in (("granian_wsgi", "wsgi"), ("granian_rsgi", "rsgi")):
            port = free_port()
            granian_cmd = [granian, "--interface", interface, "--host", "127.0.0.1", "--port", str(port),
                           "--workers", str(args.workers),
                           "--blocking-threads", str(args.granian_threads if interface == "wsgi" else 1),
                           "--runtime-threads", "1", "--no-access-log", "--log-level", "warning",
                           "--working-dir", str(ROOT / "bench"), f"front_floor_granian:{interface}_app"]
            results[name] = measure(granian_cmd, port, "/sparql", mixes, args.seconds, clients,
                                    {"KG_FLOOR_STORE": str(store)})
    if args.only != "kg":
        port = free_port()
        ox_cmd = [oxigraph, "serve-read-only", "--location", data, "--bind", f"127.0.0.1:{port}",
                  "--union-default-graph"]
        results["oxigraph_serve_read_only"] = measure(ox_cmd, port, "/query", mixes, args.seconds, clients)
    ratios: dict[str, dict[str, Any]] = {}
    theirs = results.get("oxigraph_serve_read_only")
    for name in ("kg_serve", "uvicorn_same_app", "floor_hop", "floor_inline", "granian_wsgi", "granian_rsgi"):
        ours = results.get(name)
        if ours is None or theirs is None:
            continue
        label = {"kg_serve": "", "uvicorn_same_app": "uvicorn "}.get(name, name.replace("_", " ") + " ")
        for k in ours:
            a, b = ours[k], theirs[k]
            ratios[label + k] = {
                "qps": round(a["qps"] / b["qps"], 3) if b["qps"] else None,
                "median_ms_more": round(a["median_ms"] - b["median_ms"], 3)
                if a["median_ms"] is not None and b["median_ms"] is not None
                else None,
                "cpu_per_query": round(a["cpu_ms_per_query"] / b["cpu_ms_per_query"], 3)
                if a.get("cpu_ms_per_query") and b.get("cpu_ms_per_query")
                else None,
            }
    meta = json.loads((generation / "build.json").read_text())
    result = {
        "store": store.name,
        "triples": meta.get("counts", {}).get("triples"),
        "papers": meta.get("counts", {}).get("papers"),
        "mixes": {k: len(v.texts) for k, v in mixes.items()},
        "texts": texts,
        "seconds": args.seconds,
        "kg_serve_args": ["--workers", str(args.workers), *args.kg_args.split()],
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        **results,
        "ratios": ratios,
    }
    report(result, args.out)


if __name__ == "__main__":
    main()
