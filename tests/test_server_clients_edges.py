"""What real clients met at the endpoint's edges (issue 16): browsers on /sparql, ASK in CSV/TSV,
one alternate Link for pyld, a forged access log, `Upgrade: h2c`, CORS preflights, form charsets."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import time
from html.parser import HTMLParser
from urllib.parse import quote

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from server_fixtures import Server

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 5"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5"
AUTHOR = "/author/liyuan-liu-b"


class Tags(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def all(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and (cls is None or a.get("class") == cls)]


# -- browsers get pages; machine clients keep what they get

def _only_the_search_script(page: Tags) -> bool:
    """The pages run no script but the site's own file for the search box's suggestions (no inline code:
    the pages' Content-Security-Policy says script-src 'self')."""
    return [(s.get("src") or "").rsplit("static/", 1)[-1] for s in page.all("script")] == ["suggest.js"]


def test_a_browser_gets_the_results_as_a_page(example_front: Server) -> None:
    r = example_front.get(example_front.endpoint, params={"query": SELECT}, headers={"Accept": BROWSER})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Accept" in r.headers["vary"]
    page = Tags(r.text)
    assert _only_the_search_script(page) and len(page.all("tr", "result")) == 5
    assert page.all("form")  # the site's header with its search box
    hrefs = [a["href"] for a in page.all("a")]
    for name in ("json", "xml", "csv", "tsv"):
        assert any(h.startswith("./sparql?") and h.endswith(f"format={name}") for h in hrefs), name
    link = next(h for h in hrefs if h.endswith("format=csv")).removeprefix("./")
    as_csv = example_front.get(example_front.url + "/" + link)
    assert as_csv.headers["content-type"].startswith("text/csv") and len(as_csv.text.splitlines()) == 6
    graph = example_front.get(example_front.endpoint, params={"query": CONSTRUCT}, headers={"Accept": BROWSER})
    assert graph.headers["content-type"].startswith("text/html") and len(Tags(graph.text).all("tr", "result")) == 5
    assert "format=ttl" in graph.text and "format=jsonld" in graph.text
    ask = example_front.get(example_front.endpoint, params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": BROWSER})
    assert ask.headers["content-type"].startswith("text/html") and 'id="boolean">true<' in ask.text
    explicit = example_front.get(example_front.endpoint, params={"query": SELECT, "format": "html"})
    assert explicit.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("text/*", "text/csv"),
    ("application/sparql-results+json,application/json,text/javascript,application/javascript",  # SPARQLWrapper
     "application/sparql-results+json"),
    ("application/sparql-results+json, application/sparql-results+xml;q=0.9, text/tab-separated-values;q=0.7,"
     " text/csv;q=0.5, application/json;q=0.2, application/xml;q=0.2, */*;q=0.1",  # Jena
     "application/sparql-results+json"),
    ("text/html;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
])
def test_machine_clients_keep_what_they_get(example_front: Server, accept: str | None, expected: str) -> None:
    r = example_front.get(example_front.endpoint, params={"query": SELECT},
                          headers={"Accept": accept} if accept else {})
    assert r.headers["content-type"].split(";")[0] == expected


def test_service_description_and_void_as_pages(example_front: Server) -> None:
    for path, title in (("/sparql", "Service description"), ("/.well-known/void", "VoID description")):
        r = example_front.get(example_front.url + path, headers={"Accept": BROWSER})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert f"<h1>{title}</h1>" in r.text and _only_the_search_script(Tags(r.text))
        assert "sd:endpoint" in r.text or "void:sparqlEndpoint" in r.text
        for name in ("ttl", "rdfxml", "jsonld"):
            assert f"format={name}" in r.text
        ttl = example_front.get(example_front.url + path, params={"format": "ttl"}, headers={"Accept": BROWSER})
        assert ttl.headers["content-type"].startswith("text/turtle")
        assert list(ox.parse(ttl.content, format=ox.RdfFormat.TURTLE))
        machine = example_front.get(example_front.url + path, headers={"Accept": "*/*"})
        assert machine.headers["content-type"].startswith("text/turtle"), path


# -- ASK in CSV/TSV

def test_ask_in_csv_or_tsv_is_406_and_json_or_xml_otherwise(example_front: Server) -> None:
    ask = "ASK { ?s ?p ?o }"
    for accept in ("text/csv", "text/tab-separated-values"):
        r = example_front.get(example_front.endpoint, params={"query": ask}, headers={"Accept": accept})
        assert r.status_code == 406, accept
        assert "application/sparql-results+json" in r.text and "text/csv" not in r.text
    for name in ("csv", "tsv"):
        assert example_front.get(example_front.endpoint, params={"query": ask, "format": name}).status_code == 406
    mixed = example_front.get(example_front.endpoint, params={"query": ask},
                            headers={"Accept": "text/csv, application/sparql-results+xml;q=0.5"})
    assert mixed.status_code == 200 and mixed.headers["content-type"].startswith("application/sparql-results+xml")
    parsed = rdflib.query.Result.parse(io.BytesIO(mixed.content), format="xml")
    assert parsed.askAnswer is True
    select = example_front.get(example_front.endpoint, params={"query": SELECT}, headers={"Accept": "text/csv"})
    assert select.status_code == 200 and list(csv.reader(io.StringIO(select.text)))[0] == ["s", "p", "o"]


# -- one alternate Link: pyld's own document loader

def test_pyld_expands_a_resources_jsonld_by_url(example_server: Server) -> None:
    pyld = pytest.importorskip("pyld")
    for url in (example_server.url + AUTHOR + ".jsonld", example_server.url + AUTHOR):
        expanded = pyld.jsonld.expand(url)  # pyld's default (requests) loader, the context fetched too
        assert any(n.get("@id") == "http://localhost:7878" + AUTHOR for n in expanded), url
    nquads = pyld.jsonld.to_rdf(example_server.url + AUTHOR + ".jsonld", {"format": "application/n-quads"})
    turtle = example_server.get(example_server.url + AUTHOR, headers={"Accept": "text/turtle"})
    assert isomorphic(rdflib.Graph().parse(data=nquads, format="nt"), rdflib.Graph().parse(data=turtle.text,
                                                                                            format="turtle"))
    for suffix in ("", ".ttl", ".jsonld", ".html"):
        r = example_server.get(example_server.url + AUTHOR + suffix)
        assert r.headers["link"].count('rel="alternate"') == 1, suffix


# -- the access log: one line per request, the raw path

def _access_lines(server: Server) -> list[str]:
    return [line for line in server.log_text().splitlines() if "kg.server.access" in line]


def test_control_characters_cannot_forge_log_lines(example_server: Server) -> None:
    forged = ["%0A2026-12-01 10:00:00,000 kg.server.access 10.0.0.1 POST /sparql 204 1.0ms update",
              "%0D%0Ax", "%1B[31mred", "%00nul", "%E2%80%A8sep", "%C2%85nel"]
    for tail in forged:
        r = example_server.get(example_server.url + "/author/x" + tail.replace(" ", "%20"))
        assert r.status_code == 404
    time.sleep(0.5)  # the access log is written in batches, at most 0.1 s late (kg.server.access_log.FLUSH)
    lines = _access_lines(example_server)
    new = [line for line in lines if "/author/x" in line]  # other tests' requests may be logged late too
    assert len(new) == len(forged), new
    assert all(" GET /author/x%" in line for line in new), new
    assert "%0A2026-12-01" in new[0] and not any(line.startswith("2026-12-01 10:00:00") for line in lines)
    text = example_server.log_text()
    assert len(text.splitlines()) == text.count("\n")  # no other kind of line break got in


def test_upgrade_h2c_is_answered_without_uvicorn_warnings(example_server: Server) -> None:
    port = int(example_server.url.rsplit(":", 1)[1])
    request = (b"GET /sparql?query=" + quote("ASK {}").encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
               b"Accept: application/sparql-results+json\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200")
    time.sleep(0.3)
    log = example_server.log_text()
    assert "Unsupported upgrade" not in log and "uvicorn[standard]" not in log


# -- CORS preflights and form charsets

def test_cors_preflights_allow_the_common_request_headers(cors_front: Server) -> None:
    for header in ("X-Requested-With", "Cache-Control", "Content-Type, Accept, X-Requested-With"):
        r = cors_front.options(cors_front.endpoint, headers={
            "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": header})
        assert r.status_code == 200, (header, r.text)


def test_a_form_in_iso_8859_1_is_read_in_it(example_front: Server) -> None:
    query = 'SELECT ("caf\xe9" AS ?x) WHERE {}'
    for charset, body in (("ISO-8859-1", "query=" + quote(query, encoding="latin-1")),
                          ("UTF-8", "query=" + quote(query, encoding="utf-8"))):
        r = example_front.post(example_front.endpoint, data=body.encode("ascii"), headers={
            "Content-Type": f"application/x-www-form-urlencoded; charset={charset}"})
        assert r.status_code == 200, (charset, r.text)
        assert json.loads(r.content)["results"]["bindings"][0]["x"]["value"] == "caf\xe9"
    r = example_front.post(example_front.endpoint, data=b"query=ASK%7B%7D", headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=Shift_JIS"})
    assert r.status_code == 415 and "charset" in r.text


# -- the query page

def test_the_query_page_has_the_sites_header_and_queries_for_people(example_front: Server) -> None:
    from test_queries import NOTHING_IN_EXAMPLE

    from kg.queries import all_named

    r = example_front.get(example_front.url + "/query")
    page = Tags(r.text)
    hrefs = {a["href"] for a in page.all("a")}
    assert {"./clusters", "./path", "./ontology", "./api/openapi.json"} <= hrefs
    assert any(f.get("action") == "./search" for f in page.all("form"))  # the search box
    data = re.search(r'<script id="named-queries" type="application/json">(.*?)</script>', r.text, re.S)
    assert data is not None
    shown = json.loads(data.group(1))
    names = [q["name"] for q in shown]
    assert "neighbours" not in names and "coauthors-paper" not in names
    assert names == [q.name for q in all_named() if not q.internal] and names
    for q in shown:  # every query runs as shown (its parameters bound to the example's values) and finds rows
        answer = example_front.post(example_front.endpoint, data={"query": q["text"]},
                                  headers={"Accept": "application/sparql-results+json, text/turtle"})
        assert answer.status_code == 200, (q["name"], answer.text)
        if q["name"] in NOTHING_IN_EXAMPLE:
            continue  # it runs; the example has nothing for it to find (tests/test_queries.py says why)
        if answer.headers["content-type"].startswith("application/sparql-results+json"):
            found = answer.json()
            assert found.get("boolean") or found["results"]["bindings"], q["name"]
    cluster = next(q for q in shown if q["name"] == "cluster-papers")
    assert 'VALUES (?key) { ("bin yu") }' in cluster["text"]  # the store's most ambiguous name, first by key
