"""The web API on a real `kg serve` (its front): JSON shaped as the CLI's, CSV, bad parameters,
unknown names, caching."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from server_fixtures import Server

from kg.backend import EmbeddedBackend
from kg.cluster import CSV_COLUMNS
from kg.cluster import cluster as library_cluster
from kg.paths import coauthors as library_coauthors
from kg.paths import shortest_paths
from kg.stats import compute_stats

BASE = "http://localhost:7878/"


@pytest.fixture
def server(example_front: Server) -> Server:
    return example_front


def api(server: Server, path: str, **kw: Any) -> Any:
    return server.get(server.url + "/api/" + path, **kw)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def bad(r: Any, *words: str) -> None:
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json")
    message = r.json()["error"]
    for w in words:
        assert w in message, message


# -- clusters

def test_cluster_json_is_the_cli_json(server: Server, example_backend: EmbeddedBackend) -> None:
    r = api(server, "clusters/Liyuan%20Liu")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    data = r.json()
    paging = {"paper_count": 21, "page": 1, "page_size": 50, "pages": 1, "next": None}
    assert {k: data.pop(k) for k in paging} == paging
    assert sum(y["papers"] for y in data.pop("years")) == 21
    assert data == library_cluster(example_backend, "Liyuan Liu").to_json()
    assert set(data) == {"name", "key", "loose", "papers", "rows", "persons", "pairs", "suggestions"}
    assert len(data["papers"]) == 21 and len(data["rows"]) == 2
    assert [len(p["rows"]) for p in data["persons"]] == [1, 1] and data["pairs"] is None
    pairs = api(server, "clusters/Liyuan%20Liu", params={"pairs": "true"}).json()["pairs"]
    assert len(pairs) == 1 and pairs[0]["verdict"] in ("unsure", "distinct")
    assert "no shared co-author" in pairs[0]["reasons"]
    assert set(data["papers"][0]) == {"iri", "title", "year", "venue", "type", "authors", "rows", "abstract",
                                      "authors_truncated", "venue_iri", "doi"}
    years = [p["year"] for p in data["papers"]]
    assert years == sorted(years, reverse=True)
    assert api(server, "clusters/liyuan%20LIU").json()["papers"] == data["papers"]  # case-insensitive
    assert api(server, "clusters/Liyuan%20Liu", params={"loose": "true"}).json()["loose"] is True


def test_cluster_csv(server: Server) -> None:
    for r in (api(server, "clusters/Liyuan%20Liu", params={"format": "csv"}),
              api(server, "clusters/Liyuan%20Liu", headers={"Accept": "text/csv"})):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        table = rows(r.text)
        assert table[0] == list(CSV_COLUMNS) and len(table) == 22


def test_cluster_bad_parameters_and_unknown_names(server: Server) -> None:
    bad(api(server, "clusters/"), "name")
    bad(api(server, "clusters/%20%20"), "name")
    bad(api(server, "clusters/" + "x" * 5000), "name", "longer than")
    bad(api(server, "clusters/Liyuan%20Liu", params={"format": "xml"}), "format")
    bad(api(server, "clusters/Liyuan%20Liu", params={"loose": "maybe"}), "loose")
    unknown = api(server, "clusters/Nobody%20At%20All")
    assert unknown.status_code == 200  # an unknown name is an empty cluster, as in the CLI
    assert unknown.json() == {"name": "Nobody At All", "key": "nobody at all", "loose": False, "papers": [],
                              "rows": [], "persons": [], "pairs": None, "suggestions": [], "paper_count": 0, "page": 1,
                              "page_size": 50, "pages": 1, "years": [],
                              "next": None}
    assert rows(api(server, "clusters/Nobody", params={"format": "csv"}).text) == [list(CSV_COLUMNS)]


def test_cluster_pages_chain_to_the_end(server: Server, example_backend: EmbeddedBackend) -> None:
    whole = library_cluster(example_backend, "Liyuan Liu").to_json()
    url: str | None = server.url + "/api/clusters/Liyuan%20Liu?page_size=4&loose=false"
    papers, pages = [], 0
    while url is not None:
        r = server.get(url)
        assert r.status_code == 200, r.text
        data = r.json()
        pages += 1
        assert data["page"] == pages and data["page_size"] == 4 and data["paper_count"] == 21
        assert data["rows"] == whole["rows"]  # every page describes the whole cluster's rows
        papers += data["papers"]
        url = data["next"]
        assert (r.headers.get("link") == f'<{url}>; rel="next"') if url else "link" not in r.headers
        if url:
            assert "page_size=4" in url and "loose=false" in url and f"page={pages + 1}" in url
    assert pages == 6 and papers == whole["papers"]  # every paper on exactly one page, in order
    table = rows(api(server, "clusters/Liyuan%20Liu", params={"page": "6", "page_size": "4", "format": "csv"}).text)
    assert [row[0] for row in table[1:]] == [p["iri"] for p in whole["papers"][20:]]
    past = api(server, "clusters/Liyuan%20Liu", params={"page": "7", "page_size": "4"})
    assert past.status_code == 404 and "past the last page (6)" in past.json()["error"]
    bad(api(server, "clusters/Liyuan%20Liu", params={"page": "0"}), "page")
    bad(api(server, "clusters/Liyuan%20Liu", params={"page_size": "501"}), "page_size", "500")
    bad(api(server, "clusters/Liyuan%20Liu", params={"page": "two"}), "page", "integer")


# -- paths

def test_paths_json_is_the_cli_json(server: Server, example_backend: EmbeddedBackend) -> None:
    r = api(server, "paths", params={"from": "Yiping Wang", "to": "Hong Chen", "by": "cluster", "max_hops": "4"})
    assert r.status_code == 200
    data = r.json()
    assert data == shortest_paths(example_backend, "Yiping Wang", "Hong Chen", by="cluster", max_hops=4).to_json()
    assert set(data) == {"from", "to", "by", "max_hops", "status", "distance", "paths", "capped", "avoid", "strongest",
                         "alternatives", "stopped"}
    assert data["status"] == "found" and data["distance"] == 2
    chain = data["paths"][0]
    assert [n["name"] for n in chain["nodes"]] == ["Yiping Wang", "Liyuan Liu", "Hong Chen"]
    assert len(chain["links"]) == 2 and all(link["papers"] for link in chain["links"])
    apart = api(server, "paths", params={"from": "Yiping Wang", "to": "Hong Chen 0004"}).json()
    assert apart["status"] == "not-connected" and apart["distance"] is None and apart["paths"] == []
    every = api(server, "paths", params={"from": "Yiping Wang", "to": "Hong Chen", "by": "cluster", "all": "true",
                                         "limit": "1"}).json()
    assert len(every["paths"]) == 1


def test_paths_csv(server: Server) -> None:
    r = api(server, "paths", params={"from": "Yiping Wang", "to": "Hong Chen", "by": "cluster", "format": "csv"})
    table = rows(r.text)
    assert table[0] == ["path", "link", "from_iri", "from_name", "to_iri", "to_name", "paper", "title", "year",
                        "venue"]
    assert {row[1] for row in table[1:]} == {"1", "2"} and table[1][3] == "Yiping Wang"


def test_paths_bad_parameters_and_unknown_names(server: Server) -> None:
    ok = {"from": "Yiping Wang", "to": "liyuan-liu-a"}
    bad(api(server, "paths", params={"from": "Yiping Wang"}), "to")
    bad(api(server, "paths", params={**ok, "from": ""}), "from")
    bad(api(server, "paths", params={**ok, "by": "venue"}), "by")
    bad(api(server, "paths", params={**ok, "max_hops": "many"}), "max_hops", "integer")
    bad(api(server, "paths", params={**ok, "max_hops": "-1"}), "max_hops")
    bad(api(server, "paths", params={**ok, "limit": "0"}), "limit")
    bad(api(server, "paths", params={**ok, "all": "perhaps"}), "all")
    ambiguous = api(server, "paths", params={**ok, "from": "Liyuan Liu"})
    bad(ambiguous, "A:", "Liyuan Liu")
    assert {c["iri"] for c in ambiguous.json()["candidates"]} == {BASE + "author/liyuan-liu-a",
                                                                   BASE + "author/liyuan-liu-b"}
    unknown = api(server, "paths", params={**ok, "to": "Nobody At All"})
    assert unknown.status_code == 404 and "B:" in unknown.json()["error"]


# -- coauthors

def test_coauthors_json_csv(server: Server, example_backend: EmbeddedBackend) -> None:
    for who in ("liyuan-liu-a", "http%3A%2F%2Flocalhost%3A7878%2Fauthor%2Fliyuan-liu-a"):
        r = api(server, "coauthors/" + who)
        assert r.status_code == 200, who
        assert r.json() == library_coauthors(example_backend, "liyuan-liu-a").to_json()
    data = r.json()
    assert set(data) == {"author", "coauthors"} and data["coauthors"][0] == {
        "iri": BASE + "author/jingbo-shang", "name": "Jingbo Shang", "papers": 9}
    table = rows(api(server, "coauthors/liyuan-liu-a", params={"format": "csv"}).text)
    assert table[0] == ["iri", "name", "papers"] and len(table) == len(data["coauthors"]) + 1


def test_coauthors_bad_parameters_and_unknown_names(server: Server) -> None:
    bad(api(server, "coauthors/"), "author")
    bad(api(server, "coauthors/Liyuan%20Liu"), "AUTHOR")  # two rows: give one
    bad(api(server, "coauthors/liyuan-liu-a", params={"format": "tsv"}), "format")
    unknown = api(server, "coauthors/nobody")
    assert unknown.status_code == 404 and "nobody" in unknown.json()["error"]


# -- stats, openapi, caching, CORS

def test_stats(server: Server, example_backend: EmbeddedBackend) -> None:
    data = api(server, "stats").json()
    assert data == compute_stats(example_backend)
    table = rows(api(server, "stats", params={"format": "csv"}).text)
    assert table == [list(data), [str(v) for v in data.values()]]
    bad(api(server, "stats", params={"format": "yaml"}), "format")
    missing = api(server, "nothing-here")
    assert missing.status_code == 404 and "openapi" in missing.json()["error"]


def test_openapi_describes_every_endpoint(server: Server) -> None:
    spec = api(server, "openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/api/clusters/{name}", "/api/paths", "/api/coauthors/{author}", "/api/stats",
                                  "/api/reach/{author}", "/api/curations", "/api/curations/{id}", "/api/suggest",
                                  "/api/search"}
    for name, path in spec["paths"].items():
        if name.startswith("/api/curations"):  # not cached by build: no 304 (tests/test_curation.py)
            continue
        responses = path["get"]["responses"]
        assert {"200", "304", "400"} <= set(responses)
    assert {"401", "403"} <= set(spec["paths"]["/api/curations"]["post"]["responses"])
    assert {"401", "403", "404"} <= set(spec["paths"]["/api/curations/{id}"]["delete"]["responses"])
    assert "404" in spec["paths"]["/api/paths"]["get"]["responses"]
    assert set(spec["components"]["schemas"]) >= {"Cluster", "Paths", "Coauthors", "Stats", "Error", "Suggestions",
                                                  "SearchPage"}


@pytest.mark.parametrize("path", ["/api/coauthors/Nobody%20N%C3%BA%C3%B1ez", "/clusters/Nobody%20N%C3%BA%C3%B1ez",
                                  "/clusters/Liyuan%20Liu?page=99", "/api/clusters/Liyuan%20Liu?page=99",
                                  "/author/nobody-%CE%B1", "/search?q=%00", "/path?from=Nobody&to=Liyuan%20Liu"])
def test_a_validator_never_turns_an_error_into_a_304(server: Server, path: str) -> None:
    """Preconditions hold only for an answer that would be a 2xx (RFC 9110 §13.2.1): a 404 stays a 404
    for `If-None-Match: *`, the build's Last-Modified, or its own ETag (it was a 304: "your copy is
    current" for a resource there is none of)."""
    plain = server.get(server.url + path, timeout=30)
    assert plain.status_code in (400, 404), plain.status_code
    modified = api(server, "stats").headers["last-modified"]
    validators = [{"If-None-Match": "*"}, {"If-Modified-Since": modified}]
    if "etag" in plain.headers:
        validators.append({"If-None-Match": plain.headers["etag"]})
    for headers in validators:
        for method in ("GET", "HEAD"):
            r = server.request(method, server.url + path, headers=headers, timeout=30)
            assert r.status_code == plain.status_code, (path, headers, method)


def test_a_validator_of_an_answer_not_made_yet_is_a_304(server: Server) -> None:
    """A 200 not answered before in this build is made, then is a 304 when the validators match it."""
    for path in ("clusters/Liyuan%20Liu?page_size=7", "clusters/Liyuan%20Liu?page_size=8"):
        r = api(server, path, headers={"If-None-Match": "*"})
        assert r.status_code == 304 and r.headers["etag"] and "Accept" in r.headers["vary"] and not r.content
    r = server.get(server.url + "/clusters/Liyuan%20Liu?page_size=9", headers={"If-None-Match": "*"}, timeout=30)
    assert r.status_code == 304 and r.headers["etag"]


def test_etag_and_last_modified(server: Server) -> None:
    r = api(server, "clusters/Liyuan%20Liu")
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    assert "Accept" in r.headers["vary"]
    cached = api(server, "clusters/Liyuan%20Liu", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.headers["etag"] == etag and not cached.content
    assert api(server, "clusters/Liyuan%20Liu", headers={"If-None-Match": '"other"'}).status_code == 200
    assert api(server, "clusters/Liyuan%20Liu", headers={"If-Modified-Since": modified}).status_code == 304
    assert api(server, "clusters/Liyuan%20Liu",
               headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    csv_etag = api(server, "clusters/Liyuan%20Liu", params={"format": "csv"}).headers["etag"]
    assert csv_etag != etag and api(server, "stats").headers["etag"] != etag


def test_cors_when_enabled(cors_front: Server) -> None:
    server = cors_front
    r = api(server, "stats", headers={"Origin": "https://elsewhere.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "etag" in r.headers["access-control-expose-headers"].lower()
    pre = server.options(server.url + "/api/stats", timeout=30, headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert pre.status_code == 200


def test_library_calls_run_on_the_evaluation_threads(example_store: Path) -> None:
    """A library call is a Job the worker's evaluation threads answer (kg.server.local); an unknown
    call is a 400."""
    import asyncio

    from kg.server.calls import CALLS
    from kg.server.evaluator import factory
    from kg.server.local import LocalRunner
    from kg.server.messages import Job, Result

    async def go() -> tuple[Result, Result, Result]:
        runner = LocalRunner(factory(str(example_store), False, CALLS), threads=1)
        await runner.start()
        try:
            ok = await runner.run(Job("call", "stats"), 30)
            again = await runner.run(Job("call", "stats"), 30)
            unknown = await runner.run(Job("call", "no-such-call"), 30)
            return ok, again, unknown
        finally:
            runner.close()

    ok, again, unknown = asyncio.run(go())
    assert ok.status == 200 and ok.data["papers"] == 21
    assert again.status == 200 and again.data == ok.data
    assert unknown.status == 400


def test_an_app_job_past_the_time_limit_is_503_and_its_worker_replaced(example_store: Path, tmp_path: Path) -> None:
    """A job past --timeout (here a browser's results page: the SPARQL pipeline answers it now, as it
    answers every /sparql request) is a 503 naming the time limit; the supervisor replaces the worker
    and the API answers again."""
    import time

    import requests
    from server_fixtures import running

    forever = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with running(example_store, "--timeout", "1", "--workers", "1", log=tmp_path / "serve.log") as server:
        r = requests.post(server.endpoint, data={"query": forever}, headers={"Accept": "text/html"}, timeout=30)
        assert r.status_code == 503 and "time limit" in r.text and r.headers["retry-after"]
        deadline, status = time.monotonic() + 30, None
        while status != 200 and time.monotonic() < deadline:
            try:
                status = requests.get(server.url + "/api/stats", timeout=10).status_code
            except requests.ConnectionError:
                time.sleep(0.2)
        assert status == 200
