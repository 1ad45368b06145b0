"""The results cache of the SPARQL pipeline (kg serve --results-cache MB; kg.server.results_cache), on a
real `kg serve`: a repeated query is answered from it (its access-log line says "cached") with the same
bytes and header fields; a new generation is evaluated again; texts calling NOW(), RAND() and the like
never are kept; it is off with updates, over a remote engine (kg serve --endpoint) and with
--results-cache 0; names in every script are distinct entries; on generated queries the kept answer
equals the evaluated one. The table's bounds and the rules of what is kept, in unit tests."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from engines import kg_serve
from hypothesis import given, settings
from hypothesis import strategies as st
from server_fixtures import Server, running
from test_server_front import _rows

import kg
from kg.backend.remote import RemoteSpec
from kg.server.config import ServerConfig
from kg.server.messages import Job, Result
from kg.server.results_cache import LARGEST, ResultsCache, key, serves, volatile
from kg.server.tables import Caches
from kg.sparqltext import lex

KG = "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>\n"
PAPERS = KG + "SELECT (COUNT(?p) AS ?n) WHERE { ?p a kg:Paper }"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
NAMES = ["Jürgen Becker", "Zoë Márquez", "Γεώργιος Παπαδόπουλος", "Сергей Иванов", "王小明", "山田 太郎",
         "محمد الأحمد"]
FORMS = [unicodedata.normalize(form, name) for name in NAMES for form in ("NFC", "NFD")]


def _sparql_lines(server: Server) -> list[str]:
    """The access-log lines of /sparql requests (written in batches within 0.1 s), without the first: the
    ASK by which `running` saw the server up."""
    time.sleep(0.3)
    lines = [line for line in server.log_text().splitlines() if "kg.server.access" in line and " /sparql " in line]
    assert lines and lines[0].endswith("query ASK")
    return lines[1:]


def _fields(response: requests.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower() != "date"}


def _csv(server: Server, session: requests.Session, query: str, method: str = "GET") -> requests.Response:
    if method == "GET":
        return session.get(server.endpoint, params={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
    return session.post(server.endpoint, data=query.encode(), timeout=30,
                        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of its own (the updates test opens it writable)."""
    folder = tmp_path_factory.mktemp("results")
    path = folder / "store"
    kg.build([_rows(folder / "rows", 3)], path)
    return path


def test_a_repeated_query_is_answered_from_the_cache_with_the_same_bytes(store: Path, tmp_path: Path) -> None:
    """The second GET, and a POST of the same text (a form and a direct body), come from the cache: the same
    status, header fields and body; an error is evaluated every time."""
    query = KG + "SELECT ?paper ?title WHERE { ?paper kg:title ?title } ORDER BY ?title"
    with running(store, "--workers", "1", log=tmp_path / "serve.log") as server, requests.Session() as s:
        first = s.get(server.endpoint, params={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
        again = s.get(server.endpoint, params={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
        form = s.post(server.endpoint, data={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
        direct = _csv(server, s, query, "POST")
        head = s.head(server.endpoint, params={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
        bad = [s.get(server.endpoint, params={"query": "SELECT ?x WHERE {"}, timeout=30) for _ in range(2)]
        lines = _sparql_lines(server)
    assert first.status_code == 200 and [row.split(",")[1] for row in first.text.splitlines()[1:]] == \
        ["Paper 0", "Paper 1", "Paper 2"]
    for other in (again, form, direct):
        assert (other.status_code, _fields(other), other.content) == (200, _fields(first), first.content)
    assert head.status_code == 200 and _fields(head) == _fields(first) and head.content == b""
    assert [b.status_code for b in bad] == [400, 400] and bad[0].content == bad[1].content
    notes = [line.split("ms", 1)[1].strip() for line in lines]
    assert notes == ["query SELECT", "query SELECT cached", "query SELECT cached", "query SELECT cached",
                     "query SELECT cached", "query SELECT", "query SELECT"], lines


def test_a_new_generation_is_evaluated_again(tmp_path: Path) -> None:
    path = tmp_path / "store"
    kg.build([_rows(tmp_path / "one", 3)], path)
    with running(path, "--workers", "1", log=tmp_path / "serve.log") as server, requests.Session() as s:
        assert _csv(server, s, PAPERS).text.split() == ["n", "3"]
        assert _csv(server, s, PAPERS).text.split() == ["n", "3"]
        kg.build([_rows(tmp_path / "two", 5)], path)  # a new generation swapped in under the running server
        assert _csv(server, s, PAPERS, "POST").text.split() == ["n", "5"]
        assert _csv(server, s, PAPERS).text.split() == ["n", "5"]
        lines = _sparql_lines(server)
    assert [line.endswith("cached") for line in lines] == [False, True, False, True], lines


VOLATILE = ["SELECT (RAND() AS ?r) WHERE {}", "SELECT (STRUUID() AS ?u) WHERE {}", "SELECT (UUID() AS ?u) WHERE {}",
            "SELECT ?b WHERE { BIND(BNODE() AS ?b) }", "SELECT (NOW() AS ?t) WHERE {}"]


def test_a_text_calling_now_or_rand_is_evaluated_every_time(store: Path, tmp_path: Path) -> None:
    """Two answers of RAND(), UUID() differ, and no such text is answered from the cache; a string "now()"
    or a comment naming RAND() is no call, so that text is."""
    literal = 'SELECT ?x WHERE { BIND("now() rand()" AS ?x) } # RAND()'
    with running(store, "--workers", "1", log=tmp_path / "serve.log") as server, requests.Session() as s:
        answers = {q: [_csv(server, s, q).content for _ in range(2)] for q in VOLATILE}
        kept = [_csv(server, s, literal).content for _ in range(2)]
        lines = _sparql_lines(server)
    for q in VOLATILE[:3]:
        assert answers[q][0] != answers[q][1], q
    assert kept[0] == kept[1] and kept[0].split() == [b"x", b"now()", b"rand()"]
    assert [line.endswith("cached") for line in lines] == [False] * 2 * len(VOLATILE) + [False, True], lines


@pytest.mark.parametrize("off", [("--results-cache", "0"), ("--allow-update",)], ids=["size-0", "updates"])
def test_the_cache_is_off_with_size_0_and_with_updates(store: Path, tmp_path: Path, off: tuple[str, ...]) -> None:
    with running(store, "--workers", "1", *off, log=tmp_path / "serve.log") as server, requests.Session() as s:
        answers = [_csv(server, s, PAPERS).content for _ in range(3)]
        lines = _sparql_lines(server)
    assert answers == [b"n\r\n3\r\n"] * 3
    assert len(lines) == 3 and not [line for line in lines if line.endswith("cached")], lines


def test_the_cache_is_off_over_a_remote_engine(store: Path, tmp_path: Path) -> None:
    """kg serve --endpoint forwards every query to the engine (here another kg serve, on the store): its
    data can change under one data version, so nothing is kept; the engine gets the query each time."""
    with running(store, "--workers", "1", log=tmp_path / "engine.log") as engine, \
            kg_serve("--endpoint", engine.endpoint, "--data-version", "v1", "--workers", "1",
                     log=tmp_path / "serve.log") as url, requests.Session() as s:
        answers = [s.post(url + "/sparql", data={"query": PAPERS}, headers={"Accept": "text/csv"}, timeout=30)
                   for _ in range(3)]
        time.sleep(0.3)
        log = (tmp_path / "serve.log").read_text(encoding="utf-8")
        forwarded = [line for line in log.splitlines() if "kg.server.access" in line and " /sparql " in line]
        received = _sparql_lines(engine)
    assert [a.content for a in answers] == [b"n\r\n3\r\n"] * 3
    assert len(forwarded) == 3 and not [line for line in forwarded if line.endswith("cached")], forwarded
    assert len(received) == 3, received  # each one asked of the engine (which keeps them itself: it serves a store)


def test_with_updates_an_update_is_seen_by_the_next_query(tmp_path: Path) -> None:
    """Why the cache is off with updates: the store changes within a generation."""
    path = tmp_path / "store"
    kg.build([_rows(tmp_path / "rows", 3)], path)
    with running(path, "--allow-update", log=tmp_path / "serve.log") as server, requests.Session() as s:
        assert _csv(server, s, PAPERS).text.split() == ["n", "3"]
        update = KG + "INSERT DATA { GRAPH <urn:x:g> { <urn:x:p> a kg:Paper } }"
        assert s.post(server.endpoint, data={"update": update}, timeout=30).status_code == 204
        assert _csv(server, s, PAPERS).text.split() == ["n", "4"]


def test_names_in_every_script_are_distinct_entries(store: Path, tmp_path: Path) -> None:
    """Each name, NFC and NFD alike, in the text and in the answer, is an entry of its own: asked twice
    over, each answer is its own name's, the second time from the cache."""
    names = list(dict.fromkeys(FORMS))  # the CJK names have one form; the others (Arabic's أ too) two
    assert len(names) == 12
    queries = {name: f'SELECT ?n WHERE {{ BIND("{name}" AS ?n) }}' for name in names}
    with running(store, "--workers", "1", log=tmp_path / "serve.log") as server, requests.Session() as s:
        rounds = [{name: _csv(server, s, q, method).content.decode() for name, q in queries.items()}
                  for method in ("GET", "POST")]
        lines = _sparql_lines(server)
    for answers in rounds:
        assert answers == {name: f"n\r\n{name}\r\n" for name in names}
    assert [line.endswith("cached") for line in lines] == [False] * len(names) + [True] * len(names), lines


# -- generated queries: the answer from the cache equals the evaluated one


@pytest.fixture(scope="module")
def on_and_off(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    folder = tmp_path_factory.mktemp("on-off")
    with running(example_store, "--workers", "1", "--max-rows", "40", log=folder / "on.log") as on, \
            running(example_store, "--workers", "1", "--max-rows", "40", "--results-cache", "0",
                    log=folder / "off.log") as off:
        yield on, off


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'), max_size=12)
_names = st.sampled_from(FORMS) | _text
_templates = st.sampled_from([
    'SELECT ?x WHERE {{ BIND("{lit}" AS ?x) }}',
    "SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} ORDER BY ?s ?p ?o LIMIT {n} OFFSET {m}",
    'ASK {{ ?s ?p "{lit}" }}',
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }} ORDER BY ?s ?p ?o LIMIT {n}",
    'SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{lit}")) }}',
    KG + "SELECT ?name WHERE {{ ?r kg:name ?name }} ORDER BY ?name LIMIT {n}",
    KG + 'SELECT ?r WHERE {{ ?r kg:name ?name FILTER(STRSTARTS(?name, "{lit}")) }} ORDER BY ?r',
    KG + "SELECT ?p ?t WHERE {{ ?p kg:title ?t }} ORDER BY DESC(?t) LIMIT 100",  # past --max-rows: capped
])
_accepts = st.sampled_from(["application/sparql-results+json", "text/csv", "text/tab-separated-values",
                            "application/sparql-results+xml", "text/turtle", "application/n-triples", "*/*",
                            BROWSER, "image/png"])


def _ask(server: Server, session: requests.Session, method: str, query: str,
         accept: str) -> tuple[int, dict[str, str], bytes]:
    if method == "GET":
        r = session.get(server.endpoint, params={"query": query}, headers={"Accept": accept}, timeout=30)
    elif method == "form":
        r = session.post(server.endpoint, data={"query": query}, headers={"Accept": accept}, timeout=30)
    else:
        r = session.post(server.endpoint, data=query.encode(), timeout=30,
                         headers={"Accept": accept, "Content-Type": "application/sparql-query"})
    return r.status_code, _fields(r), r.content.replace(server.url.encode(), b"http://SERVER")


def test_the_cached_answer_equals_the_evaluated_one(on_and_off: tuple[Server, Server]) -> None:
    """Generated queries, formats and methods: the server with the cache answers each twice (the second
    time from the cache, when the first was a 200), the same as the server without it evaluates it; and
    the first did answer many of them from its cache, the other none."""
    on, off = on_and_off

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(template=_templates, lit=_names, n=st.integers(0, 60), m=st.integers(0, 5), accept=_accepts,
           methods=st.tuples(*[st.sampled_from(["GET", "form", "direct"])] * 2))
    def check(template: str, lit: str, n: int, m: int, accept: str, methods: tuple[str, str]) -> None:
        query = template.format(lit=lit, n=n, m=m)
        with requests.Session() as s, requests.Session() as t:
            evaluated = _ask(off, t, methods[0], query, accept)
            first = _ask(on, s, methods[0], query, accept)
            again = _ask(on, s, methods[1], query, accept)  # from the cache when the first was a 200
        assert first == evaluated
        assert again == evaluated

    check()
    assert len([line for line in _sparql_lines(on) if line.endswith("cached")]) >= 30
    assert not [line for line in _sparql_lines(off) if line.endswith("cached")]


# -- unit tests: what is kept, and the table's bounds


def _cache(size: int = 1, timeout: float = 30.0) -> tuple[ResultsCache, list[str]]:
    tag = ["g1"]
    return ResultsCache(ServerConfig(store=Path("x"), results_cache=size, timeout=timeout), Caches(),
                        lambda: tag[0]), tag


def _job(text: str) -> Job:
    return Job("query", text, base_iri="http://kg.test/sparql", results_format="csv", graph_format="nt",
               max_rows=100)


def test_volatile_texts_are_found_by_the_lexer() -> None:
    for text in ["SELECT (now() AS ?t) {}", "SELECT (Rand() AS ?r) {}", "SELECT * { BIND(UUID() AS ?u) }",
                 "SELECT * { BIND(struuid() AS ?u) }", 'SELECT * { BIND(BNODE("x") AS ?b) }',
                 "SELECT * { BIND(bnode() AS ?b) }", "SELECT (\\u004EOW() AS ?t) {}",
                 "SELECT * { ?s ?p ?o FILTER(?o < NOW()) }"]:
        assert volatile(lex(text)), text
    for text in ['SELECT * { BIND("now()" AS ?x) }', "SELECT * {} # RAND()", "SELECT * { ?s <urn:now> ?o }",
                 "PREFIX ex: <urn:x:> SELECT * { ?s ex:now ?rand }", "SELECT ?now ?uuid { }",
                 "SELECT * { ?s ?p '''UUID() and BNODE()''' }", "SELECT * { ?s ?p ?o }"]:
        assert not volatile(lex(text)), text


def test_only_a_200_in_time_of_the_same_generation_is_kept() -> None:
    cache, tag = _cache(timeout=2.0)
    ok = Result(200, "text/csv", b"n\r\n1\r\n", seconds=0.1)
    for i, (result, late) in enumerate([(Result(400, body=b"bad\n"), False), (Result(503, body=b"busy\n"), False),
                                        (Result(503, body=b"stopped\n"), True), (ok, True),
                                        (Result(200, "text/csv", b"n\r\n", seconds=2.5), False)]):
        cache.keep(key(_job(f"q{i}")), "g1", result, late)
    assert not cache.results
    cache.keep(key(_job("swapped")), "g0", ok, False)  # asked on g0, back after the swap to g1: not kept
    assert not cache.results
    cache.keep(key(_job("kept")), "g1", ok, False)
    assert cache.find(key(_job("kept"))) == ("g1", ok)
    assert cache.find(key(Job("query", "kept", base_iri="http://other/sparql", results_format="csv",
                              graph_format="nt", max_rows=100)))[1] is None  # another base IRI: another entry
    assert cache.find(key(Job("query", "kept", base_iri="http://kg.test/sparql", results_format="json",
                              graph_format="nt", max_rows=100)))[1] is None  # another format: another entry


def test_many_distinct_queries_keep_the_table_within_its_size() -> None:
    cache, _ = _cache(size=1)
    for i in range(5000):
        cache.keep(key(_job(f"SELECT * {{ ?s ?p {i} }}" + " " * 200)), "g1", Result(200, "text/csv", b"x" * 700),
                   False)
        assert cache.results.size <= 1 << 20 and len(cache.results) <= 1024
    assert len(cache.results) > 400  # full, the least recently used out first
    assert key(_job("SELECT * { ?s ?p 4999 }" + " " * 200)) in cache.results
    assert key(_job("SELECT * { ?s ?p 0 }" + " " * 200)) not in cache.results
    big, _ = _cache(size=64)
    big.keep(key(_job("big")), "g1", Result(200, "text/csv", b"x" * LARGEST), False)  # over 256 KB: not kept
    big.keep(key(_job("fits")), "g1", Result(200, "text/csv", b"x" * (LARGEST - 2048)), False)
    assert list(big.results) == [key(_job("fits"))]


def test_it_serves_only_a_read_only_store() -> None:
    assert serves(ServerConfig(store=Path("x")))
    assert not serves(ServerConfig(store=Path("x"), results_cache=0))
    assert not serves(ServerConfig(store=Path("x"), allow_update=True))
    assert not serves(ServerConfig(store=Path("x"), update_token="t"))
    assert not serves(ServerConfig(store=None, remote=RemoteSpec("http://127.0.0.1:1/sparql", None, 5.0, "v1")))
