"""SHACL validation: every graph the project builds conforms; broken graphs give the expected violation."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import EXAMPLE, shared

import kg
from kg.cli import main
from kg.store import StoreDir
from kg.validate import ValidationError, require_valid, validate

KG = "https://w3id.org/scholarly-kg/ontology#"
PAPER = "http://localhost:7878/paper/2018-empower-sequence-labeling-with-task"
SHIP = PAPER + "/authorship/"
GRAPH = "http://localhost:7878/graph/rows"

SAMPLES = [
    ("dblp", "dblp_xml/donnerdistel_dblp_test.xml"),
    ("dblp", "dblp_xml/rgovaerts_dblp_excerpt.xml"),
    ("dblp", "dblp_xml/xcurator_dblp_sample.xml"),
    ("dblp", "dblp_xml/shenka123_dblp_head.xml"),
    ("dblp", "dblp_xml/florentin4_dblp_articles.xml"),
    ("openalex", "openalex/openalexpro_page1_200works.json"),
    ("openalex", "openalex/openalexpro_page2_59works.json"),
    ("openalex", "openalex/openalexpro_chunk1.json"),
    ("openalex", "openalex/openalexpro_chunk2.json"),
    ("openalex", "openalex/openalexpro_chunk3.json"),
    ("openalex", "openalex/openalexpro_chunk4.json"),
    ("crossref", "crossref/fmuro_crossref_worklist.json"),
    ("crossref", "crossref/giraffe_crossref_work.json"),
]


def _violations(db: ox.Store) -> list[str]:
    return [f"{v.focus} {v.message}" for v in validate(db).violations]


def test_the_example_conforms(example_db: ox.Store) -> None:
    report = validate(example_db)
    assert report.conforms, report.violations
    assert "whole graph" in report.mode
    assert report.focus_nodes[KG + "Paper"] == 21


@pytest.mark.parametrize(("kind", "sample"), SAMPLES, ids=[s for _, s in SAMPLES])
def test_each_recorded_sample_conforms(kind: str, sample: str, tmp_path: Path) -> None:
    path = shared("data", *sample.split("/"))
    kg.build([path], tmp_path / "S", kind=kind)
    db = StoreDir(tmp_path / "S").open()
    assert _violations(db) == []


def test_a_synthetic_graph_conforms_also_by_sample(tmp_path: Path) -> None:
    from kg.synthetic import generate

    generate(400, 3, tmp_path / "rows")
    kg.build([tmp_path / "rows"], tmp_path / "S", strict=True)
    db = StoreDir(tmp_path / "S").open()
    assert _violations(db) == []
    sampled = validate(db, sample=50)
    assert sampled.conforms and "a sample of up to 50 nodes per class" in sampled.mode
    assert sampled.focus_nodes[KG + "Paper"] == 50
    chunked = validate(db, full_limit=10)
    assert chunked.conforms and "every node" in chunked.mode
    assert chunked.focus_nodes[KG + "Paper"] == 400


def _broken(example_db: ox.Store, update: str) -> ox.Store:
    store = ox.Store()
    store.bulk_load(input=example_db.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
    store.update(f"PREFIX kg: <{KG}>\n" + update)
    return store


def test_two_titles(example_db: ox.Store) -> None:
    db = _broken(example_db, f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{PAPER}> kg:title "Another title" }} }}')
    assert _violations(db) == [f"{PAPER} a paper has at most one title, not empty"]


def _set_position(example_db: ox.Store, n: int, position: int) -> ox.Store:
    return _broken(
        example_db,
        f"DELETE DATA {{ GRAPH <{GRAPH}> {{ <{SHIP}{n}> kg:position {n} }} }} ;"
        f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{SHIP}{n}> kg:position {position} }} }}",
    )


def test_ordinal_zero(example_db: ox.Store) -> None:
    db = _set_position(example_db, 1, 0)
    assert _violations(db) == [f"{SHIP}1 an authorship has exactly one positive position"]


def test_duplicate_ordinals(example_db: ox.Store) -> None:
    db = _set_position(example_db, 2, 1)
    assert _violations(db) == [f"{PAPER} two authorships of this paper have the same position 1"]


def test_missing_author(example_db: ox.Store) -> None:
    db = _broken(example_db, f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ <{SHIP}3> kg:authorRow ?a }} }}")
    assert _violations(db) == [f"{SHIP}3 an authorship has exactly one author row"]


def test_cluster_key_mismatch(example_db: ox.Store) -> None:
    row = "http://localhost:7878/author/jingbo-shang"
    db = _broken(
        example_db,
        f'DELETE DATA {{ GRAPH <{GRAPH}> {{ <{row}> kg:nameKey "jingbo shang" }} }} ;'
        f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{row}> kg:nameKey "someone else" }} }}',
    )
    got = _violations(db)
    assert f"{row} the author row's name key someone else differs from its cluster's key jingbo shang" in got
    assert any("has the name key someone else, not the cluster's" in v for v in got)


def test_bad_identifier_iri(example_db: ox.Store) -> None:
    db = _broken(example_db, f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{PAPER}> kg:doi <http://example.org/x> }} }}")
    assert _violations(db) == [f"{PAPER} a DOI is an IRI https://doi.org/10.…"]


def test_cli_exit_code_and_build_validate(tmp_path: Path, example_db: ox.Store) -> None:
    broken = _broken(example_db, f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ <{SHIP}3> kg:authorRow ?a }} }}")
    nq = tmp_path / "broken.nq"
    broken.dump(str(nq), format=ox.RdfFormat.N_QUADS)
    kg.load([nq], tmp_path / "B")
    runner = CliRunner()
    result = runner.invoke(main, ["validate", "--store", str(tmp_path / "B")])
    assert result.exit_code == 1
    assert "1 violation" in result.output
    assert runner.invoke(main, ["validate", "--store", str(tmp_path / "B"), "--format", "ttl"]).exit_code == 1
    with pytest.raises(ValidationError):
        require_valid(broken)
    good = runner.invoke(main, ["build", str(EXAMPLE), "--store", str(tmp_path / "G"), "--validate"])
    assert good.exit_code == 0, good.output


def test_the_bound_constraints_find_what_the_store_wide_ones_find(example_db: ox.Store) -> None:
    """kg sync checks its touched resources with the SHACL-SPARQL constraints bound to them (VALUES
    ?this); on a graph broken in several ways, for random sets of focus nodes, that finds exactly what
    running each constraint over the whole store and keeping the focus nodes finds."""
    import random
    import sys

    validation = sys.modules["kg.validate"]
    row = "http://localhost:7878/author/jingbo-shang"
    db = _broken(example_db,
                 f"DELETE DATA {{ GRAPH <{GRAPH}> {{ <{SHIP}2> kg:position 2 }} }} ;"
                 f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{SHIP}2> kg:position 1 }} }} ;"
                 f'DELETE DATA {{ GRAPH <{GRAPH}> {{ <{row}> kg:nameKey "jingbo shang" }} }} ;'
                 f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{row}> kg:nameKey "someone else" }} }}')
    subjects = sorted({q.subject.value for q in db.quads_for_pattern(None, None, None)
                       if isinstance(q.subject, ox.NamedNode)})
    rng = random.Random(5)
    for size in (1, 5, 50, 400, len(subjects)):
        for _ in range(4):
            focus = set(rng.sample(subjects, min(size, len(subjects)))) | ({PAPER, row} if size == 5 else set())
            plain = validation._sparql_violations(db, focus)
            bound = validation._sparql_violations(db, focus, bind=True)
            assert sorted(map(str, bound)) == sorted(map(str, plain)), size
    assert validation._sparql_violations(db, {PAPER, row}, bind=True)  # the broken ones are found
