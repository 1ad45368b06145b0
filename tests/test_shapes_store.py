"""The shapes checked on the store (kg.shapes_store, what a sync uses) find what pyshacl finds.

A generated graph of every class the shapes target is broken at random (values missing, extra,
mistyped, ill-typed, of the wrong class, names in every script, empty), and the two paths of
kg.validate.validate_subjects are compared on random focus sets: the same violations (focus, path,
value, message), the SHACL-SPARQL ones included.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import EXAMPLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg import shapes_store
from kg.ontology import ONTOLOGY_GRAPH
from kg.validate import ValidationError, _split_shapes, require_valid_subjects, validate_subjects

KG = "https://w3id.org/scholarly-kg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
BASE = "http://localhost:7878/"
GRAPH = ox.NamedNode(BASE + "graph/rows")
OTHER = ox.NamedNode(BASE + "graph/dblp")

NAMES = [
    "José Müller", unicodedata.normalize("NFD", "José Müller"), "Σωκράτης Παπαδόπουλος", "Дмитрий Иванов",
    "王小明", "محمد الخوارزمي", "Zoë Ångström", "",
]


def kg(name: str) -> ox.NamedNode:
    return ox.NamedNode(KG + name)


def lit(value: str, datatype: str = "string") -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def base_graph() -> list[ox.Quad]:
    """A small graph that conforms: two papers, their authorships and rows, clusters, venues, an
    institution, a probable person and a verdict."""
    q: list[ox.Quad] = []

    def add(s: str, p: ox.NamedNode, o: Any, g: ox.NamedNode = GRAPH) -> None:
        q.append(ox.Quad(ox.NamedNode(BASE + s), p, o, g))

    def iri(s: str) -> ox.NamedNode:
        return ox.NamedNode(BASE + s)

    add("venue/v", RDF_TYPE, kg("Venue"))
    add("venue/v", kg("name"), lit("Проceedings 会議"))
    add("venue/v", kg("venueKind"), ox.Literal("conference"))
    add("inst/i", RDF_TYPE, kg("Institution"))
    add("inst/i", kg("name"), lit("جامعة القاهرة"))
    add("inst/i", kg("ror"), ox.NamedNode("https://ror.org/03q8dnn23"))
    add("inst/i", kg("countryCode"), lit("EG"))
    for key, label in (("jose muller", "José Müller"), ("wang xiaoming", "王小明")):
        c = "cluster/" + key.replace(" ", "-")
        add(c, RDF_TYPE, kg("NameCluster"))
        add(c, kg("nameKey"), lit(key))
        add(c, RDFS_LABEL, ox.Literal(label))
        add(c, kg("personCount"), lit("1", "integer"))
    rows = [("author/a1", "José Müller", "jose muller"), ("author/a2", "王小明", "wang xiaoming"),
            ("author/a3", "Jose Muller", "jose muller")]
    for row, name, key in rows:
        c = "cluster/" + key.replace(" ", "-")
        add(row, RDF_TYPE, kg("AuthorRow"))
        add(row, kg("name"), lit(name))
        add(row, kg("nameKey"), lit(key))
        add(row, kg("inCluster"), iri(c))
        add(c, kg("hasMember"), iri(row))
    add("author/a1", kg("orcid"), ox.NamedNode("https://orcid.org/0000-0002-1825-0097"))
    add("author/a1", kg("probablePerson"), iri("person/p"))
    add("author/a3", kg("probablePerson"), iri("person/p"))
    add("person/p", RDF_TYPE, kg("ProbablePerson"))
    add("person/p", kg("paperCount"), lit("2", "integer"))
    add("person/p", kg("evidence"), lit("same ORCID"))
    add("verdict/1", RDF_TYPE, kg("IdentityVerdict"))
    add("verdict/1", kg("comparedRow"), iri("author/a1"))
    add("verdict/1", kg("comparedRow"), iri("author/a3"))
    add("verdict/1", kg("verdict"), ox.Literal("same"))
    add("verdict/1", kg("score"), lit("0.9", "decimal"))
    add("verdict/1", kg("reason"), lit("same ORCID"))
    for n, (paper, authors) in enumerate((("paper/p1", ["author/a1", "author/a2"]), ("paper/p2", ["author/a3"]))):
        add(paper, RDF_TYPE, kg("Paper"))
        add(paper, kg("title"), lit(["Über Graphen", "Графы и 图"][n]))
        add(paper, kg("year"), lit("2019", "gYear"))
        add(paper, kg("publishedIn"), iri("venue/v"))
        add(paper, kg("doi"), ox.NamedNode(f"https://doi.org/10.1234/x{n}"))
        add(paper, kg("authorsTruncated"), lit("false", "boolean"))
        for position, row in enumerate(authors, start=1):
            ship = f"{paper}/authorship/{position}"
            add(paper, kg("author"), iri(row))
            add(paper, kg("hasAuthorship"), iri(ship))
            add(ship, RDF_TYPE, kg("Authorship"))
            add(ship, kg("paper"), iri(paper))
            add(ship, kg("authorRow"), iri(row))
            add(ship, kg("position"), lit(str(position), "integer"))
            add(ship, kg("nameAsPrinted"), lit("J. Müller"))
            add(ship, kg("affiliation"), iri("inst/i"))
    return q


SUBJECTS = sorted({q.subject.value.removeprefix(BASE) for q in base_graph()})
PREDICATES = [RDF_TYPE, RDFS_LABEL] + [kg(p) for p in (
    "title", "year", "publishedIn", "doi", "url", "authorsTruncated", "author", "hasAuthorship", "paper",
    "authorRow", "position", "nameAsPrinted", "affiliation", "affiliationText", "name", "ror", "countryCode",
    "nameKey", "inCluster", "orcid", "dblpPerson", "openalexAuthor", "probablePerson", "hasMember",
    "personCount", "venueKind", "paperCount", "evidence", "comparedRow", "verdict", "score", "reason")]
CLASSES = [kg(c) for c in ("Paper", "Authorship", "AuthorRow", "NameCluster", "Venue", "Institution",
                           "ProbablePerson", "IdentityVerdict")]


def _values() -> st.SearchStrategy[Any]:
    names = st.sampled_from(NAMES)
    return st.one_of(
        names.map(lambda n: lit(n)),
        names.map(lambda n: ox.Literal(n or "x", language="el")),
        st.sampled_from(["0", "1", "-3", "7", "abc", "01"]).map(lambda v: lit(v, "integer")),
        st.sampled_from(["2020", "20x", "-0044"]).map(lambda v: lit(v, "gYear")),
        st.sampled_from(["true", "0", "maybe"]).map(lambda v: lit(v, "boolean")),
        st.sampled_from(["0.5", "x1"]).map(lambda v: lit(v, "decimal")),
        st.sampled_from(["conference", "journal", "Journal", "same", "distinct", "sure", "EG", "eg", "ΕΛ"])
        .map(ox.Literal),
        st.sampled_from(SUBJECTS).map(lambda s: ox.NamedNode(BASE + s)),
        st.sampled_from(CLASSES),
        st.sampled_from([
            "https://doi.org/10.5555/ά", "https://doi.org/11.1/x", "https://orcid.org/0000-0002-1825-009X",
            "https://orcid.org/1-2", "https://ror.org/03q8dnn2", "https://dblp.org/pid/12/345",
            "https://openalex.org/A123", "https://openalex.org/W1", "https://example.org/名前",
        ]).map(ox.NamedNode),
        st.just(ox.BlankNode("b0")),
    )


def _change() -> st.SearchStrategy[tuple[str, str, ox.NamedNode, Any, int]]:
    """(kind, subject, predicate, value, graph): drop every value of the predicate, or add one."""
    return st.tuples(st.sampled_from(["drop", "add", "add"]), st.sampled_from(SUBJECTS),
                     st.sampled_from(PREDICATES), _values(), st.integers(0, 2))


def broken(changes: list[tuple[str, str, ox.NamedNode, Any, int]]) -> ox.Store:
    store = ox.Store()
    store.extend(base_graph())
    # a duplicate in another graph (one value, not two) and a triple of the ontology's (not data)
    store.add(ox.Quad(ox.NamedNode(BASE + "paper/p1"), kg("title"), lit("Über Graphen"), OTHER))
    store.add(ox.Quad(ox.NamedNode(BASE + "paper/p2"), kg("year"), lit("1999", "gYear"), ox.NamedNode(ONTOLOGY_GRAPH)))
    for kind, subject, predicate, value, graph in changes:
        s = ox.NamedNode(BASE + subject)
        if kind == "drop":
            for quad in list(store.quads_for_pattern(s, predicate, None, None)):
                if not (isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value == ONTOLOGY_GRAPH):
                    store.remove(quad)
        else:
            store.add(ox.Quad(s, predicate, value, [GRAPH, OTHER, ox.DefaultGraph()][graph]))
    return store


def _closed(store: ox.Store, focus: set[str]) -> set[str]:
    """`focus` with the rows that point to its probable persons: the plain path sees an inverse path's
    values only when they are in its chunk (the store path reads them from the store)."""
    more = set(focus)
    for f in focus:
        for quad in store.quads_for_pattern(None, kg("probablePerson"), ox.NamedNode(f), None):
            assert isinstance(quad.subject, ox.NamedNode)
            more.add(quad.subject.value)
    return more


def _found(store: ox.Store, focus: set[str], engine: str) -> tuple[bool, list[tuple[Any, ...]]]:
    report = validate_subjects(store, focus, engine=engine)
    return report.conforms, sorted(((v.focus, v.path, v.value, v.message) for v in report.violations), key=str)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(_change(), max_size=8), focus=st.sets(st.sampled_from(SUBJECTS + ["nothing/here"])))
def test_the_store_path_finds_what_pyshacl_finds(changes: list[Any], focus: set[str]) -> None:
    store = broken(changes)
    nodes = _closed(store, {BASE + f for f in focus})
    assert _found(store, nodes, "store") == _found(store, nodes, "pyshacl")


def test_the_base_graph_conforms_and_a_break_is_found() -> None:
    every = {BASE + s for s in SUBJECTS}
    assert _found(broken([]), every, "store") == (True, [])
    store = broken([("add", "paper/p1", kg("year"), lit("2021", "gYear"), 0),
                    ("add", "author/a2", kg("name"), lit(""), 1),
                    ("drop", "author/a3", kg("inCluster"), None, 0)])
    conforms, found = _found(store, every, "store")
    assert not conforms
    assert (BASE + "paper/p1", KG + "year", None, "a paper has at most one year, an xsd:gYear") in found
    assert (BASE + "author/a2", KG + "name", "", "an author row has exactly one name") in found
    assert (BASE + "author/a3", KG + "inCluster", None, "an author row is in exactly one name cluster") in found
    assert _found(store, every, "pyshacl") == (conforms, found)


def test_the_generic_messages_are_pyshacls() -> None:
    """Shapes without sh:message: pyshacl's own wording, focus and path named as it names them."""
    store = broken([("add", "paper/p1", kg("authorsTruncated"), lit("true", "boolean"), 0),
                    ("add", "paper/p1/authorship/1", kg("affiliationText"), ox.Literal("", language="ar"), 0),
                    ("drop", "verdict/1", kg("reason"), None, 0)])
    focus = {BASE + "paper/p1", BASE + "paper/p1/authorship/1", BASE + "verdict/1"}
    conforms, found = _found(store, focus, "store")
    assert found == _found(store, focus, "pyshacl")[1]
    messages = {m for *_, m in found}
    assert f"More than 1 values on <{BASE}paper/p1>-><{KG}authorsTruncated>" in messages
    assert "Value is not Literal with datatype xsd:string" in messages
    assert f"Less than 1 values on <{BASE}verdict/1>-><{KG}reason>" in messages


def test_a_shape_it_does_not_understand_goes_to_pyshacl() -> None:
    plan = shapes_store.plan(_split_shapes()[0])
    assert plan.fallback_targets == {KG + "ProbablePerson"}  # its rows are an inverse path
    assert {str(t) for s in plan.shapes for t in s.targets} >= {KG + "Paper", KG + "AuthorRow", KG + "Venue"}
    lonely = broken([("drop", "author/a1", kg("probablePerson"), None, 0),
                     ("drop", "author/a3", kg("probablePerson"), None, 0)])
    conforms, found = _found(lonely, {BASE + "person/p"}, "store")
    assert (conforms, [m for *_, m in found]) == (False, ["a probable person has at least one author row"])
    # its rows are read from the store, whichever focus set they are in
    assert _found(broken([]), {BASE + "person/p"}, "store") == (True, [])


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="validate with 'shacl': expected one of store, pyshacl"):
        validate_subjects(broken([]), [], engine="shacl")


def test_require_valid_subjects_with_either_engine() -> None:
    store = broken([("add", "venue/v", kg("venueKind"), ox.Literal("Konferenz"), 0)])
    for engine in ("store", "pyshacl"):
        with pytest.raises(ValidationError, match="a venue's kind is one of"):
            require_valid_subjects(store, [BASE + "venue/v"], engine=engine)


def test_sync_validate_with_pyshacl_on_the_command_line(tmp_path: Path) -> None:
    from kg.cli import main

    store = tmp_path / "S"
    runner: Callable[..., Any] = CliRunner().invoke
    assert runner(main, ["build", str(EXAMPLE), "--store", str(store)]).exit_code == 0
    rows = tmp_path / "rows"
    import shutil

    shutil.copytree(EXAMPLE, rows)
    papers = rows / "papers.csv"
    papers.write_text(papers.read_text(encoding="utf-8").replace("Empower", "Empowër", 1), encoding="utf-8")
    done = runner(main, ["sync", str(rows), "--store", str(store), "--validate-with", "pyshacl",
                         "--max-change", "100%"])
    assert done.exit_code == 0, done.output
    bad = runner(main, ["sync", str(rows), "--store", str(store), "--validate-with", "rdfunit"])
    assert bad.exit_code == 2 and "--validate-with" in bad.output
