"""GET /api/suggest and /api/search on a real `kg serve` (kg.search): names in every script,
titles, paging, and bad input answered 400 or with no results, never 500."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from server_fixtures import Server, running

import kg

DATA = Path(__file__).parent / "data" / "search" / "names.xml"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store = tmp_path_factory.mktemp("search-api") / "store"
    kg.build([DATA], store)
    with running(store, "--workers", "1", log=store.parent / "serve.log") as s:
        yield s


def suggest(server: Server, q: str, **params: Any) -> Any:
    r = server.get(server.url + "/api/suggest", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()


def labels(server: Server, q: str, **params: Any) -> list[str]:
    return [unicodedata.normalize("NFC", s["label"]) for s in suggest(server, q, **params)["results"]]


@pytest.mark.parametrize(("typed", "wanted"), [
    ("gonzalez", "José González"), ("Mueller", "Hans Müller"), ("Müller", "Peter Mueller"),
    ("Liu Liyuan", "Liyuan Liu"), ("L. Liu", "Liyuan Liu"), ("Liu, L.", "Liyuan Liu"), ("wei wang 0001", "Wei Wang"),
    ("小明", "王小明"), ("山田", "山田 太郎"), ("Παπαδοπουλος", "Γεώργιος Παπαδόπουλος"), ("ИВАНОВ", "Сергей Иванов"),
    ("الأحمد", "محمد الأحمد"), (unicodedata.normalize("NFD", "Zoë"), "Zoë Núñez"), ("zoe", "Zoë Núñez"),
])
def test_suggest_names_in_every_script(server: Server, typed: str, wanted: str) -> None:
    assert wanted in labels(server, typed, kind="name")[:3]


def test_a_suggestion_is_the_library_s(server: Server) -> None:
    got = suggest(server, "wei wang", kind="name", limit=1)
    assert set(got) == {"q", "kind", "limit", "results"}
    first = got["results"][0]
    assert {k: first[k] for k in ("kind", "label", "rows", "papers", "first", "last", "venue")} == {
        "kind": "name", "label": "Wei Wang", "rows": 2, "papers": 3, "first": 2021, "last": 2024, "venue": "KDD"}
    assert "persons" in first and first["iri"].endswith("/cluster/wei%20wang")
    paper = suggest(server, "training transf", kind="paper")["results"][0]
    assert (paper["year"], paper["venue"], paper["authors"]) == (2020, "EMNLP", ["Liyuan Liu", "Xiaodong Liu"])


def test_titles_and_all(server: Server) -> None:
    assert labels(server, "知識", kind="paper") == ["知識グラフの構築."]
    assert labels(server, "deep learn", kind="paper")[0] == "Deep learning of graphs, revisited."
    kinds = [s["kind"] for s in suggest(server, "le", limit=50)["results"]]
    assert "name" in kinds and "paper" in kinds and kinds == sorted(kinds)


def test_search_pages_with_next(server: Server) -> None:
    url = server.url + "/api/search?q=le&limit=2"
    seen: list[str] = []
    pages = 0
    while url:
        r = server.get(url)
        assert r.status_code == 200, r.text
        data = r.json()
        seen += [s["iri"] for s in data["results"]]
        pages += 1
        url = data["next"]
        if url:
            assert r.headers["link"] == f'<{url}>; rel="next"' and "page=" in url
    every = [s["iri"] for s in suggest(server, "le", limit=50)["results"]]
    assert seen == every and pages == (len(every) + 1) // 2
    csv = server.get(server.url + "/api/search", params={"q": "wei", "format": "csv"})
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith("kind,iri,label,rows,papers")


@pytest.mark.parametrize(("query", "word"), [
    ("", "q"), ("q=", "q"), ("q=%20%20", "q"), ("q=" + "a" * 10_000, "longer"), ("q=liu%00", "control"),
    ("q=liu%1B", "control"), ("q=liu%7F", "control"), ("q=liu&kind=person", "kind"), ("q=liu&limit=0", "limit"),
    ("q=liu&limit=51", "limit"), ("q=liu&limit=x", "limit"), ("q=liu&format=yaml", "format"),
])
def test_bad_input_is_a_clear_400(server: Server, query: str, word: str) -> None:
    for path in ("suggest", "search"):
        r = server.get(f"{server.url}/api/{path}?{query}")
        assert r.status_code == 400, (path, query, r.text)
        assert word in r.json()["error"]
    assert server.get(f"{server.url}/api/search?q=liu&page=101").status_code == 400


@pytest.mark.parametrize(("q", "liyuan"), [
    ('"', False), ("*", False), ("NEAR", False), ("NEAR(liu, 2)", False), ("liu:", True), ("-liu", True),
    ("^liu", True), ("(liu)", True), ("liu OR x", False), ('"liu" *', True), ("liu'; DROP TABLE names;", False),
    ("x", False), ("王", False), ("\u202e", False), ("liu\ud800", True), ("liyuan AND", False),
])
def test_query_syntax_and_odd_text_is_searched_as_text(server: Server, q: str, liyuan: bool) -> None:
    encoded = quote(q.encode("utf-8", "surrogatepass"), safe="")  # a lone surrogate as its (invalid) UTF-8
    for path in ("suggest", "search"):
        r = server.get(f"{server.url}/api/{path}?q={encoded}")
        assert r.status_code in (200, 400), r.text
        assert r.headers["content-type"].startswith("application/json")
        if r.status_code == 200:  # every word is text: "OR", "AND", "NEAR" are words to find, not operators
            assert ("Liyuan Liu" in [s["label"] for s in r.json()["results"]]) is liyuan, q


def test_invalid_utf8_is_not_a_500(server: Server) -> None:
    r = requests.get(server.url + "/api/suggest?q=%FF%FEliu", timeout=30)
    assert r.status_code in (200, 400)
