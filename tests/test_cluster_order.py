"""The precomputed order and counts of big name clusters (kg.cluster_order): written by the build,
per generation, and a page from them is the same JSON as a page counted in the store (the fallback,
kept for older stores and backends without an index), at the library, the API and over a remote
backend given the generation's index."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from server_fixtures import in_process, running

from kg.backend import Backend, EmbeddedBackend, open_store
from kg.backend.remote import RemoteBackend
from kg.cli import main
from kg.cluster import ambiguous
from kg.cluster_order import BIG, DIRECTORY, build_cluster_order, cluster_order
from kg.cluster_page import all_papers, cluster_page
from kg.identity import read
from kg.identity.read import ALONE, NO_GRAPH
from kg.queries import as_int, named


def _build(tmp: Path, papers: int, seed: int, store: Path) -> Path:
    rows = tmp / f"rows-{papers}-{seed}"
    run = CliRunner().invoke
    r = run(main, ["generate", "--papers", str(papers), "--seed", str(seed), "-o", str(rows)])
    assert r.exit_code == 0, r.output
    r = run(main, ["build", str(rows), "--store", str(store)])
    assert r.exit_code == 0, r.output
    return store


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated graph of 3,000 papers: a few dozen clusters have more than BIG papers."""
    tmp = tmp_path_factory.mktemp("bigclusters")
    return _build(tmp, 3000, 1, tmp / "store")


@pytest.fixture(scope="module")
def fast(big_store: Path) -> Iterator[EmbeddedBackend]:
    with open_store(big_store) as backend:
        yield backend


def keys(backend: EmbeddedBackend, loose: bool = False, n: int = 4) -> list[str]:
    """The biggest precomputed clusters first, then some, up to n."""
    found = cluster_order(backend.index())
    assert found is not None
    table = found.keys["loose" if loose else "strict"]
    every = [table.iri(i) for i in range(len(table))]
    sized = sorted(every, key=lambda k: -found.find(k, loose).paper_count)  # type: ignore[union-attr]
    return sized[: n // 2] + every[: n // 2]


def pages(backend: Backend, key: str, size: int, loose: bool, pairs: bool = False) -> list[dict[str, Any]]:
    """Some pages of the cluster as JSON values; each page's answer text (`json_bytes`, what the API
    sends) checked to be the JSON of those values, key order and spacing included."""
    first = cluster_page(backend, key, page_size=size, loose=loose)
    wanted = sorted({1, 2, (first.pages + 1) // 2, first.pages})
    out = []
    for p in wanted:
        if p <= first.pages:
            shown = cluster_page(backend, key, page=p, page_size=size, loose=loose, pairs=pairs)
            text = shown.json_bytes(next="n")
            value = shown.to_json()
            assert text == json.dumps({**value, "next": "n"}, ensure_ascii=False).encode(), (key, p)
            assert shown.to_json() == {**asdict(shown.cluster), **{k: value[k] for k in list(value)[7:]}}
            out.append(value)
    return out


def test_the_build_precomputes_every_cluster_of_more_than_big_papers(fast: EmbeddedBackend, big_store: Path) -> None:
    meta = json.loads((big_store / "active" / "build.json").read_text())["cluster_order"]
    assert meta["strict_keys"] > 10 and meta["loose_keys"] >= meta["strict_keys"] and meta["bytes"] > 0
    assert meta["strict_keys"] <= meta["clusters"] < meta["strict_keys"] + meta["loose_keys"]  # shared ones once
    found = cluster_order(fast.index())
    assert found is not None and found.counts["strict_keys"] == meta["strict_keys"]
    counted = {str(r["key"]): as_int(r["papers"]) or 0 for r in fast.select(
        "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>\n"
        "SELECT ?key (COUNT(DISTINCT ?paper) AS ?papers) WHERE { ?row kg:nameKey ?key . ?paper kg:author ?row } "
        "GROUP BY ?key")}
    big = {k for k, n in counted.items() if n > BIG}
    table = found.keys["strict"]
    assert {table.iri(i) for i in range(len(table))} == big
    for key in big:
        pre = found.find(key)
        assert pre is not None and pre.paper_count == counted[key]
        assert sum(y["papers"] or 0 for y in pre.years) == counted[key]
    assert found.find("nobody at all") is None
    # the persons precomputed as kg.identity.read gives them: groups of rows, and rows on their own
    persons = [p for k in big for p in found.find(k).persons]  # type: ignore[union-attr]
    assert any(p.iri and p.evidence for p in persons)  # a kg:ProbablePerson of the identity graph


@pytest.mark.parametrize("loose", [False, True])
@pytest.mark.parametrize("size", [7, 50, 500])
def test_pages_are_the_same_json_as_counted_in_the_store(fast: EmbeddedBackend, loose: bool, size: int) -> None:
    bare = EmbeddedBackend(fast.store)  # no directory: no index, so no precomputed order
    assert cluster_order(bare.index()) is None
    for key in keys(fast, loose):
        assert pages(fast, key, size, loose) == pages(bare, key, size, loose), key


def test_all_papers_in_the_same_order(fast: EmbeddedBackend) -> None:
    bare = EmbeddedBackend(fast.store)
    for key in keys(fast, n=4):
        assert [p.iri for p in all_papers(fast, key, batch=40)] == [p.iri for p in all_papers(bare, key, batch=40)]


def test_every_cluster_of_the_recorded_data_precomputed(example_store: Path, tmp_path: Path) -> None:
    """With no threshold every cluster of the recorded samples (untitled papers, papers without a
    year or a venue, names in many scripts) is precomputed, and still answers as before."""
    copy = tmp_path / "store"
    shutil.copytree(example_store, copy, symlinks=True)
    with open_store(copy) as backend:
        index = backend.index()
        assert index is not None
        counts = build_cluster_order(backend.store, index, big=0)
    with open_store(copy) as fast, open_store(example_store) as slow:
        found = cluster_order(fast.index())
        assert found is not None and found.counts == counts
        assert cluster_order(slow.index()) is not None and cluster_order(slow.index()).counts["strict_keys"] == 0  # type: ignore[union-attr]
        names = [str(c["key"]) for c in ambiguous(slow, 30)] + ["Liyuan Liu"]
        persons = [p for n in names for p in found.find(n.lower()).persons]  # type: ignore[union-attr]
        assert any(len(p.rows) > 1 and p.iri and p.evidence for p in persons)  # rows made one person
        for name in names:
            for loose in (False, True):
                assert found.find(name.lower(), loose) is not None or loose
                for size in (1, 4, 50):
                    assert pages(fast, name, size, loose) == pages(slow, name, size, loose), (name, loose, size)
                assert pages(fast, name, 4, loose, pairs=True) == pages(slow, name, 4, loose, pairs=True)


def test_the_persons_of_every_cluster_as_the_identity_graph_gives_them(big_store: Path, tmp_path: Path) -> None:
    """Precomputed for every cluster of two or more rows (no threshold), the probable persons are
    those kg.identity.read finds in the store: rows compared but kept apart, rows compared with no
    other, rows of a cluster the identity step did not judge (rows made one person: the recorded
    data's test above)."""
    copy = tmp_path / "store"
    shutil.copytree(big_store, copy, symlinks=True)
    with open_store(copy) as backend:
        index = backend.index()
        assert index is not None
        build_cluster_order(backend.store, index, big=0)
    seen: set[str] = set()
    with open_store(copy) as fast:
        found = cluster_order(fast.index())
        assert found is not None
        for loose in (False, True):
            table = found.keys["loose" if loose else "strict"]
            for i in range(len(table)):
                pre = found.find(table.iri(i), loose)
                assert pre is not None
                rows = pre.rows
                if len(rows) < 2:
                    continue
                want = read.persons(fast, table.iri(i), {r.iri: r.paper_count for r in rows}, loose=loose)
                assert pre.persons == want, table.iri(i)
                for p in want:
                    seen.add("joined" if len(p.rows) > 1 else "apart" if p.iri else p.evidence[0])
    assert {"apart", ALONE, NO_GRAPH} <= seen


def test_an_older_store_without_it_falls_back(big_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "store"
    shutil.copytree(big_store, copy, symlinks=True)
    shutil.rmtree(copy / "active" / "paths-index" / DIRECTORY)
    with open_store(copy) as old, open_store(big_store) as new:
        assert cluster_order(old.index()) is None and old.index() is not None
        key = keys(new, n=2)[0]
        assert pages(old, key, 50, False) == pages(new, key, 50, False)


def test_the_api_answers_the_same_json(fast: EmbeddedBackend, big_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "store"
    shutil.copytree(big_store, copy, symlinks=True)
    shutil.rmtree(copy / "active" / "paths-index" / DIRECTORY)
    key = keys(fast, n=2)[0]
    with in_process(big_store) as with_order, in_process(copy) as without:
        for query in ("", "?page=2&page_size=10", "?loose=true"):
            url = f"/api/clusters/{key}{query}"
            a, b = with_order.get(url), without.get(url)
            assert a.status_code == b.status_code == 200, url
            assert a.content == b.content, url  # the whole cluster's text copied: the same bytes
            assert a.json()["rows"] and a.json()["persons"], url
        assert with_order.get(f"/api/clusters/{key}?page=999").status_code == 404


def test_it_belongs_to_its_generation(tmp_path: Path) -> None:
    """A rebuild writes a new generation with its own precomputed clusters; a backend that follows
    the swap answers from the new ones (the same JSON as counted in the new store)."""
    store = _build(tmp_path, 1200, 2, tmp_path / "store")
    with open_store(store) as backend:
        before = cluster_order(backend.index())
        assert before is not None
        _build(tmp_path, 2000, 3, store)
        assert backend.refresh()
        after = cluster_order(backend.index())
        assert after is not None and after is not before and after.counts != before.counts
        bare = EmbeddedBackend(backend.store)
        for key in keys(backend, n=2):
            assert pages(backend, key, 50, False) == pages(bare, key, 50, False)


def test_a_remote_backend_with_the_generations_index(big_store: Path, tmp_path: Path) -> None:
    """`--endpoint URL --index DIR` with DIR a store generation: the pages come from its precomputed
    order, the papers' details from the endpoint; the same JSON as the embedded store's."""
    generation = (big_store / "active").resolve()
    with running(big_store, log=tmp_path / "serve.log") as server, open_store(big_store) as local, \
            RemoteBackend(server.endpoint, index=generation) as remote:
        assert cluster_order(remote.index()) is not None
        key = keys(local, n=2)[0]
        want = cluster_page(local, key, page=2, page_size=20).to_json()
        assert cluster_page(remote, key, page=2, page_size=20).to_json() == want
        assert remote.select(named("cluster-paper-count"), {"key": key})[0]["papers"] == want["paper_count"]


def test_a_store_added_to_has_no_author_lists_and_the_same_json(tmp_path: Path) -> None:
    """`kg build --add` reads the index back from the store, without the authorships' positions:
    the order and counts are precomputed, the author lists asked of the store, the JSON the same."""
    store = _build(tmp_path, 1200, 4, tmp_path / "store")
    r = CliRunner().invoke(main, ["build", str(tmp_path / "rows-1200-4"), "--store", str(store), "--add"])
    assert r.exit_code == 0, r.output
    with open_store(store) as backend:
        found = cluster_order(backend.index())
        assert found is not None and found.authors is None
        bare = EmbeddedBackend(backend.store)
        for key in keys(backend, n=2):
            pre = found.find(key)
            assert pre is not None and pre.authors(0, 10) is None
            assert pages(backend, key, 20, False) == pages(bare, key, 20, False)
    with open_store(_build(tmp_path, 1200, 5, tmp_path / "fresh")) as fresh:
        found = cluster_order(fresh.index())
        assert found is not None and found.authors is not None


NAMES_IN_EVERY_SCRIPT = ["José Müller", "Jose\u0301 Mu\u0308ller", "Ελένη Παπαδοπούλου", "Анна Иванова",
                         "李小龙", "محمد علي", 'Smith, "Jr."\nthe second']


def test_a_scan_reads_every_script_back_from_its_file_and_leaves_no_file(tmp_path: Path) -> None:
    """kg.cluster_order's scans go through a CSV file beside the index (never the whole answer in
    memory): every script, NFC and NFD as they are, and commas, quotes and line breaks inside a value."""
    import pyoxigraph as ox

    from kg.cluster_order import _scan
    from kg.terms import KG

    store = ox.Store()
    for k, name in enumerate(NAMES_IN_EVERY_SCRIPT):
        store.add(ox.Quad(ox.NamedNode(f"http://x/row/{k}"), ox.NamedNode(KG.name), ox.Literal(name),
                          ox.NamedNode("http://x/graph/rows")))
    found = sorted(_scan(store, KG.name, tmp_path))
    assert found == sorted([[f"http://x/row/{k}", n] for k, n in enumerate(NAMES_IN_EVERY_SCRIPT)])
    assert list(tmp_path.iterdir()) == []


def test_years_of_an_integer_type_only(tmp_path: Path) -> None:
    """A year is read as an integer when its datatype is one (as kg.queries.value reads it), else None."""
    import pyoxigraph as ox

    from kg.cluster_order import _years
    from kg.terms import KG

    xsd = "http://www.w3.org/2001/XMLSchema#"
    objects = {"a": ox.Literal("2019", datatype=ox.NamedNode(xsd + "integer")),
               "b": ox.Literal("1999", datatype=ox.NamedNode(xsd + "gYear")),
               "c": ox.Literal("2001"), "d": ox.Literal("2002", language="en"), "e": ox.NamedNode("http://x/2003"),
               "f": ox.Literal("MMIV", datatype=ox.NamedNode(xsd + "int"))}
    store = ox.Store()
    for s, o in objects.items():
        store.add(ox.Quad(ox.NamedNode(f"http://x/{s}"), ox.NamedNode(KG.year), o))
    assert dict(_years(store, tmp_path)) == {"http://x/a": 2019, "http://x/b": 1999, "http://x/c": None,
                                             "http://x/d": None, "http://x/e": None, "http://x/f": None}
    assert list(tmp_path.iterdir()) == []


@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 3000)),
                          st.one_of(st.none(), st.sampled_from(["", "Zeta", "alpha", "Émile", "E\u0301mile", "Ωμέγα",
                                                                "Жизнь", "中文", "عربي"]))),
                max_size=60))
def test_the_page_rank_a_year_at_a_time_is_the_plain_sort(papers: list[tuple[int | None, str | None]]) -> None:
    """kg.cluster_order._page_rank (sorted a year at a time) places the papers as one sort by
    (year given, newest first, title, IRI) does."""
    from kg.cluster_order import _page_rank

    year = {i: y for i, (y, _) in enumerate(papers) if y is not None or i % 2}
    titles = {i: t for i, (_, t) in enumerate(papers) if t is not None}

    def iri(i: int) -> str:
        return f"http://x/paper/{(i * 7919) % 101:03d}-{i}"

    def key(i: int) -> tuple[int, int, str, str]:
        y = year.get(i)
        return (0, -y, titles.get(i, ""), iri(i)) if y is not None else (1, 0, titles.get(i, ""), iri(i))

    plain = sorted(range(len(papers)), key=key)
    rank = _page_rank(year, titles, iri, len(papers))
    assert sorted(range(len(papers)), key=rank.__getitem__) == plain


def test_scans_read_csv_fields_of_any_length_as_the_csv_module_does() -> None:
    import csv
    import io

    from kg.cluster_order import long_rows
    text = ('s,o\r\nhttp://x/1,plain\r\nhttp://x/2,"a, b"\r\nhttp://x/3,"say ""hi"""\r\n'
            'http://x/4,"two\r\nlines, ""quoted""\nand more"\r\nhttp://x/5,\r\n,""\r\n"é, Ж",王\r\n')
    assert list(long_rows(iter(io.StringIO(text, newline="")))) == list(csv.reader(io.StringIO(text, newline="")))


def test_a_literal_longer_than_the_csv_field_limit_does_not_fail_the_index(example_store: Path, tmp_path: Path) -> None:
    """A 200,000-character literal of each kind the index scans (a title, a name, a label, identity
    evidence, a name key) and an abstract, loaded from RDF: the load and its index succeed."""
    store = tmp_path / "store"
    shutil.copytree(example_store, store, symlinks=True)
    huge = 'Ωmega, "Жук" 王 ' * 12_500 + 'x' * 12_500  # 200,000 characters, with commas, quotes and three scripts
    assert len(huge) == 200_000
    ns = "https://w3id.org/scholarly-kg/ontology#"
    paper = "http://localhost:7878/paper/2025-on-the-generalization-ability-of-next"
    literal = '"' + huge.replace('"', '\\"') + '"'
    predicates = [ns + p for p in ("title", "abstract", "name", "evidence", "nameKey")]
    lines = [f"<{paper}> <{p}> {literal} ." for p in [*predicates, "http://www.w3.org/2000/01/rdf-schema#label"]]
    rdf = tmp_path / "huge.nt"
    rdf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["load", str(rdf), "--store", str(store), "--add"])
    assert result.exit_code == 0, result.output
