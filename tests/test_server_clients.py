"""Real SPARQL clients against a real `kg serve` on the example graph: SPARQLWrapper and rdflib."""

from __future__ import annotations

import csv
import io
from pathlib import Path

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


# -- every format SPARQLWrapper offers, and rdflib's SPARQLStore in XML and JSON

@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv", "turtle", "n3", "rdf", "rdf+xml", "json-ld"])
def test_sparqlwrapper_in_every_format_it_offers(server: Server, fmt: str) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # SPARQLWrapper warns when a format does not fit a form
        for query in (COUNT, CONSTRUCT, "ASK { ?s ?p ?o }"):
            sw = SPARQLWrapper.SPARQLWrapper(server.endpoint)
            sw.setQuery(query)
            sw.setReturnFormat(fmt)
            if query.startswith("ASK") and fmt in ("csv", "tsv"):
                with pytest.raises(Exception, match="406"):  # no standard boolean in CSV/TSV
                    sw.query()
                continue
            result = sw.query()
            ctype = result.info()["content-type"]
            out = result.convert()
            if query is CONSTRUCT:
                g = out if isinstance(out, rdflib.Graph) else rdflib.Graph().parse(
                    data=out, format=rdflib.util.guess_format("x.ttl") if "turtle" in ctype else "xml")
                assert len(g) == 25, (fmt, ctype)
            elif query is COUNT:
                assert out, (fmt, ctype)
            else:
                text = out.toxml() if hasattr(out, "toxml") else str(out)  # type: ignore[union-attr]
                assert "true" in text.lower() or (isinstance(out, dict) and out["boolean"] is True), (fmt, ctype)


@pytest.mark.parametrize("return_format", ["xml", "json"])
def test_rdflib_sparqlstore_select_ask_construct(server: Server, return_format: str) -> None:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    g = rdflib.Graph(store=SPARQLStore(server.endpoint, returnFormat=return_format))
    rows = list(g.query("SELECT ?s WHERE { ?s a ?type } LIMIT 5"))
    assert len(rows) == 5 and all(isinstance(r[0], rdflib.URIRef) for r in rows)  # type: ignore[index]
    assert list(g.query("ASK { ?s ?p ?o }")) == [True]
    constructed = g.query(CONSTRUCT).graph
    assert constructed is not None and len(constructed) == 25


# -- Comunica (npm @comunica/query-sparql, installed by package.json; undici pinned to 7.x for Node 20)

def _comunica(server: Server, query: str) -> str:
    import os
    import subprocess

    from server_fixtures import ROOT

    modules = Path(os.environ.get("KG_NODE_MODULES", ROOT / "node_modules"))
    if not (modules / "@comunica" / "query-sparql").is_dir():
        if os.environ.get("CI"):
            pytest.fail("@comunica/query-sparql is missing in CI: .ci/run installs package.json with npm ci")
        pytest.skip("@comunica/query-sparql not installed (npm ci; KG_NODE_MODULES points elsewhere)")
    run = subprocess.run(["node", str(ROOT / "tests" / "comunica_query.cjs"), server.endpoint, query],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "NODE_PATH": str(modules)})
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_comunica_select_and_construct(server: Server) -> None:
    import json

    rows = json.loads(_comunica(server, "SELECT ?s WHERE { ?s a ?type } ORDER BY ?s LIMIT 5"))
    assert len(rows["results"]["bindings"]) == 5
    assert all(b["s"]["type"] == "uri" for b in rows["results"]["bindings"])
    triples = _comunica(server, CONSTRUCT)
    assert len(rdflib.Graph().parse(data=triples, format="nt")) == 25
