"""Queries evaluated on a worker's event loop (kg.server.shapes, LocalRunner.inline): which shapes go
there, the time limit kept by the watchdog on a real `kg serve`, and the batched access log's lines."""

from __future__ import annotations

import io
import logging
import threading
import time
from pathlib import Path

import requests
from server_fixtures import running

from kg.server import lean
from kg.server.config import LOG_FORMAT
from kg.server.shapes import KEPT, PENALTY, RUNS, Shapes, shape

ONT = "https://w3id.org/scholarly-kg/ontology#"
# One shape: instant with an object no triple has, a runaway (134 x 2154 x 2154 solutions) with kg:Authorship.
CROSS = "SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h <{}> }}"


def test_a_shape_blanks_iris_and_strings_only() -> None:
    a = shape('SELECT ?t WHERE { <https://x.org/p/1> <https://x.org/title> ?t FILTER(?t != "a \\" b") } LIMIT 5')
    b = shape("SELECT ?t WHERE { <https://x.org/p/2> <https://x.org/name> ?t FILTER(?t != 'c') } LIMIT 5")
    assert a == b == "SELECT ?t WHERE { \x00 \x00 ?t FILTER(?t != \x00) } LIMIT 5"
    assert shape("SELECT * WHERE { ?s ?p ?o } LIMIT 5") != shape("SELECT * WHERE { ?s ?p ?o } LIMIT 50")
    assert shape("SELECT * { ?s kg:title ?o }") != shape("SELECT * { ?s kg:name ?o }")  # prefixed names stay


def test_a_shape_goes_inline_after_quick_answers_and_back_after_a_slow_one() -> None:
    shapes = Shapes(fast=0.01)
    for _ in range(RUNS - 1):
        shapes.record("s", 0.001)
    assert not shapes.inline("s")
    shapes.record("s", 0.001)
    assert shapes.inline("s")
    shapes.record("s", 0.5)  # one slow evaluation on the loop: a strike, still there
    assert shapes.inline("s")
    shapes.record("s", 0.001)  # the strike forgotten by a quick one
    shapes.record("s", 0.5)
    assert shapes.inline("s")
    shapes.record("s", 0.5)  # two in a row: back to the threads
    assert not shapes.inline("s")
    for _ in range(RUNS + PENALTY - 1):
        shapes.record("s", 0.001)
    assert not shapes.inline("s")
    shapes.record("s", 0.001)
    assert shapes.inline("s")
    shapes.record("t", 0.001)
    shapes.record("t", 0.5)
    shapes.record("t", 0.001)
    assert shapes.counts["t"] == -PENALTY + 1
    for i in range(KEPT):
        shapes.record(f"other {i}", 0.001)
    assert len(shapes.counts) <= KEPT


def test_the_access_log_lines_are_what_logging_writes() -> None:
    """The lines formatted without records are, byte for byte, the ones logging's formatter writes."""
    log = logging.getLogger("kg.server.access")
    plain, filtered = io.StringIO(), io.StringIO()
    fast = logging.StreamHandler(plain)
    fast.setFormatter(logging.Formatter(LOG_FORMAT))
    slow = logging.StreamHandler(filtered)
    slow.setFormatter(logging.Formatter(LOG_FORMAT))
    slow.addFilter(lambda record: True)  # a filter: this handler gets records
    old = log.handlers[:], log.level, log.propagate
    log.handlers[:] = [fast, slow]
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        access = lean.AccessLog()
        for i, created in enumerate([1_700_000_000.0, 1_700_000_000.999, 1_700_000_001.0005, 1_780_000_123.25]):
            access.lines.append((created, ("127.0.0.1", "POST", "/sparql?x=%0A", 200, 1.25 * i, f"query SELECT {i}")))
        access.flush()
    finally:
        log.handlers[:], log.propagate = old[0], old[2]
        log.setLevel(old[1])
    assert lean._plain(fast) and not lean._plain(slow)
    assert plain.getvalue() == filtered.getvalue()
    text = plain.getvalue()
    assert text.count("\n") == 4 and "kg.server.access 127.0.0.1 POST /sparql?x=%0A 200 1.2ms" in text


def test_a_runaway_query_of_a_fast_shape_is_stopped_on_the_loop(example_store: Path, tmp_path: Path) -> None:
    """A shape answered quickly goes to the loop; the same shape as a runaway query there is answered
    503 within the time limit + 1 s by the watchdog, its worker is replaced, and the endpoint serves on."""
    timeout = 2.0
    log = tmp_path / "serve.log"
    with running(example_store, "--timeout", str(timeout), "--workers", "2", log=log) as server:
        served: list[int] = []
        stop = threading.Event()

        def light() -> None:  # a new connection each time: one accepted by the blocked worker just before
            while not stop.is_set():  # it blocked waits (given up after 1 s), the next go to the other one
                try:
                    r = requests.post(server.endpoint, data={"query": "ASK { ?s ?p ?o }"}, timeout=1.0)
                    served.append(r.status_code)
                except (requests.ConnectionError, requests.Timeout):
                    pass

        with requests.Session() as s:  # one keep-alive connection: one worker, whose shapes these are
            for _ in range(RUNS + 2):
                r = s.get(server.endpoint, params={"query": CROSS.format("https://example.org/nothing")}, timeout=30)
                assert r.status_code == 200 and '"0"' in r.text
            other = threading.Thread(target=light)
            other.start()
            try:
                t0 = time.monotonic()
                r = s.get(server.endpoint, params={"query": CROSS.format(ONT + "Authorship")}, timeout=30)
                seconds = time.monotonic() - t0
                during = len(served)
                time.sleep(1.0)
            finally:
                stop.set()
                other.join()
        assert r.status_code == 503, r.text
        assert "exceeded the time limit of 2 s" in r.text and r.headers["retry-after"] == "5"
        assert r.headers["connection"] == "close"
        assert seconds <= timeout + 1.0, seconds
        assert during > 0 and set(served) == {200}, "the other worker answered while the loop was blocked"
        # the worker was replaced: the endpoint answers, and the same query again is stopped again
        assert requests.get(server.endpoint, params={"query": "ASK { ?s ?p ?o }"}, timeout=30).status_code == 200
        time.sleep(0.5)
        text = server.log_text()
        assert "stopped past the time limit" in text, text[-2000:]
