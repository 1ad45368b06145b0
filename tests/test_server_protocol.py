"""The endpoint's HTTP behaviour on a real `kg serve` (its HTTP front and SPARQL pipeline): negotiation, errors,
caps, descriptions, the page, store swaps."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from server_fixtures import Server, running

from kg import formats
from kg.server import negotiation
from kg.sparqltext import Refused, add_using, check_outbound, lex

SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 3"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"


@pytest.fixture
def server(example_front: Server) -> Server:
    return example_front  # --max-rows 50


@pytest.mark.parametrize(
    ("accept", "query", "expected"),
    [
        (None, SELECT, "application/sparql-results+json"),
        ("application/sparql-results+xml", SELECT, "application/sparql-results+xml"),
        ("text/csv;q=0.9, text/tab-separated-values", SELECT, "text/tab-separated-values"),
        ("text/csv, application/sparql-results+json;q=0.5", SELECT, "text/csv"),
        ("*/*", SELECT, "application/sparql-results+json"),
        ("text/*", SELECT, "text/csv"),
        (None, CONSTRUCT, "text/turtle"),
        ("application/n-triples", CONSTRUCT, "application/n-triples"),
        ("application/n-quads", CONSTRUCT, "application/n-quads"),
        ("application/trig", CONSTRUCT, "application/trig"),
        ("application/rdf+xml", CONSTRUCT, "application/rdf+xml"),
        ("application/ld+json", CONSTRUCT, "application/ld+json"),
        ("application/x-turtle;q=0.8, application/n-triples;q=0.2", CONSTRUCT, "text/turtle"),
        ("application/sparql-results+xml", "ASK {}", "application/sparql-results+xml"),
        # other names of these types that pyoxigraph and `oxigraph serve` take (they were a 406 here)
        ("text/tsv", SELECT, "text/tab-separated-values"),
        ("text/json", SELECT, "application/sparql-results+json"),
        ("application/turtle", CONSTRUCT, "text/turtle"),
        ("text/json", CONSTRUCT, "application/ld+json"),
    ],
)
def test_content_negotiation(server: Server, accept: str | None, query: str, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    r = server.get(server.endpoint, params={"query": query}, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] == expected
    assert r.content


TEXT_PLAIN = ["text/plain", "TEXT/PLAIN", "text/plain;charset=utf-8", "*/*;q=0.1, text/plain",
              "text/plain;q=0.5, text/csv", "application/n-triples;q=0.2, text/plain", "text/plain;q=0"]


@pytest.fixture(scope="module")
def oxigraph_front(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`oxigraph serve-read-only` on the example store's own database (read-only beside kg serve), its
    union of graphs as the default graph as kg queries it: the reference for negotiation."""
    from engines import Engine, _wait, oxigraph_binary
    from server_fixtures import free_port, stop

    from kg.store import DATA, StoreDir

    port, log = free_port(), tmp_path_factory.mktemp("oxigraph") / "oxigraph.log"
    database = StoreDir(example_store).require() / DATA
    with open(log, "wb") as out:
        proc = subprocess.Popen([oxigraph_binary(), "serve-read-only", "--location", str(database), "--bind",
                                 f"127.0.0.1:{port}", "--union-default-graph"], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(Engine("oxigraph", f"http://127.0.0.1:{port}/query", proc, log), 30)
        yield f"http://127.0.0.1:{port}/query"
    finally:
        stop(proc)


@pytest.mark.parametrize("accept", TEXT_PLAIN)
def test_text_plain_is_answered_as_oxigraph_answers_it(server: Server, oxigraph_front: str, accept: str) -> None:
    """`Accept: text/plain` (curl's users, old N-Triples clients) was a 406 for every query: Oxigraph
    answers a graph in N-Triples and results in CSV, and so does kg now, with the same bytes. An ASK
    stays a 406 (kg gives no CSV boolean, docs/endpoint.md) where Oxigraph writes a bare `true`."""
    for query in (SELECT, CONSTRUCT, "DESCRIBE ?s WHERE { ?s ?p ?o } LIMIT 1", None):  # None: the service description
        params = {"query": query} if query else {}
        ours = server.get(server.endpoint, params=params, headers={"Accept": accept}, timeout=10)
        theirs = requests.get(oxigraph_front, params=params, headers={"Accept": accept}, timeout=10)
        assert ours.status_code == theirs.status_code, (query, accept, ours.text[:200])
        if ours.status_code == 200:
            assert ours.headers["Content-Type"].split(";")[0] == theirs.headers["Content-Type"].split(";")[0]
            if query:
                assert ours.content == theirs.content, (query, accept)
    described = server.get(server.url + "/author/liyuan-liu-a", headers={"Accept": accept}, timeout=10)
    if accept != "text/plain;q=0":  # dereferencing offers N-Triples for it too
        assert described.status_code == 200 and described.headers["Content-Type"].startswith("application/n-triples")
    ask = server.get(server.endpoint, params={"query": "ASK {}"}, headers={"Accept": accept}, timeout=10)
    if "*/*" in accept:
        assert ask.status_code == 200 and ask.headers["Content-Type"].startswith("application/sparql-results+json")
    else:
        assert ask.status_code == 406 and "application/sparql-results+json" in ask.text


def test_406_lists_offered_types(server: Server) -> None:
    r = server.get(server.endpoint, params={"query": SELECT}, headers={"Accept": "image/png"}, timeout=10)
    assert r.status_code == 406
    assert "application/sparql-results+json" in r.text and "text/csv" in r.text
    r = server.get(server.endpoint, params={"query": CONSTRUCT}, headers={"Accept": "text/csv"}, timeout=10)
    assert r.status_code == 406 and "text/turtle" in r.text


def test_format_parameter_overrides_accept(server: Server) -> None:
    r = server.get(
        server.endpoint,
        params={"query": SELECT, "format": "csv", "output": "csv"},
        headers={"Accept": "application/sparql-results+xml"},
        timeout=10,
    )
    assert r.headers["Content-Type"].startswith("text/csv")
    r = server.get(server.endpoint, params={"query": CONSTRUCT, "format": "json-ld"}, timeout=10)
    assert r.headers["Content-Type"].startswith("application/ld+json")
    r = server.get(server.endpoint, params={"query": SELECT, "format": "unknown", "foo": "bar"}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/sparql-results+json")


def test_errors(server: Server) -> None:
    r = server.get(server.endpoint, params={"query": "SELECT * WHERE {"}, timeout=10)
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("text/plain")
    assert "error at" in r.text and "Traceback" not in r.text
    r = server.put(server.endpoint, params={"query": "ASK {}"}, timeout=10)
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    r = server.post(server.endpoint, data=b"ASK {}", headers={"Content-Type": "text/plain"}, timeout=10)
    assert r.status_code == 415
    r = server.post(server.endpoint, data=b"ASK {}", headers={"Content-Type": ""}, timeout=10)
    assert r.status_code == 400
    r = server.post(server.endpoint, data={"query": "ASK {}" + " " * (1 << 21)}, timeout=10)
    assert r.status_code == 413
    r = server.get(server.endpoint, params={"query": "ASK {}", "default-graph-uri": "not an iri"}, timeout=10)
    assert r.status_code == 400
    r = server.post(server.endpoint, data={"update": "CLEAR ALL"}, timeout=10)
    assert r.status_code == 403


def test_max_rows_caps_and_says_so(server: Server) -> None:
    r = server.get(server.endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=10)
    assert r.status_code == 200
    assert r.headers["X-SPARQL-MaxRows"] == "50"
    assert len(r.json()["results"]["bindings"]) == 50
    r = server.get(server.endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"}, timeout=10)
    assert "X-SPARQL-MaxRows" not in r.headers and len(r.json()["results"]["bindings"]) == 10
    r = server.get(
        server.endpoint,
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/n-triples"},
        timeout=10,
    )
    assert r.headers["X-SPARQL-MaxRows"] == "50" and len(r.text.strip().splitlines()) == 50


def test_default_dataset_is_union_and_from_is_honoured(server: Server, example_db: ox.Store) -> None:
    graphs = [g.value for g in example_db.named_graphs()]
    assert graphs
    total = server.get(
        server.endpoint, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}, timeout=10
    ).json()
    n_union = int(total["results"]["bindings"][0]["n"]["value"])
    assert n_union > 0
    q = f"SELECT (COUNT(*) AS ?n) FROM <{graphs[0]}> WHERE {{ ?s ?p ?o }}"
    one = int(
        server.get(server.endpoint, params={"query": q}, timeout=10).json()["results"]["bindings"][0]["n"]["value"]
    )
    if len(graphs) > 1:
        assert one < n_union
    r = server.get(
        server.endpoint,
        params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "default-graph-uri": graphs[0]},
        timeout=10,
    )
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == one


def test_service_description_formats(server: Server) -> None:
    for accept, ctype in [
        (None, "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
    ]:
        r = server.get(server.endpoint, headers={"Accept": accept} if accept else {}, timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(ctype)
        fmt = ox.RdfFormat.from_media_type(ctype)
        assert fmt is not None
        triples = list(ox.parse(r.content, format=fmt))
        endpoints = [t.object.value for t in triples if t.predicate.value.endswith("#endpoint")]
        assert endpoints == [server.endpoint]


def test_void(server: Server, example_db: ox.Store) -> None:
    r = server.get(server.url + "/.well-known/void", timeout=20)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/turtle")
    triples = list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    by = {}
    for t in triples:
        by.setdefault(t.predicate.value.rsplit("#", 1)[-1], []).append(t.object)
    n = len(list(example_db.quads_for_pattern(None, None, None)))
    assert int(by["triples"][0].value) == n
    assert int(by["entities"][0].value) > 0 and int(by["classes"][0].value) > 0
    assert by["exampleResource"] and by["vocabulary"]
    assert any(v.value == "https://w3id.org/kg/ontology#" or "kg" in v.value for v in by["vocabulary"])
    # each source graph a subset, with when it was last modified (its watermark, kg.sync.watermark)
    subsets = {t.object.value for t in triples if t.predicate.value.endswith("#subset")}
    assert "http://localhost:7878/graph/rows" in subsets
    modified = [t for t in triples if t.subject.value == "http://localhost:7878/graph/rows"
                and t.predicate.value == "http://purl.org/dc/terms/modified"]
    assert len(modified) == 1 and modified[0].object.datatype.value.endswith("#dateTime")


def test_query_page_has_named_queries_and_no_cdn(server: Server) -> None:
    from kg.queries import all_named

    r = server.get(server.url + "/query", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    for q in all_named():  # the queries meant for people (issue 16: not the library's helpers)
        assert (q.name in r.text) is not q.internal, q.name
    assert "connect-src 'self'" in r.headers["Content-Security-Policy"]
    import re

    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert refs and not [u for u in refs if "//" in u]  # everything is served by the endpoint itself
    assert server.get(server.url + "/static/page.js", timeout=10).status_code == 200


def test_cors(cors_front: Server) -> None:
    server = cors_front
    r = server.get(server.endpoint, params={"query": "ASK {}"}, headers={"Origin": "http://example.org"}, timeout=10)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-SPARQL-MaxRows" in r.headers["Access-Control-Expose-Headers"]


def test_access_log_has_status_and_time(server: Server) -> None:
    seen = len(server.log_text())  # the session's server: the lines of earlier tests are before this
    server.get(server.endpoint, params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    deadline = time.monotonic() + 5  # the front writes its access-log lines in batches, within 0.1 s
    while True:
        lines = [line for line in server.log_text()[seen:].splitlines()
                 if "kg.server.access" in line and "GET /sparql 200" in line and "query ASK" in line]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert lines and "ms" in lines[-1]


def test_workers_follow_a_rebuilt_store(tmp_path: Path) -> None:
    from conftest import EXAMPLE

    import kg
    from kg.store import StoreDir

    store = tmp_path / "store"
    kg.build([EXAMPLE], store)
    first = StoreDir(store).active()
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with running(store, "--workers", "2", log=tmp_path / "serve.log") as server:
        before = server.get(server.endpoint, params={"query": count}, timeout=10).json()
        assert int(before["results"]["bindings"][0]["n"]["value"]) > 10
        with StoreDir(store).generation() as gen:
            gen.store.add(ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("only")))
            gen.meta["counts"] = {"triples": 1}
        assert first is not None and not first.exists()  # the old generation is gone
        for _ in range(4):  # every worker reopens
            after = server.get(server.endpoint, params={"query": count}, timeout=10).json()
            assert after["results"]["bindings"][0]["n"]["value"] == "1"


def test_lexer_guards() -> None:
    allowed = frozenset({"dbpedia.org"})
    check_outbound(
        lex("SELECT * WHERE { ?s <http://x/SERVICE> 'SERVICE <http://evil/>' } # SERVICE <http://evil/>"),
        frozenset(),
        None,
    )
    check_outbound(lex("SELECT * WHERE { SERVICE <https://dbpedia.org/sparql> { ?s ?p ?o } }"), allowed, None)
    for bad in [
        "SELECT * WHERE { SERVICE <https://evil.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE <https://dbpedia.org.evil.org/> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?x { ?s ?p ?o } }",
        "LOAD <https://evil.org/x.ttl>",
        "SELECT * WHERE { \\U00000053ERVICE <https://evil.org/> { } }",
    ]:
        with pytest.raises(Refused):
            check_outbound(lex(bad), allowed, None)
    a = lex("PREFIX : <http://x/> INSERT { ?s :p 1 } WHERE { ?s :q 'WHERE' }")
    assert (
        add_using(a, [ox.NamedNode("http://g/1")], [])
        == "PREFIX : <http://x/> INSERT { ?s :p 1 } USING <http://g/1> WHERE { ?s :q 'WHERE' }"
    )
    with pytest.raises(Refused):
        add_using(lex("WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"), [ox.NamedNode("http://g/1")], [])
    assert lex("select * from <http://g/> where {}").has_dataset_clause()
    assert not lex("SELECT * WHERE { ?s <http://x/from> 'FROM' }").has_dataset_clause()


def test_negotiation_unit() -> None:
    assert negotiation.choose(formats.RESULTS, "text/csv;q=0, */*;q=0.1") == formats.JSON
    assert negotiation.choose(formats.RESULTS, "application/json") == formats.JSON
    assert negotiation.choose(formats.GRAPHS, "application/json") == formats.JSON_LD
    assert negotiation.choose(formats.GRAPHS, "text/plain") == formats.N_TRIPLES  # as Oxigraph answers it
    assert negotiation.choose(formats.RESULTS, "text/plain") == formats.CSV
    assert negotiation.choose(formats.BOOLEAN, "text/plain") is None
    assert negotiation.choose(formats.GRAPHS, "text/*") == formats.TURTLE  # an alias is matched only exactly
    assert negotiation.by_name("application/x-turtle", formats.GRAPHS) == formats.TURTLE


def test_serve_help_documents_every_option() -> None:
    from click.testing import CliRunner

    from kg.cli import main

    out = CliRunner().invoke(main, ["serve", "--help"]).output
    for opt in ["--store", "--host", "--port", "--base-iri", "--timeout", "--max-rows", "--cors", "--update-token",
                "--allow-update", "--allow-service", "--workers", "--max-body"]:  # fmt: skip
        assert opt in out, opt
    assert "--serve / --no-serve" in CliRunner().invoke(main, ["demo", "--help"]).output
    bad = CliRunner().invoke(main, ["serve", "--store", "/nonexistent/kg-store"])
    assert bad.exit_code == 1 and "no such store" in bad.output
    both = CliRunner().invoke(main, ["serve", "--store", "x", "--allow-update", "--update-token", "t"])
    assert both.exit_code == 2


def test_capped_results_keep_every_kind_of_term() -> None:
    import json

    from kg.formats import JSON
    from kg.server.evaluator import solutions as _solutions

    q = r"""SELECT ?x ?y WHERE { VALUES (?x ?y) { ("a\nb"@en UNDEF) ("tab\there \"q\"" <http://x/é>)
            (1.5 "z") ("x"^^<http://dt> "") } }"""
    store = ox.Store()
    direct = json.loads(store.query(q).serialize(format=ox.QueryResultsFormat.JSON))
    capped = _solutions(store.query(q), JSON, 10)
    assert json.loads(capped.body) == direct and "X-SPARQL-MaxRows" not in capped.headers
    two = _solutions(store.query(q), JSON, 2)
    assert json.loads(two.body)["results"]["bindings"] == direct["results"]["bindings"][:2]
    assert two.headers == {"X-SPARQL-MaxRows": "2"}
