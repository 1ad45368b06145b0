"""The SHACL core shapes checked on the Oxigraph store itself, for a set of focus nodes.

What a sync's touched resources need: instead of copying each chunk's neighbourhood into rdflib and
running pyshacl on it, the focus nodes' values on each shape's paths (and the values' classes) are
read from the store by index lookups on the nodes, and the constraints the
shapes use are checked on them with pyshacl's own semantics: the same terms (kg.validate's rdflib
conversion), the same messages (the shape's sh:message, else pyshacl's generic one), the same
focus, path and value. tests/test_shapes_store.py checks both paths equal on broken generated graphs.

A shape this module does not understand (a path that is not one predicate, a constraint not in
`UNDERSTOOD`, a node-level constraint) is not guessed at: its focus nodes are validated by pyshacl,
with that shape only (`Plan.fallback`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH, XSD

from kg.ontology import ONTOLOGY_GRAPH
from kg.terms import RDF_TYPE

# the constraint parameters of a property shape the store path checks; anything else: pyshacl
UNDERSTOOD = frozenset({
    SH.path, SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH.nodeKind, SH.pattern, SH["in"],
    SH.minLength, SH.minInclusive, SH.message, SH.name, SH.description,
})
NODE_SHAPE_KEYS = frozenset({RDF.type, SH.targetClass, SH.property})


@dataclass(frozen=True)
class Found:
    """One validation result, as kg.validate.Violation holds it."""

    focus: str
    message: str
    path: str
    value: str | None


@dataclass
class PropertyShape:
    path: rdflib.URIRef
    params: dict[rdflib.URIRef, list[rdflib.term.Node]]
    message: str | None
    # the shapes graph it came from: its sh:in lists, and the prefixes pyshacl names terms with
    names: rdflib.Graph = field(default_factory=rdflib.Graph, repr=False, compare=False)


@dataclass
class NodeShape:
    iri: rdflib.term.Node
    targets: list[rdflib.URIRef]
    properties: list[PropertyShape] = field(default_factory=list)


@dataclass
class Plan:
    """The shapes split: those checked on the store, and a shapes graph of the others for pyshacl."""

    shapes: list[NodeShape]
    fallback: rdflib.Graph
    fallback_targets: frozenset[str]


def plan(shapes_graph: rdflib.Graph) -> Plan:
    """Splits `shapes_graph` (core constraints only, no sh:sparql) into what the store path checks
    and what it leaves to pyshacl."""
    understood: list[NodeShape] = []
    fallback = rdflib.Graph()
    fallback.namespace_manager = shapes_graph.namespace_manager
    fallback_targets: set[str] = set()
    for iri in sorted(set(shapes_graph.subjects(RDF.type, SH.NodeShape)), key=str):
        shape = _node_shape(shapes_graph, iri)
        if shape is not None:
            understood.append(shape)
            continue
        for triple in _closure(shapes_graph, iri):
            fallback.add(triple)
        fallback_targets |= {str(t) for t in shapes_graph.objects(iri, SH.targetClass)}
    return Plan(understood, fallback, frozenset(fallback_targets))


def _node_shape(graph: rdflib.Graph, iri: rdflib.term.Node) -> NodeShape | None:
    if set(graph.predicates(iri, None)) - NODE_SHAPE_KEYS:
        return None
    targets = [t for t in graph.objects(iri, SH.targetClass) if isinstance(t, rdflib.URIRef)]
    shape = NodeShape(iri, sorted(targets))
    for node in graph.objects(iri, SH.property):
        params: dict[rdflib.URIRef, list[rdflib.term.Node]] = defaultdict(list)
        for p, o in graph.predicate_objects(node):
            assert isinstance(p, rdflib.URIRef)
            params[p].append(o)
        paths = params.get(SH.path, [])
        if set(params) - UNDERSTOOD or len(paths) != 1 or not isinstance(paths[0], rdflib.URIRef):
            return None
        if any(len(v) != 1 for k, v in params.items() if k not in (SH["class"], SH.pattern, SH.message)):
            return None
        messages = params.get(SH.message, [])
        if len(messages) > 1:
            return None
        shape.properties.append(PropertyShape(paths[0], dict(params), str(messages[0]) if messages else None, graph))
    return shape


def _closure(graph: rdflib.Graph, node: rdflib.term.Node) -> Iterator[tuple[Any, Any, Any]]:
    """The triples of `node` and of the blank nodes it reaches (a shape and its property shapes)."""
    todo, seen = [node], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in graph.predicate_objects(n):
            yield n, p, o
            if isinstance(o, rdflib.BNode):
                todo.append(o)


@cache
def _generic_graph() -> rdflib.Graph:
    """An empty data graph: its namespace manager is the one pyshacl names focus nodes with."""
    return rdflib.Graph()


def check(store: ox.Store, focus: Iterable[ox.NamedNode], the_plan: Plan, to_rdflib: Any) -> list[Found]:
    """The violations of the understood shapes by the `focus` nodes that they target."""
    nodes = sorted(set(focus), key=lambda n: n.value)
    types = _values(store, nodes, [ox.NamedNode(RDF_TYPE)], to_rdflib)
    found: list[Found] = []
    for shape in the_plan.shapes:
        targets = set(shape.targets)
        targeted = [n for n in nodes if targets & types.get((n.value, RDF_TYPE), set())]
        if not targeted or not shape.properties:
            continue
        paths = sorted({ox.NamedNode(str(p.path)) for p in shape.properties}, key=lambda n: n.value)
        values = _values(store, targeted, paths, to_rdflib)
        classes = _classes_of_values(store, shape, targeted, values, to_rdflib)
        for prop in shape.properties:
            for node in targeted:
                vs = values.get((node.value, str(prop.path)), set())
                found += _violations(node.value, prop, vs, classes)
    return found


def _values(
    store: ox.Store, subjects: list[ox.NamedNode], predicates: list[ox.NamedNode], to_rdflib: Any
) -> dict[tuple[str, str], set[Any]]:
    """{(subject, predicate): its objects as rdflib terms}, over every data graph (the ontology's left
    out, as the neighbourhood pyshacl sees leaves it out): index lookups on the subject (a SPARQL
    query with the subjects in VALUES and a UNION of the named and default graphs was evaluated as
    a scan of the store, 50 times slower than pyshacl)."""
    out: dict[tuple[str, str], set[Any]] = defaultdict(set)
    wanted = {p.value for p in predicates}
    one = predicates[0] if len(predicates) == 1 else None
    for s in subjects:
        for quad in store.quads_for_pattern(s, one, None, None):
            g = quad.graph_name
            if quad.predicate.value in wanted and not (isinstance(g, ox.NamedNode) and g.value == ONTOLOGY_GRAPH):
                out[(s.value, quad.predicate.value)].add(to_rdflib(quad.object))
    return out


def _classes_of_values(
    store: ox.Store, shape: NodeShape, targeted: list[ox.NamedNode], values: dict[tuple[str, str], set[Any]],
    to_rdflib: Any,
) -> dict[Any, set[Any]]:
    """{value: its rdf:types} for the IRI values of the paths with an sh:class."""
    paths = {str(p.path) for p in shape.properties if SH["class"] in p.params}
    wanted = {v for node in targeted for path in paths for v in values.get((node.value, path), ())
              if isinstance(v, rdflib.URIRef)}
    if not wanted:
        return {}
    nodes = sorted((ox.NamedNode(str(v)) for v in wanted), key=lambda n: n.value)
    types = _values(store, nodes, [ox.NamedNode(RDF_TYPE)], to_rdflib)
    return {rdflib.URIRef(s): cs for (s, _), cs in types.items()}


def _violations(focus: str, prop: PropertyShape, values: set[Any], classes: dict[Any, set[Any]]) -> list[Found]:
    """pyshacl's results for one focus node and one property shape (kg/validate.py's plain path)."""
    out: list[Found] = []
    path = str(prop.path)

    def report(generic: str, value: Any = None) -> None:
        message = prop.message if prop.message is not None else generic
        # a blank value is not named in the report (kg.validate._str), as in pyshacl's
        named = value is not None and not isinstance(value, rdflib.BNode)
        out.append(Found(focus, message, path, str(value) if named else None))

    params = prop.params
    if SH.minCount in params:
        n = _int(params[SH.minCount][0])
        if len(values) < n:
            report(f"Less than {n} values on {_focus_string(focus)}->{_name(prop.names, prop.path)}")
    if SH.maxCount in params:
        n = _int(params[SH.maxCount][0])
        if len(values) > n:
            report(f"More than {n} values on {_focus_string(focus)}->{_name(prop.names, prop.path)}")
    for v in sorted(values, key=str):
        for klass in params.get(SH["class"], []):
            if isinstance(v, rdflib.Literal) or klass not in classes.get(v, set()):
                report(f"Value does not have class {_name(prop.names, klass)}", v)
        if SH.datatype in params:
            datatype = params[SH.datatype][0]
            if not _has_datatype(v, datatype):
                report(f"Value is not Literal with datatype {_name(prop.names, datatype)}", v)
        if SH.nodeKind in params and not _has_kind(v, params[SH.nodeKind][0]):
            report(f"Value is not of Node Kind {_name(prop.names, params[SH.nodeKind][0])}", v)
        for pattern in params.get(SH.pattern, []):
            if isinstance(v, rdflib.BNode) or not _pattern(str(pattern)).search(str(v)):
                report(f"Value does not match pattern '{pattern}'", v)
        if SH["in"] in params and v not in _in_values(prop.names, params[SH["in"]][0]):
            report(f"Value {_literal_name(v)} not in list {_in_names(prop.names, params[SH['in']][0])}", v)
        if SH.minLength in params:
            n = _int(params[SH.minLength][0])
            if n > 0 and (isinstance(v, rdflib.BNode) or len(str(v)) < n):
                report(f"String length not >= {_literal_name(params[SH.minLength][0])}", v)
        if SH.minInclusive in params and not _at_least(v, params[SH.minInclusive][0]):
            report(f"Value is not >= {_name(prop.names, params[SH.minInclusive][0])}", v)
    return out


def _int(node: rdflib.term.Node) -> int:
    assert isinstance(node, rdflib.Literal)
    return int(node)


def _has_datatype(v: Any, datatype: rdflib.term.Node) -> bool:
    """pyshacl's DatatypeConstraintComponent, for the datatypes it knows (others: any literal of it)."""
    if not isinstance(v, rdflib.Literal):
        return False
    if v.datatype == datatype:
        if getattr(v, "ill_typed", None) is True:
            return False
        return _actual(v.value, datatype)
    if datatype == rdflib.RDFS.Literal:
        return True
    if datatype == rdflib.RDFS.Datatype and v.datatype:
        return True
    if v.datatype is None and v.language is None and datatype == XSD.string:
        return _actual(v.value, datatype)
    if datatype == RDF.langString and v.language:
        return _actual(v.value, datatype)
    return False


def _actual(value: Any, datatype: rdflib.term.Node) -> bool:
    from datetime import date, datetime, time
    from decimal import Decimal

    kinds: dict[rdflib.term.Node, type | tuple[type, ...]] = {
        XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
        XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime,
    }
    kind = kinds.get(datatype)
    return kind is None or isinstance(value, kind)


def _has_kind(v: Any, kind: rdflib.term.Node) -> bool:
    if isinstance(v, rdflib.BNode):
        return kind in (SH.BlankNode, SH.BlankNodeOrLiteral, SH.BlankNodeOrIRI)
    if isinstance(v, rdflib.Literal):
        return kind in (SH.Literal, SH.BlankNodeOrLiteral, SH.IRIOrLiteral)
    return kind in (SH.IRI, SH.IRIOrLiteral, SH.BlankNodeOrIRI)


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _in_values(names: rdflib.Graph, head: rdflib.term.Node) -> list[rdflib.term.Node]:
    return list(rdflib.collection.Collection(names, head))


def _in_names(names: rdflib.Graph, head: rdflib.term.Node) -> str:
    from pyshacl.rdfutil.stringify import stringify_node

    return str([stringify_node(names, v) for v in _in_values(names, head)])


def _at_least(v: Any, minimum: rdflib.term.Node) -> bool:
    """pyshacl's MinInclusiveConstraintComponent: a literal comparable with `minimum`, not below it."""
    from pyshacl.rdfutil.compare import compare_literal

    assert isinstance(minimum, rdflib.Literal)
    if not isinstance(v, rdflib.Literal):
        return False
    if isinstance(minimum.value, str) != isinstance(v.value, str):
        return False
    try:
        compare: Any = compare_literal
        return bool(compare(v, minimum) >= 0)
    except (TypeError, NotImplementedError):
        return False


def _name(names: rdflib.Graph, node: rdflib.term.Node) -> str:
    from pyshacl.rdfutil.stringify import stringify_node

    return str(stringify_node(names, node))


def _literal_name(node: rdflib.term.Node) -> str:
    from pyshacl.rdfutil.stringify import stringify_node

    return str(stringify_node(_generic_graph(), node))


def _focus_string(focus: str) -> str:
    from pyshacl.rdfutil.stringify import stringify_node

    return str(stringify_node(_generic_graph(), rdflib.URIRef(focus)))
