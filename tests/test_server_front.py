"""The front door on a real `kg serve`: the page cache per store generation (a rebuild empties
the cache), the per-client budget (429 with Retry-After), and hard timeouts while others are served."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyoxigraph as ox
import requests
from conftest import write_csv_tables
from server_fixtures import running

import kg
from kg.backend import EmbeddedBackend
from kg.server.budget import Ledger
from kg.server.page_cache import Answer, PageCache

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _rows(folder: Path, papers: int) -> Path:
    """Rows of `papers` papers, all by the author row "Ann Lee"."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "venues.csv": (["id", "name", "kind", "full_name"], [["v1", "Conf", "conference", "A Conference"]]),
        "papers.csv": (["id", "title", "year", "venue_id", "type", "abstract"],
                       [[f"p{i}", f"Paper {i}", str(2000 + i), "v1", "Conference Paper", ""] for i in range(papers)]),
        "authors.csv": (["id", "name"], [["ann", "Ann Lee"], ["bob", "Bob Ray"]]),
        "authorships.csv": (["paper_id", "author_id", "position", "name_as_printed"],
                            [[f"p{i}", a, str(n + 1), name] for i in range(papers)
                             for n, (a, name) in enumerate([("ann", "Ann Lee"), ("bob", "Bob Ray")])]),
    }
    return write_csv_tables(folder, tables)


def test_the_cache_is_bounded_and_per_generation() -> None:
    cache = PageCache(max_entries=2, max_bytes=8 * 100)
    for v in ("a", "b", "c"):
        cache.put("g1", v, Answer(v.encode() * 10, "text/plain"))
    assert cache.get("g1", "a") is None and cache.get("g1", "c") is not None  # least recently used out first
    assert cache.get("g1", "b") is not None
    cache.put("g1", "d", Answer(b"x" * 200, "text/plain"))  # more than an eighth of the bytes: not kept
    assert cache.get("g1", "d") is None
    assert cache.get("g2", "b") is None and not cache.entries  # another generation: emptied


def test_cached_answers_and_a_rebuild(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg.build([_rows(tmp_path / "one", 3)], store)
    with running(store, log=tmp_path / "serve.log") as server, requests.Session() as s:
        # one keep-alive connection: one worker process, whose cache it sees (each worker has its own)
        url = server.url + "/api/clusters/Ann%20Lee"
        first = s.get(url, timeout=30)
        again = s.get(url, timeout=30)
        assert first.status_code == again.status_code == 200
        assert first.headers["x-kg-cache"] == "miss" and again.headers["x-kg-cache"] == "hit"
        assert first.content == again.content and first.headers["etag"] == again.headers["etag"]
        assert again.json()["paper_count"] == 3
        page = server.url + "/clusters/Ann%20Lee"
        assert s.get(page, timeout=30).headers["x-kg-cache"] == "miss"
        cached = s.get(page, timeout=30)
        assert cached.headers["x-kg-cache"] == "hit" and "Paper 2" in cached.text
        assert s.get(url, headers={"If-None-Match": first.headers["etag"]}, timeout=30).status_code == 304
        csv_answer = s.get(url, params={"format": "csv"}, timeout=30)
        assert csv_answer.headers["x-kg-cache"] == "miss" and len(csv_answer.text.splitlines()) == 4

        kg.build([_rows(tmp_path / "two", 5)], store)  # a new generation: the cache must not answer from the old
        after = s.get(url, timeout=30)
        assert after.headers["x-kg-cache"] == "miss" and after.json()["paper_count"] == 5
        assert after.headers["etag"] != first.headers["etag"]
        assert "Paper 4" in s.get(page, timeout=30).text


def test_ledger_retry_after() -> None:
    now = [100.0]
    ledger = Ledger(2.0, clock=lambda: now[0])
    assert ledger.retry_after("a") is None
    ledger.charge("a", 1.5)
    now[0] += 10
    assert ledger.retry_after("a") is None
    ledger.charge("a", 1.0)
    assert ledger.retry_after("a") == 50  # the first 1.5 s leaves the window at 160
    now[0] += 50.5
    assert ledger.retry_after("a") is None and ledger.retry_after("b") is None


def test_client_budget_gives_429_with_retry_after(example_store: Path, tmp_path: Path) -> None:
    with running(example_store, "--client-budget", "1.5", "--client-budget-loopback", "--timeout", "2.5",
                 log=tmp_path / "serve.log") as server:
        # a runaway query spends the whole budget at once (stopped at the 2.5 s timeout)
        slow = requests.get(server.endpoint, params={"query": RUNAWAY}, timeout=30)
        assert slow.status_code == 503
        refused = requests.get(server.endpoint, params={"query": "ASK {}"}, timeout=30)
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "budget" in refused.text
        assert requests.get(server.url + "/api/stats", timeout=30).status_code == 429
    # off for loopback clients unless asked: the same use is never refused
    with running(example_store, "--client-budget", "1.5", "--timeout", "2.5", log=tmp_path / "serve2.log") as server:
        assert requests.get(server.endpoint, params={"query": RUNAWAY}, timeout=30).status_code == 503
        assert requests.get(server.endpoint, params={"query": "ASK {}"}, timeout=30).status_code == 200


def test_runaway_queries_stop_within_the_timeout_under_load(example_store: Path, tmp_path: Path) -> None:
    """Runaway queries are answered 503 within timeout + 1 s while other clients keep being answered."""
    timeout = 2.0
    with running(example_store, "--timeout", str(timeout), "--workers", "2", log=tmp_path / "serve.log") as server:
        stop = threading.Event()
        served: list[float] = []
        failures: list[str] = []
        cut: list[str] = []

        def light(i: int) -> None:
            with requests.Session() as s:
                n = 0
                while not stop.is_set():
                    n += 1
                    t0 = time.monotonic()
                    query = f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {1 + (i * 1000 + n) % 97}"  # not cacheable
                    try:
                        r = s.post(server.endpoint, data={"query": query}, timeout=30)
                    except requests.ConnectionError as e:  # a keep-alive connection to the worker as it went
                        cut.append(str(e))
                        continue
                    if r.status_code == 200:
                        served.append(time.monotonic() - t0)
                    elif r.status_code == 503 and ("stopped by another query" in r.text or "restarting" in r.text):
                        cut.append(r.text)  # in flight on the worker the runaway query took down
                    else:
                        failures.append(f"{r.status_code} {r.text[:80]}")

        lights = [threading.Thread(target=light, args=(i,)) for i in range(3)]
        for t in lights:
            t.start()
        try:
            answers: list[tuple[int, float]] = []

            def runaway() -> None:
                t0 = time.monotonic()
                r = requests.get(server.endpoint, params={"query": RUNAWAY}, timeout=30)
                answers.append((r.status_code, time.monotonic() - t0))

            time.sleep(0.5)
            for _ in range(2):  # one after the other: each takes one of the two workers
                heavy = threading.Thread(target=runaway)
                before = len(served)
                heavy.start()
                heavy.join()
                during = len(served) - before
                assert during > 0, "the light clients were answered while the runaway query ran"
            time.sleep(1.0)
        finally:
            stop.set()
            for t in lights:
                t.join()
        assert [status for status, _ in answers] == [503, 503]
        assert all(seconds <= timeout + 1.0 for _, seconds in answers), answers
        assert not failures, failures[:3]
        assert len(cut) <= 2 * 3 * 2, cut  # the light clients' requests on the worker each kill took down
        # the CPU is freed: a light request right after is answered fast again
        t0 = time.monotonic()
        assert requests.get(server.url + "/api/stats", timeout=30).status_code == 200
        assert time.monotonic() - t0 < timeout


def test_small_answers_are_serialised_once_and_big_ones_capped(example_backend: EmbeddedBackend) -> None:
    """An answer of at most max_rows bytes is the engine's own serialisation (it cannot hold more than
    max_rows solutions); a longer one is evaluated again and capped, with X-SPARQL-MaxRows."""
    from kg.server.evaluator import query
    from kg.server.messages import Job

    text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 40"
    whole = example_backend.store.query(text, use_default_graph_as_union=True)
    assert isinstance(whole, ox.QuerySolutions)
    expected = whole.serialize(format=ox.QueryResultsFormat.TSV)
    direct = query(example_backend.store, Job("query", text, results_format="tsv", max_rows=len(expected)))
    assert direct.status == 200 and direct.body == expected and "X-SPARQL-MaxRows" not in direct.headers
    capped = query(example_backend.store, Job("query", text, results_format="tsv", max_rows=30))
    assert capped.headers["X-SPARQL-MaxRows"] == "30" and capped.rows == 30
    assert capped.body.splitlines() == expected.splitlines()[:31]  # the header line and the first 30 rows
    not_capped = query(example_backend.store, Job("query", text, results_format="tsv", max_rows=40))
    assert "X-SPARQL-MaxRows" not in not_capped.headers and not_capped.body.splitlines() == expected.splitlines()

    # a query whose answer was small on this generation is serialised to bytes at once, and still capped
    small: set[tuple[object, ...]] = set()
    fits = Job("query", text, results_format="tsv", max_rows=len(expected))
    assert query(example_backend.store, fits, small).body == expected and len(small) == 1
    assert query(example_backend.store, fits, small).body == expected and len(small) == 1
    tight = Job("query", text, results_format="tsv", max_rows=30)  # the same query, small before: still capped
    again = query(example_backend.store, tight, small)
    assert again.headers["X-SPARQL-MaxRows"] == "30" and again.body == capped.body and not small
