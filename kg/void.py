"""The VoID description's data: counts, example resources and the vocabularies a store uses.

The server turns it into the VoID triples of its service description (kg.server.service_description).
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from kg.backend import Backend
from kg.errors import KgError

_COUNTS = {
    "triples": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "entities": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?s)) }",
    "classes": "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }",
    "properties": "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }",
}
_EXAMPLES = "SELECT ?c (SAMPLE(?s) AS ?x) WHERE { ?s a ?c FILTER(isIRI(?s)) } GROUP BY ?c ORDER BY ?c LIMIT 10"
_PREDICATES = "SELECT DISTINCT ?p WHERE { ?s ?p ?o }"


def void_data(data: Backend) -> dict[str, Any]:
    """{"counts": {triples, entities, classes, properties}, "examples": [IRI], "vocabularies": [namespace]}."""
    counts: dict[str, int] = {}
    for key, query in _COUNTS.items():
        rows = data.select_terms(query)
        n = rows[0].get("n") if rows else None
        counts[key] = int(n.value) if isinstance(n, ox.Literal) else 0
    examples = sorted({x.value for r in data.select_terms(_EXAMPLES) if isinstance(x := r.get("x"), ox.NamedNode)})
    vocabularies = sorted({_namespace(p.value) for r in data.select_terms(_PREDICATES)
                           if isinstance(p := r.get("p"), ox.NamedNode)})
    return {"counts": counts, "examples": examples, "vocabularies": vocabularies, "sources": _sources(data)}


def _sources(data: Backend) -> dict[str, dict[str, Any]]:
    """A store's watermark per source graph (kg.sync.watermark, from its build.json); none for an engine."""
    directory = getattr(data, "directory", None)
    meta = getattr(directory, "meta", None)
    if meta is None:
        return {}
    try:
        found = meta().get("sources") or {}
    except KgError:  # a store without a readable build.json: described without its sources
        return {}
    return {g: w for g, w in found.items() if isinstance(w, dict)}


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > 0 else iri
