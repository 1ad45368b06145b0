"""Name clusters on the example graph: the seed page's numbers, exact and loose keys, output formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

import kg
from kg.backend import EmbeddedBackend
from kg.cli import main
from kg.cluster import ambiguous, cluster
from kg.errors import QueryError
from kg.iris import DEFAULT_BASE_IRI

A = DEFAULT_BASE_IRI + "author/liyuan-liu-a"
B = DEFAULT_BASE_IRI + "author/liyuan-liu-b"


@pytest.mark.parametrize("name", ["Liyuan Liu", "LIYUAN LIU", "  liyuan   liu "])
def test_liyuan_liu_has_21_papers_over_2_rows(name: str, example_backend: EmbeddedBackend) -> None:
    c = cluster(example_backend, name)
    assert (c.name, c.key) == ("Liyuan Liu", "liyuan liu")
    assert len(c.papers) == 21
    assert {r.iri: r.paper_count for r in c.rows} == {A: 19, B: 2}
    assert sorted(r.paper_count for r in c.rows) == [2, 19]


def test_papers_are_newest_first_with_ordered_authors_and_their_row(example_backend: EmbeddedBackend) -> None:
    c = cluster(example_backend, "Liyuan Liu")
    years = [p.year for p in c.papers]
    assert years == sorted(years, reverse=True)
    assert c.papers[0].title.startswith("Decoder-Hybrid-Decoder")
    for p in c.papers:
        assert [a.position for a in p.authors] == list(range(1, len(p.authors) + 1))
        assert len(p.rows) == 1
    ntp = next(p for p in c.papers if p.title.startswith("On the Generalization Ability"))
    assert [a.name for a in ntp.authors] == [
        "Zhihao Li",
        "Xue Jiang",
        "Liyuan Liu",
        "Xuelin Zhang",
        "Hong Chen 0004",
        "Feng Zheng 0001",
    ]
    assert ntp.rows == [B]
    assert (ntp.venue, ntp.year, ntp.type) == ("ICML", 2025, "Conference Paper")
    first = c.papers[0]
    assert first.authors_truncated and first.authors[-1].name == "Liyuan Liu" and first.authors[-1].position == 9


def test_rows_tell_apart(example_backend: EmbeddedBackend) -> None:
    rows = {r.iri: r for r in cluster(example_backend, "Liyuan Liu").rows}
    assert (rows[A].first_year, rows[A].last_year) == (2018, 2025)
    assert rows[A].top_venues[0]["name"] == "NeurIPS"
    assert rows[A].top_coauthors[0]["name"] == "Jingbo Shang"
    assert {v["name"] for v in rows[B].top_venues} == {"ICML", "IJCAI"}


def test_homonym_numbers_share_the_cluster(example_backend: EmbeddedBackend) -> None:
    c = cluster(example_backend, "Hong Chen")
    assert sorted(r.name for r in c.rows) == ["Hong Chen", "Hong Chen 0004"]
    assert cluster(example_backend, "hong chen 0004").key == "hong chen"


def test_unknown_name_gives_an_empty_result(example_backend: EmbeddedBackend, example_store: Path) -> None:
    c = cluster(example_backend, "Nobody Here")
    assert c.papers == [] and c.rows == []
    runner = CliRunner()
    text = runner.invoke(main, ["cluster", "Nobody Here", "--store", str(example_store)])
    assert text.exit_code == 0
    assert "Nobody Here — 0 papers, 0 author rows" in text.output
    assert "No author row is named" in text.output
    data = runner.invoke(main, ["cluster", "Nobody Here", "--store", str(example_store), "--format", "json"])
    assert data.exit_code == 0
    assert json.loads(data.output)["papers"] == []


def test_empty_name_is_a_usage_error(example_backend: EmbeddedBackend, example_store: Path) -> None:
    with pytest.raises(QueryError):
        cluster(example_backend, "   ")
    result = CliRunner().invoke(main, ["cluster", " ", "--store", str(example_store)])
    assert result.exit_code == 2
    assert "NAME" in result.output


def test_text_output_looks_like_the_seed_page(example_store: Path) -> None:
    result = CliRunner().invoke(main, ["cluster", "Liyuan Liu", "--store", str(example_store)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "Liyuan Liu — 21 papers, 2 author rows"
    assert lines[2:5] == [
        "NeurIPS 2025 Conference Paper",
        "Decoder-Hybrid-Decoder Architecture for Efficient Reasoning with Long Generation",
        "  Liliang Ren, Congcong Chen, Haoran Xu, Young Jin Kim, Adam Atkinson, Zheng Zhan, Jiankai Sun, "
        "Baolin Peng, Liyuan Liu (the source's author list is incomplete)",  # the row, 9th: shown, not "1 more"
    ]
    assert "  Liyuan Liu  2 papers, 2025  <" in result.output  # one year, not 2025–2025


def test_text_always_shows_the_clusters_own_row(tmp_path: Path) -> None:
    """A long author list is cut, but never before the cluster's own row: `…, Ada Row (author 15) and 5 more`."""
    rows = tmp_path / "rows"
    rows.mkdir()
    (rows / "venues.csv").write_text("id,name\nv,V\n", encoding="utf-8")
    names = [f"Person {i:02d}" for i in range(1, 21)]
    names[14] = "Ada Row"
    (rows / "authors.csv").write_text(
        "id,name\n" + "".join(f"a{i},{n}\n" for i, n in enumerate(names, start=1)), encoding="utf-8")
    (rows / "papers.csv").write_text(
        "id,title,year,venue_id,authors_truncated\np1,Long,2020,v,false\np2,Cut,2021,v,true\n", encoding="utf-8")
    (rows / "authorships.csv").write_text(
        "paper_id,author_id,position\n" + "".join(f"p1,a{i},{i}\n" for i in range(1, 21))
        + "p2,a15,1\np2,a1,2\n", encoding="utf-8")
    store = tmp_path / "store"
    kg.build([rows], store, strict=True)
    text = CliRunner().invoke(main, ["cluster", "ada row", "--store", str(store)]).output.splitlines()
    assert text[text.index("Long") + 1] == (
        "  Person 01, Person 02, Person 03, Person 04, Person 05, Person 06, Person 07, "
        "… Ada Row (author 15) and 12 more"
    )
    assert text[text.index("Cut") + 1] == "  Ada Row, Person 01 (the source's author list is incomplete)"
    assert "  Ada Row  2 papers, 2020–2021  <" in "\n".join(text)


def test_json_shape(example_store: Path) -> None:
    result = CliRunner().invoke(main, ["cluster", "liyuan liu", "--store", str(example_store), "--format", "json"])
    data = json.loads(result.output)
    assert {"name", "key", "papers", "rows"} <= set(data)
    paper = data["papers"][0]
    assert {"iri", "title", "year", "venue", "type", "authors", "rows"} <= set(paper)
    assert set(paper["authors"][0]) == {"name", "iri", "position"}
    assert {"iri", "name", "paper_count"} <= set(data["rows"][0])


def test_csv_output(example_store: Path) -> None:
    result = CliRunner().invoke(main, ["cluster", "Liyuan Liu", "--store", str(example_store), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 21
    assert rows[2]["authors"].split("; ")[2] == "Liyuan Liu"


def test_loose_key_is_an_option(tmp_path: Path) -> None:
    from test_bad_rows import write_rows

    import kg

    rows = write_rows(
        tmp_path / "rows",
        {"authors": ["a3,José-María Núñez,,,", "a4,Jose Maria Nunez,,,"], "authorships": ["p1,a3,3,", "p1,a4,4,"]},
    )
    kg.build([rows], tmp_path / "S")
    with kg.open_store(tmp_path / "S") as db:
        assert len(cluster(db, "Jose Maria Nunez").rows) == 1
        assert len(cluster(db, "Jose Maria Nunez", loose=True).rows) == 2


def test_names_with_quotes_are_bound_not_pasted(example_backend: EmbeddedBackend) -> None:
    hostile = 'Liyuan Liu" } UNION { ?row ?p ?o } #'
    assert cluster(example_backend, hostile).papers == []


def test_most_ambiguous_clusters(example_backend: EmbeddedBackend) -> None:
    top = ambiguous(example_backend, 3)
    assert top[0]["rows"] == 2
    assert {"liyuan liu", "hong chen"} <= {str(t["key"]) for t in ambiguous(example_backend, 50)}


def test_row_details_equal_the_named_queries(example_db: ox.Store, example_backend: EmbeddedBackend) -> None:
    from kg.queries import named, select

    c = cluster(example_backend, "Liyuan Liu")
    params = {"key": c.key}
    venues = {
        (str(v["row"]), str(v["venue"]), v["papers"]) for v in select(example_db, named("cluster-row-venues"), params)
    }
    coauthors = {
        (str(r["row"]), str(r["coauthor"]), r["papers"])
        for r in select(example_db, named("cluster-row-coauthors"), params)
    }
    for row in c.rows:
        mine = {(row.iri, v["iri"], v["papers"]) for v in row.top_venues}
        assert mine <= venues
        assert len(row.top_venues) == min(5, sum(1 for v in venues if v[0] == row.iri))
        assert {(row.iri, a["iri"], a["papers"]) for a in row.top_coauthors} <= coauthors
        counts = sorted((n for r, _, n in coauthors if r == row.iri), reverse=True)[:5]  # type: ignore[type-var]
        assert [a["papers"] for a in row.top_coauthors] == counts
