"""Dereferencing (in-process, and on the session's real `kg serve` where a client fetches URLs itself):
every IRI under the base answers in the format asked for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rdflib
from conftest import EXAMPLE
from rdflib.compare import isomorphic
from server_fixtures import App, Server, in_process

import kg
from kg.backend import EmbeddedBackend
from kg.describe import describe
from kg.ontology import context_path, ontology_path

KG = rdflib.Namespace("https://w3id.org/scholarly-kg/ontology#")
BASE = "http://localhost:7878/"
AUTHOR = BASE + "author/liyuan-liu-b"
PAPER = BASE + "paper/2025-mixture-of-inputs-text-generation-beyond"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.fixture
def server(example_front: Server) -> Server:
    return example_front


def local(server: App | Server, iri: str) -> str:
    """The server's URL for an IRI under the base (the base is the default http://localhost:7878/)."""
    assert iri.startswith(BASE)
    return server.url + "/" + iri[len(BASE):]


def get(server: App | Server, iri: str, accept: str | None = None) -> Any:
    headers = {"Accept": accept} if accept else {}
    return server.get(local(server, iri), headers=headers)


def graph(text: str, fmt: str, base: str | None = None) -> rdflib.Graph:
    return rdflib.Graph().parse(data=text, format=fmt, publicID=base)


def test_turtle_of_an_author_has_its_authorships_and_their_papers(server: Server) -> None:
    r = get(server, AUTHOR, "text/turtle")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")
    assert r.headers["vary"] == "Accept"
    assert r.headers["content-location"] == "liyuan-liu-b.ttl"
    g = graph(r.text, "turtle")
    author = rdflib.URIRef(AUTHOR)
    assert (author, KG.name, rdflib.Literal("Liyuan Liu")) in g
    authorships = set(g.subjects(KG.authorRow, author))
    assert len(authorships) == 2
    for a in authorships:
        paper = g.value(a, KG.paper)
        assert g.value(a, KG.position) is not None
        assert g.value(paper, KG.title) is not None  # the authorship's paper is described too
        assert (paper, KG.author, author) in g  # a link in
    assert (rdflib.URIRef(BASE + "cluster/liyuan%20liu"), KG.hasMember, author) in g


def test_every_format_gives_the_same_triples(example_server: Server) -> None:
    server = example_server  # rdflib fetches the JSON-LD context from the server itself
    turtle = graph(get(server, AUTHOR, "text/turtle").text, "turtle")
    by_suffix = server.get(local(server, AUTHOR) + ".jsonld", timeout=30)
    assert by_suffix.status_code == 200
    assert by_suffix.headers["content-type"].startswith("application/ld+json")
    doc = by_suffix.json()
    assert doc["@context"] == server.url + "/ontology/context.jsonld"  # compacted with the served context
    assert doc["@graph"][0]["@id"] == AUTHOR and doc["@graph"][0]["name"] == "Liyuan Liu"
    # rdflib expands it, fetching the context from the server (loopback)
    assert isomorphic(graph(by_suffix.text, "json-ld"), turtle)
    by_accept = get(server, AUTHOR, "application/ld+json")
    assert by_accept.json() == doc
    assert isomorphic(graph(get(server, AUTHOR, "application/n-triples").text, "nt"), turtle)
    assert isomorphic(graph(get(server, AUTHOR, "application/rdf+xml").text, "xml"), turtle)
    for suffix, fmt in ((".ttl", "turtle"), (".nt", "nt"), (".rdf", "xml")):
        r = server.get(local(server, AUTHOR) + suffix, headers={"Accept": "text/html"}, timeout=30)
        assert r.status_code == 200 and r.headers["content-location"] == "liyuan-liu-b" + suffix
        assert isomorphic(graph(r.text, fmt), turtle), suffix
    assert isomorphic(graph(server.get(local(server, AUTHOR), params={"format": "ttl"}, timeout=30).text,
                            "turtle"), turtle)


def test_jsonld_expands_with_pyld_too(server: Server) -> None:
    pyld = pytest.importorskip("pyld")
    doc = server.get(local(server, AUTHOR) + ".jsonld", timeout=30).json()
    doc["@context"] = json.loads(context_path().read_text())["@context"]
    nquads = pyld.jsonld.to_rdf(doc, {"format": "application/n-quads"})
    turtle = graph(get(server, AUTHOR, "text/turtle").text, "turtle")
    assert isomorphic(graph(nquads, "nt"), turtle)


def test_a_browser_gets_html(server: Server) -> None:
    r = get(server, AUTHOR, BROWSER)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["vary"] == "Accept"
    assert r.headers["content-location"] == "liyuan-liu-b.html"
    assert "<h1 id=\"name\">Liyuan Liu</h1>" in r.text
    assert "On the Generalization Ability of Next-Token-Prediction Pretraining" in r.text
    # curl's */* gets Turtle, the linked-data default
    assert get(server, AUTHOR, "*/*").headers["content-type"].startswith("text/turtle")
    assert get(server, AUTHOR, "application/x-nothing").status_code == 406


def test_paper_venue_cluster_authorship_and_graph_iris_resolve(server: Server) -> None:
    g = graph(get(server, PAPER, "text/turtle").text, "turtle")
    positions = sorted(int(p) for p in g.objects(None, KG.position))
    assert positions == [1, 2, 3, 4, 5]
    assert g.value(rdflib.URIRef(BASE + "author/liyuan-liu-a"), KG.name) == rdflib.Literal("Liyuan Liu")
    venue = graph(get(server, BASE + "venue/neurips", "text/turtle").text, "turtle")
    assert len(set(venue.subjects(KG.publishedIn, rdflib.URIRef(BASE + "venue/neurips")))) == 7
    for iri in (BASE + "cluster/liyuan%20liu", PAPER + "/authorship/2", BASE + "graph/rows"):
        r = get(server, iri, "text/turtle")
        assert r.status_code == 200, iri
        assert rdflib.URIRef(iri) in set(graph(r.text, "turtle").subjects()), iri
        assert get(server, iri, BROWSER).status_code == 200, iri


def test_unknown_iris_are_404(server: Server) -> None:
    for path in ("/author/nobody", "/paper/nothing.ttl", "/no/such/thing", "/author/"):
        r = server.get(server.url + path, headers={"Accept": "text/turtle"}, timeout=30)
        assert r.status_code == 404, path
        assert "nothing is known" in r.text
    r = server.get(server.url + "/author/nobody", headers={"Accept": BROWSER}, timeout=30)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert server.get(local(server, AUTHOR), params={"page": "0"}, timeout=30).status_code == 400
    assert server.get(local(server, AUTHOR), params={"format": "xls"}, timeout=30).status_code == 400


def test_cache_validators(server: Server) -> None:
    r = get(server, AUTHOR, "text/turtle")
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    again = server.get(local(server, AUTHOR), headers={"Accept": "text/turtle", "If-None-Match": etag}, timeout=30)
    assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    assert get(server, AUTHOR, "application/ld+json").headers["etag"] != etag  # one tag per representation
    r304 = server.get(local(server, AUTHOR), headers={"Accept": "text/turtle", "If-Modified-Since": modified},
                        timeout=30)
    assert r304.status_code == 304


def test_descriptions_of_huge_nodes_are_paged(example_backend: EmbeddedBackend) -> None:
    venue = BASE + "venue/neurips"
    first = describe(example_backend, venue, per_page=3)
    assert first is not None and first.more
    papers: set[str] = set()
    page = 1
    while True:
        d = describe(example_backend, venue, page=page, per_page=3)
        assert d is not None
        papers |= {t.subject.value for t in d.triples if t.predicate.value == str(KG.publishedIn)}
        if not d.more:
            break
        page += 1
    assert len(papers) == 7 and page == 3
    assert describe(example_backend, BASE + "author/nobody") is None


def test_ontology_page_in_three_formats(example_server: Server) -> None:
    server = example_server  # rdflib fetches the JSON-LD context from the server itself
    html = server.get(server.url + "/ontology", headers={"Accept": BROWSER}, timeout=30)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "kg:AuthorRow" in html.text and html.headers["vary"] == "Accept"
    expected = rdflib.Graph().parse(ontology_path(), format="turtle")
    ttl = server.get(server.url + "/ontology", headers={"Accept": "text/turtle"}, timeout=30)
    assert ttl.headers["content-type"].startswith("text/turtle")
    assert isomorphic(graph(ttl.text, "turtle"), expected)
    for params, headers in (({"format": "jsonld"}, {}), ({}, {"Accept": "application/ld+json"})):
        r = server.get(server.url + "/ontology", params=params, headers=headers, timeout=30)
        assert r.headers["content-type"].startswith("application/ld+json")
        assert isomorphic(graph(r.text, "json-ld"), expected)
    assert server.get(server.url + "/ontology?format=ttl", timeout=30).text == ttl.text
    context = server.get(server.url + "/ontology/context.jsonld", timeout=30)
    assert context.headers["content-type"].startswith("application/ld+json")
    assert context.json() == json.loads(context_path().read_text())


def test_the_stores_own_base_iri_is_served(tmp_path: Path) -> None:
    """A store built with a public base: its IRIs dereference at the same paths on the server."""
    store = tmp_path / "store"
    kg.build([EXAMPLE], store, base_iri="https://kg.example.org/data/")
    with in_process(store) as s:
        r = s.get(s.url + "/author/liyuan-liu-b", headers={"Accept": "text/turtle"}, timeout=30)
        assert r.status_code == 200
        g = graph(r.text, "turtle")
        assert g.value(rdflib.URIRef("https://kg.example.org/data/author/liyuan-liu-b"), KG.name) is not None
        # pages link relative to themselves, so they work behind a proxy at https://kg.example.org/data/
        page = s.get(s.url + "/author/liyuan-liu-b", headers={"Accept": BROWSER}, timeout=30).text
        assert 'href="../paper/2025-on-the-generalization-ability-of-next"' in page
        # through a proxy that passes Host on, absolute links (the JSON-LD context) use the public base
        proxied = s.get(s.url + "/author/liyuan-liu-b.jsonld", headers={"Host": "kg.example.org"}, timeout=30)
        assert proxied.json()["@context"] == "https://kg.example.org/data/ontology/context.jsonld"
        direct = s.get(s.url + "/author/liyuan-liu-b.jsonld", timeout=30)
        assert direct.json()["@context"] == s.url + "/ontology/context.jsonld"
