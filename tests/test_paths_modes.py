"""Path modes (issue 18) against networkx: avoid, strongest, alternatives, reach, by row and by cluster,
on the example, on random co-authorship graphs and on the recorded dblp samples."""

from __future__ import annotations

import csv
import json
import random
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import combinations, islice
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import DATA, EXAMPLE, shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_paths import PUBLICATIONS, _write_rows

import kg
from kg import paths, sources
from kg.adjacency import AdjacencyIndex
from kg.cli import main
from kg.iris import Minter
from kg.names import name_key
from kg.paths import By, modes
from kg.paths.search import Graph
from kg.paths.steps import index_graph
from kg.store import StoreDir

M = Minter()


def _index(store: Path) -> AdjacencyIndex:
    active = StoreDir(store).active()
    assert active is not None
    index = AdjacencyIndex.open(active)
    assert index is not None
    return index


def _oracle(papers: Iterable[list[str]]) -> nx.Graph:
    """Nodes linked by the papers they share; a link's `papers` is how many it has."""
    g = nx.Graph()
    for authors in papers:
        nodes = sorted(set(authors))
        g.add_nodes_from(nodes)
        for x, y in combinations(nodes, 2):
            g.add_edge(x, y, papers=g.get_edge_data(x, y, {"papers": 0})["papers"] + 1)
    return g


def _weights(oracle: nx.Graph, path: list[str]) -> tuple[int, int]:
    w = [oracle[x][y]["papers"] for x, y in zip(path, path[1:], strict=False)]
    return (min(w), sum(w)) if w else (0, 0)


class Case:
    """One index by row or cluster beside its networkx graph (node IRIs) and a random source."""

    def __init__(self, index: AdjacencyIndex, by: By, oracle: nx.Graph, seed: int) -> None:
        self.index, self.by = index, by
        self.graph = index_graph(index, by)
        self.joint = modes.index_joint(index, by)
        self.oracle = oracle
        self.rnd = random.Random(seed)
        self.linked = sorted(n for n in oracle.nodes if oracle.degree(n))

    def n(self, iri: str) -> int:
        found = self.graph.to_node(iri)
        assert found is not None, iri
        return found

    def iris(self, path: list[int]) -> list[str]:
        return [self.graph.to_iri(x) for x in path]

    def pairs(self, count: int) -> Iterator[tuple[str, str]]:
        component = {x: sorted(c) for c in nx.connected_components(self.oracle) if len(c) > 2 for x in c}
        # mostly two nodes of one component that are not co-authors (a big component more often)
        linked = [x for x in sorted(component) if len(component[x]) > self.oracle.degree(x) + 1]
        for k in range(count):
            if k % 4 == 0 or not linked:
                yield self.rnd.choice(self.linked), self.rnd.choice(self.linked)
                continue
            x = self.rnd.choice(linked)
            yield x, self.rnd.choice([y for y in component[x] if y != x and y not in self.oracle[x]])

    def check_pair(self, s: str, t: str, k: int = 6) -> None:
        self.check_avoid(s, t)
        self.check_strongest(s, t)
        self.check_alternatives(s, t, k)

    def check_avoid(self, s: str, t: str) -> None:
        if not nx.has_path(self.oracle, s, t):
            assert modes.shortest(self.graph, self.n(s), self.n(t), max_hops=100).status == "not-connected"
            return
        avoid = [x for x in nx.shortest_path(self.oracle, s, t)[1:-1]]
        extra = self.rnd.choice(self.linked)
        avoid += [extra] if extra not in (s, t) else []
        kept = nx.restricted_view(self.oracle, avoid, [])
        r = modes.shortest(self.graph, self.n(s), self.n(t), avoid=[self.n(x) for x in avoid], max_hops=100,
                               limit=10_000)
        if not nx.has_path(kept, s, t):
            assert (r.status, r.distance, r.paths) == ("not-connected", None, [])
            return
        assert (r.status, r.distance) == ("found", nx.shortest_path_length(kept, s, t)), (s, t, avoid)
        assert [self.iris(p) for p in r.paths] == sorted(nx.all_shortest_paths(kept, s, t))

    def check_strongest(self, s: str, t: str) -> None:
        r = modes.shortest(self.graph, self.n(s), self.n(t), strongest=self.joint, max_hops=100)
        if not nx.has_path(self.oracle, s, t):
            assert r.status == "not-connected"
            return
        every = list(islice(nx.all_shortest_paths(self.oracle, s, t), 20_000))
        assert len(every) < 20_000
        best = min(every, key=lambda p: (-_weights(self.oracle, p)[0], -_weights(self.oracle, p)[1], p))
        [got] = r.paths
        assert self.iris(got) == best
        assert _weights(self.oracle, best)[0] == max(_weights(self.oracle, p)[0] for p in every)
        for p, q in zip(self.iris(got), self.iris(got)[1:], strict=False):
            assert self.joint(self.n(p), self.n(q)) == self.oracle[p][q]["papers"]

    def check_alternatives(self, s: str, t: str, k: int) -> None:
        r = modes.alternatives(self.graph, self.n(s), self.n(t), k, max_hops=100)
        if not nx.has_path(self.oracle, s, t):
            assert (r.status, r.paths) == ("not-connected", [])
            return
        want = [len(p) - 1 for p in islice(nx.shortest_simple_paths(self.oracle, s, t), k)] if s != t else [0]
        got = [self.iris(p) for p in r.paths]
        assert [len(p) - 1 for p in got] == want, (s, t)
        assert r.stopped is None and r.distance == want[0]
        assert len({tuple(p) for p in got}) == len(got), "no chain twice"
        assert got == sorted(got, key=lambda p: (len(p), p)), "by length, then IRI order"
        for p in got:
            assert (p[0], p[-1]) == (s, t) and len(set(p)) == len(p) and nx.is_path(self.oracle, p)

    def check_reach(self, s: str, hops: int) -> None:
        dist = nx.single_source_shortest_path_length(self.oracle, s)
        counts = Counter(d for d in dist.values() if 0 < d <= hops)
        at = self.rnd.randint(1, max(1, hops))
        found = self.graph.to_node(s)
        if found is None:  # in no paper with others
            assert not counts
            return
        r = modes.reach(self.graph, found, max_hops=hops, at=at)
        if self.by == "cluster":  # the layer through the rows gives the same
            assert modes.reach(self.graph, found, max_hops=hops, at=at,
                               layer=modes.index_cluster_layer(self.index)) == r
        assert r.counts == [counts[d] for d in range(1, len(r.counts) + 1)]
        assert sum(r.counts) == sum(counts.values())
        assert r.status == ("beyond-max-hops" if max(dist.values()) > hops else "complete")
        assert self.iris(r.at) == sorted(x for x, d in dist.items() if d == at and at <= hops)


# --- the example ---------------------------------------------------------------------------------------


def _example_papers(by: By) -> list[list[str]]:
    with open(EXAMPLE / "authors.csv", encoding="utf-8") as f:
        names = {r["id"]: r["name"] for r in csv.DictReader(f)}
    with open(EXAMPLE / "authorships.csv", encoding="utf-8") as f:
        papers: dict[str, list[str]] = {}
        for r in csv.DictReader(f):
            who = r["author_id"]
            papers.setdefault(r["paper_id"], []).append(
                M.author(who) if by == "author" else M.cluster(name_key(names[who])))
    return list(papers.values())


@pytest.mark.parametrize("by", ["author", "cluster"])
def test_example_modes_equal_networkx(example_store: Path, by: By) -> None:
    index = _index(example_store)
    try:
        case = Case(index, by, _oracle(_example_papers(by)), seed=18)
        for s, t in combinations(case.linked[::3], 2):
            case.check_pair(s, t)
        for s in case.linked:
            case.check_reach(s, case.rnd.randint(0, 5))
    finally:
        index.close()


def test_example_split_records_join_only_by_cluster(example_store: Path) -> None:
    index = _index(example_store)
    try:
        rows, clusters = index_graph(index, "author"), index_graph(index, "cluster")
        a, b = M.author("yiping-wang"), M.author("hong-chen-0004")
        row_a, row_b = rows.to_node(a), rows.to_node(b)
        assert row_a is not None and row_b is not None
        assert modes.shortest(rows, row_a, row_b).status == "not-connected"
        ca, cb, liu = (clusters.to_node(M.cluster(x)) for x in ("yiping wang", "hong chen", "liyuan liu"))
        assert ca is not None and cb is not None and liu is not None
        assert modes.shortest(clusters, ca, cb).paths == [[ca, liu, cb]]
        assert modes.shortest(clusters, ca, cb, avoid=[liu]).status == "not-connected"
        # Liyuan Liu -> Hong Chen: one paper with "Hong Chen 0004", one with "Hong Chen", both by liyuan-liu-b.
        assert modes.index_joint(index, "cluster")(liu, cb) == 2
    finally:
        index.close()


# --- random co-authorship graphs: every simple chain, brute force ------------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_graphs_equal_networkx(data: st.DataObject) -> None:
    n = data.draw(st.integers(2, 9))  # every simple chain of 9 nodes is still few
    pool = ["Ann Lee", "Bo Chen", "Cy Dao"]
    names = [data.draw(st.sampled_from([f"Person {i}", pool[i % 3], f"{pool[i % 3]} {1 + i:04d}"])) for i in range(n)]
    paper = st.lists(st.integers(0, n - 1), min_size=1, max_size=4, unique=True)
    papers = data.draw(st.lists(paper, min_size=1, max_size=14))
    with tempfile.TemporaryDirectory() as tmp:
        rows = Path(tmp) / "rows"
        rows.mkdir()
        _write_rows(rows, names, papers)
        kg.build([rows], Path(tmp) / "store")
        index = _index(Path(tmp) / "store")
        try:
            for by in ("author", "cluster"):
                label = [M.author(f"a{i}") if by == "author" else M.cluster(name_key(x)) for i, x in enumerate(names)]
                case = Case(index, by, _oracle([[label[i] for i in p] for p in papers]), seed=n)
                for s, t in islice(case.pairs(6), 6) if case.linked else ():
                    case.check_pair(s, t, k=8)
                    _check_all_simple(case, s, t, k=8)
                    case.check_reach(s, case.rnd.randint(0, 4))
        finally:
            index.close()


def _check_all_simple(case: Case, s: str, t: str, k: int) -> None:
    """The first k of every simple chain by (length, IRIs), within a hop bound too."""
    every = sorted(nx.all_simple_paths(case.oracle, s, t), key=lambda p: (len(p), p)) if s != t else [[s]]
    for hops in (2, 100):
        within = [p for p in every if len(p) - 1 <= hops]
        r = modes.alternatives(case.graph, case.n(s), case.n(t), k, max_hops=hops)
        assert [case.iris(p) for p in r.paths] == within[:k]
        strongest = modes.alternatives(case.graph, case.n(s), case.n(t), k, strongest=case.joint, max_hops=hops)
        if within:  # the strongest shortest chain first, then the others in the same order
            [best] = modes.shortest(case.graph, case.n(s), case.n(t), strongest=case.joint, max_hops=hops).paths
            assert [case.iris(p) for p in strongest.paths] == [case.iris(best), *[
                p for p in within if p != case.iris(best)]][:k]


# --- dblp XML: the oracle read with lxml alone --------------------------------------------------------------


def _dblp_papers(files: list[Path], by: By) -> list[list[str]]:
    from lxml import etree

    out = []
    keys: set[str] = set()
    for path in files:
        parser = etree.XMLParser(load_dtd=True, resolve_entities=True, no_network=True, huge_tree=True)
        for record in etree.parse(str(path), parser).getroot():
            key = record.get("key")
            if record.tag not in PUBLICATIONS or not key or key in keys:  # a key seen again is the same paper
                continue
            keys.add(key)
            title = record.find("title")
            if title is None or not " ".join("".join(title.itertext()).split()):
                continue
            names = [" ".join("".join(a.itertext()).split()) for a in record.iterfind("author")]
            out.append([M.author("dblp:" + x) if by == "author" else M.cluster(name_key(x)) for x in names if x])
    return out


def _check_dblp(files: list[Path], tmp: Path, pairs: int) -> None:
    if "dblp" not in sources.KINDS:
        pytest.skip("the dblp source (kg/sources/dblp.py, --from dblp) is not in this tree")
    kg.build(files, tmp / "store", kind="dblp")
    index = _index(tmp / "store")
    try:
        for seed, by in enumerate(("author", "cluster")):
            case = Case(index, by, _oracle(_dblp_papers(files, by)), seed)
            far = 0
            for s, t in case.pairs(pairs):
                case.check_pair(s, t)
                far += nx.has_path(case.oracle, s, t) and nx.shortest_path_length(case.oracle, s, t) > 1
            assert far > pairs // 2, f"only {far} of {pairs} pairs were two hops or more apart"
            for s in islice(case.rnd.sample(case.linked, len(case.linked)), pairs):
                case.check_reach(s, case.rnd.randint(1, 6))
    finally:
        index.close()


def test_dblp_samples_modes_equal_networkx(tmp_path: Path) -> None:
    files = sorted(shared("data", "dblp_xml").glob("*.xml"))
    _check_dblp(files, tmp_path, pairs=40)


def test_dblp_fixture_modes_equal_networkx(tmp_path: Path) -> None:
    _check_dblp([DATA / "paths" / "dblp-chain.xml"], tmp_path, pairs=30)


# --- the bounds --------------------------------------------------------------------------------------------


def _endless(fan: int = 0) -> Graph[int]:
    """0 and 1 linked, and each the end of an endless line (0, 2, 4, … and 1, 3, 5, …): once the
    link is cut, a search between them never meets; with `fan`, every node has `fan` new neighbours."""

    def neighbours(n: int) -> list[int]:
        if fan:
            return [*([1 - n] if n < 2 else []), *range(n * fan + 2, n * fan + 2 + fan)]
        return [*([1 - n] if n < 2 else [n - 2]), n + 2]

    return Graph(lambda iri: int(iri), str, neighbours, lambda n: len(neighbours(n)))


def test_bounds_keep_their_statuses() -> None:
    line = _endless()
    assert modes.shortest(line, 0, 1, avoid=[9]).paths == [[0, 1]]
    assert modes.shortest(line, 0, 10**9, max_hops=10**9, timeout=0.05).status == "timeout"
    assert modes.shortest(line, 0, 14, max_hops=6, avoid=[1]).status == "beyond-max-hops"
    assert modes.shortest(_endless(fan=1000), 0, 10**9, max_hops=100, max_visited=10_000).status == "too-large"
    # A chain is found, then the search for a second one meets a budget: the first stays, `stopped` says why.
    slow = modes.alternatives(line, 0, 1, 3, max_hops=10**9, timeout=0.05)
    assert (slow.status, slow.paths, slow.stopped) == ("found", [[0, 1]], "timeout")
    big = modes.alternatives(_endless(fan=1000), 0, 1, 3, max_hops=100, max_visited=10_000)
    assert (big.status, big.paths, big.stopped) == ("found", [[0, 1]], "too-large")
    short = modes.alternatives(line, 0, 1, 3, max_hops=20)
    assert (short.paths, short.stopped) == ([[0, 1]], None)
    assert modes.reach(line, 0, max_hops=10**9, timeout=0.05).status == "timeout"
    assert modes.reach(_endless(fan=1000), 0, max_hops=100, max_visited=10_000).status == "too-large"
    assert modes.reach(line, 0, max_hops=3).counts == [2, 2, 2]
    assert modes.reach(line, 0, max_hops=3, at=2).at == [3, 4]
    assert modes.reach(line, 0, max_hops=0) == modes.Reach("beyond-max-hops", [], [], 1)


# --- the features: kg.paths.shortest_paths / reach, on the index and on triple patterns; the command line ---------


@pytest.fixture(scope="module")
def data(example_store: Path) -> Iterator[kg.backend.Backend]:
    with kg.open_store(example_store) as backend:
        yield backend


@pytest.mark.parametrize(("a", "b", "by"), [("Yiping Wang", "Hong Chen 0004", "cluster"),
                                            ("yiping-wang", "Jingbo Shang", "author"),
                                            ("Yiping Wang", "Bin Yu", "author")])
def test_modes_are_the_same_on_every_step(data: kg.backend.Backend, a: str, b: str, by: By) -> None:
    plain = paths.shortest_paths(data, a, b, by=by)
    assert plain.distance is not None and plain.distance >= 2
    middle = plain.paths[0].nodes[1].iri
    for options in ({"avoid": [middle]}, {"strongest": True}, {"alternatives": 5},
                    {"alternatives": 3, "strongest": True}, {"avoid": [middle], "all": True}):
        answers = [paths.shortest_paths(data, a, b, by=by, backend=step, **options).to_json()  # type: ignore[arg-type]
                   for step in ("index", "store", "bipartite")]
        assert answers[1:] == answers[:1] * 2, options
    avoided = paths.shortest_paths(data, a, b, by=by, avoid=[middle], all=True)
    assert all(middle not in [n.iri for n in p.nodes] for p in avoided.paths)
    assert avoided.to_json()["avoid"] == [{"iri": middle, "name": plain.paths[0].nodes[1].name}]
    five = paths.shortest_paths(data, a, b, by=by, alternatives=5)
    assert five.paths[0].nodes == plain.paths[0].nodes and five.alternatives == 5 and five.stopped is None
    assert [len(p.links) for p in five.paths] == sorted(len(p.links) for p in five.paths)
    strong = paths.shortest_paths(data, a, b, by=by, strongest=True, all=True)
    weakest = [min(len(link.papers) for link in p.links) for p in strong.paths]
    assert strong.strongest and weakest[0] == max(weakest)
    for step in ("index", "store"):
        reached = [paths.reach(data, a, by=by, at=d, backend=step).to_json() for d in (1, 2)]  # type: ignore[arg-type]
        assert reached[0]["counts"] == reached[1]["counts"]
        assert reached[0]["total"] == reached[0]["counts"]["1"] == len(reached[0]["authors"])
        assert [n["iri"] for n in reached[1]["authors"]] == sorted(n["iri"] for n in reached[1]["authors"])
    assert paths.reach(data, a, by=by, backend="store").to_json() == paths.reach(data, a, by=by).to_json()


def test_reach_pages_and_bounds(data: kg.backend.Backend) -> None:
    whole = paths.reach(data, "Yiping Wang", at=2)
    assert (whole.status, whole.capped, whole.max_hops) == ("complete", False, paths.REACH_HOPS)
    page = paths.reach(data, "Yiping Wang", at=2, offset=3, limit=4)
    assert page.nodes == whole.nodes[3:7]
    near = paths.reach(data, "Yiping Wang", max_hops=1)
    assert (near.status, near.capped, near.counts) == ("beyond-max-hops", True, whole.counts[:1])
    assert near.to_json()["counts"] == {"1": whole.counts[0]} and "authors" not in near.to_json()
    assert paths.reach(data, "Yiping Wang", at=7).max_hops == 7, "--at farther than the default searches that far"
    assert "more beyond 1 hop" in paths.render_reach(near)
    assert "At distance 2 (4–7 of" in paths.render_reach(page)


def test_bad_mode_options_name_the_parameter(data: kg.backend.Backend) -> None:
    with pytest.raises(kg.QueryError, match="^avoid: 'Yiping Wang' is an end"):
        paths.shortest_paths(data, "Yiping Wang", "Hong Chen", avoid=["Yiping Wang"])
    with pytest.raises(paths.UnknownAuthor, match="^avoid: "):
        paths.shortest_paths(data, "Yiping Wang", "Hong Chen", avoid=["Nobody Known"])
    with pytest.raises(paths.AmbiguousAuthor) as e:
        paths.shortest_paths(data, "Yiping Wang", "Hong Chen", avoid=["Liyuan Liu"])
    assert e.value.param == "avoid"
    with pytest.raises(kg.QueryError, match="^alternatives: "):
        paths.shortest_paths(data, "Yiping Wang", "Hong Chen", alternatives=0)
    with pytest.raises(kg.QueryError, match="^alternatives: .*not both"):
        paths.shortest_paths(data, "Yiping Wang", "Hong Chen", alternatives=2, all=True)
    with pytest.raises(kg.QueryError, match="^at: 3 is beyond max_hops 2"):
        paths.reach(data, "Yiping Wang", max_hops=2, at=3)
    for bad in ({"at": 0}, {"offset": -1}, {"limit": 0}, {"max_hops": -1}):
        with pytest.raises(kg.QueryError, match=f"^{next(iter(bad))}: "):
            paths.reach(data, "Yiping Wang", **bad)  # type: ignore[arg-type]


def test_cli_modes(example_store: Path) -> None:
    s = ["--store", str(example_store), "--format", "json"]
    runner = CliRunner()
    res = runner.invoke(main, ["path", "Yiping Wang", "Hong Chen 0004", "--by", "cluster", "--alternatives", "3",
                               "--strongest", *s])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert (data["strongest"], data["alternatives"], data["stopped"]) == (True, 3, None)
    assert [len(p["links"]) for p in data["paths"]] == [2, 3, 3]
    res = runner.invoke(main, ["path", "Yiping Wang", "Hong Chen 0004", "--by", "cluster", "--avoid", "Liyuan Liu", *s])
    assert res.exit_code == 0 and json.loads(res.output)["status"] == "not-connected"
    assert json.loads(res.output)["avoid"] == [{"iri": M.cluster("liyuan liu"), "name": "Liyuan Liu"}]
    res = runner.invoke(main, ["reach", "Yiping Wang", "--at", "1", *s])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert set(data) >= {"author", "counts", "capped", "status", "authors"} and data["counts"]["1"] == 7
    text = runner.invoke(main, ["reach", "Yiping Wang", "--store", str(example_store), "--max-hops", "1"])
    assert text.exit_code == 0 and "more beyond 1 hop" in text.output
    bad = runner.invoke(main, ["reach", "Yiping Wang", "--store", str(example_store), "--max-hops", "1", "--at", "2"])
    assert bad.exit_code != 0 and "at: 2 is beyond max_hops 1" in bad.output


@pytest.mark.parametrize("option", [["--strongest"], ["--avoid", "Yiping Wang"]])
def test_one_path_asked_is_not_capped(example_store: Path, option: list[str]) -> None:
    """Without --all a mode gives one path, as the plain search does: not "capped by --limit", which the user
    never gave; with --all and --limit 1 it is capped, and says so (five shortest chains join these two)."""
    base = ["path", "Jingbo Shang", "Bin Yu", "--by", "cluster", "--store", str(example_store), *option]
    one = CliRunner().invoke(main, base)
    assert one.exit_code == 0, one.output
    assert "capped" not in one.output and "--limit" not in one.output
    assert json.loads(CliRunner().invoke(main, [*base, "--format", "json"]).output)["capped"] is False
    assert len(json.loads(CliRunner().invoke(main, [*base, "--all", "--format", "json"]).output)["paths"]) > 1
    assert "capped by --limit" in CliRunner().invoke(main, [*base, "--all", "--limit", "1"]).output
