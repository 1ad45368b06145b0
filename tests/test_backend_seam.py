"""The backend seam (issue 13): the read features reach the data only through kg.backend.Backend, and
the embedded backend answers every method of the protocol, bound values taken as data, never as text."""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import EXAMPLE

import kg
from kg.backend import Backend, EmbeddedBackend, open_store
from kg.errors import QueryError
from kg.iris import Minter
from kg.queries import named
from kg.store import StoreDir
from kg.terms import KG

ROOT = Path(__file__).resolve().parent.parent
M = Minter()
HOSTILE = [
    'Liyuan Liu" } UNION { ?s ?p ?o } #',
    "it's \\ a \\\" back\\slash",
    "line one\nline two\r\n}",
    "{ ?x ?y ?z } # a comment",
    "\"\"\" ''' <http://example.org/x> . _:b ?v $w",
]

# --- the read features hold no pyoxigraph.Store -------------------------------------------------------

READ_FEATURES = [
    "kg/cluster.py", "kg/cluster_page.py", "kg/describe.py", "kg/stats.py", "kg/void.py", "kg/paths",
    "kg/server/api.py", "kg/server/pages.py", "kg/server/linked.py", "kg/server/calls.py",
]
# Store methods with names no other object of these modules has (set.update, json.load would be false alarms).
STORE_METHODS = {"quads_for_pattern", "query", "named_graphs", "contains_named_graph", "bulk_load", "dump",
                 "read_only", "optimize"}
STORE_HELPERS = {"kg.queries": {"execute", "select"}, "kg.store": {"StoreDir", "Generation"}}


def store_uses(source: str) -> list[str]:
    """What in `source` reaches a pyoxigraph.Store itself: the class, its query and pattern methods,
    or the kg helpers that take one (kg.queries.execute/select, kg.store)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "Store":
            found.append(f"line {node.lineno}: .Store")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in STORE_METHODS:
            found.append(f"line {node.lineno}: .{node.func.attr}(")
        elif isinstance(node, ast.ImportFrom) and node.module == "pyoxigraph":
            found += [f"line {node.lineno}: from pyoxigraph import {a.name}" for a in node.names if a.name == "Store"]
        elif isinstance(node, ast.ImportFrom) and node.module in STORE_HELPERS:
            found += [f"line {node.lineno}: from {node.module} import {a.name}" for a in node.names
                      if a.name in STORE_HELPERS[node.module]]
        elif isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name in STORE_HELPERS]
    return found


def feature_modules() -> list[Path]:
    out: list[Path] = []
    for name in READ_FEATURES:
        path = ROOT / name
        assert path.exists(), f"{name} is gone: update READ_FEATURES"
        out += sorted(path.glob("*.py")) if path.is_dir() else [path]
    return out


@pytest.mark.parametrize("path", feature_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_read_features_use_no_store(path: Path) -> None:
    uses = store_uses(path.read_text(encoding="utf-8"))
    assert not uses, f"{path.relative_to(ROOT)} reaches a pyoxigraph.Store itself: {'; '.join(uses)}"


@pytest.mark.parametrize("snippet", [
    "import pyoxigraph as ox\ndef f(s: ox.Store) -> None: ...",
    "from pyoxigraph import Store",
    "def f(db):\n    return list(db.quads_for_pattern(None, None, None))",
    "def f(db):\n    return db.query('ASK {}')",
    "from kg.queries import named, select",
    "import kg.store",
])
def test_the_check_sees_a_store(snippet: str) -> None:
    assert store_uses(snippet)


def test_the_check_lets_a_backend_pass() -> None:
    assert store_uses("from kg.queries import named\ndef f(data):\n    return data.select(named('stats'))") == []


# --- the embedded backend on the example store --------------------------------------------------------


def test_it_is_a_backend(example_backend: EmbeddedBackend) -> None:
    assert isinstance(example_backend, Backend)
    assert example_backend.label.startswith("--store ")


def test_select_values_and_terms(example_backend: EmbeddedBackend) -> None:
    rows = example_backend.select(named("cluster-rows"), {"key": "liyuan liu"})
    assert {r["row"] for r in rows} == {M.author("liyuan-liu-a"), M.author("liyuan-liu-b")}
    assert {r["papers"] for r in rows} == {19, 2}  # integers as int
    terms = example_backend.select_terms(named("cluster-rows"), {"key": "liyuan liu"})
    assert {t["row"] for t in terms} == {ox.NamedNode(M.author("liyuan-liu-a")), ox.NamedNode(M.author("liyuan-liu-b"))}
    assert all(isinstance(t["papers"], ox.Literal) for t in terms)
    unbound = example_backend.select("SELECT ?x ?y WHERE { BIND(1 AS ?x) }")
    assert unbound == [{"x": 1}], "unbound variables are left out"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_values_are_bound_as_data(example_backend: EmbeddedBackend, hostile: str) -> None:
    # (pyoxigraph binds a SELECT's variables only where it projects them)
    assert example_backend.select("SELECT ?v WHERE {}", {"v": hostile}) == [{"v": hostile}]
    assert example_backend.select_terms("SELECT ?v WHERE {}", {"v": hostile}) == [{"v": ox.Literal(hostile)}]
    assert example_backend.select(named("cluster-rows"), {"key": hostile}) == []
    assert example_backend.select("SELECT ?s ?v WHERE { ?s ?p ?v }", {"v": hostile}) == []
    assert example_backend.ask("ASK { ?s ?p ?v }", {"v": hostile}) is False
    assert example_backend.construct("CONSTRUCT { ?s ?p ?v } WHERE { ?s ?p ?v }", {"v": hostile}) == []
    assert list(example_backend.triples(None, None, ox.Literal(hostile))) == []


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_values_find_exactly_themselves(hostile: str) -> None:
    store = ox.Store()  # a real in-memory store holding the hostile literals and near misses
    p = ox.NamedNode("http://example.org/p")
    for i, text in enumerate([*HOSTILE, hostile + " ", hostile.upper()]):
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), p, ox.Literal(text), ox.DefaultGraph()))
    data = EmbeddedBackend(store)
    want = ox.NamedNode(f"http://example.org/s{HOSTILE.index(hostile)}")
    rows = data.select_terms("SELECT ?s ?v WHERE { ?s ?p ?v }", {"v": hostile})
    assert rows == [{"s": want, "v": ox.Literal(hostile)}]
    assert [t.subject for t in data.triples(None, p, ox.Literal(hostile))] == [want]
    assert data.ask("ASK { ?s ?p ?v }", {"v": hostile})


def test_bad_iri_parameters_are_refused(example_backend: EmbeddedBackend) -> None:
    for bad in ("http://a b", "<x>", "x:{y}\n"):
        with pytest.raises(QueryError, match="parameter 'paper'"):
            example_backend.select(named("coauthors-paper"), {"paper": bad})
    with pytest.raises(QueryError, match="no parameter 'nope'"):
        example_backend.select(named("stats"), {"nope": 1})


def test_construct_and_ask(example_backend: EmbeddedBackend) -> None:
    row = ox.NamedNode(M.author("yiping-wang"))
    built = example_backend.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": row})
    assert built and all(t.subject == row for t in built)
    assert set(built) == set(example_backend.triples(row, None, None))
    assert example_backend.ask("ASK { ?s a ?c }", {"s": row, "c": ox.NamedNode(KG.AuthorRow)}) is True
    assert example_backend.ask("ASK { ?s a ?c }", {"s": row, "c": ox.NamedNode(KG.Paper)}) is False


def test_a_query_of_the_wrong_form_is_an_error(example_backend: EmbeddedBackend) -> None:
    with pytest.raises(QueryError, match="SELECT"):
        example_backend.select("ASK { ?s ?p ?o }")
    with pytest.raises(QueryError, match="CONSTRUCT"):
        example_backend.construct("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    with pytest.raises(QueryError, match="ASK"):
        example_backend.ask("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    with pytest.raises(QueryError, match="^query: "):
        example_backend.select("SELECT ?x WHERE { ?x")


def test_triples_graphs_size_over_the_store(example_backend: EmbeddedBackend, example_db: ox.Store) -> None:
    row = ox.NamedNode(M.author("liyuan-liu-a"))
    expected = {q.triple for q in example_db.quads_for_pattern(row, None, None)}
    found = example_backend.triples(row, None, None)
    assert isinstance(found, Iterator), "lazy: a generator, not a list"
    listed = list(found)
    assert len(listed) == len(set(listed)) and set(listed) == expected
    assert example_backend.graphs() == sorted(g.value for g in example_db.named_graphs() if isinstance(g, ox.NamedNode))
    assert StoreDir(example_backend.directory.path).meta()["graphs"][0] in example_backend.graphs()  # type: ignore[union-attr]
    assert example_backend.size() == len(example_db)


def test_triples_are_deduplicated_over_the_graphs() -> None:
    store = ox.Store()
    s, p, o = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("o")
    for g in (ox.DefaultGraph(), ox.NamedNode("http://example.org/g1"), ox.NamedNode("http://example.org/g2")):
        store.add(ox.Quad(s, p, o, g))
    data = EmbeddedBackend(store)
    assert list(data.triples(s, None, None)) == [ox.Triple(s, p, o)]
    assert data.graphs() == ["http://example.org/g1", "http://example.org/g2"]
    assert data.size() == 3  # quads
    assert data.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == [{"n": 3}], "the union, as Oxigraph gives it"
    assert (data.version, data.index()) == (None, None)  # no store directory: no generation, no index


def test_version_and_index_follow_the_generation(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg.build([EXAMPLE], store)
    with open_store(store) as data:
        first = data.version
        assert first is not None and first == StoreDir(store).active().name  # type: ignore[union-attr]
        index = data.index()
        assert index is not None and data.index() is index, "opened once per generation"
        assert len(index.authors) == 73
        assert data.refresh() is False
        kg.build([EXAMPLE], store)  # a rebuild swaps the generation
        assert data.refresh() is True
        assert data.version is not None and data.version != first
        assert data.index() is not index and data.index() is not None
        assert data.size() > 0
    active = StoreDir(store).active()
    assert active is not None
    shutil.rmtree(active / "paths-index")
    with open_store(store) as data:
        assert data.index() is None


def test_a_vanished_generation_can_be_reopened(tmp_path: Path) -> None:
    """A failed reopen (the store unreadable for a moment) is retried by the next refresh."""
    store = tmp_path / "store"
    kg.build([EXAMPLE], store)
    data = open_store(store)
    kg.build([EXAMPLE], store)
    link = store / "active"
    target = link.readlink()
    link.unlink()
    link.symlink_to("gen-missing")
    with pytest.raises(kg.KgError):
        data.refresh()
    link.unlink()
    link.symlink_to(target)
    assert data.refresh() is True
    assert data.version == target.name
    assert data.select(named("stats"))[0]["papers"] == StoreDir(store).meta()["counts"]["papers"]
    data.close()
