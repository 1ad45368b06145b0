"""`kg serve --endpoint`: the API, the pages, dereferencing and /sparql answered from oxigraph server
and Virtuoso, equal to `kg serve --store` on the same triples; SERVICE refused; ETags from the data
version; an engine that is down (503, then recovery), slow (our timeout) or broken (one line)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import requests
from engines import ENGINES, Dataset, kg_serve, start_oxigraph
from server_fixtures import free_port
from werkzeug import Request, Response

NAME = "Liyuan%20Liu"
API = [
    f"/api/clusters/{NAME}",
    f"/api/clusters/{NAME}?page=2&page_size=5",
    "/api/paths?from=Yiping%20Wang&to=Hong%20Chen%200004&by=cluster&all=true",
    "/api/coauthors/liyuan-liu-a",
    "/api/stats",
    "/api/clusters/nobody%20at%20all",
]
PAGES = [f"/clusters/{NAME}", "/path?from=Yiping%20Wang&to=Hong%20Chen%200004&by=cluster", "/clusters?q=liu"]


@pytest.fixture(scope="module")
def served(example_dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """kg serve over the store, and over each engine (with the index kg index wrote from the N-Quads)."""
    from contextlib import ExitStack

    from kg.indexing import build

    folder = tmp_path_factory.mktemp("remote-serve")
    build(folder / "index", files=[example_dataset.nquads / "data.nq"])
    urls: dict[str, str] = {}
    with ExitStack() as stack:
        urls["embedded"] = stack.enter_context(
            kg_serve("--store", str(example_dataset.store), log=folder / "embedded.log"))
        for kind in ENGINES:
            try:
                endpoint = example_dataset.endpoint(kind)
            except pytest.skip.Exception:
                continue
            urls[kind] = stack.enter_context(kg_serve(
                "--endpoint", endpoint, "--index", str(folder / "index"), "--data-version", "v1",
                log=folder / f"{kind}.log"))
        yield urls


def _get(url: str, **headers: str) -> requests.Response:
    return requests.get(url, headers=headers, timeout=30)


@pytest.mark.parametrize("kind", ENGINES)
def test_the_api_answers_as_over_the_store(served: dict[str, str], kind: str) -> None:
    if kind not in served:
        pytest.skip(f"{kind} is not installed")
    for path in API:
        want, got = _get(served["embedded"] + path), _get(served[kind] + path)
        assert got.status_code == want.status_code, path
        assert json.loads(got.text.replace(served[kind], served["embedded"])) == want.json(), path
    cluster = _get(served[kind] + f"/api/clusters/{NAME}").json()
    assert cluster["paper_count"] == 21 and len(cluster["rows"]) == 2


@pytest.mark.parametrize("kind", ENGINES)
def test_pages_and_dereferencing_answer_as_over_the_store(served: dict[str, str], kind: str) -> None:
    if kind not in served:
        pytest.skip(f"{kind} is not installed")
    for path in PAGES:
        want, got = _get(served["embedded"] + path), _get(served[kind] + path)
        assert (got.status_code, got.text.replace(served[kind], served["embedded"])) == (want.status_code, want.text), \
            path
    for path in ("/author/liyuan-liu-a", "/paper/2025-decoder-hybrid-decoder-architecture-for",
                 "/cluster/liyuan%20liu"):
        want = _get(served["embedded"] + path, Accept="application/n-triples")
        got = _get(served[kind] + path, Accept="application/n-triples")
        assert got.status_code == want.status_code == 200, path
        parse = lambda r: set(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))  # noqa: E731
        assert parse(got) == parse(want), path


@pytest.mark.parametrize("kind", ENGINES)
def test_sparql_is_forwarded_after_the_same_checks(served: dict[str, str], kind: str) -> None:
    if kind not in served:
        pytest.skip(f"{kind} is not installed")
    url = served[kind] + "/sparql"
    refused = requests.post(url, data={"query": "SELECT * { SERVICE <http://example.org/s> { ?s ?p ?o } }"})
    assert refused.status_code == 400 and "SERVICE" in refused.text
    update = requests.post(url, data={"update": "INSERT DATA { <x:a> <x:b> <x:c> }"})
    assert update.status_code == 403
    query = ("PREFIX kg: <https://w3id.org/scholarly-kg/ontology#> SELECT ?row ?name WHERE "
             "{ ?row kg:nameKey \"liyuan liu\" ; kg:name ?name } ORDER BY ?row")
    for accept in ("application/sparql-results+json", "text/csv", "application/sparql-results+xml"):
        want = requests.post(served["embedded"] + "/sparql", data={"query": query}, headers={"Accept": accept})
        got = requests.post(url, data={"query": query}, headers={"Accept": accept})
        assert (got.status_code, got.content) == (want.status_code, want.content), accept
    truncated = "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#> SELECT ?t WHERE { ?p kg:authorsTruncated ?t }"
    got = requests.post(url, data={"query": truncated}, headers={"Accept": "text/csv"})
    assert set(got.text.split()) <= {"t", "true", "false"}  # Virtuoso's "1" normalised
    big = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 200000"
    capped = requests.post(url, data={"query": big}, headers={"Accept": "text/csv"})
    assert capped.status_code == 200
    venues = "CONSTRUCT WHERE { ?s a <https://w3id.org/scholarly-kg/ontology#Venue> }"
    construct = requests.post(url, data={"query": venues}, headers={"Accept": "application/n-triples"})
    assert construct.status_code == 200 and len(construct.text.splitlines()) == 7


def test_etags_follow_the_data_version(served: dict[str, str], example_dataset: Dataset, tmp_path: Path) -> None:
    url = served["oxigraph"] if "oxigraph" in served else pytest.skip("oxigraph server not installed")
    first = _get(url + f"/api/clusters/{NAME}")
    etag = first.headers["ETag"]
    assert _get(url + f"/api/clusters/{NAME}", **{"If-None-Match": etag}).status_code == 304
    with kg_serve("--endpoint", example_dataset.endpoint("oxigraph"), "--data-version", "v2",
                  log=tmp_path / "v2.log") as other:
        second = _get(other + f"/api/clusters/{NAME}")
        assert second.headers["ETag"] != etag and second.json() == first.json()
    with kg_serve("--endpoint", example_dataset.endpoint("oxigraph"), log=tmp_path / "none.log") as plain:
        assert "ETag" not in _get(plain + f"/api/clusters/{NAME}").headers  # no version: nothing cacheable


def test_an_engine_that_is_down_is_503_and_recovers(example_dataset: Dataset, tmp_path: Path) -> None:
    port = free_port()
    with kg_serve("--endpoint", f"http://127.0.0.1:{port}/query", log=tmp_path / "serve.log") as url:
        down = _get(url + f"/api/clusters/{NAME}")
        assert down.status_code == 503
        assert down.json()["error"] == f"endpoint http://127.0.0.1:{port}/query: unreachable (connection refused)"
        assert _get(url + f"/clusters/{NAME}").status_code == 503
        assert requests.post(url + "/sparql", data={"query": "ASK {}"}).status_code == 503
        engine = start_oxigraph([example_dataset.nquads / "data.nq"], tmp_path / "late", port=port)
        try:
            up = _get(url + f"/api/clusters/{NAME}")
            assert up.status_code == 200 and up.json()["paper_count"] == 21
        finally:
            engine.stop()
        assert _get(url + f"/api/clusters/{NAME}").status_code == 503  # and down again
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_a_slow_engine_is_cut_off_by_our_timeout(httpserver: Any, tmp_path: Path) -> None:
    def slow(request: Request) -> Response:
        time.sleep(4)
        return Response('{"head":{},"boolean":true}', content_type="application/sparql-results+json")

    httpserver.expect_request("/sparql").respond_with_handler(slow)
    with kg_serve("--endpoint", httpserver.url_for("/sparql"), "--timeout", "1", log=tmp_path / "serve.log") as url:
        started = time.monotonic()
        answer = requests.post(url + "/sparql", data={"query": "ASK {}"}, timeout=30)
        assert time.monotonic() - started < 3
        assert answer.status_code in (503, 504) and len(answer.text.strip().splitlines()) == 1
        started = time.monotonic()
        assert _get(url + "/api/stats").status_code in (503, 504)
        assert time.monotonic() - started < 3


def test_a_broken_engine_is_one_line_no_stack_trace(httpserver: Any, tmp_path: Path) -> None:
    httpserver.expect_request("/sparql", method="POST").respond_with_data(
        "Internal error\n  at frame 1\n  at frame 2\n" * 50, status=500)
    with kg_serve("--endpoint", httpserver.url_for("/sparql"), log=tmp_path / "serve.log") as url:
        answer = _get(url + f"/api/clusters/{NAME}")
        assert answer.status_code == 502
        message = answer.json()["error"]
        assert "\n" not in message and "frame 2" not in message and "HTTP 500" in message
        page = _get(url + f"/clusters/{NAME}")
        assert page.status_code == 502 and "Traceback" not in page.text
        forwarded = requests.post(url + "/sparql", data={"query": "ASK {}"})
        assert forwarded.status_code == 502 and len(forwarded.text.strip().splitlines()) == 1
    httpserver.clear()
    httpserver.expect_request("/sparql", method="POST").respond_with_data(
        "<html>oops</html>", content_type="application/sparql-results+json")
    with kg_serve("--endpoint", httpserver.url_for("/sparql"), log=tmp_path / "garbage.log") as url:
        answer = _get(url + "/api/stats")
        assert answer.status_code == 502 and "unreadable SPARQL results" in answer.json()["error"]
    assert "Traceback" not in (tmp_path / "serve.log").read_text() + (tmp_path / "garbage.log").read_text()


def test_kg_serve_endpoint_usage_errors(example_dataset: Dataset) -> None:
    import subprocess
    import sys

    from engines import ROOT

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kg", "serve", *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=60)

    both = run("--endpoint", "http://127.0.0.1:9/sparql", "--allow-update")
    assert both.returncode == 2 and "read-only" in both.stderr
    version = run("--store", str(example_dataset.store), "--data-version", "x")
    assert version.returncode == 2 and "--data-version is for --endpoint" in version.stderr
