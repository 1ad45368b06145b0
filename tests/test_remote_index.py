"""`kg index` without a store: from N-Quads / `kg etl --shards` shards and from a SPARQL endpoint,
checked against the index a build writes beside the store (the same relations, the same format)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from engines import ENGINES, ROOT, Dataset
from werkzeug import Request, Response

from kg.adjacency import AdjacencyIndex
from kg.backend.remote import RemoteBackend, open_index
from kg.errors import InputError, KgError
from kg.indexing import build
from kg.shards import etl_shards
from kg.store import StoreDir

XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


def relations(index: AdjacencyIndex) -> dict[str, object]:
    """The index's content by IRI (independent of how papers are numbered)."""
    authors = [index.authors.iri(i) for i in range(len(index.authors))]
    clusters = [index.clusters.iri(i) for i in range(len(index.clusters))]
    return {
        "counts": index.counts,
        "coauthors": {authors[i]: [authors[j] for j in index.a2a.row(i)] for i in range(len(authors))},
        "papers": {index.papers.iri(p): [authors[j] for j in index.p2a.row(p)] for p in range(len(index.papers))},
        "cluster": {authors[i]: clusters[c] for i, c in enumerate(index.a2c) if c != 0xFFFFFFFF},
        "members": {clusters[c]: [authors[j] for j in index.c2a.row(c)] for c in range(len(clusters))},
    }


def store_index(dataset: Dataset) -> dict[str, object]:
    active = StoreDir(dataset.store).active()
    assert active is not None
    index = AdjacencyIndex.open(active)
    assert index is not None
    try:
        return relations(index)
    finally:
        index.close()


def built(out: Path) -> dict[str, object]:
    index = open_index(out)
    try:
        return relations(index)
    finally:
        index.close()


def test_index_from_nquads_is_the_store_index(example_dataset: Dataset, tmp_path: Path) -> None:
    counts = build(tmp_path / "ix", files=[example_dataset.nquads / "data.nq"])
    assert counts["authors"] == 82 and counts["papers"] > 0
    assert built(tmp_path / "ix") == store_index(example_dataset)


def test_index_from_etl_shards_is_the_store_index(example_dataset: Dataset, tmp_path: Path) -> None:
    from engines import EXAMPLE_INPUTS

    etl_shards(list(EXAMPLE_INPUTS), tmp_path / "shards", shards=3)
    shards = sorted((tmp_path / "shards").glob("part-*.nq.gz"))
    assert len(shards) == 3
    build(tmp_path / "ix", files=shards)
    assert built(tmp_path / "ix") == store_index(example_dataset)


@pytest.mark.parametrize("kind", ENGINES)
def test_index_from_an_endpoint_in_pages_is_the_store_index(
    example_dataset: Dataset, kind: str, tmp_path: Path
) -> None:
    seen: list[tuple[str, int]] = []
    with RemoteBackend(example_dataset.endpoint(kind)) as remote:
        build(tmp_path / "ix", backend=remote, page=25, progress=lambda what, n: seen.append((what, n)))
    assert built(tmp_path / "ix") == store_index(example_dataset)
    assert len([s for s in seen if s[0] == "authorships"]) > 3  # it paged


def test_a_capped_endpoint_is_detected(httpserver: Any, tmp_path: Path) -> None:
    """An engine that answers fewer rows than a page asks (Virtuoso's ResultSetMaxRows below
    --page-size) looks as if it gave the last page: the COUNT(*) check turns that into an error."""

    def capped(request: Request) -> Response:
        query = request.form["query"]
        if "COUNT(*)" in query:
            bindings = [{"n": {"type": "literal", "value": "100", "datatype": XSD_INTEGER}}]
        else:
            bindings = [{"row": {"type": "uri", "value": f"http://x/a{i}"}} for i in range(3)]
        body = json.dumps({"head": {"vars": ["n", "row"]}, "results": {"bindings": bindings}})
        return Response(body, content_type="application/sparql-results+json")

    httpserver.expect_request("/sparql").respond_with_handler(capped)
    with RemoteBackend(httpserver.url_for("/sparql")) as remote, \
            pytest.raises(KgError, match=r"rows: 3 rows paged but COUNT\(\*\) says 100 .*--page-size 10"):
        build(tmp_path / "ix", backend=remote, page=10)


def test_a_page_whose_rows_are_not_all_kept_is_not_the_last(httpserver: Any) -> None:
    """Names whose value is not a literal (a blank node here) are left out of the search relation; the
    page they came in is still a full page, so the next one is asked for (kg.backend.paging counts the
    engine's solutions, not the rows kept): 25 names in pages of 10, every other one kept."""
    from kg.indexing import _triples
    from kg.terms import KG

    names = [(f"http://x/a{i}", "Ἀλέξανδρος Παπαδόπουλος" if i % 2 else None) for i in range(25)]

    def paged(request: Request) -> Response:
        query = request.form["query"]
        if "COUNT(*)" in query:
            bindings = [{"n": {"type": "literal", "value": str(len(names)), "datatype": XSD_INTEGER}}]
        else:
            limit = int(query.split("LIMIT ")[1].split()[0])
            offset = int(query.split("OFFSET ")[1].split()[0])
            bindings = [{"s": {"type": "uri", "value": s},
                         "o": {"type": "literal", "value": o} if o else {"type": "bnode", "value": f"b{s[-2:]}"}}
                        for s, o in names[offset:offset + limit]]
        body = json.dumps({"head": {"vars": ["s", "o"]}, "results": {"bindings": bindings}})
        return Response(body, content_type="application/sparql-results+json")

    httpserver.expect_request("/sparql").respond_with_handler(paged)
    with RemoteBackend(httpserver.url_for("/sparql")) as remote:
        quads = [q for batch in _triples(remote, KG.name, 10, lambda what, n: None) for q in batch]
    assert [q.subject.value for q in quads] == [s for s, o in names if o]
    assert {q.object.value for q in quads} == {"Ἀλέξανδρος Παπαδόπουλος"}


def test_bad_nquads_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nq.gz"
    with gzip.open(bad, "wt") as f:
        f.write('<http://x/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
                '<https://w3id.org/scholarly-kg/ontology#AuthorRow> <http://x/g> .\n')
        f.write('<http://x/p> <https://w3id.org/scholarly-kg/ontology#author> "oops <http://x/g> .\n')
    with pytest.raises(InputError, match=r"bad\.nq\.gz:2: not N-Quads"):
        build(tmp_path / "ix", files=[bad])
    # a broken line of a predicate only the search index reads, after good lines: its own number
    names = tmp_path / "names.nq"
    names.write_text('<http://x/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
                     '<https://w3id.org/scholarly-kg/ontology#AuthorRow> <http://x/g> .\n'
                     '<http://x/b> <http://x/other> "x" <http://x/g> .\n'
                     '<http://x/a> <https://w3id.org/scholarly-kg/ontology#name> "Ann" <http://x/g> .\n'
                     '<http://x/a> <https://w3id.org/scholarly-kg/ontology#name> Ann" <http://x/g> .\n',
                     encoding="utf-8")
    with pytest.raises(InputError, match=r"names\.nq:4: not N-Quads"):
        build(tmp_path / "ix", files=[names])
    with pytest.raises(InputError, match="no such file"):
        build(tmp_path / "ix", files=[tmp_path / "missing.nq"])
    empty = tmp_path / "empty.nq"
    empty.write_text("")
    with pytest.raises(KgError, match="no kg:AuthorRow"):
        build(tmp_path / "ix", files=[empty])


def test_kg_index_cli(example_dataset: Dataset, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kg", "index", str(example_dataset.nquads / "data.nq"), "-o", str(tmp_path / "ix")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "82 author rows" in done.stdout and "big clusters' order: 0 name keys" in done.stdout  # none of 50+
    assert built(tmp_path / "ix") == store_index(example_dataset)
    both = subprocess.run(
        [sys.executable, "-m", "kg", "index", str(example_dataset.nquads / "data.nq"), "--endpoint",
         "http://127.0.0.1:9/sparql", "-o", str(tmp_path / "iy")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert both.returncode == 2 and "either" in both.stderr


def _search_tables(path: Path) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return (set(conn.execute("SELECT iri, label, key, rows, papers, first, last, venue, persons FROM names")),
                set(conn.execute("SELECT iri, title, year, venue, authors, author_count FROM papers")))
    finally:
        conn.close()


def _store_search(dataset: Dataset) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    active = StoreDir(dataset.store).active()
    assert active is not None
    return _search_tables(active / "search.sqlite")


def test_search_index_from_nquads_is_the_store_s(example_dataset: Dataset, tmp_path: Path) -> None:
    counts = build(tmp_path / "ix", files=[example_dataset.nquads / "data.nq"])
    assert counts["search"]["names"] > 0 and counts["search"]["from"] == "store"  # type: ignore[index]
    assert _search_tables(tmp_path / "ix" / "search.sqlite") == _store_search(example_dataset)


@pytest.mark.parametrize("kind", ENGINES)
def test_search_through_an_endpoint_and_its_index_is_the_store_s(
    example_dataset: Dataset, kind: str, tmp_path: Path
) -> None:
    with RemoteBackend(example_dataset.endpoint(kind)) as remote:
        build(tmp_path / "ix", backend=remote, page=25)
    assert _search_tables(tmp_path / "ix" / "search.sqlite") == _store_search(example_dataset)
    run = [sys.executable, "-m", "kg", "search", "--format", "json"]
    for typed in ("Liu Liyuan", "l. liu", "decoder hyb"):
        local = subprocess.run([*run, typed, "--store", str(example_dataset.store)], capture_output=True,
                               text=True, check=True, cwd=ROOT).stdout
        remote_answer = subprocess.run([*run, typed, "--endpoint", example_dataset.endpoint(kind), "--index",
                                        str(tmp_path / "ix")], capture_output=True, text=True, check=True,
                                       cwd=ROOT).stdout
        assert json.loads(remote_answer) == json.loads(local) and json.loads(local)["results"]


@pytest.mark.parametrize("source", ["nquads", *ENGINES])
def test_kg_index_writes_the_big_clusters_order(example_dataset: Dataset, source: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`kg index` writes the big clusters' order as a build does (kg.cluster_order), so that a page of
    a big cluster over --endpoint URL --index DIR is a slice of it, not counted by the engine, and the
    same JSON as over the store (whose clusters are counted there: none has more than 50 papers)."""
    from kg.backend import open_store
    from kg.cluster_order import cluster_order
    from kg.cluster_page import cluster_page

    monkeypatch.setattr("kg.cluster_order.BIG", 4)  # the example's clusters are small
    kind = "oxigraph" if source == "nquads" else source
    endpoint = example_dataset.endpoint(kind)
    if source == "nquads":
        counts = build(tmp_path / "ix", files=[example_dataset.nquads / "data.nq"])
    else:
        with RemoteBackend(endpoint) as remote:
            counts = build(tmp_path / "ix", backend=remote, page=25)
    assert counts["cluster_order"]["strict_keys"] > 0  # type: ignore[index]
    with open_store(example_dataset.store) as local, RemoteBackend(endpoint, index=tmp_path / "ix") as remote:
        found = cluster_order(remote.index())
        assert found is not None and found.find("liyuan liu") is not None
        for key in ("liyuan liu", found.keys["strict"].iri(0)):
            for loose in (False, True):
                for page, size in ((1, 50), (2, 3)):
                    assert cluster_page(remote, key, page=page, page_size=size, loose=loose, pairs=True).to_json() \
                        == cluster_page(local, key, page=page, page_size=size, loose=loose, pairs=True).to_json()
    if source == "oxigraph":  # and through the server
        from engines import kg_serve

        with kg_serve("--store", str(example_dataset.store), log=tmp_path / "local.log") as here, \
                kg_serve("--endpoint", endpoint, "--index", str(tmp_path / "ix"), log=tmp_path / "remote.log") as there:
            path = "/api/clusters/liyuan%20liu?page=2&page_size=4"
            got = [requests.get(url + path, timeout=30) for url in (here, there)]
            assert [r.status_code for r in got] == [200, 200]
            assert json.loads(got[0].text.replace(here, "")) == json.loads(got[1].text.replace(there, ""))
