"""Named queries and `kg query`: parameters are bound, never pasted into the text."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from kg.cli import main
from kg.errors import QueryError
from kg.iris import DEFAULT_BASE_IRI
from kg.names import loose_key
from kg.queries import all_named, named, parse_cli_value, select

# Example values for every named query's parameters, on the example graph (examples/arrow-liyuan-liu).
ROW = DEFAULT_BASE_IRI + "author/liyuan-liu-a"
COAUTHOR = DEFAULT_BASE_IRI + "author/jingbo-shang"  # 9 joint papers with ROW
PAPER = DEFAULT_BASE_IRI + "paper/2025-mixture-of-inputs-text-generation-beyond"
# no name of the example has two spellings: tests/test_variants.py runs this query on a graph that has
# the example has no merged id: tests/test_merges.py runs merged-into on a graph that has
NOTHING_IN_EXAMPLE = {"identity-variants", "merged-into"}
EXAMPLES: dict[str, dict[str, object]] = {
    "ambiguous-clusters": {},
    "cluster-authors": {"key": "liyuan liu"},
    "cluster-label": {"key": "liyuan liu"},
    "cluster-paper-count": {"key": "liyuan liu"},
    "cluster-paper-order": {"key": "liyuan liu"},
    "cluster-papers": {"key": "liyuan liu"},
    "cluster-row-coauthors": {"key": "liyuan liu"},
    "cluster-row-venues": {"key": "liyuan liu"},
    "cluster-rows": {"key": "liyuan liu"},
    "coauthors": {"row": ROW},
    "identity-pairs": {"key": "liyuan liu"},
    "identity-variants": {"key": "liyuan liu"},
    "identity-persons": {"key": "liyuan liu"},
    "coauthors-joint-cluster-papers": {
        "a": DEFAULT_BASE_IRI + "cluster/liyuan%20liu", "b": DEFAULT_BASE_IRI + "cluster/jingbo%20shang",
    },
    "coauthors-joint-papers": {"a": ROW, "b": COAUTHOR},
    "coauthors-paper": {"paper": PAPER},
    "merged-into": {"old": ROW},
    "neighbours": {"row": ROW},
    "node-names": {"node": ROW},
    "paper-authors": {"paper": PAPER},
    "paper-summary": {"paper": PAPER},
    "stats": {},
}


def test_every_named_query_has_a_header_and_parses(example_db: ox.Store) -> None:
    queries = all_named()
    assert {"stats", "cluster-papers", "cluster-rows", "ambiguous-clusters"} <= {q.name for q in queries}
    for q in queries:
        assert q.title, f"{q.name}.rq has no '# title:' header"
    assert {q.name for q in queries} == set(EXAMPLES), "every queries/*.rq needs example values in EXAMPLES"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_named_query_runs_with_its_parameters_bound(name: str, example_db: ox.Store) -> None:
    """Each query parses and, with example values bound, finds something in the example graph; a
    bound variable it selects comes back as bound (so did its loose variant, where it has one)."""
    query, values = named(name), EXAMPLES[name]
    assert set(values) == set(query.params), f"{name}: its parameters are {sorted(query.params)}"
    rows = select(example_db, query, values)
    if name in NOTHING_IN_EXAMPLE:
        assert rows == [], name
        return
    assert rows, f"{name} found nothing for {values}"
    for param, value in values.items():
        assert all(r[param] == value for r in rows if param in r), (name, param)
    if "# variant: loose" in query.text:
        loose = replace(query, text=query.text.replace("kg:nameKey", "kg:looseNameKey"))
        assert select(example_db, loose, {**values, "key": loose_key("Liyuan Liu")}), f"{name} (loose)"


def test_joint_papers_agree_with_the_coauthor_counts(example_db: ox.Store) -> None:
    joint = select(example_db, named("coauthors-joint-papers"), EXAMPLES["coauthors-joint-papers"])
    counts = {r["coauthor"]: r["papers"] for r in select(example_db, named("coauthors"), {"row": ROW})}
    assert len(joint) == counts[COAUTHOR] == 9


def test_named_query_binding(example_db: ox.Store) -> None:
    rows = select(example_db, named("cluster-rows"), {"key": "liyuan liu"})
    assert sorted(int(r["papers"]) for r in rows) == [2, 19]  # type: ignore[call-overload]


def test_missing_and_unknown_parameters_are_named() -> None:
    with pytest.raises(QueryError, match="needs parameter 'key'"):
        named("cluster-rows").bind({})
    with pytest.raises(QueryError, match="has no parameter 'nope'"):
        named("cluster-rows").bind({"key": "x", "nope": "y"})
    with pytest.raises(QueryError, match="no named query"):
        named("../etc/passwd")


def test_cli_values() -> None:
    assert parse_cli_value("<http://example.org/a>", "x") == ox.NamedNode("http://example.org/a")
    assert parse_cli_value('"2025"^^<http://www.w3.org/2001/XMLSchema#gYear>', "x").datatype.value.endswith("gYear")  # type: ignore[union-attr]
    assert parse_cli_value("plain text", "x") == ox.Literal("plain text")
    with pytest.raises(QueryError, match="parameter 'x'"):
        parse_cli_value('"unterminated', "x")


def test_cli_query_with_params(example_store: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "query",
            "cluster-rows",
            "--store",
            str(example_store),
            "--param",
            "key=liyuan liu",
        ],
    )
    assert result.exit_code == 0, result.output
    bindings = json.loads(result.output)["results"]["bindings"]
    assert len(bindings) == 2


def test_cli_query_text_file_and_formats(example_store: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    q = tmp_path / "q.rq"
    q.write_text(
        "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>\nSELECT ?t WHERE { ?p kg:title ?t } ORDER BY ?t LIMIT 2\n"
    )
    result = runner.invoke(main, ["query", f"@{q}", "--store", str(example_store), "--format", "csv"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "t"
    construct = runner.invoke(main, ["query", "CONSTRUCT WHERE { ?s a ?o } LIMIT 3", "--store", str(example_store)])
    assert construct.exit_code == 0
    assert len(list(ox.parse(construct.output.encode(), format=ox.RdfFormat.TURTLE))) == 3


def test_injection_through_a_parameter_finds_nothing(example_store: Path) -> None:
    hostile = 'liyuan liu" } ?row ?p ?o . { "'
    result = CliRunner().invoke(
        main,
        [
            "query",
            "cluster-rows",
            "--store",
            str(example_store),
            "--param",
            f"key={hostile}",
        ],
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["results"]["bindings"] == []


def test_malformed_query_is_a_clear_error(example_store: Path) -> None:
    result = CliRunner().invoke(main, ["query", "SELECT ?x WHERE { ?x", "--store", str(example_store)])
    assert result.exit_code == 1
    assert result.output.startswith("kg: error: query: error at 1:")


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stats", "--store", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "no such store" in result.output


def _kg_query(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", "query", "--store", str(store), *args], capture_output=True, text=True, timeout=60
    )


def test_service_and_load_are_refused_unless_the_host_is_allowed(example_store: Path) -> None:
    for text in (
        "SELECT * WHERE { SERVICE <http://kg-test.invalid/sparql> { ?s ?p ?o } }",
        "PREFIX r: <https://dbpedia.org/> SELECT * WHERE { SERVICE SILENT r:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { SERV\\u0049CE <http://kg-test.invalid/sparql> { ?s ?p ?o } }",  # an escaped keyword
        "LOAD <http://kg-test.invalid/data.ttl>",
    ):
        result = _kg_query(example_store, text)
        assert result.returncode == 1 and result.stdout == "", text
        [line] = result.stderr.splitlines()
        assert line.startswith("kg: error: query: ") and "refused" in line and "--allow-service" in line, line


def test_a_failing_service_leaves_no_partial_output(example_store: Path) -> None:
    """Rows of the local part are computed (and would be serialised) before the SERVICE fails: nothing
    of them reaches stdout, and the error is one line."""
    text = (
        "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE <http://kg-test.invalid/sparql> { ?s ?p ?o } } }"
    )
    for fmt in ("json", "csv", "xml"):
        result = _kg_query(example_store, text, "--allow-service", "kg-test.invalid", "--format", fmt)
        assert result.returncode == 1, result.stderr
        assert result.stdout == "", result.stdout[:200]
        [line] = result.stderr.splitlines()
        assert line.startswith("kg: error: query: evaluation failed: ") and "lookup" in line, line


def test_an_allowed_service_is_queried(example_store: Path, httpserver: HTTPServer) -> None:
    """--allow-service HOST lets a SERVICE reach that host: here a local SPARQL endpoint."""
    answer = {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "remote"}}]}}
    httpserver.expect_request("/sparql").respond_with_json(answer, content_type="application/sparql-results+json")
    url = httpserver.url_for("/sparql").replace("localhost", "127.0.0.1")
    result = _kg_query(example_store, f"SELECT ?x WHERE {{ SERVICE <{url}> {{ ?x ?p ?o }} }}", "--allow-service",
                       "127.0.0.1", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["x", "remote"]
    refused = _kg_query(example_store, f"SELECT ?x WHERE {{ SERVICE <{url}> {{ ?x ?p ?o }} }}",
                        "--allow-service", "example.org")
    assert refused.returncode == 1 and "except to example.org" in refused.stderr
