"""The caches of a worker: each one a bounded kg.server.tables.Table in the worker's one registry,
all emptied together when the store's active generation changes (issue 25)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kg.server import ServerConfig, create_app
from kg.server.answers_cache import AnswersCache
from kg.server.local import LocalRunner
from kg.server.messages import Job, Result
from kg.server.sparql_pipeline import SparqlPipeline
from kg.server.tables import Caches, Table
from kg.server.web import Site
from kg.server.wire import Front

SERVER = Path(__file__).resolve().parent.parent / "kg" / "server"
CACHES = {"checked texts", "answer formats", "request plans", "endpoint URLs", "answers", "answer heads",
          "log paths", "page cache", "answered variants", "void", "query results"}


def _never(job: Job) -> Result:
    raise AssertionError("no job runs in this test")


def _worker(store: Path) -> tuple[Caches, Site]:
    """A worker's objects, made as kg.server.prefork makes them (nothing started): its registry and
    its Site (whose `build` sees the store's generation)."""
    config = ServerConfig(store=store)
    runner = LocalRunner(lambda: _never)
    starlette = create_app(config, runner=runner, announce=False)
    endpoint = starlette.state.endpoint
    sparql = SparqlPipeline(config, runner, endpoint.caches, lambda: endpoint.site.base,
                            generation=lambda: endpoint.site.build().tag)
    answers = AnswersCache(config, endpoint.site, endpoint.caches, sparql.lines, sparql.charges)
    Front(starlette, sparql, answers, config.max_body, (config.host, config.port))
    return endpoint.caches, endpoint.site


def _generation(store: Path, name: str) -> None:
    (store / name).mkdir(exist_ok=True)
    link = store / "active"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(name)


def test_every_cache_is_registered_and_a_new_generation_empties_them_all(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    _generation(store, "g1")
    caches, site = _worker(store)
    assert set(caches.tables) == CACHES
    first = site.build().tag
    for name, table in caches.tables.items():
        table.put(("key", name), "value", 100)
        assert table, name
    assert site.build().tag == first and all(caches.tables.values())  # the same generation: all kept
    _generation(store, "g2")
    assert site.build().tag != first
    assert [name for name, table in caches.tables.items() if table or table.size] == []


def test_the_registry_clears_together_and_refuses_a_name_twice() -> None:
    caches = Caches()
    a: Table[str, str] = caches.table("a")
    b: Table[str, str] = caches.table("b", lru=True)
    a.put("k", "v", 10)
    b.put("k", "v", 10)
    caches.generation("t1")  # the first generation: nothing to empty
    assert a and b
    caches.generation("t2")
    assert not a and not b and a.size == b.size == 0
    with pytest.raises(ValueError, match="registered already"):
        caches.table("a")


def test_an_lru_table_drops_the_least_recently_used_within_its_bounds() -> None:
    table: Table[str, bytes] = Table("t", entries=3, max_bytes=300, largest=120, lru=True)
    for key in "abc":
        table.put(key, b"", 90)
    assert table.find("a") == b""  # now the most recently used
    table.put("d", b"", 90)  # past the entries: b, the least recently used, out
    assert list(table) == ["c", "a", "d"] and table.size == 270
    table.put("a", b"", 100)  # again: its old cost is given back
    assert list(table) == ["c", "d", "a"] and table.size == 280
    table.put("e", b"", 120)  # past the bytes: c out, and still past them: d out
    assert list(table) == ["a", "e"] and table.size == 220
    table.put("huge", b"", 121)  # past `largest`: not kept
    assert "huge" not in table and table.size == 220


def test_no_cache_outside_the_registry() -> None:
    """No module of kg.server keeps a cache of its own: no OrderedDict, functools cache or Table made
    outside kg.server.tables (html.environment, the one Jinja environment, is not a cache of answers)."""
    found = []
    for path in sorted(SERVER.glob("*.py")):
        if path.name == "tables.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name | ast.Attribute):
                name = node.id if isinstance(node, ast.Name) else node.attr
                if name in ("OrderedDict", "lru_cache"):
                    found.append(f"{path.name}:{node.lineno}: {name}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Table":
                found.append(f"{path.name}:{node.lineno}: a Table outside the registry")
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(d, ast.Name) and d.id == "cache" for d in node.decorator_list) \
                    and (path.name, node.name) != ("html.py", "environment"):
                found.append(f"{path.name}:{node.lineno}: @cache {node.name}")
    assert found == []
