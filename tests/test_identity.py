"""Identity evidence: which rows of a name cluster are probably one person, and why (kg.identity)."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import write_csv_tables

import kg
from kg.backend.embedded import EmbeddedBackend
from kg.cli import main
from kg.cluster import cluster
from kg.identity.evidence import DISTINCT, SAME
from kg.store import StoreDir

BASE = "http://localhost:7878/"
IDENTITY = BASE + "graph/identity"
LINKS = BASE + "graph/links"


def _tables(folder: Path, authors: list[list[str]], papers: dict[str, tuple[int, str, list[str]]]) -> Path:
    """Rows tables: authors [id, name, orcid]; papers id -> (year, venue, [author ids in order])."""
    folder.mkdir(parents=True)
    venues = sorted({v for _, v, _ in papers.values()})
    tables = {
        "venues.csv": (["id", "name", "kind"], [[v, v.upper(), "conference"] for v in venues]),
        "papers.csv": (["id", "title", "year", "venue_id"], [[p, f"On {p}", y, v] for p, (y, v, _) in papers.items()]),
        "authors.csv": (["id", "name", "orcid"], authors),
        "authorships.csv": (["paper_id", "author_id", "position"],
                            [[p, a, i] for p, (_, _, ids) in papers.items() for i, a in enumerate(ids, 1)]),
    }
    return write_csv_tables(folder, tables)


AUTHORS = [
    # two rows with one ORCID and nothing else in common
    ["ana1", "Ana Ruiz", "0000-0002-1825-0097"], ["ana2", "Ana Ruiz", "0000-0002-1825-0097"],
    # two rows with different ORCIDs and three co-authors in common
    ["bo1", "Bo Chen", "0000-0001-5109-3700"], ["bo2", "Bo Chen", "0000-0002-9079-593X"],
    # two rows on one paper that also share co-authors elsewhere
    ["cy1", "Cy Park", ""], ["cy2", "Cy Park", ""],
    # a chain: d1 and d2 share Xu, d2 and d3 share Yan, but d1 and d3 have different ORCIDs
    ["d1", "Dee Lund", "0000-0003-1415-9269"], ["d2", "Dee Lund", ""], ["d3", "Dee Lund", "0000-0001-2345-6789"],
    ["xu", "Xu Ming", ""], ["yan", "Yan Wei", ""], ["zed", "Zed Oort", ""], ["quin", "Quin Roe", ""],
]
PAPERS = {
    "a1": (2010, "v1", ["ana1"]), "a2": (2021, "v2", ["ana2"]),
    "b1": (2015, "v1", ["bo1", "xu", "yan", "zed"]), "b2": (2015, "v1", ["bo2", "xu", "yan", "zed"]),
    "c1": (2016, "v1", ["cy1", "cy2"]), "c2": (2016, "v1", ["cy1", "xu", "yan"]),
    "c3": (2016, "v1", ["cy2", "xu", "yan"]),
    "d1": (2018, "v3", ["d1", "xu", "quin"]), "d2": (2018, "v3", ["d2", "xu", "quin", "yan"]),
    "d3": (2018, "v3", ["d3", "yan", "quin"]),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("identity")
    target = root / "store"
    kg.build([_tables(root / "rows", AUTHORS, PAPERS)], target)
    return target


def _persons(store: Path, name: str) -> list[set[str]]:
    c = cluster(EmbeddedBackend.open(store), name)
    return [{r.rsplit("/", 1)[-1] for r in p.rows} for p in c.persons]


def test_orcid_agreement_groups(store: Path) -> None:
    assert _persons(store, "Ana Ruiz") == [{"ana1", "ana2"}]
    c = cluster(EmbeddedBackend.open(store), "Ana Ruiz", pairs=True)
    assert c.pairs is not None and c.pairs[0].verdict == SAME
    assert "the same ORCID 0000-0002-1825-0097" in c.pairs[0].reasons
    assert any("ORCID" in e for e in c.persons[0].evidence)


def test_orcid_conflict_never_groups(store: Path) -> None:
    assert sorted(map(sorted, _persons(store, "Bo Chen"))) == [["bo1"], ["bo2"]]
    c = cluster(EmbeddedBackend.open(store), "Bo Chen", pairs=True)
    assert c.pairs is not None and c.pairs[0].verdict == DISTINCT
    assert c.pairs[0].reasons[0].startswith("different ORCIDs")


def test_rows_on_one_paper_never_group(store: Path) -> None:
    assert sorted(map(sorted, _persons(store, "Cy Park"))) == [["cy1"], ["cy2"]]
    c = cluster(EmbeddedBackend.open(store), "Cy Park", pairs=True)
    assert c.pairs is not None and c.pairs[0].verdict == DISTINCT
    assert "1 paper together" in c.pairs[0].reasons[0]
    assert all("kept apart" in p.evidence[0] or "distinct" in p.evidence[0] for p in c.persons)


def test_no_group_contains_a_distinct_pair(store: Path) -> None:
    groups = _persons(store, "Dee Lund")
    assert not any({"d1", "d3"} <= g for g in groups)
    assert sorted(len(g) for g in groups) == [1, 2]  # d2 joins one of them, not both


def test_every_group_in_the_graph_is_free_of_distinct_pairs_and_covers_its_cluster(store: Path) -> None:
    data = EmbeddedBackend.open(store)
    db = StoreDir(store).open()
    for name in ("Ana Ruiz", "Bo Chen", "Cy Park", "Dee Lund", "Xu Ming"):
        c = cluster(data, name, pairs=True)
        rows = [r for p in c.persons for r in p.rows]
        assert sorted(rows) == sorted(r.iri for r in c.rows), "every row in exactly one person"
        assert sum(p.papers for p in c.persons) == sum(r.paper_count for r in c.rows)
        distinct = {tuple(v.rows) for v in c.pairs or [] if v.verdict == DISTINCT}
        for p in c.persons:
            assert not any(tuple(sorted(pair)) in distinct for pair in combinations(p.rows, 2))
    graph = ox.NamedNode(IDENTITY)
    assert any(True for _ in db.quads_for_pattern(None, None, None, graph))


def test_the_example_liyuan_liu_rows_stay_apart_with_the_reason(example_store: Path) -> None:
    c = cluster(EmbeddedBackend.open(example_store), "Liyuan Liu", pairs=True)
    assert len(c.persons) == 2 and [p.papers for p in c.persons] == [19, 2]
    for p in c.persons:
        assert "no shared co-author" in p.evidence[0]
    assert c.pairs is not None and len(c.pairs) == 1 and c.pairs[0].verdict != SAME
    assert "no shared co-author" in c.pairs[0].reasons
    # 19 papers and 2 without one co-author in common count against them (beside the shared ICML)
    assert "19 and 2 papers without a co-author in common" in c.pairs[0].reasons


def test_cross_source_rows_sharing_an_orcid_are_linked(tmp_path: Path) -> None:
    rows = _tables(tmp_path / "rows", [["rm", "Richard Müller", "0000-0002-1825-0097"]],
                   {"p": (2020, "v1", ["rm"])})
    dblp = Path(__file__).parent / "data" / "dblp" / "dblp_utf8.xml"
    store = tmp_path / "store"
    kg.build([rows, dblp], store)
    db = StoreDir(store).open()
    same = {(q.subject.value, q.object.value) for q in db.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs"), None, ox.NamedNode(LINKS))
        if "/author/" in q.subject.value}
    ours, theirs = BASE + "author/rm", BASE + "author/dblp%3ARichard%20M%C3%BCller%200001"
    assert (ours, theirs) in same and (theirs, ours) in same
    assert _persons(store, "Richard Müller") == [{"rm", "dblp%3ARichard%20M%C3%BCller%200001"}]


def test_cli_identity_and_pairs(store: Path, example_store: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(main, ["identity", "Dee Lund", "--store", str(store)])
    assert text.exit_code == 0, text.output
    assert "Dee Lund — 3 author rows, 2 probable persons" in text.output
    assert "different ORCIDs" in text.output
    data = runner.invoke(main, ["identity", "Liyuan Liu", "--store", str(example_store), "--format", "json"])
    assert data.exit_code == 0, data.output
    parsed = json.loads(data.output)
    assert len(parsed["persons"]) == 2 and len(parsed["pairs"]) == 1
    out = runner.invoke(main, ["cluster", "Bo Chen", "--store", str(store), "--format", "json", "--pairs"])
    assert out.exit_code == 0, out.output
    c = json.loads(out.output)
    assert c["pairs"][0]["verdict"] == "distinct" and len(c["persons"]) == 2
    plain = json.loads(runner.invoke(main, ["cluster", "Bo Chen", "--store", str(store), "--format", "json"]).output)
    assert plain["pairs"] is None and len(plain["persons"]) == 2


def test_build_and_add_give_the_same_identity(tmp_path: Path) -> None:
    """A fresh build collects the facts while mapping; --add reads them back from the store."""
    rows = _tables(tmp_path / "rows", AUTHORS, PAPERS)
    dblp = Path(__file__).parent / "data" / "dblp" / "dblp_utf8.xml"
    fresh, added = tmp_path / "fresh", tmp_path / "added"
    kg.build([rows, dblp], fresh)
    kg.build([rows], added)
    kg.build([dblp], added, add=True)

    def identity(store: Path) -> list[str]:
        db = StoreDir(store).open()
        return sorted(str(q) for q in db.quads_for_pattern(None, None, None, ox.NamedNode(IDENTITY)))

    assert identity(fresh) == identity(added) and identity(fresh)
