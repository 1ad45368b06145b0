"""Corrections by hand as RDF: who (prov:wasAttributedTo a prov:Agent with a foaf:name), when
(prov:generatedAtTime; once undone prov:invalidatedAtTime, prov:wasInvalidatedBy the undoing, a
prov:Activity at BASE/curation/ID/undo associated with who undid it, and dcterms:isReplacedBy a
newer one) and why (dcterms:description), on a kg:Curation (a kg:IdentityVerdict: kg:comparedRow,
kg:verdict) at BASE/curation/ID. A build writes every one into the identity graph with
kg:curationStatus (and kg:reason when not applied; "undone" for one undone), so `kg export` carries
them; `kg curate export` writes them alone. `read` takes them back from a store (`kg load` of such
an export: kg.build.load), so the round trip keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox

from kg.errors import KgError
from kg.identity.curation import VERDICTS, Correction, Outcome
from kg.iris import Minter, segment
from kg.nquads import iri, literal, typed
from kg.terms import KG, RDF_TYPE

PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF_NAME = "http://xmlns.com/foaf/0.1/name"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
UNDONE = "undone"  # the kg:curationStatus of a correction undone (or superseded: dcterms:isReplacedBy)
PREFIXES = {"kg": KG.Curation.rsplit("#", 1)[0] + "#", "prov": PROV, "dcterms": DCTERMS,
            "foaf": "http://xmlns.com/foaf/0.1/", "xsd": "http://www.w3.org/2001/XMLSchema#"}


def curation_iri(minter: Minter, c: Correction) -> str:
    return f"{minter.base}curation/{c.id}"


def _agent(minter: Minter, name: str) -> Iterator[tuple[str, str, str]]:
    agent = iri(f"{minter.base}curator/{segment(name)}")
    yield agent, iri(RDF_TYPE), iri(PROV + "Agent")
    yield agent, iri(FOAF_NAME), literal(name)


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
    yield from _agent(minter, c.by)
    if c.undone is not None:
        yield node, iri(PROV + "invalidatedAtTime"), typed(str(c.undone["at"]), XSD_DATETIME)
        if c.undone.get("by") is not None:  # who undid it: the undoing's agent
            undoing = iri(curation_iri(minter, c) + "/undo")
            yield node, iri(PROV + "wasInvalidatedBy"), undoing
            yield undoing, iri(RDF_TYPE), iri(PROV + "Activity")
            yield undoing, iri(PROV + "wasAssociatedWith"), iri(f"{minter.base}curator/{segment(str(c.undone['by']))}")
            yield from _agent(minter, str(c.undone["by"]))
        if c.undone.get("superseded_by") is not None:
            replaced = Correction(int(c.undone["superseded_by"]), c.verdict, c.rows, c.why, c.by, c.at)
            yield node, iri(DCTERMS + "isReplacedBy"), iri(curation_iri(minter, replaced))


def curation_lines(outcomes: Iterable[Outcome], minter: Minter, graph: str) -> Iterator[str]:
    """N-Quads of the corrections a build applied or reported, and of those undone (status UNDONE),
    in `graph` (an N-Triples IRI term)."""
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


def read(store: ox.Store) -> list[Correction]:
    """The corrections by hand a store holds as RDF (as `_triples` writes them, in any graph: a
    `kg export` of a store, a `kg curate export`), by id; one whose IRI is not BASE/curation/ID gets
    id 0 (the caller numbers it). A KgError naming the correction when one is not a correction kg
    can apply (its verdict, rows, why, who or when missing or not one)."""
    out: dict[str, Correction] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(KG.Curation)):
        node = q.subject
        if isinstance(node, ox.NamedNode | ox.BlankNode) and str(node) not in out:  # a blank node: written by hand
            out[str(node)] = _correction(store, node)
    return sorted(out.values(), key=lambda c: c.id)


Node = ox.NamedNode | ox.BlankNode
Term = ox.NamedNode | ox.BlankNode | ox.Literal


def _values(store: ox.Store, node: Node, predicate: str) -> list[Term]:
    """The distinct objects of `node`'s `predicate`, in any graph."""
    found: dict[str, Term] = {}
    for q in store.quads_for_pattern(node, ox.NamedNode(predicate), None):
        if isinstance(q.object, ox.NamedNode | ox.BlankNode | ox.Literal):
            found.setdefault(str(q.object), q.object)
    return list(found.values())


def _term(store: ox.Store, node: Node, predicate: str, what: str) -> Term:
    values = _values(store, node, predicate)
    if len(values) != 1 or not values[0].value:
        raise KgError(f"{node}: a correction by hand needs one {what} (<{predicate}>), not {len(values)}")
    return values[0]


def _one(store: ox.Store, node: Node, predicate: str, what: str) -> str:
    return _term(store, node, predicate, what).value


def _name(store: ox.Store, node: Node, agent: Term, what: str) -> str:
    """The one foaf:name of `agent` (an IRI or a blank node; a literal has none)."""
    names = set() if isinstance(agent, ox.Literal) else {v.value for v in _values(store, agent, FOAF_NAME)}
    if len(names) != 1:
        raise KgError(f"{node}: {what} {agent} needs one name (<{FOAF_NAME}>), not {len(names)}")
    return names.pop()


def _number(node: str) -> int:
    tail = node.rpartition("/curation/")[2]
    return int(tail) if tail.isascii() and tail.isdigit() and int(tail) > 0 else 0


def _correction(store: ox.Store, node: Node) -> Correction:
    verdict = _one(store, node, KG.verdict, "verdict")
    if verdict not in VERDICTS:
        raise KgError(f"{node}: a correction's verdict is {' or '.join(VERDICTS)}, not {verdict!r}")
    rows = sorted(v.value for v in _values(store, node, KG.comparedRow) if isinstance(v, ox.NamedNode))
    if len(rows) != 2:
        raise KgError(f"{node}: a correction by hand compares two rows (<{KG.comparedRow}>), not {len(rows)}")
    by = _name(store, node, _term(store, node, PROV + "wasAttributedTo", "curator"), "its curator")
    undone: dict[str, Any] | None = None
    ended = _values(store, node, PROV + "invalidatedAtTime")
    if ended:
        undone = {"by": "unknown", "at": ended[0].value}  # who undid it: in kg's exports since the undoing
        undoings = [v for v in _values(store, node, PROV + "wasInvalidatedBy") if not isinstance(v, ox.Literal)]
        for undoing in undoings[:1]:
            who = _values(store, undoing, PROV + "wasAssociatedWith")
            if who:
                undone["by"] = _name(store, node, who[0], "the undoing's agent")
        newer = [_number(v.value) for v in _values(store, node, DCTERMS + "isReplacedBy")]
        if newer and newer[0]:
            undone["superseded_by"] = newer[0]
    why = _one(store, node, DCTERMS + "description", "why")
    number = _number(node.value) if isinstance(node, ox.NamedNode) else 0
    return Correction(number, verdict, (rows[0], rows[1]), why, by,
                      _one(store, node, PROV + "generatedAtTime", "time"), undone)
