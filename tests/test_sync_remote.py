"""kg sync --endpoint --update-endpoint --index: the delta sent to Oxigraph server and Virtuoso as
SPARQL updates gives the graph and the answers an embedded sync gives."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from engines import ROOT, Engine, _wait, isql, oxigraph_binary, start_virtuoso
from server_fixtures import free_port

from kg import build, etl, open_store
from kg.backend.remote import RemoteBackend
from kg.cluster import cluster
from kg.paths import shortest_paths
from kg.search.query import SearchIndex
from kg.store import StoreDir
from kg.sync.embedded import sync
from kg.sync.remote import RemoteUpdateError, sync_remote
from tests.sync_checks import edit_table
from tests.test_sync import NAMES

EXAMPLE = ROOT / "examples" / "arrow-liyuan-liu"
ROWS_GRAPH = "http://localhost:7878/graph/rows"


def _writable_oxigraph(nquads: Path, folder: Path) -> Engine:
    binary = oxigraph_binary()
    db, log = folder / "db", folder / "oxigraph.log"
    folder.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        subprocess.run([binary, "load", "--location", str(db), "--file", str(nquads)], stdout=out,
                       stderr=subprocess.STDOUT, check=True)
    port = free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen([binary, "serve", "--location", str(db), "--bind", f"127.0.0.1:{port}",
                                 "--union-default-graph"], stdout=out, stderr=subprocess.STDOUT)
    engine = Engine("oxigraph server", f"http://127.0.0.1:{port}/query", proc, log)
    _wait(engine, 30)
    return engine


def _writable_virtuoso(nquads: Path, folder: Path) -> Engine:
    data = folder / "data"
    data.mkdir(parents=True)
    shutil.copy(nquads, data / "data.nq")
    engine = start_virtuoso(data, folder / "db")
    port = _sql_port(folder / "db" / "virtuoso.ini")
    isql(port, 'grant SPARQL_UPDATE to "SPARQL";')
    return engine


def _sql_port(ini: Path) -> int:
    for line in ini.read_text().splitlines():
        if line.replace(" ", "").startswith("ServerPort=") and ":" not in line:
            return int(line.split("=", 1)[1].strip())
    raise AssertionError("no ServerPort in virtuoso.ini")


@pytest.fixture(params=["oxigraph", "virtuoso"])
def engine_and_update(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, str, Path]]:
    rows = tmp_path / "rows"
    shutil.copytree(EXAMPLE, rows)
    nquads = tmp_path / "data.nq"
    etl([rows], nquads)  # what a remote engine is loaded with (the ontology and the source graphs)
    if request.param == "oxigraph":
        engine = _writable_oxigraph(nquads, tmp_path / "oxigraph")
        update = engine.endpoint.replace("/query", "/update")
    else:
        engine = _writable_virtuoso(nquads, tmp_path / "virtuoso")
        update = engine.endpoint
    try:
        yield engine, update, rows
    finally:
        engine.stop()


def _graph_lines(endpoint: str, graph: str) -> list[str]:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    answer = requests.post(endpoint, data={"query": query}, headers={"Accept": "application/n-triples"}, timeout=60)
    answer.raise_for_status()
    return sorted(str(t) for t in ox.parse(answer.content, format=ox.RdfFormat.N_TRIPLES))


def _store_lines(store: Path, graph: str) -> list[str]:
    s = StoreDir(store).open()
    return sorted(str(q.triple) for q in s.quads_for_pattern(None, None, None, ox.NamedNode(graph)))


def _change(rows: Path) -> None:
    edit_table(rows / "authors.csv", lambda rs: [dict(rs[0], name=NAMES[3])] + rs[1:] + [
        {"id": f"n{i}", "name": n, "orcid": "", "dblp_pid": "", "openalex_id": ""} for i, n in enumerate(NAMES)])
    edit_table(rows / "papers.csv", lambda rs: [dict(rs[0], title="Überarbeitet — " + NAMES[4])] + rs[2:])
    edit_table(rows / "authorships.csv", lambda rs: rs + [
        {"paper_id": rs[0]["paper_id"], "author_id": f"n{i}", "position": str(200 + i), "name_as_printed": n}
        for i, n in enumerate(NAMES)])


def test_the_remote_sync_equals_the_embedded_one(engine_and_update: tuple[Engine, str, Path], tmp_path: Path) -> None:
    engine, update, rows = engine_and_update
    store = tmp_path / "store"
    build([rows], store)
    index = tmp_path / "index"
    # The ledger read from the engine: nothing added or removed. An engine may write a term in
    # another form than kg's mapping (Virtuoso: a boolean "true" as "1"): that subject is rewritten.
    first = sync_remote([rows], engine.endpoint, update, index)
    assert first.ledger_from == "endpoint" and first.delta is not None
    assert not any(d.added or d.removed for d in first.delta.graphs.values()), first.delta.summary()
    assert _graph_lines(engine.endpoint, ROWS_GRAPH) == _store_lines(store, ROWS_GRAPH)
    assert sync_remote([rows], engine.endpoint, update, index).up_to_date
    _change(rows)
    done = sync_remote([rows], engine.endpoint, update, index, max_change=1.0)
    assert done.delta is not None and not done.delta.empty and done.ledger_from == "kept"
    sync([rows], store, max_change=1.0)
    assert _graph_lines(engine.endpoint, ROWS_GRAPH) == _store_lines(store, ROWS_GRAPH)
    remote = RemoteBackend(engine.endpoint, index=index)
    try:
        with open_store(store) as local:
            for name in [*NAMES, "Liyuan Liu"]:
                # the papers and rows; the persons come from a store's identity graph (see docs/sync.md)
                a, b = cluster(remote, name).to_json(), cluster(local, name).to_json()
                assert a["papers"] == b["papers"] and a["rows"] == b["rows"], name
            for a, b in (("n2", "liliang-ren"), ("n5", "n1")):
                assert shortest_paths(remote, a, b).to_json() == shortest_paths(local, a, b).to_json()
    finally:
        remote.close()
    there, here = SearchIndex.open(index), SearchIndex.open(StoreDir(store).require())
    try:
        for name in NAMES:
            assert [s.iri for s in there.suggest(name[:2])] == [s.iri for s in here.suggest(name[:2])]
    finally:
        there.close()
        here.close()
    assert sync_remote([rows], engine.endpoint, update, index).up_to_date


def test_an_engine_that_refuses_updates_is_named(tmp_path: Path) -> None:
    rows = tmp_path / "rows"
    shutil.copytree(EXAMPLE, rows)
    nquads = tmp_path / "data.nq"
    etl([rows], nquads)
    engine = _writable_oxigraph(nquads, tmp_path / "ox")
    try:
        _change(rows)
        with pytest.raises(RemoteUpdateError, match=r"--update-endpoint .*/query: the update was refused"):
            sync_remote([rows], engine.endpoint, engine.endpoint, tmp_path / "index", max_change=1.0)
        assert not (tmp_path / "index" / "sync.json").exists()  # nothing recorded as done
    finally:
        engine.stop()


def test_the_command_line_needs_all_three_remote_options(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "kg", "sync", str(EXAMPLE), "--endpoint", "http://127.0.0.1:9/q"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2 and "--update-endpoint" in done.stderr
