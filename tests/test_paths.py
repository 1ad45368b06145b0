"""Co-authorship paths (issue 6): the example graph, networkx as the oracle on random graphs and dblp XML."""

from __future__ import annotations

import csv
import json
import random
import shutil
import tempfile
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import DATA, shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kg
from kg import paths
from kg.adjacency import AdjacencyIndex
from kg.backend import EmbeddedBackend, open_store
from kg.cli import main
from kg.iris import Minter
from kg.store import StoreDir

M = Minter()
BACKENDS: tuple[paths.Step, ...] = ("index", "bipartite", "store", "sparql")


@pytest.fixture(scope="module")
def graph(example_store: Path) -> Iterator[EmbeddedBackend]:
    with open_store(example_store) as g:
        assert g.index() is not None, "kg.build writes the adjacency index into the generation"
        yield g


# --- the example graph -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_coauthors_are_one_hop_apart_with_their_joint_paper(graph: EmbeddedBackend, backend: paths.Step) -> None:
    r = paths.shortest_paths(graph, "Yiping Wang", "liyuan-liu-a", backend=backend)
    assert (r.status, r.distance, r.capped) == ("found", 1, False)
    [path] = r.paths
    assert [n.iri for n in path.nodes] == [M.author("yiping-wang"), M.author("liyuan-liu-a")]
    [link] = path.links
    assert [p.title for p in link.papers] == [
        "Reinforcement Learning for Reasoning in Large Language Models with One Training Example"
    ]
    assert (link.papers[0].year, link.papers[0].venue) == (2025, "NeurIPS")


@pytest.mark.parametrize("backend", BACKENDS)
def test_split_records_chain_only_by_cluster(graph: EmbeddedBackend, backend: paths.Step) -> None:
    by_row = paths.shortest_paths(graph, "Yiping Wang", "Hong Chen 0004", backend=backend)
    assert (by_row.status, by_row.distance, by_row.paths) == ("not-connected", None, [])
    by_cluster = paths.shortest_paths(graph, "Yiping Wang", "Hong Chen 0004", by="cluster", backend=backend)
    assert (by_cluster.status, by_cluster.distance) == ("found", 2)
    [path] = by_cluster.paths
    assert [n.name for n in path.nodes] == ["Yiping Wang", "Liyuan Liu", "Hong Chen"]
    assert [n.iri for n in path.nodes] == [M.cluster("yiping wang"), M.cluster("liyuan liu"), M.cluster("hong chen")]
    # Liyuan Liu -> Hong Chen: one paper with "Hong Chen 0004", one with "Hong Chen", both by liyuan-liu-b.
    assert len(path.links[1].papers) == 2


@pytest.mark.parametrize(("a", "b", "by"), [("Yiping Wang", "Hong Chen 0004", "cluster"),
                                            ("yiping-wang", "hong-chen", "cluster"),
                                            ("liyuan-liu-a", "Jingbo Shang", "author"),
                                            ("Yiping Wang", "Bin Yu", "author")])
def test_backends_give_the_same_answer(graph: EmbeddedBackend, a: str, b: str, by: paths.By) -> None:
    answers = [paths.shortest_paths(graph, a, b, by=by, all=True, backend=x).to_json() for x in BACKENDS]
    assert all(answer == answers[0] for answer in answers[1:])
    assert answers[0]["distance"] is not None


def test_same_author_is_distance_zero(graph: EmbeddedBackend) -> None:
    r = paths.shortest_paths(graph, "Yiping Wang", M.author("yiping-wang"), all=True)
    assert (r.status, r.distance) == ("found", 0)
    assert [[n.iri for n in p.nodes] for p in r.paths] == [[M.author("yiping-wang")]]
    assert r.paths[0].links == []


def test_max_hops_is_a_distinct_result(graph: EmbeddedBackend) -> None:
    far = paths.shortest_paths(graph, "Yiping Wang", "Hong Chen 0004", by="cluster", max_hops=1)
    assert (far.status, far.distance) == ("beyond-max-hops", None)
    assert "no chain within 1 hop" in paths.render_text(far)
    apart = paths.shortest_paths(graph, "Yiping Wang", "Hong Chen 0004")
    assert "not connected" in paths.render_text(apart)


def test_names_resolve_case_insensitively_with_homonym_number(graph: EmbeddedBackend) -> None:
    assert paths.resolve(graph, "hong chen 0004").iri == M.author("hong-chen-0004")
    assert paths.resolve(graph, "  HONG   chen ").iri == M.author("hong-chen")
    assert paths.resolve(graph, "Hong Chen 0004", by="cluster").iri == M.cluster("hong chen")
    assert paths.resolve(graph, f"<{M.author('yiping-wang')}>").name == "Yiping Wang"


def test_ambiguous_name_lists_its_cluster(graph: EmbeddedBackend) -> None:
    with pytest.raises(paths.AmbiguousAuthor) as e:
        paths.shortest_paths(graph, "Liyuan Liu", "Yiping Wang")
    assert e.value.param == "A"
    assert [c.iri for c in e.value.candidates] == [M.author("liyuan-liu-a"), M.author("liyuan-liu-b")]


def test_unknown_author_is_an_error_naming_the_end(graph: EmbeddedBackend) -> None:
    with pytest.raises(paths.UnknownAuthor, match="^B: .*'Nobody Known'"):
        paths.shortest_paths(graph, "Yiping Wang", "Nobody Known")
    with pytest.raises(paths.UnknownAuthor, match="^A: "):
        paths.shortest_paths(graph, "http://example.org/not-an-author", "Yiping Wang")


@pytest.mark.parametrize("text", ["x:{y}", "<>", "<http://a b>", "   ", "\x00", "'; DROP ALL", "?row", "a\tb\nc"])
def test_hostile_ends_are_unknown_authors(graph: EmbeddedBackend, text: str) -> None:
    with pytest.raises(paths.UnknownAuthor, match="^A: "):
        paths.shortest_paths(graph, text, "Yiping Wang")


def test_bad_options_name_the_parameter(graph: EmbeddedBackend) -> None:
    with pytest.raises(kg.QueryError, match="max_hops"):
        paths.shortest_paths(graph, "Yiping Wang", "Hong Chen", max_hops=-1)
    with pytest.raises(kg.QueryError, match="limit"):
        paths.shortest_paths(graph, "Yiping Wang", "Hong Chen", all=True, limit=0)
    with pytest.raises(kg.QueryError, match="^by: "):
        paths.shortest_paths(graph, "Yiping Wang", "Hong Chen", by="venue")  # type: ignore[arg-type]


def test_all_paths_capped_by_limit(graph: EmbeddedBackend) -> None:
    # liyuan-liu-a's co-authors on two different papers: several two-hop chains may exist; find a pair with many.
    best = None
    index = graph.index()
    rows = sorted(index.authors.iri(i) for i in range(len(index.authors))) if index else []
    for a, b in combinations(rows[:40], 2):
        r = paths.shortest_paths(graph, a, b, all=True)
        if r.distance and len(r.paths) > 1:
            best = (a, b, r)
            break
    assert best is not None
    a, b, full = best
    assert not full.capped
    assert [p.nodes for p in full.paths] == sorted((p.nodes for p in full.paths), key=lambda ns: [n.iri for n in ns])
    one = paths.shortest_paths(graph, a, b)
    assert one.paths[0].nodes == full.paths[0].nodes  # the single path is the first in IRI order
    capped = paths.shortest_paths(graph, a, b, all=True, limit=1)
    assert capped.capped and len(capped.paths) == 1
    assert "capped by --limit" in paths.render_text(capped)


def test_coauthors_with_joint_paper_counts(graph: EmbeddedBackend) -> None:
    r = paths.coauthors(graph, "liyuan-liu-a")
    counts = {c.name: c.papers for c in r.coauthors}
    assert counts["Yiping Wang"] == 1
    assert all(c.iri != M.author("liyuan-liu-a") for c in r.coauthors)
    assert [c.papers for c in r.coauthors] == sorted((c.papers for c in r.coauthors), reverse=True)
    assert max(counts.values()) > 1


def test_store_without_index_falls_back_to_the_store(example_store: Path, tmp_path: Path) -> None:
    nq = tmp_path / "g.nq"
    kg.etl([Path(__file__).resolve().parent.parent / "examples" / "arrow-liyuan-liu"], nq)
    store = tmp_path / "store"
    kg.load([nq], store)
    active = StoreDir(store).active()
    assert active is not None
    assert AdjacencyIndex.open(active) is not None, "kg load writes the index too"
    shutil.rmtree(active / "paths-index")
    with open_store(store) as g:
        assert g.index() is None
        r = paths.shortest_paths(g, "Yiping Wang", "Hong Chen 0004", by="cluster")
        assert r.distance == 2
        with pytest.raises(kg.QueryError, match="^backend: "):
            paths.shortest_paths(g, "Yiping Wang", "Hong Chen 0004", backend="index")


def test_search_budgets_stop_with_their_own_status() -> None:
    def line(n: int) -> list[int]:  # an endless path graph: the ends are never met
        return [n - 1, n + 1]

    def star(n: int) -> range:  # every node has 1,000 new neighbours
        return range(n * 1000 + 1, n * 1000 + 1001)

    assert paths.bidirectional(line, 0, 10**9, max_hops=10**9, timeout=0.05).status == "timeout"
    assert paths.bidirectional(star, 1, 2, max_hops=100, max_visited=10_000).status == "too-large"
    assert paths.bidirectional(line, 0, 7, max_hops=6).status == "beyond-max-hops"
    found = paths.bidirectional(line, 0, 7, max_hops=7)
    assert (found.status, found.distance) == ("found", 7)
    assert list(paths.enumerate_paths(found, 0)) == [list(range(8))]


def test_index_tables(graph: EmbeddedBackend) -> None:
    index = graph.index()
    assert index is not None
    iris = [index.authors.iri(i) for i in range(len(index.authors))]
    assert iris == sorted(iris) and len(iris) == 73
    assert all(index.authors.find(iri) == i for i, iri in enumerate(iris))
    assert index.authors.find(M.author("nobody")) is None and index.authors.find("") is None
    assert index.authors.find(iris[-1] + "x") is None
    # the co-author relation is symmetric and matches the paper lists
    for i in range(len(iris)):
        via_papers = {x for p in index.a2p.row(i) for x in index.p2a.row(p)} - {i}
        assert set(index.a2a.row(i)) == via_papers
        assert all(i in index.a2a.row(j) for j in index.a2a.row(i))
    liu = index.clusters.find(M.cluster("liyuan liu"))
    assert liu is not None
    members = sorted(index.authors.iri(r) for r in index.c2a.row(liu))
    assert members == [M.author("liyuan-liu-a"), M.author("liyuan-liu-b")]


# --- the command line ------------------------------------------------------------------------------


def test_cli_path_json(example_store: Path) -> None:
    res = CliRunner().invoke(main, ["path", "Yiping Wang", "Hong Chen 0004", "--store", str(example_store),
                                    "--by", "cluster", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert set(data) >= {"from", "to", "distance", "paths", "capped"}
    assert data["distance"] == 2 and data["capped"] is False
    assert data["from"] == {"iri": M.cluster("yiping wang"), "name": "Yiping Wang"}
    [path] = data["paths"]
    assert [n["name"] for n in path["nodes"]] == ["Yiping Wang", "Liyuan Liu", "Hong Chen"]
    assert set(path["links"][0]["papers"][0]) >= {"iri", "title", "year"}


def test_cli_exit_codes(example_store: Path) -> None:
    s = ["--store", str(example_store)]
    runner = CliRunner()
    none = runner.invoke(main, ["path", "Yiping Wang", "Hong Chen 0004", *s, "--format", "json"])
    assert none.exit_code == 0 and json.loads(none.output)["distance"] is None
    ambiguous = runner.invoke(main, ["path", "Liyuan Liu", "Yiping Wang", *s])
    assert ambiguous.exit_code == 2
    assert M.author("liyuan-liu-a") in ambiguous.output and M.author("liyuan-liu-b") in ambiguous.output
    unknown = runner.invoke(main, ["path", "Yiping Wang", "Nobody Known", *s])
    assert unknown.exit_code == 1 and "B: " in unknown.output
    text = runner.invoke(main, ["path", "yiping-wang", "liyuan-liu-a", *s])
    assert text.exit_code == 0 and "distance 1" in text.output and "Reinforcement Learning" in text.output
    co = runner.invoke(main, ["coauthors", "Yiping Wang", *s, "--format", "json"])
    assert co.exit_code == 0 and json.loads(co.output)["author"]["name"] == "Yiping Wang"
    assert runner.invoke(main, ["coauthors", "Liyuan Liu", *s]).exit_code == 2


# --- networkx as the oracle on random co-authorship graphs --------------------------------------------


def _write_rows(directory: Path, names: list[str], papers: list[list[int]]) -> None:
    def table(name: str, header: list[str], rows: list[list[object]]) -> None:
        with open(directory / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)

    table("venues", ["id", "name"], [["v", "V"]])
    table("authors", ["id", "name"], [[f"a{i}", n] for i, n in enumerate(names)])
    table("papers", ["id", "title", "year", "venue_id"],
          [[f"p{k}", f"Paper {k}", 2000 + k, "v"] for k in range(len(papers))])
    table("authorships", ["paper_id", "author_id", "position"],
          [[f"p{k}", f"a{i}", pos] for k, authors in enumerate(papers) for pos, i in enumerate(authors, start=1)])


def _nx(papers: list[list[int]], n: int, node: list[str] | None = None) -> nx.Graph:
    """The co-authorship graph; with `node`, author i is node[i] (several authors may share a node)."""
    label = node or [M.author(f"a{i}") for i in range(n)]
    g = nx.Graph()
    g.add_nodes_from(label)
    for authors in papers:
        for x, y in combinations(authors, 2):
            if label[x] != label[y]:
                g.add_edge(label[x], label[y])
    return g


@st.composite
def coauthorship(draw: st.DrawFn) -> tuple[list[str], list[list[int]]]:
    n = draw(st.integers(2, 11))
    # A few shared names (with or without a homonym number) so that name clusters merge rows.
    pool = ["Ann Lee", "Bo Chen", "Cy Dao"]
    names = [draw(st.sampled_from([f"Person {i}", pool[i % 3], f"{pool[i % 3]} {1 + i:04d}"])) for i in range(n)]
    paper = st.lists(st.integers(0, n - 1), min_size=1, max_size=4, unique=True)
    papers = draw(st.lists(paper, min_size=1, max_size=12))
    return names, papers


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coauthorship(), st.randoms(use_true_random=False), st.integers(0, 4))
def test_paths_equal_networkx(case: tuple[list[str], list[list[int]]], rnd: random.Random, hops: int) -> None:
    names, papers = case
    n = len(names)
    with tempfile.TemporaryDirectory() as tmp:
        rows = Path(tmp) / "rows"
        rows.mkdir()
        _write_rows(rows, names, papers)
        kg.build([rows], Path(tmp) / "store")
        g = open_store(Path(tmp) / "store")
        try:
            by_row = _nx(papers, n)
            by_cluster = _nx(papers, n, [M.cluster(kg.name_key(x)) for x in names])
            for _ in range(6):
                i, j = rnd.randrange(n), rnd.randrange(n)
                backend = rnd.choice(BACKENDS)
                _check(g, by_row, M.author(f"a{i}"), M.author(f"a{j}"), "author", backend, hops)
                _check(g, by_cluster, M.author(f"a{i}"), M.author(f"a{j}"), "cluster", backend, hops)
        finally:
            g.close()


def _check(g: EmbeddedBackend, oracle: nx.Graph, a: str, b: str, by: paths.By, backend: paths.Step,
           hops: int) -> None:
    r = paths.shortest_paths(g, a, b, by=by, max_hops=50, all=True, limit=10_000, backend=backend)
    s, t = r.source.iri, r.target.iri
    if not nx.has_path(oracle, s, t):
        assert (r.status, r.distance, r.paths) == ("not-connected", None, [])
        return
    assert r.status == "found" and r.distance == nx.shortest_path_length(oracle, s, t)
    got = [[n.iri for n in p.nodes] for p in r.paths]
    assert got == sorted(nx.all_shortest_paths(oracle, s, t)), "every shortest path, in IRI order"
    for p in r.paths:
        assert len(p.links) == r.distance and all(link.papers for link in p.links)
    one = paths.shortest_paths(g, a, b, by=by, max_hops=hops, backend=backend)
    if r.distance <= hops:
        assert one.distance == r.distance and [[n.iri for n in p.nodes] for p in one.paths] == got[:1]
    else:
        assert (one.status, one.distance) == ("beyond-max-hops", None)


# --- dblp XML: distances against an independent networkx computation -----------------------------------

PUBLICATIONS = ("article", "inproceedings", "proceedings", "book", "incollection", "phdthesis", "mastersthesis", "data")


def _dblp_graph(files: list[Path]) -> nx.Graph:
    """Authors are linked by each publication record's <author> elements, read here with lxml alone."""
    from lxml import etree

    g = nx.Graph()
    for path in files:
        parser = etree.XMLParser(load_dtd=True, resolve_entities=True, no_network=True, huge_tree=True)
        root = etree.parse(str(path), parser).getroot()
        for record in root:
            if record.tag not in PUBLICATIONS or not record.get("key"):
                continue
            title = record.find("title")
            if title is None or not " ".join("".join(title.itertext()).split()):
                continue
            names = list(dict.fromkeys(" ".join("".join(a.itertext()).split()) for a in record.iterfind("author")))
            names = [x for x in names if x]
            g.add_nodes_from(names)
            g.add_edges_from(combinations(names, 2))
    return g


def _check_dblp(files: list[Path], tmp: Path, pairs: int) -> None:
    kg.build(files, tmp / "store", kind="dblp")
    oracle = _dblp_graph(files)
    rnd = random.Random(6)
    nodes = sorted(oracle.nodes)
    component = {x: sorted(c) for c in nx.connected_components(oracle) if len(c) > 2 for x in c}
    linked = sorted(component)
    assert linked
    g = open_store(tmp / "store")
    try:
        found = 0
        for k in range(pairs):
            if k % 2:  # half within one component (a big one more often), so that those have a chain
                x = rnd.choice(linked)
                y = rnd.choice(component[x])
            else:
                x, y = rnd.choice(nodes), rnd.choice(nodes)
            r = paths.shortest_paths(g, "dblp:" + x, "dblp:" + y, max_hops=100, backend="index" if k % 3 else "store")
            want = nx.shortest_path_length(oracle, x, y) if nx.has_path(oracle, x, y) else None
            assert r.distance == want, (x, y)
            found += want is not None and want > 1
        assert found > pairs // 10, f"only {found} of {pairs} pairs had a chain of two hops or more"
    finally:
        g.close()


def test_dblp_samples_distances_equal_networkx(tmp_path: Path) -> None:
    directory = shared("data", "dblp_xml")
    files = sorted(directory.glob("*.xml"))
    _check_dblp(files, tmp_path, pairs=300)


def test_dblp_fixture_distances_equal_networkx(tmp_path: Path) -> None:
    _check_dblp([DATA / "paths" / "dblp-chain.xml"], tmp_path, pairs=60)


def test_ambiguous_candidates_say_papers_and_years(graph: EmbeddedBackend) -> None:
    with pytest.raises(paths.AmbiguousAuthor) as e:
        paths.shortest_paths(graph, "Yiping Wang", "Liyuan Liu")
    text = paths.render_candidates(e.value)
    assert f"Liyuan Liu  19 papers, 2018–2025  <{M.author('liyuan-liu-a')}>" in text
    assert f"Liyuan Liu  2 papers, 2025  <{M.author('liyuan-liu-b')}>" in text
