"""What a newcomer's mistakes get from `kg`: one `kg: error:` line naming the parameter, never a traceback.

A byte that is not UTF-8 in any text argument or option (a Latin-1 name as a shell passes it, which
Python holds as a lone surrogate), a query file that is not UTF-8, an empty search, a mistyped
--store given to `kg curate`, a directory of rows tables with some of them missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLE

from kg.cli import main

LATIN1 = b"J\xfcrgen".decode("utf-8", "surrogateescape")  # "Jürgen" in Latin-1, as Python receives it


def _one_line_error(args: list[str], code: int) -> str:
    result = CliRunner().invoke(main, args, prog_name="kg")
    assert result.exit_code == code, (args, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    [line] = result.stderr.splitlines()
    assert line.startswith("kg: error: "), line
    return line


@pytest.mark.parametrize(("args", "named"), [
    (["query", f'SELECT * WHERE {{ ?s ?p "{LATIN1}" }}'], "SPARQL"),
    (["query", "cluster-papers", "--param", f"name={LATIN1}"], "--param"),
    (["curate", "same", LATIN1, "liyuan-liu-b", "--why", "one ORCID"], "'A'"),
    (["curate", "distinct", "liyuan-liu-a", "liyuan-liu-b", "--why", f"{LATIN1} said so"], "--why"),
    (["search", LATIN1], "TEXT"),
    (["cluster", LATIN1], "NAME"),
    (["identity", LATIN1], "NAME"),
])
def test_text_that_is_not_utf8_is_a_usage_error_naming_its_parameter(
        example_store: Path, args: list[str], named: str) -> None:
    line = _one_line_error([*args, "--store", str(example_store)], 2)
    assert named in line and "not valid Unicode" in line, line


def test_a_file_name_that_is_not_utf8_is_still_a_file_name(tmp_path: Path) -> None:
    """Paths are not text: a Latin-1 file name is one a Linux file system holds, read as it is."""
    folder = tmp_path / f"rows-{LATIN1}"
    shutil.copytree(EXAMPLE, folder)
    result = CliRunner().invoke(main, ["build", str(folder), "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output


def test_a_query_file_that_is_not_utf8_is_a_usage_error(example_store: Path, tmp_path: Path) -> None:
    query = tmp_path / "latin1.rq"
    query.write_bytes('SELECT * WHERE { ?s ?p "Jürgen" }'.encode("latin-1"))
    line = _one_line_error(["query", f"@{query}", "--store", str(example_store)], 2)
    assert "SPARQL" in line and "latin1.rq: not UTF-8" in line, line


def test_a_real_shell_argument_that_is_not_utf8(example_store: Path) -> None:
    """The same through a real process: the bytes as a shell passes them."""
    done = subprocess.run([sys.executable, "-m", "kg", "query", b'ASK { ?s ?p "J\xfcrgen" }', "--store",
                           str(example_store)], capture_output=True, timeout=60)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2 and "Traceback" not in err and err.count("\n") == 1, err


@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_an_empty_search_is_a_usage_error_as_the_api_gives_400(example_store: Path, text: str) -> None:
    """`kg cluster ""` and /api/search?q= refuse it; `kg search ""` printed "no match" with exit code 0."""
    line = _one_line_error(["search", text, "--store", str(example_store)], 2)
    assert "TEXT: must not be empty" in line, line


@pytest.mark.parametrize("args", [["list"], ["list", "--format", "json"], ["export"], ["undo", "1"]])
def test_curate_of_a_store_that_is_not_there_says_so_and_creates_nothing(tmp_path: Path, args: list[str]) -> None:
    """A mistyped --store listed "no corrections" (exit 0), exported nothing, and `undo` created the directory."""
    missing = tmp_path / "stroe"
    line = _one_line_error(["curate", *args, "--store", str(missing)], 1)
    assert f"--store {missing}: no such store" in line, line
    assert not missing.exists()
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    assert "not a kg store" in _one_line_error(["curate", *args, "--store", str(a_file)], 1)


def test_curate_list_of_a_store_without_corrections(example_store: Path) -> None:
    result = CliRunner().invoke(main, ["curate", "list", "--store", str(example_store)])
    assert result.exit_code == 0 and result.stdout == "no corrections\n", result.output


@pytest.mark.parametrize(("tables", "said"), [
    (["authors"], "no venues, papers or authorships tables"),
    (["venues"], "no authors, papers or authorships tables"),
    (["venues", "authors", "papers"], "no authorships table (expected one of authorships.csv,"),
    ([], "no input files (expected dblp, OpenAlex or Crossref files: .xml"),
])
def test_a_directory_of_some_rows_tables_names_the_missing_ones(tmp_path: Path, tables: list[str], said: str) -> None:
    """A directory with authors.csv alone was "no data files (expected .xml, ..., .jsonl.gz)", CSV not even named."""
    folder = tmp_path / "rows"
    folder.mkdir()
    for table in tables:
        shutil.copy(EXAMPLE / f"{table}.csv", folder)
    (folder / "notes.txt").write_text("not data")
    line = _one_line_error(["build", str(folder), "--store", str(tmp_path / "store")], 1)
    assert said in line, line
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize("args", [["path", "Liyuan Liu", "Hong Chen 0004"], ["coauthors", "Liyuan Liu"],
                                  ["reach", "Liyuan Liu"]])
def test_a_name_of_two_rows_is_an_error_line_then_the_rows_to_choose(example_store: Path, args: list[str]) -> None:
    """Like every other error it starts `kg: error:` (a script that looks for the prefix missed it),
    then lists the cluster's rows, whose ids are unambiguous."""
    result = CliRunner().invoke(main, [*args, "--store", str(example_store)])
    assert result.exit_code == 2 and result.stdout == "", result.output
    first, *rest = result.stderr.splitlines()
    assert first.startswith("kg: error: ") and "2 author rows are named 'Liyuan Liu'" in first, first
    assert rest[0] == "Candidates:" and len(rest) == 3 and "liyuan-liu-b>" in rest[2], rest


def test_export_of_a_graph_that_is_not_an_iri(example_store: Path) -> None:
    """`kg export --graph "my graph"` was pyoxigraph's ValueError as a 28-line traceback."""
    line = _one_line_error(["export", "--store", str(example_store), "--format", "nt", "--graph", "my graph"], 1)
    assert line.startswith("kg: error: --graph 'my graph': not an IRI"), line


def test_validate_with_both_sample_and_all(example_store: Path) -> None:
    """`--sample N | --all`, as docs/commands.md shows them: both given, --sample won in silence."""
    line = _one_line_error(["validate", "--store", str(example_store), "--sample", "5", "--all"], 2)
    assert "give --sample N or --all, not both" in line, line


@pytest.mark.parametrize("url", ["not a url", "ftp://mirror.example/", "http://", "http://h:port/", "localhost:8080"])
def test_fetch_from_a_base_url_that_is_not_one(tmp_path: Path, url: str) -> None:
    """requests' own words ("Failed to parse: Host 'not a url' contains ...") named no option, and a
    URL of no scheme ("localhost:8080") was taken for one of scheme "localhost"."""
    line = _one_line_error(["fetch", "openalex", "--filter", "x", "-o", str(tmp_path / "f"), "--base-url", url,
                            "--retries", "0"], 2)
    assert line.startswith(f"kg: error: Invalid value for --base-url: {url!r}: not a"), line
    assert not (tmp_path / "f").exists()
