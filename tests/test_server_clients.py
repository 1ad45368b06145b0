"""Real SPARQL clients against a real `kg serve` on the example graph: SPARQLWrapper and rdflib."""

from __future__ import annotations

import csv
import io

import pytest
import rdflib
from server_fixtures import Server

SPARQLWrapper = pytest.importorskip("SPARQLWrapper")

KG = "https://w3id.org/kg/ontology#"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 25"


@pytest.fixture
def server(example_server: Server) -> Server:
    return example_server  # the session's real `kg serve` on the example graph


def _wrapper(server: Server, query: str, fmt: str, method: str) -> object:
    sw = SPARQLWrapper.SPARQLWrapper(server.endpoint)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw.query().convert()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_json_xml_csv(server: Server, example_db: object, method: str) -> None:
    expected = int(next(iter(example_db.query(COUNT, use_default_graph_as_union=True)))[0].value)  # type: ignore[attr-defined]
    as_json = _wrapper(server, COUNT, SPARQLWrapper.JSON, method)
    assert int(as_json["results"]["bindings"][0]["n"]["value"]) == expected  # type: ignore[index]
    as_xml = _wrapper(server, COUNT, SPARQLWrapper.XML, method)
    literal = as_xml.getElementsByTagName("literal")[0]  # type: ignore[attr-defined]
    assert int(literal.firstChild.data) == expected
    as_csv = _wrapper(server, COUNT, SPARQLWrapper.CSV, method)
    rows = list(csv.reader(io.StringIO(as_csv.decode())))  # type: ignore[attr-defined]
    assert rows == [["n"], [str(expected)]]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_construct_turtle_and_jsonld(server: Server, method: str) -> None:
    turtle = _wrapper(server, CONSTRUCT, SPARQLWrapper.TURTLE, method)
    g = rdflib.Graph().parse(data=turtle, format="turtle")
    assert len(g) == 25
    jsonld = _wrapper(server, CONSTRUCT, SPARQLWrapper.JSONLD, method)
    g2 = jsonld if isinstance(jsonld, rdflib.Graph) else rdflib.Graph().parse(data=jsonld, format="json-ld")
    assert len(g2) == 25


def test_sparqlwrapper_ask(server: Server) -> None:
    result = _wrapper(server, "ASK { ?s ?p ?o }", SPARQLWrapper.JSON, "GET")
    assert result["boolean"] is True  # type: ignore[index]


def test_rdflib_sparqlstore(server: Server) -> None:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(server.endpoint)
    g = rdflib.Graph(store=store)
    rows = list(g.query("SELECT ?s WHERE { ?s a ?type } LIMIT 5"))
    assert len(rows) == 5
    assert all(isinstance(r[0], rdflib.URIRef) for r in rows)
    (ask,) = list(g.query("ASK { ?s ?p ?o }"))
    assert ask is True
    triples = list(store.triples((None, rdflib.RDF.type, None)))
    assert triples
