"""The reading commands with --endpoint on oxigraph server and Virtuoso: the same output as --store
on the same triples; an endpoint that is down is one line and exit 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from engines import ENGINES, ROOT, Dataset
from server_fixtures import free_port
from werkzeug import Request, Response


def kg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("KG_STORE", "KG_ENDPOINT")}
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**environment, **(env or {})}, timeout=120)


def where(dataset: Dataset, kind: str) -> list[str]:
    return ["--store", str(dataset.store)] if kind == "embedded" else ["--endpoint", dataset.endpoint(kind)]


# What the embedded store printed for a command line: each reference is run once and compared with
# every engine's answer (the store is only read).
_EMBEDDED: dict[tuple[str, ...], str] = {}


def out(dataset: Dataset, kind: str, *args: str) -> str:
    line = (*args, *where(dataset, kind))
    if kind == "embedded" and line in _EMBEDDED:
        return _EMBEDDED[line]
    done = kg(*line)
    assert done.returncode == 0, done.stderr
    if kind == "embedded":
        _EMBEDDED[line] = done.stdout
    return done.stdout


@pytest.fixture(scope="module")
def remote_index(example_dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("remote-index")
    done = kg("index", str(example_dataset.nquads / "data.nq"), "-o", str(folder))
    assert done.returncode == 0, done.stderr
    return folder


@pytest.mark.parametrize("kind", ENGINES)
def test_cluster_over_an_endpoint_prints_what_the_store_prints(example_dataset: Dataset, kind: str) -> None:
    for args in (
        ("cluster", "Liyuan Liu", "--format", "json"),
        ("cluster", "Liyuan Liu"),
        ("cluster", "liyuan liu", "--format", "csv"),
        ("cluster", "Liyuan Liu", "--page", "2", "--page-size", "5", "--format", "json"),
        ("cluster", "Liyuan Liu", "--all", "--format", "json"),
        ("cluster", "Zoe Unicode", "--loose", "--format", "json"),
    ):
        assert out(example_dataset, kind, *args) == out(example_dataset, "embedded", *args), args
    # a store also says what each source was last built or synced from (kg.sync.watermark); an engine cannot
    here = json.loads(out(example_dataset, "embedded", "stats", "--format", "json"))
    assert set(here.pop("sources")) == {"http://localhost:7878/graph/rows"}
    assert json.loads(out(example_dataset, kind, "stats", "--format", "json")) == here
    shown = json.loads(out(example_dataset, kind, "cluster", "Liyuan Liu", "--format", "json"))
    assert len(shown["papers"]) == 21 and len(shown["rows"]) == 2


@pytest.mark.parametrize("kind", ENGINES)
def test_export_and_validate_over_an_endpoint(example_dataset: Dataset, kind: str) -> None:
    nq = {b: sorted(out(example_dataset, b, "export", "--format", "nq").splitlines()) for b in ("embedded", kind)}
    assert nq[kind] == nq["embedded"] and len(nq[kind]) > 2000
    done = kg("validate", *where(example_dataset, kind))
    assert done.returncode == 0 and "no violation" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("kind", ENGINES)
def test_path_by_cluster_over_an_endpoint(example_dataset: Dataset, kind: str, remote_index: Path) -> None:
    args = ("path", "Yiping Wang", "Hong Chen 0004", "--by", "cluster", "--all", "--format", "json")
    want = out(example_dataset, "embedded", *args)
    assert json.loads(want)["distance"] == 2
    assert out(example_dataset, kind, *args) == want  # the neighbour-query fallback
    assert out(example_dataset, kind, *args, "--index", str(remote_index)) == want  # the local index
    by_author = ("path", "liyuan-liu-a", "jianfeng-gao", "--format", "json")
    assert out(example_dataset, kind, *by_author) == out(example_dataset, "embedded", *by_author)


@pytest.mark.parametrize("kind", ENGINES)
def test_coauthors_and_named_queries_over_an_endpoint(example_dataset: Dataset, kind: str) -> None:
    for args in (
        ("coauthors", "liyuan-liu-a", "--format", "json"),
        ("coauthors", "hostile-coauthor", "--format", "json"),
        ("query", "stats", "--format", "csv"),
        ("query", "cluster-rows", "--param", "key=liyuan liu", "--format", "tsv"),
        ("query", "ambiguous-clusters"),
    ):
        assert out(example_dataset, kind, *args) == out(example_dataset, "embedded", *args), args
    construct = ("query", "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#> CONSTRUCT { ?r kg:name ?n } "
                 "WHERE { ?r kg:nameKey ?key ; kg:name ?n }", "--param", "key=liyuan liu", "--format", "nt")
    lines = {b: sorted(out(example_dataset, b, *construct).splitlines()) for b in ("embedded", kind)}
    assert lines[kind] == lines["embedded"] and len(lines[kind]) == 2


def test_the_environment_default_and_exclusivity(example_dataset: Dataset) -> None:
    endpoint = example_dataset.endpoint("oxigraph")
    args = ("query", "stats", "--format", "csv")
    by_env = kg(*args, env={"KG_ENDPOINT": endpoint})
    assert by_env.returncode == 0 and by_env.stdout == out(example_dataset, "embedded", *args)
    # one given on the command line beats the other's environment variable
    assert kg(*args, "--store", str(example_dataset.store), env={"KG_ENDPOINT": "http://127.0.0.1:9/"}).returncode == 0
    both = kg(*args, "--store", str(example_dataset.store), "--endpoint", endpoint)
    assert both.returncode == 2 and "exclusive" in both.stderr
    neither = kg(*args)
    assert neither.returncode == 2 and "--store DIR or --endpoint URL" in neither.stderr
    index_with_store = kg("path", "a", "b", "--store", str(example_dataset.store), "--index", "x")
    assert index_with_store.returncode == 2 and "--index is for --endpoint" in index_with_store.stderr


@pytest.mark.parametrize("command", [("path", "a", "b"), ("coauthors", "a"), ("query", "stats")])
def test_an_endpoint_that_is_down_is_one_line_and_exit_1(command: tuple[str, ...]) -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    done = kg(*command, "--endpoint", url)
    assert done.returncode == 1
    assert done.stderr == f"kg: error: endpoint {url}: unreachable (connection refused)\n"
    assert done.stdout == ""


def test_an_engine_that_fails_is_one_line_and_exit_1(httpserver: Any) -> None:
    """A 500 (after the retries), garbage, or an engine slower than --timeout: one line naming the
    endpoint, exit 1, no stack trace and nothing on stdout."""
    url = httpserver.url_for("/sparql")

    def slow(request: Request) -> Response:
        time.sleep(3)
        return Response('{"head":{},"boolean":true}', content_type="application/sparql-results+json")

    for respond, args, said in (
        (lambda: httpserver.expect_request("/sparql").respond_with_data("Error\n  at frame 1\n" * 40, status=500),
         ("cluster", "Liyuan Liu"), "HTTP 500"),
        (lambda: httpserver.expect_request("/sparql").respond_with_data(
            "<html>\nLogin\n</html>", content_type="application/sparql-results+json"),
         ("stats",), "unreadable SPARQL results"),
        (lambda: httpserver.expect_request("/sparql").respond_with_handler(slow),
         ("path", "a", "b", "--timeout", "0.5"), "no answer within 0.5 s"),
    ):
        httpserver.clear()
        respond()
        started = time.monotonic()
        done = kg(*args, "--endpoint", url)
        assert done.returncode == 1, (args, done.stderr)
        assert done.stdout == "" and done.stderr.startswith(f"kg: error: endpoint {url}: "), args
        assert said in done.stderr and len(done.stderr.splitlines()) == 1 and "frame" not in done.stderr, args
        assert time.monotonic() - started < 10, args


def test_path_without_an_index_stays_within_its_timeout(dblp_dataset: Dataset) -> None:
    """The neighbour-query fallback over a remote endpoint: a far pair within a small --timeout says
    'timeout' in time (or answers, if it is quick enough), never overruns."""
    from kg.backend import open_store
    from kg.queries import named

    with open_store(dblp_dataset.store) as embedded:
        clusters = embedded.select(named("ambiguous-clusters"))
    a, b = str(clusters[0]["cluster"]), str(clusters[-1]["cluster"])
    started = time.monotonic()
    done = kg("path", a, b, "--by", "cluster", "--timeout", "0.3", "--format", "json",
              "--endpoint", dblp_dataset.endpoint("oxigraph"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] in ("timeout", "found", "not-connected")
    assert time.monotonic() - started < 5  # the interpreter's start, plus 0.3 s and one request

