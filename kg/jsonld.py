"""JSON-LD: the context derived from the ontology, and streaming compacted output."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

import pyoxigraph as ox

from kg.ontology import context_path, ontology_path
from kg.terms import NS, RDF_TYPE, XSD_STRING

PREFIXES = {
    "kg": NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "fabio": "http://purl.org/spar/fabio/",
    "pro": "http://purl.org/spar/pro/",
    "bibo": "http://purl.org/ontology/bibo/",
    "dblp": "https://dblp.org/rdf/schema#",
}

_QUERY = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?term ?kind ?range WHERE {
  ?term a ?kind . FILTER(?kind IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty))
  OPTIONAL { ?term rdfs:range ?range }
}
"""


def build_context() -> dict[str, Any]:
    """The JSON-LD context of ontology/kg.ttl: a term per class and property, with type coercion."""
    store = ox.Store()
    store.load(path=str(ontology_path()), format=ox.RdfFormat.TURTLE)
    terms: dict[str, Any] = {}
    solutions = store.query(_QUERY)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        iri = row["term"].value
        if not iri.startswith(NS):
            continue
        local = iri[len(NS) :]
        kind = row["kind"].value.rsplit("#", 1)[1]
        rng = row["range"].value if row["range"] is not None else None
        if kind == "Class":
            terms[local] = f"kg:{local}"
        elif kind == "ObjectProperty":
            terms[local] = {"@id": f"kg:{local}", "@type": "@id"}
        elif rng and rng != XSD_STRING and rng.startswith(PREFIXES["xsd"]):
            terms[local] = {"@id": f"kg:{local}", "@type": "xsd:" + rng[len(PREFIXES["xsd"]) :]}
        else:
            terms[local] = f"kg:{local}"
    terms["label"] = "rdfs:label"
    context = dict(PREFIXES)
    context.update(dict(sorted(terms.items())))
    return {"@context": context}


def load_context() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(context_path().read_text(encoding="utf-8"))
    return data


class Compactor:
    """Writes node objects with the terms of a context: coerced values as plain strings."""

    def __init__(self, context: dict[str, Any]) -> None:
        ctx = context["@context"]
        self._by_iri: dict[str, tuple[str, str | None]] = {}
        for term, definition in ctx.items():
            if isinstance(definition, str):
                iri, coercion = definition, None
            else:
                iri, coercion = definition["@id"], definition.get("@type")
            iri = self._expand(ctx, iri)
            if coercion and coercion != "@id":
                coercion = self._expand(ctx, coercion)
            if iri != term and term not in PREFIXES:
                self._by_iri[iri] = (term, coercion)

    @staticmethod
    def _expand(ctx: dict[str, Any], value: str) -> str:
        prefix, _, local = value.partition(":")
        base = ctx.get(prefix)
        return base + local if isinstance(base, str) and local and not local.startswith("//") else value

    def node(self, subject: ox.NamedNode | ox.BlankNode, triples: Iterable[ox.Quad | ox.Triple]) -> dict[str, Any]:
        node: dict[str, Any] = {"@id": _id(subject)}
        for t in triples:
            p, o = t.predicate.value, t.object
            if p == RDF_TYPE and isinstance(o, ox.NamedNode):
                node.setdefault("@type", []).append(self._by_iri.get(o.value, (o.value, None))[0])
                continue
            term, coercion = self._by_iri.get(p, (p, None))
            node.setdefault(term, []).append(self._value(o, coercion))
        return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in node.items()}

    @staticmethod
    def _value(o: object, coercion: str | None) -> Any:
        if isinstance(o, ox.NamedNode | ox.BlankNode):
            return _id(o) if coercion == "@id" else {"@id": _id(o)}
        assert isinstance(o, ox.Literal)
        if o.language:
            return {"@value": o.value, "@language": o.language}
        dt = o.datatype.value
        if coercion is None and dt == XSD_STRING:
            return o.value
        if coercion == dt:
            return o.value
        return {"@value": o.value, "@type": dt}


def _id(term: ox.NamedNode | ox.BlankNode) -> str:
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _grouped(quads: Iterable[ox.Quad]) -> Iterator[tuple[Any, list[ox.Quad]]]:
    current: Any = None
    group: list[ox.Quad] = []
    for q in quads:
        if group and q.subject != current:
            yield current, group
            group = []
        current = q.subject
        group.append(q)
    if group:
        yield current, group


def write_dataset(store: ox.Store, out: IO[bytes], context: dict[str, Any] | None = None) -> None:
    """Stream the whole store as one compacted JSON-LD document: named graphs as @graph objects."""
    context = context or load_context()
    compactor = Compactor(context)
    out.write(b'{"@context": ' + json.dumps(context["@context"], ensure_ascii=False).encode() + b',\n"@graph": [')
    first = True

    def emit(obj: dict[str, Any], prefix: bytes = b"") -> None:
        nonlocal first
        out.write((b"\n" if first else b",\n") + prefix + json.dumps(obj, ensure_ascii=False).encode())
        first = False

    for subject, group in _grouped(store.quads_for_pattern(None, None, None, ox.DefaultGraph())):
        emit(compactor.node(subject, group))
    for graph in sorted(store.named_graphs(), key=lambda g: g.value):
        head = json.dumps({"@id": _id(graph)}, ensure_ascii=False)[:-1].encode() + b', "@graph": ['
        out.write((b"\n" if first else b",\n") + head)
        first_in_graph = True
        for subject, group in _grouped(store.quads_for_pattern(None, None, None, graph)):
            out.write(
                (b"\n" if first_in_graph else b",\n")
                + json.dumps(compactor.node(subject, group), ensure_ascii=False).encode()
            )
            first_in_graph = False
        out.write(b"]}")
        first = False
    out.write(b"\n]}\n")
