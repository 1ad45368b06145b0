"""SHACL validation of a store against ontology/shapes.ttl, with pyshacl.

The core constraints run in pyshacl. The SHACL-SPARQL constraints (unique positions, cluster
keys) run as SPARQL on the store itself, where they are index joins, instead of once per focus node
in rdflib (100 times slower on the example already).

A graph that fits in memory (up to `full_limit` data triples) is validated whole in rdflib. A
larger one is validated per class, in chunks of focus nodes: each chunk is the nodes' own triples
plus those of the nodes they point to (one hop is all the shapes look at). `sample` limits the
focus nodes per class, taken evenly spaced through the class, for a quick check of a huge store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from itertools import islice
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH

import kg.shapes_store as shapes_store
from kg.errors import KgError
from kg.ontology import ONTOLOGY_GRAPH, ontology_dir
from kg.terms import KG, RDF_TYPE, XSD_STRING

CLASSES = (KG.Paper, KG.Authorship, KG.AuthorRow, KG.NameCluster, KG.Venue)
FULL_LIMIT = 1_000_000
CHUNK = 2_000
DEFAULT_SAMPLE = 2_000


@dataclass
class Violation:
    focus: str
    message: str
    path: str | None = None
    value: str | None = None
    shape: str | None = None


@dataclass
class Report:
    conforms: bool
    mode: str
    focus_nodes: dict[str, int] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    graph: rdflib.Graph = field(default_factory=rdflib.Graph, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["graph"]
        return data


@cache
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(ontology_dir() / "shapes.ttl", format="turtle")


@dataclass(frozen=True)
class SparqlConstraint:
    target: str
    shape: str
    message: str
    select: str


@cache
def _split_shapes() -> tuple[rdflib.Graph, tuple[SparqlConstraint, ...]]:
    """The shapes without their sh:sparql constraints, and those constraints ready for Oxigraph."""
    graph = shapes()
    core = rdflib.Graph()
    constraints: list[SparqlConstraint] = []
    skip: set[rdflib.term.Node] = set()
    for shape, node in graph.subject_objects(SH.sparql):
        skip.add(node)
        prefixes = "".join(
            f"PREFIX {graph.value(d, SH.prefix)}: <{graph.value(d, SH.namespace)}>\n"
            for d in graph.objects(graph.value(node, SH.prefixes), SH.declare)
        )
        select = prefixes + str(graph.value(node, SH.select)).replace("$this", "?this")
        for target in graph.objects(shape, SH.targetClass):
            constraints.append(SparqlConstraint(str(target), str(shape), str(graph.value(node, SH.message)), select))
    for s, p, o in graph:
        if p != SH.sparql and s not in skip:
            core.add((s, p, o))
    return core, tuple(constraints)


def _sparql_violations(store: ox.Store, focus: set[str] | None, bind: bool = False) -> list[Violation]:
    """The SHACL-SPARQL constraints' violations, of the `focus` nodes only when given. With `bind`,
    each query is given the focus nodes (`VALUES ?this`, in batches) instead of running over the
    whole store and being filtered: what a sync's few touched resources need."""
    violations = []
    for c in _split_shapes()[1]:
        if bind and focus is not None:
            for batch in _chunks(sorted(ox.NamedNode(f) for f in focus), 500):
                violations += _constraint(store, c, _bound(c.select, batch), focus)
        else:
            violations += _constraint(store, c, c.select, focus)
    return violations


def _bound(select: str, nodes: list[ox.NamedNode]) -> str:
    """`select` (a shape's own query) with ?this bound to `nodes`: a VALUES block first in its WHERE."""
    at = select.index("WHERE {") + len("WHERE {")
    return select[:at] + " VALUES ?this { " + " ".join(str(n) for n in nodes) + " } " + select[at:]


def _constraint(store: ox.Store, c: SparqlConstraint, select: str, focus: set[str] | None) -> list[Violation]:
    violations = []
    results = store.query(select, use_default_graph_as_union=True)
    assert isinstance(results, ox.QuerySolutions)
    names = [v.value for v in results.variables]
    for row in results:
        this = row["this"]
        if not isinstance(this, ox.NamedNode) or (focus is not None and this.value not in focus):
            continue
        if not any(store.quads_for_pattern(this, ox.NamedNode(RDF_TYPE), ox.NamedNode(c.target))):
            continue
        values = {n: term.value for n in names if (term := row[n]) is not None}
        violations.append(Violation(this.value, _fill(c.message, values), shape=c.shape))
    return violations


def validate(store: ox.Store, *, sample: int | None = None, full_limit: int = FULL_LIMIT) -> Report:
    """Validate the union of the store's data graphs (the ontology graph left out)."""
    data_triples = len(store) - sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(ONTOLOGY_GRAPH)))
    if sample is None and data_triples <= full_limit:
        graph = _to_rdflib(_data_quads(store, None))
        counts = {c: sum(1 for _ in graph.subjects(RDF.type, rdflib.URIRef(c))) for c in CLASSES}
        report = _run(graph, None)
        _add(report, _sparql_violations(store, None))
        report.mode = f"whole graph in memory ({data_triples:,} triples)"
        report.focus_nodes = counts
        return report
    total = Report(True, "")
    for cls in CLASSES:
        nodes = _focus_nodes(store, cls, sample)
        total.focus_nodes[cls] = 0
        for chunk in _chunks(nodes, CHUNK):
            total.focus_nodes[cls] += len(chunk)
            part = _run(_to_rdflib(_neighbourhood(store, chunk)), chunk)
            total.conforms &= part.conforms
            total.violations += part.violations
            total.graph += part.graph
    sampled = None if sample is None else {n for cls in CLASSES for n in _focus_values(store, cls, sample)}
    _add(total, _sparql_violations(store, sampled))
    how = f"a sample of up to {sample:,} nodes per class" if sample is not None else "every node"
    total.mode = f"per class in chunks of {CHUNK:,} focus nodes, {how} ({data_triples:,} triples)"
    return total


def _fill(message: str, values: dict[str, str]) -> str:
    """SHACL message templates: {?name} is the value of ?name in the result."""
    return re.sub(r"\{\?(\w+)\}", lambda m: values.get(m.group(1), "?"), message)


def _add(report: Report, violations: list[Violation]) -> None:
    if violations:
        report.conforms = False
        # one violation per focus, message, path and value (two values breaking one constraint are two)
        unique = {(v.focus, v.message, v.path or "", v.value or ""): v for v in report.violations + violations}
        report.violations = [unique[k] for k in sorted(unique)]


def _focus_values(store: ox.Store, cls: str, sample: int | None) -> list[str]:
    return [n.value for n in _focus_nodes(store, cls, sample)]


def _data_quads(store: ox.Store, subject: ox.NamedNode | None) -> Iterator[ox.Quad]:
    for quad in store.quads_for_pattern(subject, None, None, None):
        if not (isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value == ONTOLOGY_GRAPH):
            yield quad


def _focus_nodes(store: ox.Store, cls: str, sample: int | None) -> list[ox.NamedNode]:
    nodes = {q.subject for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(cls))}
    ordered = sorted((n for n in nodes if isinstance(n, ox.NamedNode)), key=lambda n: n.value)
    if sample is None or len(ordered) <= sample:
        return ordered
    step = len(ordered) / sample
    return [ordered[int(i * step)] for i in range(sample)]


def _chunks(items: list[ox.NamedNode], size: int) -> Iterator[list[ox.NamedNode]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _neighbourhood(store: ox.Store, nodes: list[ox.NamedNode]) -> Iterator[ox.Quad]:
    seen: set[ox.NamedNode] = set()
    for node in nodes:
        for quad in _data_quads(store, node):
            yield quad
            obj = quad.object
            if isinstance(obj, ox.NamedNode) and obj not in seen:
                seen.add(obj)
                yield from _data_quads(store, obj)


def _term(t: object) -> rdflib.term.Node:
    """An Oxigraph term as rdflib's (the plain path's and the store path's values are the same terms)."""
    if isinstance(t, ox.NamedNode):
        return rdflib.URIRef(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        datatype = t.datatype.value
        return rdflib.Literal(t.value, datatype=None if datatype == XSD_STRING else rdflib.URIRef(datatype))
    assert isinstance(t, ox.BlankNode)
    return rdflib.BNode(t.value)


def _around(store: ox.Store, nodes: list[ox.NamedNode]) -> Iterator[ox.Quad]:
    """The neighbourhood, and the resources that point to the nodes with their own triples: what a
    shape with an inverse path (a probable person's rows) looks at, whichever chunk they fall in."""
    yield from _neighbourhood(store, nodes)
    seen: set[ox.NamedNode | ox.BlankNode] = set()
    for node in nodes:
        for quad in store.quads_for_pattern(None, None, node, None):
            s = quad.subject
            if isinstance(s, (ox.NamedNode, ox.BlankNode)) and s not in seen:
                seen.add(s)
                yield from (q for q in store.quads_for_pattern(s, None, None, None)
                            if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == ONTOLOGY_GRAPH))


def _to_rdflib(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    graph = rdflib.Graph()
    iris: dict[str, rdflib.URIRef] = {}

    def term(t: object) -> rdflib.term.Node:
        if isinstance(t, ox.NamedNode):
            iri = iris.get(t.value)
            if iri is None:
                iri = iris[t.value] = rdflib.URIRef(t.value)
            return iri
        return _term(t)

    add = graph.add
    for q in quads:
        add((term(q.subject), term(q.predicate), term(q.object)))
    return graph


def _run(graph: rdflib.Graph, focus: list[ox.NamedNode] | None, shacl: rdflib.Graph | None = None) -> Report:
    import pyshacl

    kwargs: dict[str, Any] = {"focus_nodes": [rdflib.URIRef(n.value) for n in focus]} if focus else {}
    shacl = _split_shapes()[0] if shacl is None else shacl
    conforms, results, _ = pyshacl.validate(graph, shacl_graph=shacl, **kwargs)
    assert isinstance(results, rdflib.Graph)
    violations = [
        Violation(
            focus=str(results.value(r, SH.focusNode)),
            message=str(results.value(r, SH.resultMessage) or results.value(r, SH.sourceConstraintComponent)),
            path=_str(results.value(r, SH.resultPath)),
            value=_str(results.value(r, SH.value)),
            shape=_str(results.value(r, SH.sourceShape)),
        )
        for r in results.subjects(RDF.type, SH.ValidationResult)
    ]
    violations.sort(key=lambda v: (v.focus, v.message))
    return Report(bool(conforms), "", {}, violations, results)


def _str(node: object) -> str | None:
    if node is None or isinstance(node, rdflib.BNode):
        return None
    return str(node)


class ValidationError(KgError):
    """The graph breaks the shapes; the message is the report."""


def default_sample(store: ox.Store) -> int | None:
    """None (every node) when the store fits the in-memory check, else a sample per class."""
    return None if len(store) <= FULL_LIMIT else DEFAULT_SAMPLE


def require_valid(store: ox.Store) -> None:
    report = validate(store, sample=default_sample(store))
    if not report.conforms:
        raise ValidationError("the built graph breaks the shapes; the store was not changed\n" + render_text(report))


VALIDATE_WITH = ("store", "pyshacl")


def validate_subjects(store: ox.Store, subjects: Iterable[str], *, engine: str = "store") -> Report:
    """Validate only the resources `subjects` (with their neighbourhood, as the per-class mode does):
    what a sync touched. The SPARQL-based constraints are checked on the same focus.

    `engine` "store" checks the core shapes it understands on the store itself (kg.shapes_store),
    the others with pyshacl; "pyshacl" checks them all with pyshacl on each chunk's neighbourhood."""
    if engine not in VALIDATE_WITH:
        raise ValueError(f"validate with {engine!r}: expected one of {', '.join(VALIDATE_WITH)}")
    nodes = sorted({ox.NamedNode(s) for s in subjects}, key=lambda n: n.value)
    total = Report(True, f"{len(nodes):,} touched resources")
    if engine == "store":
        _on_store(store, nodes, total)
    else:
        for chunk in _chunks(nodes, CHUNK):
            part = _run(_to_rdflib(_neighbourhood(store, chunk)), chunk)
            total.conforms &= part.conforms
            total.violations += part.violations
    if nodes:
        _add(total, _sparql_violations(store, {n.value for n in nodes}, bind=True))
    return total


@cache
def _store_plan() -> shapes_store.Plan:
    return shapes_store.plan(_split_shapes()[0])


def _on_store(store: ox.Store, nodes: list[ox.NamedNode], total: Report) -> None:
    """The understood shapes checked on the store, the others by pyshacl on the nodes they target."""
    plan = _store_plan()
    found = [Violation(f.focus, f.message, f.path, f.value) for f in shapes_store.check(store, nodes, plan, _term)]
    if plan.fallback_targets:
        targets = [ox.NamedNode(c) for c in sorted(plan.fallback_targets)]
        rest = [n for n in nodes if any(any(store.quads_for_pattern(n, ox.NamedNode(RDF_TYPE), c)) for c in targets)]
        for chunk in _chunks(rest, CHUNK):
            found += _run(_to_rdflib(_around(store, chunk)), chunk, plan.fallback).violations
    found.sort(key=lambda v: (v.focus, v.message))
    total.conforms = not found
    total.violations = found


def require_valid_subjects(store: ox.Store, subjects: Iterable[str], *, engine: str = "store") -> None:
    """Raises ValidationError (with the report) when a touched resource breaks the shapes."""
    report = validate_subjects(store, subjects, engine=engine)
    if not report.conforms:
        first = report.violations[0] if report.violations else None
        reason = f"<{first.focus}>: {first.message}" if first is not None else "the shapes"
        raise ValidationError(f"sync refused: {len(report.violations)} touched resource(s) break the shapes "
                              f"(first: {reason}); the store is unchanged\n" + render_text(report))


def render_text(report: Report) -> str:
    lines = [f"validated {report.mode}"]
    lines += [f"  {cls.rsplit('#', 1)[-1]}: {n:,} focus nodes" for cls, n in report.focus_nodes.items()]
    if report.conforms:
        lines.append("no violation")
    else:
        lines.append(f"{len(report.violations)} violation{'s' * (len(report.violations) != 1)}:")
        for v in report.violations:
            where = f" [{v.path.rsplit('#', 1)[-1]}" + (f" = {v.value}" if v.value else "") + "]" if v.path else ""
            lines.append(f"  <{v.focus}>{where}: {v.message}")
    return "\n".join(lines) + "\n"
