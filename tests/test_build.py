"""The example graph end to end: build, stats, golden graph, determinism, export round trips."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.queues
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from conftest import DATA, EXAMPLE
from rdflib.compare import isomorphic

import kg
from kg.cli import main
from kg.export import DATASET_FORMATS, export
from kg.iris import DEFAULT_BASE_IRI
from kg.store import LEDGER, StoreDir
from kg.sync.embedded import sync

RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "rdfxml": "xml", "nq": "nquads", "trig": "trig", "jsonld": "json-ld"}


def test_build_and_stats_through_the_cli(tmp_path: Path) -> None:
    store = tmp_path / "S"
    runner = CliRunner()
    built = runner.invoke(main, ["build", str(EXAMPLE), "--store", str(store)])
    assert built.exit_code == 0, built.output
    assert "229 rows read, 229 loaded, 0 rejected" in built.output
    stats = runner.invoke(main, ["stats", "--store", str(store), "--format", "json"])
    assert stats.exit_code == 0, stats.output
    counts = json.loads(stats.output)
    assert counts["papers"] == 21
    assert counts["authors"] == 73  # one row per distinct name shown, "Liyuan Liu" twice
    assert counts["venues"] == 6
    assert counts["authorships"] == 129
    assert counts["triples"] == len(StoreDir(store).open())


def test_example_graph_matches_the_golden_turtle(example_db: ox.Store) -> None:
    graph = ox.NamedNode(DEFAULT_BASE_IRI + "graph/rows")
    data = ox.serialize(
        (q.triple for q in example_db.quads_for_pattern(None, None, None, graph)), format=ox.RdfFormat.N_TRIPLES
    )
    built = rdflib.Graph().parse(data=data, format="nt")
    golden = rdflib.Graph().parse(DATA / "example-golden.ttl", format="turtle")
    assert len(built) == len(golden)
    assert isomorphic(built, golden)


def test_ontology_is_loaded_in_its_own_graph(example_db: ox.Store) -> None:
    graph = ox.NamedNode("https://w3id.org/scholarly-kg/ontology")
    assert example_db.contains_named_graph(graph)
    assert any(
        example_db.quads_for_pattern(ox.NamedNode("https://w3id.org/scholarly-kg/ontology#Paper"), None, None, graph)
    )


def _sorted_nquads(store: Path) -> list[bytes]:
    return sorted(StoreDir(store).open().dump(format=ox.RdfFormat.N_QUADS).splitlines())


def test_two_builds_give_identical_sorted_nquads(tmp_path: Path) -> None:
    kg.build([EXAMPLE], tmp_path / "a")
    kg.build([EXAMPLE], tmp_path / "b")
    assert _sorted_nquads(tmp_path / "a") == _sorted_nquads(tmp_path / "b")


def test_compaction_changes_the_layout_not_the_graph(tmp_path: Path, example_store: Path) -> None:
    """--no-optimize (the store left as the bulk loader leaves it) holds what a compacted build holds."""
    result = CliRunner().invoke(main, ["build", str(EXAMPLE), "--store", str(tmp_path / "O"), "--no-optimize"])
    assert result.exit_code == 0, result.output
    assert _sorted_nquads(tmp_path / "O") == _sorted_nquads(example_store)
    kg.load([DATA / "example-golden.ttl"], tmp_path / "L", optimize=False)
    kg.load([DATA / "example-golden.ttl"], tmp_path / "M")
    assert _sorted_nquads(tmp_path / "L") == _sorted_nquads(tmp_path / "M")


def test_etl_then_load_equals_build(tmp_path: Path, example_store: Path) -> None:
    out = tmp_path / "example.nq.gz"
    report = kg.etl([EXAMPLE], out)
    assert report.rows_read == 229
    kg.load([out], tmp_path / "L")
    assert _sorted_nquads(tmp_path / "L") == _sorted_nquads(example_store)


def test_load_writes_the_same_metadata_as_build(tmp_path: Path, example_store: Path) -> None:
    """One build.json writer: `kg load` records the paths index too, and --add extends the inputs."""
    out = tmp_path / "example.nq"
    kg.etl([EXAMPLE], out)
    kg.load([out], tmp_path / "L")
    built, loaded = StoreDir(example_store).meta(), StoreDir(tmp_path / "L").meta()
    assert loaded["paths_index"] == built["paths_index"]
    assert loaded["counts"] == built["counts"]
    assert {"kg_version", "built_at", "inputs", "seconds"} <= set(loaded)
    kg.build([EXAMPLE], tmp_path / "A", base_iri="https://example.org/kg/")
    kg.load([DATA / "example-golden.ttl"], tmp_path / "A", add=True)
    added = StoreDir(tmp_path / "A").meta()
    assert added["inputs"] == [str(EXAMPLE), str(DATA / "example-golden.ttl")]
    assert added["base_iri"] == "https://example.org/kg/"
    assert "paths_index" in added


def test_etl_is_deterministic(tmp_path: Path) -> None:
    kg.etl([EXAMPLE], tmp_path / "1.nq")
    kg.etl([EXAMPLE], tmp_path / "2.nq")
    assert (tmp_path / "1.nq").read_bytes() == (tmp_path / "2.nq").read_bytes()


@pytest.mark.parametrize("fmt", ["ttl", "nt", "nq", "trig", "jsonld", "rdfxml"])
def test_export_parses_back_to_the_store(fmt: str, tmp_path: Path, example_store: Path) -> None:
    out = tmp_path / f"export.{fmt}"
    result = CliRunner().invoke(main, ["export", "--store", str(example_store), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    db = StoreDir(example_store).open()
    if fmt in DATASET_FORMATS:
        ds = rdflib.Dataset()
        ds.parse(out, format=RDFLIB_FORMATS[fmt])
        got = {(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in ds.quads((None, None, None, None))}
        want = {(_rdflib(q.subject), _rdflib(q.predicate), _rdflib(q.object), _rdflib(q.graph_name)) for q in db}
        assert got == want
    else:
        g = rdflib.Graph().parse(out, format=RDFLIB_FORMATS[fmt])
        want_triples = {(_rdflib(q.subject), _rdflib(q.predicate), _rdflib(q.object)) for q in db}
        assert set(g) == want_triples


def test_jsonld_export_is_compacted_with_the_context(tmp_path: Path, example_store: Path) -> None:
    out = tmp_path / "export.jsonld"
    export(example_store, "jsonld", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    context = json.loads((Path(__file__).resolve().parent.parent / "ontology" / "context.jsonld").read_text())
    assert doc["@context"] == context["@context"]
    graphs = {g["@id"]: g["@graph"] for g in doc["@graph"] if "@graph" in g}
    nodes = graphs[DEFAULT_BASE_IRI + "graph/rows"]
    paper = next(n for n in nodes if n.get("@type") == "Paper" and n["title"].startswith("Mixture of Inputs"))
    assert paper["year"] == "2025"
    assert paper["publishedIn"] == DEFAULT_BASE_IRI + "venue/neurips"


def _rdflib(term: object) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    raise TypeError(term)


def test_base_iri_is_configurable_and_checked(tmp_path: Path) -> None:
    kg.build([EXAMPLE], tmp_path / "S", base_iri="https://example.org/kg/")
    db = StoreDir(tmp_path / "S").open()
    assert any(db.quads_for_pattern(ox.NamedNode("https://example.org/kg/author/liyuan-liu-a"), None, None))
    result = CliRunner().invoke(
        main, ["build", str(EXAMPLE), "--store", str(tmp_path / "T"), "--base-iri", "not an iri"]
    )
    assert result.exit_code == 1
    assert "--base-iri" in result.output
    assert not (tmp_path / "T" / "active").exists()
    # passes the character checks, fails RFC 3987 (a port must be digits)
    bad_port = CliRunner().invoke(
        main, ["build", str(EXAMPLE), "--store", str(tmp_path / "U"), "--base-iri", "http://host:port/"]
    )
    assert bad_port.exit_code == 1
    assert "is not a valid IRI" in bad_port.output


def _build_in_a_daemon(store: str, answer: multiprocessing.queues.Queue[str]) -> None:
    try:
        kg.build([EXAMPLE], Path(store))
        answer.put("built")
    except BaseException as e:  # said to the test, which fails with it
        answer.put(f"{type(e).__name__}: {e}")


def test_a_build_in_a_daemonic_process_keeps_no_ledger_and_succeeds(tmp_path: Path) -> None:
    """A daemonic process may start no child (kg serve's workers build the ontology page's example):
    the build runs without the ledger's process, and the first sync reads the store instead."""
    ctx = multiprocessing.get_context("spawn")
    answer: multiprocessing.queues.Queue[str] = ctx.Queue()
    store = tmp_path / "S"
    proc = ctx.Process(target=_build_in_a_daemon, args=(str(store), answer), daemon=True)
    proc.start()
    said = answer.get(timeout=120)
    proc.join(30)
    assert said == "built"
    active = StoreDir(store).path / "active"
    assert (active / "build.json").is_file() and not (active / LEDGER).exists()
    assert sync([EXAMPLE], store).up_to_date  # the watermark was kept: the same input is a no-op


def test_build_json_gives_the_peak_memory_of_the_build_and_of_its_largest_child(tmp_path: Path) -> None:
    """build.json says which process held the most: the build's own, and its largest child process (the
    mapping worker, the ledger's process), still running or not when the build writes it. A fresh
    process (the CLI), so that its peak is the build's."""
    import subprocess
    import sys

    store = tmp_path / "S"
    subprocess.run([sys.executable, "-m", "kg", "build", str(EXAMPLE), "--store", str(store), "--workers", "2"],
                   check=True, capture_output=True)
    peak = StoreDir(store).meta()["peak_memory_mb"]
    assert set(peak) == {"process", "largest_child"}
    # a Python process with pyoxigraph loaded holds tens of MB; the mapping worker and the ledger's
    # process are children of the build, so the largest of them is never 0
    assert 20 <= peak["process"] < 4096 and 10 <= peak["largest_child"] < 4096
    assert sync([EXAMPLE], store).up_to_date  # no new generation, the same figures
    assert StoreDir(store).meta()["peak_memory_mb"] == peak
