"""The SPARQL 1.1 Service Description (GET /sparql) and the VoID description (/.well-known/void)."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from kg.formats import GRAPHS, RESULTS

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCT_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
DCT_MODIFIED = ox.NamedNode("http://purl.org/dc/terms/modified")


def _sd(local: str) -> ox.NamedNode:
    return ox.NamedNode(SD + local)


def _void(local: str) -> ox.NamedNode:
    return ox.NamedNode(VOID + local)


def service_description(endpoint: str, *, update: bool, service: bool, void_url: str) -> list[ox.Triple]:
    service_node = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    graph = ox.BlankNode("defaultGraph")
    t: list[ox.Triple] = [
        ox.Triple(service_node, RDF_TYPE, _sd("Service")),
        ox.Triple(service_node, _sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service_node, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service_node, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service_node, _sd("feature"), _sd("EmptyGraphs")),
        ox.Triple(service_node, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), graph),
        ox.Triple(graph, RDF_TYPE, _sd("Graph")),
        ox.Triple(dataset, RDF_TYPE, _void("Dataset")),
        ox.Triple(dataset, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso"), ox.NamedNode(void_url)),
    ]
    if update:
        t.append(ox.Triple(service_node, _sd("supportedLanguage"), _sd("SPARQL11Update")))
    if service:
        t.append(ox.Triple(service_node, _sd("feature"), _sd("BasicFederatedQuery")))
    for iri in [f.results.iri for f in RESULTS if f.results] + [f.rdf.iri for f in GRAPHS if f.rdf]:
        t.append(ox.Triple(service_node, _sd("resultFormat"), ox.NamedNode(iri)))
    return t


def void_description(url: str, endpoint: str, data: dict[str, Any]) -> list[ox.Triple]:
    ds = ox.NamedNode(url + "#dataset")
    counts = data["counts"]
    t: list[ox.Triple] = [
        ox.Triple(ds, RDF_TYPE, _void("Dataset")),
        ox.Triple(ds, DCT_TITLE, ox.Literal("kg knowledge graph")),
        ox.Triple(ds, _void("sparqlEndpoint"), ox.NamedNode(endpoint)),
    ]
    for key, prop in (
        ("triples", "triples"),
        ("entities", "entities"),
        ("classes", "classes"),
        ("properties", "properties"),
    ):
        t.append(ox.Triple(ds, _void(prop), ox.Literal(str(int(counts.get(key, 0))), datatype=XSD_INTEGER)))
    for iri in data.get("examples", []):
        t.append(ox.Triple(ds, _void("exampleResource"), ox.NamedNode(iri)))
    for ns in data.get("vocabularies", []):
        try:
            t.append(ox.Triple(ds, _void("vocabulary"), ox.NamedNode(ns)))
        except ValueError:
            continue
    for graph, mark in sorted((data.get("sources") or {}).items()):
        t.extend(_source(ds, graph, mark))
    return t


def _source(ds: ox.NamedNode, graph: str, mark: dict[str, Any]) -> list[ox.Triple]:
    """A source graph as a subset of the dataset, with its dcterms:modified: the newest date its
    records give (dblp's mdate, OpenAlex's updated_date, Crossref's indexed date), else when it was
    last built or synced (kg.sync.watermark)."""
    try:
        subset = ox.NamedNode(graph)
    except ValueError:
        return []
    found = [ox.Triple(ds, _void("subset"), subset), ox.Triple(subset, RDF_TYPE, _void("Dataset"))]
    modified, synced = mark.get("modified"), mark.get("synced_at")
    if isinstance(modified, str):
        found.append(ox.Triple(subset, DCT_MODIFIED, ox.Literal(modified, datatype=XSD_DATE)))
    elif isinstance(synced, str):
        found.append(ox.Triple(subset, DCT_MODIFIED, ox.Literal(synced, datatype=XSD_DATETIME)))
    return found
