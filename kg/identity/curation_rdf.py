"""Corrections by hand as RDF: who (prov:wasAttributedTo a prov:Agent with a foaf:name), when
(prov:generatedAtTime; prov:invalidatedAtTime once undone, dcterms:isReplacedBy a newer one) and why
(dcterms:description), on a kg:Curation (a kg:IdentityVerdict: kg:comparedRow, kg:verdict) at
BASE/curation/ID. A build writes the active ones into the identity graph with kg:curationStatus
(and kg:reason when not applied); `kg curate export` writes every one, undone ones too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from kg.identity.curation import Correction, Outcome
from kg.iris import Minter, segment
from kg.nquads import iri, literal, typed
from kg.terms import KG, RDF_TYPE

PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF_NAME = "http://xmlns.com/foaf/0.1/name"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
PREFIXES = {"kg": KG.Curation.rsplit("#", 1)[0] + "#", "prov": PROV, "dcterms": DCTERMS,
            "foaf": "http://xmlns.com/foaf/0.1/", "xsd": "http://www.w3.org/2001/XMLSchema#"}


def curation_iri(minter: Minter, c: Correction) -> str:
    return f"{minter.base}curation/{c.id}"


def _triples(minter: Minter, c: Correction) -> Iterator[tuple[str, str, str]]:
    """(subject, predicate, object) of one correction, as N-Triples terms."""
    node = iri(curation_iri(minter, c))
    agent = iri(f"{minter.base}curator/{segment(c.by)}")
    yield node, iri(RDF_TYPE), iri(KG.Curation)
    yield node, iri(RDF_TYPE), iri(PROV + "Entity")
    for row in c.rows:
        yield node, iri(KG.comparedRow), iri(row)
    yield node, iri(KG.verdict), literal(c.verdict)
    yield node, iri(DCTERMS + "description"), literal(c.why)
    yield node, iri(PROV + "generatedAtTime"), typed(c.at, XSD_DATETIME)
    yield node, iri(PROV + "wasAttributedTo"), agent
    yield agent, iri(RDF_TYPE), iri(PROV + "Agent")
    yield agent, iri(FOAF_NAME), literal(c.by)
    if c.undone is not None:
        yield node, iri(PROV + "invalidatedAtTime"), typed(str(c.undone["at"]), XSD_DATETIME)
        if c.undone.get("superseded_by") is not None:
            replaced = Correction(int(c.undone["superseded_by"]), c.verdict, c.rows, c.why, c.by, c.at)
            yield node, iri(DCTERMS + "isReplacedBy"), iri(curation_iri(minter, replaced))


def curation_lines(outcomes: Iterable[Outcome], minter: Minter, graph: str) -> Iterator[str]:
    """N-Quads of the corrections a build applied or reported, in `graph` (an N-Triples IRI term)."""
    for o in outcomes:
        for s, p, obj in _triples(minter, o.correction):
            yield f"{s} {p} {obj} {graph} .\n"
        node = iri(curation_iri(minter, o.correction))
        yield f"{node} {iri(KG.curationStatus)} {literal(o.status)} {graph} .\n"
        if o.note:
            yield f"{node} {iri(KG.reason)} {literal(o.note)} {graph} .\n"


def export(corrections: Iterable[Correction], minter: Minter, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> bytes:
    """Every correction (undone ones too) as RDF in `fmt`."""
    text = "".join(f"{s} {p} {o} .\n" for c in corrections for s, p, o in _triples(minter, c))
    graph = ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return ox.serialize(graph, format=fmt, prefixes=PREFIXES) or b""
