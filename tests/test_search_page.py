"""GET /search?q=… on a real `kg serve`: the results page over the search index (kg.search), with
names in every script, the exact-name cluster's link, paging as /api/search, and bad input answered
with a page (400 or nothing found), never a 500."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

import pytest
import requests
from server_fixtures import Server, running

import kg

DATA = Path(__file__).parent / "data" / "search" / "names.xml"
RESULT = re.compile(r'<li class="result (name|paper)" data-kind="\1"><a href="([^"]+)">(?:<strong>)?([^<]+)<')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store = tmp_path_factory.mktemp("search-page") / "store"
    kg.build([DATA], store)
    with running(store, "--workers", "1", log=store.parent / "serve.log") as s:
        yield s


def page(server: Server, status: int = 200, **params: Any) -> str:
    r = server.get(server.url + "/search", params=params, allow_redirects=False, timeout=30)
    assert r.status_code == status, (params, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def results(text: str) -> list[tuple[str, str, str]]:
    """(kind, href, label) of each result, the label unescaped and NFC."""
    return [(kind, html.unescape(href), unicodedata.normalize("NFC", html.unescape(label)))
            for kind, href, label in RESULT.findall(text)]


def box(text: str) -> str:
    found = re.search(r'<form id="search-form"[^>]*>.*?<input type="search" name="q" value="([^"]*)"', text, re.S)
    assert found, text
    return html.unescape(found.group(1))


NFD_ZOE = unicodedata.normalize("NFD", "Zoë")


@pytest.mark.parametrize(("typed", "wanted"), [
    ("gonzalez", "José González"), ("Mueller", "Hans Müller"), ("Liu Liyuan", "Liyuan Liu"), ("L. Liu", "Liyuan Liu"),
    ("wei wang 0001", "Wei Wang"), ("小明", "王小明"), ("山田", "山田 太郎"), ("Παπαδοπουλος", "Γεώργιος Παπαδόπουλος"),
    ("ИВАНОВ", "Сергей Иванов"), ("الأحمد", "محمد الأحمد"), (NFD_ZOE, "Zoë Núñez"), ("Zoë", "Zoë Núñez"),
])
def test_the_results_page_finds_names_in_every_script(server: Server, typed: str, wanted: str) -> None:
    text = page(server, q=typed)
    found = [(kind, label) for kind, _, label in results(text)]
    assert ("name", wanted) in found[:3], found
    assert box(text) == typed  # the box keeps what was typed, as typed (NFD stays NFD)


def test_a_result_tells_homonyms_apart_and_links_its_page(server: Server) -> None:
    text = page(server, q="wei wang", kind="name", limit=1)
    assert results(text) == [("name", "./clusters/Wei%20Wang", "Wei Wang")]
    assert "2 author rows · 3 papers · 2021–2024 · mostly in KDD" in html.unescape(text)
    text = html.unescape(page(server, q="training transf", kind="paper"))
    [(kind, href, label)] = results(text)
    assert (kind, label) == ("paper", "Understanding the Difficulty of Training Transformers.")
    assert "2020 · EMNLP · Liyuan Liu, Xiaodong Liu" in text
    assert server.get(urljoin(server.url + "/search", href), timeout=30).status_code == 200
    titles = [label for kind, _, label in results(page(server, q="Графы"))]
    assert titles == ["Графы знаний."]


@pytest.mark.parametrize(("typed", "cluster"), [
    ("Liyuan Liu", "Liyuan Liu"), ("liu liyuan", "Liyuan Liu"), ("Wei Wang 0002", "Wei Wang"),
    (NFD_ZOE + " Núñez", "Zoë Núñez"), ("王小明", "王小明"), ("Сергей Иванов", "Сергей Иванов"),
    ("محمد الأحمد", "محمد الأحمد"), ("Γεώργιος Παπαδόπουλος", "Γεώργιος Παπαδόπουλος"),
])
def test_a_name_links_its_exact_cluster_on_every_page_and_kind(server: Server, typed: str, cluster: str) -> None:
    for params in ({}, {"kind": "paper"}):
        text = page(server, q=typed, **params)
        links = re.findall(r'<a class="exact-cluster" href="([^"]+)">([^<]+)</a>', text)
        nfc = [(unicodedata.normalize("NFC", unquote(html.unescape(h))), unicodedata.normalize("NFC", html.unescape(n)))
               for h, n in links]  # the cluster's name as its rows spell it (the data's Zoë is NFD)
        assert nfc == [("./clusters/" + cluster, cluster)], params
    r = server.get(urljoin(server.url + "/search", html.unescape(links[0][0])), timeout=30)
    assert r.status_code == 200 and "author row" in r.text


def test_a_part_of_a_name_is_no_exact_cluster(server: Server) -> None:
    text = page(server, q="liyuan")
    assert 'id="exact"' not in text and ("name", "Liyuan Liu") in [(k, n) for k, _, n in results(text)]


def test_the_pages_follow_next_and_previous_as_the_api(server: Server) -> None:
    url: str | None = server.url + "/search?q=le&limit=2"
    seen: list[str] = []
    pages: list[str] = []
    while url:
        text = page(server, **dict(re.findall(r"([a-z]+)=([^&]*)", url.split("?", 1)[1])))
        seen += [label for _, _, label in results(text)]
        pages.append(text)
        following = re.search(r'<a rel="next" href="([^"]+)"', text)
        url = urljoin(server.url + "/search", html.unescape(following.group(1))) if following else None
    api = requests.get(server.url + "/api/suggest", params={"q": "le", "limit": 50}, timeout=30).json()
    assert seen == [unicodedata.normalize("NFC", s["label"]) for s in api["results"]]
    assert len(pages) == (len(seen) + 1) // 2 > 2
    assert 'rel="prev"' not in pages[0] and 'rel="prev" href="?q=le&amp;limit=2&amp;page=1"' in pages[1]
    assert "Results 3–4 (page 2)" in pages[1] and '<ol id="search-results" start="3">' in pages[1]
    past = page(server, q="le", limit=2, page=len(pages) + 1)  # past the last page: nothing, and the way back
    assert results(past) == [] and "No results (page" in past and 'rel="prev"' in past and 'rel="next"' not in past


@pytest.mark.parametrize("typed", ["zzqqxx", "<script>alert(1)</script>", '"', "*", "NEAR", ":", "x AND"])
def test_nothing_found_says_so_with_the_text(server: Server, typed: str) -> None:
    text = page(server, q=typed, kind="name")
    assert results(text) == [] and 'id="nothing"' in text
    nothing = re.search(r'<p id="nothing">([^<]+)', text)
    assert nothing and f"Nothing found for “{typed}”." in html.unescape(nothing.group(1))
    assert "<script>alert" not in text


@pytest.mark.parametrize(("query", "word"), [
    ("q=" + "a" * 10_000, "longer"), ("q=liu%00", "control"), ("q=liu%1B", "control"), ("q=liu%C2%85", "control"),
    ("q=liu&kind=person", "kind"), ("q=liu&limit=0", "limit"), ("q=liu&limit=51", "limit"), ("q=liu&page=x", "page"),
    ("q=liu&page=101", "page"),
])
def test_bad_input_is_a_400_page_with_the_reason(server: Server, query: str, word: str) -> None:
    r = server.get(f"{server.url}/search?{query}", timeout=30)
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html"), r.text[:300]
    message = re.search(r'<p class="error" id="search-error">([^<]+)</p>', r.text)
    assert message and word in message.group(1)
    assert len(box(r.text)) <= 1000  # the box keeps what was typed, cut to what a query may be


@pytest.mark.parametrize("query", ["", "q=", "q=%20%20", "kind=name", "q=%ED%A0%80", "q=liu%ED%A0%80", "q=%FF%FEliu",
                                   "q=%22liu%22%20*", "q=NEAR(liu%2C%202)", "q=liu%3A", "q=%E2%80%AE",
                                   "q=liu'%3B%20DROP%20TABLE%20names%3B"])
def test_odd_input_is_a_page_never_a_500(server: Server, query: str) -> None:
    r = requests.get(f"{server.url}/search?{query}", timeout=30)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/html") and 'id="search-form"' in r.text


def test_the_search_box_of_every_page_submits_here_and_the_old_name_field_still_leads_to_its_cluster(
        server: Server) -> None:
    home = page(server) and server.get(server.url + "/", timeout=30).text
    assert re.search(r'<header class="top">.*?<form action="\./search" method="get" role="search">\s*'
                     r'<input type="search" name="q"', home, re.S)
    for path in ("/clusters", "/search"):
        r = server.get(server.url + path, params={"name": " Liyuan Liu "}, allow_redirects=False, timeout=30)
        assert r.status_code == 303 and r.headers["location"] == "clusters/Liyuan%20Liu"
    assert results(server.get(server.url + "/clusters", params={"q": "liyuan"}, timeout=30).text)[0][2] == "Liyuan Liu"
