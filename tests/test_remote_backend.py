"""RemoteBackend against EmbeddedBackend on the same triples: every named query, bound parameters
(hostile names), the Backend methods, and the client's failures (down, slow, 500, garbage)."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from typing import Any

import pyoxigraph as ox
import pytest
from engines import ENGINES, Dataset, open_backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_fixtures import free_port
from werkzeug import Request, Response

from kg.backend import Backend
from kg.backend.binding import bind, where_group
from kg.backend.normalise import order_by
from kg.backend.remote import RemoteBackend
from kg.backend.sparql import EndpointError
from kg.cluster import cluster
from kg.errors import QueryError
from kg.names import name_key
from kg.queries import NamedQuery, all_named, named

BASE = "http://localhost:7878/"
HOSTILE = [
    "Seán O'Brien \"the Quote\"", "Back\\slash \\\\ Name", "New\nLine\r\nName", "Brace } { Name #hash",
    "Escape \\u0041 \\U0001F600 Name", "x\" ) } SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } #",
    "Zoë Ünïcödé 😀 李源", "Long " + "ab\\\"}#" * 115 + "Name",
]


def _multiset(rows: list[dict[str, object]]) -> Counter[str]:
    return Counter(repr(sorted(r.items())) for r in rows)


def _params(q: NamedQuery, backend: Backend, key: str) -> dict[str, object]:
    """Parameters for every named query drawn from the data: the cluster of `key`, its first rows."""
    rows = backend.select(named("cluster-rows"), {"key": key})
    coauthors = backend.select(named("cluster-row-coauthors"), {"key": key})
    row = str(rows[0]["row"])
    other = str(coauthors[0]["coauthor"]) if coauthors else row
    papers = backend.select(named("cluster-papers"), {"key": key})
    clusters = {str(r["cluster"]) for r in backend.select(named("ambiguous-clusters"))}
    a = sorted(clusters)[0] if clusters else BASE + "cluster/none"
    values: dict[str, object] = {"key": key, "row": row, "paper": str(papers[0]["paper"]), "a": row, "b": other,
                                 "node": a if clusters else row, "old": row}  # a described row: no redirect
    if q.name == "coauthors-joint-cluster-papers":
        values.update(a=a, b=a)
    return {k: values[k] for k in q.params}


def _check_named_queries(dataset: Dataset, kind: str, keys: list[str]) -> None:
    with open_backend(dataset, "embedded") as embedded, open_backend(dataset, kind) as remote:
        for key in keys:
            for q in all_named():
                params = _params(q, embedded, key)
                want, got = embedded.select(q, params), remote.select(q, params)
                if order_by(q.text) is not None:
                    assert got == want, (q.name, key)
                else:
                    assert _multiset(got) == _multiset(want), (q.name, key)


@pytest.mark.parametrize("kind", ENGINES)
def test_every_named_query_answers_as_embedded_on_the_example(example_dataset: Dataset, kind: str) -> None:
    _check_named_queries(example_dataset, kind, ["liyuan liu", "hong chen", name_key(HOSTILE[0])])


@pytest.mark.parametrize("kind", ENGINES)
def test_every_named_query_answers_as_embedded_on_dblp(dblp_dataset: Dataset, kind: str) -> None:
    with open_backend(dblp_dataset, "embedded") as embedded:
        keys = [str(r["key"]) for r in embedded.select(named("ambiguous-clusters"))[:3]]
    assert keys, "the dblp sample has no ambiguous cluster"
    _check_named_queries(dblp_dataset, kind, keys)


@pytest.mark.parametrize("kind", ENGINES)
def test_backend_methods_agree(example_dataset: Dataset, kind: str) -> None:
    with open_backend(example_dataset, "embedded") as embedded, open_backend(example_dataset, kind) as remote:
        assert remote.graphs() == embedded.graphs()
        assert remote.size() == embedded.size()
        row = ox.NamedNode(BASE + "author/liyuan-liu-0001")
        name = ox.NamedNode("https://w3id.org/scholarly-kg/ontology#name")
        for pattern in ((row, None, None), (None, None, row), (None, name, None)):
            assert set(remote.triples(*pattern)) == set(embedded.triples(*pattern)), pattern
        ask = "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#> ASK { ?r kg:nameKey ?key }"
        assert remote.ask(ask, {"key": "liyuan liu"}) is embedded.ask(ask, {"key": "liyuan liu"}) is True
        assert remote.ask(ask, {"key": "nobody"}) is embedded.ask(ask, {"key": "nobody"}) is False
        describe = (
            "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#> "
            "CONSTRUCT { ?r ?p ?o } WHERE { ?r kg:nameKey ?key ; ?p ?o }"
        )
        key = {"key": "liyuan liu"}
        assert set(remote.construct(describe, key)) == set(embedded.construct(describe, key))
        assert remote.label.startswith("--endpoint http://127.0.0.1:")


_TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(HOSTILE).map(str.upper),
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from("\"'\\{}#()<>?$.\n\r\tu0U1AF ;,"), max_size=40),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), st.text(max_size=8)),
    st.just("\ud800 lone surrogate"),
    st.just("x" * 4000),
)


@pytest.mark.parametrize("kind", ENGINES)
def test_hostile_names_are_bound_not_pasted(example_dataset: Dataset, kind: str) -> None:
    """Whatever the name, the remote answer is the embedded one (the same rows, or the same error)."""
    with open_backend(example_dataset, "embedded") as embedded, open_backend(example_dataset, kind) as remote:
        queries = [named("cluster-papers"), named("cluster-rows"), named("cluster-label")]

        def answer(backend: Backend, name: str) -> Any:
            try:
                found = [backend.select(q, {"key": name_key(name)}) for q in queries]
                return found, cluster(backend, name).to_json() if name.strip() else None
            except QueryError as e:
                return f"QueryError: {e}"

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(_TEXT)
        def check(name: str) -> None:
            assert answer(remote, name) == answer(embedded, name)

        check()
        # the stored hostile names are found, with their paper, as the embedded store finds them
        for name in HOSTILE:
            papers = remote.select(named("cluster-papers"), {"key": name_key(name)})
            assert len(papers) == 1, name
            assert cluster(remote, name).to_json() == cluster(embedded, name).to_json(), name


def test_values_block_goes_first_in_the_where_group() -> None:
    text = bind("PREFIX a: <x:#> SELECT ?x # { not this\nWHERE { ?x a:p ?k }", {"k": ox.Literal('}" #')})
    assert text.index("VALUES (?k) {") > text.index("WHERE {")
    assert '("}\\" #")' in text
    assert where_group("CONSTRUCT { ?s ?p '{' } WHERE { ?s ?p ?o }") == len("CONSTRUCT { ?s ?p '{' } WHERE {")
    assert where_group("CONSTRUCT WHERE { ?s ?p ?o }") is None
    assert bind("CONSTRUCT WHERE { ?s ?p ?o }", {"o": ox.Literal("a")}).rstrip().endswith('VALUES (?o) { ("a") }')
    for q in all_named():
        ox.Store().query(bind(q.text, {k: ox.Literal("v") for k in q.params}))  # still parses


def test_a_bad_query_is_refused_before_it_leaves(example_dataset: Dataset) -> None:
    with RemoteBackend(f"http://127.0.0.1:{free_port()}/sparql") as remote, \
            pytest.raises(QueryError, match="query: .*"):
        remote.select("SELECT ?x WHERE { ?x ")


# -- failures: a real HTTP server on 127.0.0.1 (pytest-httpserver) playing a broken engine

def test_endpoint_down_is_one_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    started = time.monotonic()
    with RemoteBackend(url, retries=2) as remote, pytest.raises(EndpointError) as e:
        remote.select(named("stats"))
    assert str(e.value) == f"endpoint {url}: unreachable (connection refused)"
    assert e.value.kind == "unreachable"
    assert time.monotonic() - started < 5


def test_a_slow_endpoint_is_cut_off_by_our_timeout(httpserver: Any) -> None:
    def slow(request: Request) -> Response:
        time.sleep(3)
        return Response('{"head":{},"boolean":true}', content_type="application/sparql-results+json")

    httpserver.expect_request("/sparql").respond_with_handler(slow)
    started = time.monotonic()
    with RemoteBackend(httpserver.url_for("/sparql"), timeout=0.5) as remote, pytest.raises(EndpointError) as e:
        remote.ask("ASK {}")
    assert time.monotonic() - started < 2
    assert e.value.kind == "timeout"
    assert "no answer within 0.5 s" in str(e.value)


def test_a_500_is_retried_then_one_line(httpserver: Any) -> None:
    body = "Virtuoso 37000 Error SP030: SPARQL compiler, line 3: syntax error\n" + "stack frame\n" * 500
    httpserver.expect_request("/sparql").respond_with_data(body, status=500)
    with RemoteBackend(httpserver.url_for("/sparql"), retries=2) as remote, pytest.raises(EndpointError) as e:
        remote.select(named("stats"))
    message = str(e.value)
    assert "\n" not in message and "stack frame" not in message
    assert message.startswith(f"endpoint {httpserver.url_for('/sparql')}: HTTP 500")
    assert "SP030" in message
    assert sum(r.status_code == 500 for _, r in httpserver.log) == 3  # the first try and two retries


def test_garbage_is_one_line(httpserver: Any) -> None:
    httpserver.expect_request("/sparql").respond_with_data(
        "<html>\n<body>Login required</body>\n</html>", content_type="application/sparql-results+json"
    )
    with RemoteBackend(httpserver.url_for("/sparql")) as remote, pytest.raises(EndpointError) as e:
        remote.select(named("stats"))
    assert e.value.kind == "garbage"
    assert "\n" not in str(e.value) and "unreadable SPARQL results" in str(e.value)


def test_authorization_header_is_sent(httpserver: Any) -> None:
    httpserver.expect_request("/sparql", headers={"Authorization": "Bearer s3cret"}).respond_with_data(
        '{"head":{},"boolean":true}', content_type="application/sparql-results+json"
    )
    with RemoteBackend(httpserver.url_for("/sparql"), authorization="Bearer s3cret") as remote:
        assert remote.ask("ASK {}") is True


def test_checking_a_query_never_evaluates_it(httpserver: Any) -> None:
    """The local syntax check must not run a SERVICE clause (pyoxigraph would fetch it): only the
    engine sees the query."""
    httpserver.expect_request("/sparql").respond_with_data(
        '{"head":{},"boolean":true}', content_type="application/sparql-results+json"
    )
    service = httpserver.url_for("/service")
    with RemoteBackend(httpserver.url_for("/sparql")) as remote:
        for query in (
            f"ASK {{ SERVICE <{service}> {{ ?s ?p ?o }} }}",
            f"SELECT * {{ SERVICE SILENT <{service}> {{ ?s ?p ?o }} }}",
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERV\\u0049CE <{service}> {{ ?s ?p ?o }} }}",
        ):
            with contextlib.suppress(EndpointError):  # this engine answers every query with a boolean
                remote.results(query)
        with pytest.raises(QueryError, match="query: "):
            remote.ask("ASK { ?s ?p }")
    assert {r.path for r, _ in httpserver.log} == {"/sparql"}


def test_an_answer_cut_at_the_engines_row_cap_is_an_error(example_dataset: Dataset) -> None:
    """Virtuoso cuts every answer at ResultSetMaxRows (10,000 by default) and says so in
    X-SPARQL-MaxRows: a feature must not take the short answer for the whole."""
    values = " ".join(str(i) for i in range(120))
    query = f"SELECT * {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} }}"
    with open_backend(example_dataset, "virtuoso") as remote, pytest.raises(EndpointError) as e:
        remote.select(query)
    assert e.value.kind == "too-large" and "ResultSetMaxRows" in str(e.value)
    with open_backend(example_dataset, "virtuoso") as remote:
        assert len(remote.select(query + " LIMIT 9999")) == 9999


@pytest.mark.parametrize("kind", ENGINES)
def test_clusters_paths_coauthors_and_stats_on_dblp(
    dblp_dataset: Dataset, kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The features' JSON over each engine equals the embedded store's on the recorded dblp sample:
    clusters (the ambiguous ones), paths by author and by cluster (neighbour queries, and the
    local index built from the N-Quads), co-authors, reach and the counts."""
    from kg import paths
    from kg.indexing import build
    from kg.stats import compute_stats

    folder = tmp_path_factory.mktemp("dblp-index")
    build(folder, files=[dblp_dataset.nquads / "data.nq"])
    with open_backend(dblp_dataset, "embedded") as embedded, open_backend(dblp_dataset, kind) as remote, \
            open_backend(dblp_dataset, kind, index=folder) as indexed:
        clusters = [str(r["cluster"]) for r in embedded.select(named("ambiguous-clusters"))]
        keys = [str(r["key"]) for r in embedded.select(named("ambiguous-clusters"))]
        assert len(clusters) >= 2, "the dblp sample has too few ambiguous clusters"
        for key in keys[:4]:
            assert cluster(remote, key).to_json() == cluster(embedded, key).to_json(), key
        rows = [str(r["row"]) for key in keys[:3] for r in embedded.select(named("cluster-rows"), {"key": key})]
        far = max(rows, key=lambda r: len(paths.reach(embedded, r).counts))  # the row that reaches farthest
        ends = [str(a["iri"]) for a in paths.reach(embedded, far, at=len(paths.reach(embedded, far).counts))
                .to_json()["authors"]]
        pairs = [(far, ends[0], "author"), (far, ends[-1], "cluster"), (clusters[0], clusters[-1], "cluster"),
                 (rows[0], rows[-1], "author")]
        found = 0
        for a, b, by in pairs:
            want = paths.shortest_paths(embedded, a, b, by=by, all=True).to_json()  # type: ignore[arg-type]
            found += want["status"] == "found" and want["distance"] >= 2
            for backend in (remote, indexed):
                got = paths.shortest_paths(backend, a, b, by=by, all=True).to_json()  # type: ignore[arg-type]
                assert got == want, (a, b, by, backend.index is not None)
        assert found >= 2, "no chain of two links or more to compare"
        for row in rows[:3]:
            assert paths.coauthors(remote, row).to_json() == paths.coauthors(embedded, row).to_json(), row
            assert paths.reach(indexed, row).to_json() == paths.reach(embedded, row).to_json(), row
        assert compute_stats(remote) == compute_stats(embedded)


def test_union_of_selects() -> None:
    """binding.union: each part a sub-query with its VALUES block, tagged by its number, under the
    union of the prefixes; a part that cannot be a sub-query (a BASE, clashing prefixes) gives None."""
    from kg.backend.binding import PART, split_select, union

    a = 'PREFIX kg: <x:kg#>\n# a comment } {\nSELECT ?k ?n WHERE { ?r kg:k ?k ; kg:n ?n } ORDER BY ?n'
    b = ("PREFIX kg: <x:kg#>\nPREFIX : <x:e#>\n"
         "SELECT ?k (COUNT(*) AS ?c) WHERE { ?r kg:k ?k } GROUP BY ?k ORDER BY ?c LIMIT 3")
    assert split_select(a) == ((("kg", "x:kg#"),), "SELECT ?k ?n WHERE { ?r kg:k ?k ; kg:n ?n } ")
    assert split_select(b) is not None and split_select(b)[1].endswith("ORDER BY ?c LIMIT 3")  # type: ignore[index]
    text = union([(a, "k", [ox.Literal('x" } #')]), (b, "k", [ox.Literal("y"), ox.Literal("z")])])
    assert text is not None
    ox.Store().query(text)  # it parses
    assert text.count("PREFIX kg:") == 1 and f"BIND(1 AS ?{PART})" in text
    assert 'VALUES ?k { "x\\" } #" }' in text and 'VALUES ?k { "y" "z" }' in text
    assert union([("BASE <x:> SELECT ?k WHERE { ?k ?p ?o }", "k", [ox.Literal("y")])]) is None
    assert union([(a, "k", [ox.Literal("y")]), ("PREFIX kg: <x:other#> SELECT ?k WHERE { ?k kg:p ?o }", "k",
                                                [ox.Literal("y")])]) is None


@pytest.mark.parametrize("kind", ENGINES)
def test_a_batch_is_one_request_and_answers_as_each_query(example_dataset: Dataset, kind: str) -> None:
    """RemoteBackend.select_batch: the named queries of a cluster and of a chain, with one or several
    values each, in one request, each part's rows those of its own query (in its order); a cluster
    and a path with the index over the engine are one request each."""
    from kg import paths
    from kg.backend import select_batch
    from kg.indexing import build

    with open_backend(example_dataset, "embedded") as embedded, open_backend(example_dataset, kind) as remote:
        papers = [str(r["paper"]) for r in embedded.select(named("cluster-papers"), {"key": "liyuan liu"})][:6]
        rows = [str(r["row"]) for r in embedded.select(named("cluster-rows"), {"key": "liyuan liu"})]
        parts = [(named(q), "key", ["liyuan liu", "hong chen", name_key(HOSTILE[5])])
                 for q in ("cluster-papers", "cluster-authors", "cluster-rows", "cluster-label")]
        parts += [(named("coauthors-paper"), "paper", papers), (named("node-names"), "node", rows + papers[:1]),
                  (named("coauthors-paper"), "paper", [])]
        sent: list[str] = []
        post = remote.client.post
        remote.client.post = lambda q, *a, **k: sent.append(q) or post(q, *a, **k)  # counts, then sends
        got = select_batch(remote, parts)
        assert len(sent) == 1
        want = select_batch(embedded, parts)
        for (q, _, _), g, w in zip(parts, got, want, strict=True):
            if order_by(q.text) is not None:
                assert g == w, q.name
            else:
                assert [_multiset(x) for x in g] == [_multiset(x) for x in w], q.name
        sent.clear()
        cluster(remote, "Liyuan Liu")
        assert len(sent) == 1
    folder = example_dataset.folder / f"batch-index-{kind}"
    if not folder.exists():
        build(folder, files=[example_dataset.nquads / "data.nq"])
    with open_backend(example_dataset, kind, index=folder) as remote, \
            open_backend(example_dataset, "embedded") as embedded:
        a, b = BASE + "cluster/yiping%20wang", BASE + "cluster/hong%20chen"
        sent.clear()
        post = remote.client.post
        remote.client.post = lambda q, *a, **k: sent.append(q) or post(q, *a, **k)
        got = paths.shortest_paths(remote, a, b, by="cluster", all=True).to_json()
        assert len(sent) == 1 and got["distance"] == 2 and got["paths"][0]["nodes"][0]["name"] != a
        assert got == paths.shortest_paths(embedded, a, b, by="cluster", all=True).to_json()


def test_plain_http_is_kept_alive_and_survives_a_closed_connection(example_dataset: Dataset, tmp_path: Any) -> None:
    """A plain http:// endpoint is asked over kept-alive connections (one for many requests); one the
    engine closed while idle is replaced without an error; https, a proxy or credentials in the URL
    go through the requests session."""
    from engines import start_oxigraph

    from kg.backend.sparql import SparqlClient

    assert not SparqlClient("https://example.org/sparql")._direct
    assert not SparqlClient("http://user:secret@127.0.0.1:9/sparql")._direct
    assert SparqlClient("http://127.0.0.1:9/sparql")._direct
    port = free_port()
    engine = start_oxigraph([example_dataset.nquads / "data.nq"], tmp_path / "ka", port=port)
    try:
        with RemoteBackend(f"http://127.0.0.1:{port}/query") as remote:
            for _ in range(5):
                assert remote.ask("ASK { ?s ?p ?o }")
            assert len(remote.client._idle) == 1
            kept = remote.client._idle[0]
            assert remote.ask("ASK { ?s ?p ?o }") and remote.client._idle == [kept]  # the same connection
            engine.stop()
            engine = start_oxigraph([example_dataset.nquads / "data.nq"], tmp_path / "ka", port=port)
            assert remote.ask("ASK { ?s ?p ?o }")  # the idle one was closed by the engine: a new one
    finally:
        engine.stop()


def _json_literal(text: str, datatype: str | None = None, language: str | None = None,
                  kind: str = "literal") -> dict[str, str]:
    term = {"type": kind, "value": text}
    if datatype is not None:
        term["datatype"] = datatype
    if language is not None:
        term["xml:lang"] = language
    return term


def test_a_json_answer_read_as_it_is_gives_pyoxigraphs_values_and_order() -> None:
    """The cheap read of a SPARQL JSON answer (kg.queries.json_row, normalise.sort_json) gives the
    values and the order that pyoxigraph's terms give (value of normalise.term, normalise.sort), for
    every kind of term an engine writes: Virtuoso's typed-literal and "1" booleans included."""
    import json

    from kg.backend.normalise import sort, sort_json, term
    from kg.backend.sparql import _table
    from kg.queries import json_row, value

    xsd = "http://www.w3.org/2001/XMLSchema#"
    texts = [*HOSTILE, "", "10", "9", "-1", "1.50", "true", "0", "\u0000\t\x7f", "\U0001F600" * 3]
    terms = [{"type": "uri", "value": "http://localhost:7878/author/" + str(i)} for i in (3, 1, 2)]
    for text in texts:
        terms += [_json_literal(text), _json_literal(text, xsd + "string"), _json_literal(text, language="en-GB")]
    for number in ("10", "9", "-1", "0", "007"):
        terms += [_json_literal(number, xsd + "integer"), _json_literal(number, xsd + "gYear", kind="typed-literal")]
    terms += [_json_literal(x, xsd + "decimal") for x in ("1.50", "1.5", "-0.25")]
    terms += [_json_literal(x, xsd + "double") for x in ("1e3", "2.5E-1")]
    terms += [_json_literal(x, xsd + "boolean", kind=k)
              for x in ("1", "0", "true", "false") for k in ("literal", "typed-literal")]
    terms += [_json_literal("x", "http://example.org/dt"), _json_literal("not a number", xsd + "integer")]
    rows = [{"a": t, "b": terms[(i * 7) % len(terms)]} for i, t in enumerate(terms)] + [{"b": terms[0]}]
    body = json.dumps({"head": {"vars": ["a", "b"]}, "results": {"bindings": rows}})
    table = _table(body.encode())
    assert table is not None and table.bindings == rows
    parsed = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions)
    oxrows = [{n: term(t) for n, t in zip(("a", "b"), s, strict=True) if t is not None} for s in parsed]

    def values(row: dict[str, Any]) -> dict[str, object]:
        try:
            return {k: value(v) for k, v in row.items()}
        except ValueError as e:  # "not a number" as an integer fails both ways alike
            return {"error": str(e)}

    def read(row: dict[str, Any]) -> dict[str, object]:
        try:
            return json_row(row)
        except ValueError as e:
            return {"error": str(e)}

    assert [read(r) for r in rows] == [values(r) for r in oxrows]
    for keys in ((("a", False),), (("a", True),), (("b", False), ("a", True)), (("b", True), ("a", False))):
        by_json = [read(r) for r in sort_json(rows, keys)]
        by_terms = [values(r) for r in sort(oxrows, keys)]
        assert by_json == by_terms, keys


def test_the_form_is_byte_for_byte_urlencodes() -> None:
    """The POST form as sent (encoded line by line, lines cached) is urlencode's, byte for byte."""
    import urllib.parse

    from kg.backend.sparql import form_body

    for text in [*HOSTILE, "", "\n", "\n\n", "a\r\nb", "%+&=;", named("cluster-papers").text]:
        for _ in range(2):  # the second time from the cache
            assert form_body(text) == urllib.parse.urlencode({"query": text}).encode()
