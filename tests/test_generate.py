"""kg generate: deterministic per seed, dblp's documented shapes within tolerance, valid rows."""

from __future__ import annotations

import csv
import filecmp
import hashlib
import sqlite3
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

import kg
from kg.cli import main
from kg.records import Author, Authorship
from kg.search.write import SEARCH
from kg.sources.rows import read_rows
from kg.store import StoreDir
from kg.synthetic import Shape, expected_authors_per_paper, generate, measure

TABLES = ("venues.csv", "authors.csv", "papers.csv", "authorships.csv")


@pytest.fixture(scope="module")
def rows20k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "rows"
    generate(20_000, 11, out)
    return out


@pytest.fixture(scope="module")
def shape20k(rows20k: Path) -> Shape:
    return measure(rows20k, sources=12)


def test_same_seed_same_bytes_other_seed_other_rows(tmp_path: Path) -> None:
    generate(1500, 5, tmp_path / "a")
    generate(1500, 5, tmp_path / "b")
    generate(1500, 6, tmp_path / "c")
    for table in TABLES:
        assert filecmp.cmp(tmp_path / "a" / table, tmp_path / "b" / table, shallow=False), table
    assert not filecmp.cmp(tmp_path / "a" / "authorships.csv", tmp_path / "c" / "authorships.csv", shallow=False)


def test_the_default_output_is_the_one_before_abstracts(tmp_path: Path) -> None:
    """The tables' bytes as `kg generate` wrote them before it could write abstracts (seed 5 and 7)."""
    before = {5: {"authors.csv": "3903cec620889080", "authorships.csv": "b3b1a4ccbc061159",
                  "papers.csv": "a5fe4241fe8acb07", "venues.csv": "17c5ec7a214eb15e"},
              7: {"authors.csv": "9e9c9d6c58185cac", "authorships.csv": "9363661a3c20e7ad",
                  "papers.csv": "4b8efca4d1df9fa9", "venues.csv": "18ac3c04c48d7513"}}
    for seed, digests in before.items():
        generate(300, seed, tmp_path / str(seed))
        assert {t: hashlib.sha256((tmp_path / str(seed) / t).read_bytes()).hexdigest()[:16] for t in TABLES} == digests


def _papers(rows: Path) -> list[dict[str, str]]:
    with open(rows / "papers.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_abstracts_change_nothing_else(tmp_path: Path) -> None:
    generate(400, 5, tmp_path / "plain")
    generate(400, 5, tmp_path / "with", abstracts=120)
    for table in ("venues.csv", "authors.csv", "authorships.csv"):
        assert filecmp.cmp(tmp_path / "plain" / table, tmp_path / "with" / table, shallow=False), table
    plain, drawn = (_papers(tmp_path / folder) for folder in ("plain", "with"))
    assert [{**row, "abstract": ""} for row in drawn] == plain
    words = [len(row["abstract"].split()) for row in drawn]
    assert min(words) >= 60 and max(words) <= 180 and 100 <= sum(words) / len(words) <= 140
    assert all(row["abstract"].endswith(".") and row["abstract"][0].isupper() for row in drawn)
    with pytest.raises(ValueError, match="abstracts"):
        generate(10, 5, tmp_path / "bad", abstracts=-1)
    report = kg.build([tmp_path / "with"], tmp_path / "store", strict=True)
    assert report.rows_rejected == 0
    index = sqlite3.connect(StoreDir(tmp_path / "store").require() / SEARCH)
    assert index.execute("SELECT value FROM meta WHERE key = 'abstracts'").fetchone() == ("400",)
    index.close()


def test_exact_paper_and_people_counts(shape20k: Shape) -> None:
    assert shape20k.papers == 20_000
    assert shape20k.people == round(0.48 * 20_000)
    assert shape20k.people_without_papers == 0


def test_authors_per_paper_as_dblp(shape20k: Shape) -> None:
    # docs/generator.md: mean about 3.3; 14 % one, 24 % two, 55 % three to six, 6 % seven or more
    assert abs(expected_authors_per_paper() - 3.3) < 0.1
    assert shape20k.authors_per_paper == pytest.approx(3.3, abs=0.15)
    assert shape20k.single_author == pytest.approx(0.14, abs=0.02)
    assert shape20k.two_authors == pytest.approx(0.24, abs=0.02)
    assert shape20k.three_to_six == pytest.approx(0.55, abs=0.03)
    assert shape20k.seven_or_more == pytest.approx(0.06, abs=0.015)
    assert shape20k.max_authors >= 30  # the rare tail


def test_people_and_productivity_as_dblp(shape20k: Shape) -> None:
    assert shape20k.people_per_paper == pytest.approx(0.48, abs=0.005)
    assert shape20k.authorships_per_person == pytest.approx(6.9, abs=0.35)
    # heavy-tailed: most people have one or two papers, a few hundreds
    assert shape20k.median_authorships_per_person <= 3
    assert 0.25 <= shape20k.one_paper_people <= 0.5
    assert shape20k.max_authorships_per_person >= 150


def test_coauthorship_graph_giant_component_distance_and_communities(shape20k: Shape) -> None:
    assert shape20k.giant_component == pytest.approx(0.89, abs=0.04)
    # mean distance grows with the graph (about 4 at 10k papers, 5.6 at 100k; dblp: about 6)
    assert 3.5 <= shape20k.mean_distance <= 7.5
    # communities: people write again with the same people and mostly in a few venues
    assert shape20k.repeat_coauthor_share >= 0.15
    assert shape20k.top_venue_share >= 0.3


def test_name_collisions_as_dblp(shape20k: Shape) -> None:
    assert shape20k.homonym_numbered == pytest.approx(0.016, abs=0.004)
    assert shape20k.largest_cluster_rows >= 10
    assert shape20k.case_variant_clusters > 0
    assert shape20k.diacritic_variant_clusters > 0


def test_venues_and_years(shape20k: Shape) -> None:
    assert shape20k.venue_kinds.get("conference", 0) > 100
    assert shape20k.venue_kinds.get("journal", 0) > 100
    assert shape20k.venue_kinds.get("repository") == 1  # CoRR
    assert 1960 <= shape20k.first_year <= shape20k.last_year <= 2025


def test_giant_component_agrees_with_networkx(tmp_path: Path) -> None:
    generate(3000, 2, tmp_path)
    graph: nx.Graph = nx.Graph()
    authors: dict[str, list[str]] = {}
    for located in read_rows(tmp_path):
        item = located.item
        if isinstance(item, Author):
            graph.add_node(item.id)
        elif isinstance(item, Authorship):
            authors.setdefault(item.paper_id, []).append(item.author_id)
    for people in authors.values():
        graph.add_edges_from(zip(people, people[1:], strict=False))
    giant = max(len(c) for c in nx.connected_components(graph))
    assert measure(tmp_path, sources=2).giant_component == pytest.approx(giant / graph.number_of_nodes())


def test_output_passes_a_strict_build(tmp_path: Path) -> None:
    generate(2000, 3, tmp_path / "rows", compress=True)
    assert {p.name for p in (tmp_path / "rows").iterdir()} == {f"{t}.gz" for t in TABLES}
    report = kg.build([tmp_path / "rows"], tmp_path / "store", strict=True)
    assert report.rows_rejected == 0
    assert report.rows_read == report.rows_loaded
    counts = StoreDir(tmp_path / "store").meta()["counts"]
    assert counts["papers"] == 2000
    assert counts["authors"] == 960


def test_cli_generate(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["generate", "--papers", "500", "--seed", "4", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "500 papers, 240 people" in result.output
    built = CliRunner().invoke(main, ["build", str(tmp_path), "--store", str(tmp_path / "s"), "--strict"])
    assert built.exit_code == 0, built.output
    bad = CliRunner().invoke(main, ["generate", "--papers", "0", "-o", str(tmp_path)])
    assert bad.exit_code == 2
    with_abstracts = CliRunner().invoke(main, ["generate", "--papers", "50", "--abstracts", "30", "-o",
                                              str(tmp_path / "a")])
    assert with_abstracts.exit_code == 0, with_abstracts.output
    assert all(row["abstract"] for row in _papers(tmp_path / "a"))
    negative = CliRunner().invoke(main, ["generate", "--papers", "5", "--abstracts", "-1", "-o", str(tmp_path)])
    assert negative.exit_code == 2
