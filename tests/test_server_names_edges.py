"""Names that are URL syntax of their own, through a real `kg serve` and the clients people use.

- "." and ".." are dot segments: a client removes them from a path ("/clusters/." is "/clusters/"),
  and a browser does so for %2E too (the WHATWG URL standard), so every link the server writes to
  such a name (the search box's redirect, the author page's "name cluster" link, the cluster page's
  JSON and pairs links, the API's `next`) writes it ".%20" (a name's surrounding spaces are not part
  of it). `requests` sends %2E as "." (it unquotes unreserved characters) and curl sends it as is:
  the server answers both for the name.
- A control character anywhere in a name is refused with 400, as it is in the middle: Starlette's
  `path` parameters (`.*`) stop at a newline, so "O'Brien%0A" was answered as O'Brien's cluster and
  "a%0Ab" matched no route at all (a bare text 404).
"""

from __future__ import annotations

import html
import http.client
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest
import requests
from conftest import DATA
from server_fixtures import Server, running

import kg
from kg.cluster_page import cluster_page
from kg.paths import coauthors

DOTS = DATA / "names" / "dots.xml"
ENCODED = {".": "%2E", "..": "%2E%2E"}
LONG = "Maximilian " + "Alexander " * 24 + "von Langenname"  # longer than the 200 characters search keeps
HEADING = re.compile(r"<h1>(.*?)</h1>", re.S)
CLUSTER_HREF = re.compile(r'href="([^"]*clusters/[^"]*)"')


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dots") / "store"
    kg.build([DOTS], path, kind="dblp")
    return path


@pytest.fixture(scope="module")
def expected(store: Path) -> dict[str, dict[str, Any]]:
    """The library's answer for each name: its cluster's first page, all its papers, its row."""
    with kg.open_store(store) as db:
        return {name: {"cluster": cluster_page(db, name).to_json(),
                       "papers": [p["iri"] for p in cluster_page(db, name, page_size=500).to_json()["papers"]],
                       "row": coauthors(db, name).to_json()["author"]["iri"]}
                for name in ENCODED}


@pytest.fixture(scope="module")
def server(store: Path, expected: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(store, "--workers", "1", log=tmp_path_factory.mktemp("serve") / "serve.log") as served:
        yield served


def as_a_browser(base: str, link: str) -> str:
    """The URL a browser requests for `link` on the page at `base`: resolved, then its path's dot
    segments removed, "%2E" in any case counting as "." (the WHATWG URL standard; RFC 3986's
    resolution in urljoin keeps %2E)."""
    url = urlsplit(urljoin(base, link))
    out: list[str] = []
    segments = url.path.split("/")[1:]
    for i, part in enumerate(segments):
        dots = part.lower().replace("%2e", ".")
        last = i == len(segments) - 1
        if dots == "..":
            out = out[:-1]
        if dots in (".", ".."):
            if last:
                out.append("")
            continue
        out.append(part)
    return url._replace(path="/" + "/".join(out)).geturl()


def test_as_a_browser_drops_dot_segments_as_chromium_does() -> None:
    assert as_a_browser("http://h/clusters", "clusters/%2E") == "http://h/clusters/"
    assert as_a_browser("http://h/author/x", "../clusters/%2e%2E?page=2") == "http://h/?page=2"
    assert as_a_browser("http://h/clusters", "clusters/.%20") == "http://h/clusters/.%20"
    assert as_a_browser("http://h/a/b", "c") == "http://h/a/c"


def _heading(text: str) -> str:
    found = HEADING.search(text)
    assert found is not None
    return html.unescape(found.group(1))


@pytest.mark.parametrize("name", list(ENCODED))
def test_a_name_of_dots_pages_through_its_cluster_with_requests(name: str, server: Server,
                                                               expected: dict[str, dict[str, Any]]) -> None:
    """`requests` without a session, following `next` from page to page: every paper, once."""
    url: str | None = f"{server.url}/api/clusters/{ENCODED[name]}?page_size=1"
    papers: list[str] = []
    while url is not None:
        r = requests.get(url, timeout=30)
        assert r.status_code == 200, (url, r.status_code, r.text[:200])
        data = r.json()
        assert data["name"] == name and data["rows"] == expected[name]["cluster"]["rows"], url
        papers += [p["iri"] for p in data["papers"]]
        url = None if data["next"] is None else as_a_browser(r.url, data["next"])
    assert papers == expected[name]["papers"] and len(papers) == 3


@pytest.mark.parametrize("name", list(ENCODED))
def test_a_name_of_dots_is_reached_sent_as_is(name: str, server: Server, expected: dict[str, dict[str, Any]]) -> None:
    """The bytes on the wire exactly as written (http.client): %2E, and a bare "." as requests sends it."""
    host, port = urlsplit(server.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        for path in (ENCODED[name], name):
            conn.request("GET", f"/api/clusters/{path}")
            answer = conn.getresponse()
            body = answer.read()
            assert answer.status == 200, (path, body[:200])
            got = requests.models.complexjson.loads(body)
            got.pop("next")
            assert got == expected[name]["cluster"], path
    finally:
        conn.close()


@pytest.mark.parametrize("name", list(ENCODED))
def test_every_link_the_server_writes_to_a_name_of_dots_reaches_it(name: str, server: Server,
                                                                   expected: dict[str, dict[str, Any]]) -> None:
    """Each link resolved as a browser resolves it, then followed."""
    want = expected[name]["cluster"]
    # The search box (GET /clusters?name=...): its 303's Location.
    r = requests.get(f"{server.url}/clusters", params={"name": name}, allow_redirects=False, timeout=30)
    assert r.status_code == 303
    links = {"search box": as_a_browser(r.url, r.headers["location"])}
    # The author row's own page: its "name cluster" link.
    author = requests.get(server.url + urlsplit(expected[name]["row"]).path, headers={"Accept": "text/html"},
                          timeout=30)
    assert author.status_code == 200
    found = re.search(r'<a id="cluster-link" href="([^"]*)"', author.text)
    assert found is not None
    links["author page"] = as_a_browser(author.url, html.unescape(found.group(1)))
    # The cluster page's own links: the JSON and CSV of the API, the pairwise verdicts.
    page = requests.get(links["search box"], timeout=30)
    assert page.status_code == 200 and _heading(page.text) == name
    for i, href in enumerate(CLUSTER_HREF.findall(page.text)):
        links[f"cluster page link {i}"] = as_a_browser(links["search box"], html.unescape(href))
    assert len(links) >= 5, links
    for what, link in links.items():
        r = requests.get(link, timeout=30)
        assert r.status_code == 200, (what, link, r.status_code)
        if "/api/" in link and "format=csv" not in link:
            assert r.json()["name"] == name, (what, link)
        elif "/api/" not in link:
            assert _heading(r.text) in (name, f"{name}: pairwise verdicts"), (what, link)
    assert want["paper_count"] == 3


@pytest.mark.parametrize("name", [".", "..", "+ +", "\u0301", "-"])
def test_a_name_without_a_loose_key_has_no_loose_cluster_of_all_such_names(name: str, server: Server,
                                                                            store: Path) -> None:
    """".", "..", "+ +", a lone accent and "-" all fold to the empty loose key: their loose cluster was
    one cluster of every name of punctuation only (".", ".." and "+ +" said to be one name). A name
    with no loose key is looked up by its exact key, loose asked or not, and the answer says so."""
    with kg.open_store(store) as db:
        exact = cluster_page(db, name).to_json()
    path = quote(name, safe="") + ("%20" if name in ENCODED else "")
    r = requests.get(f"{server.url}/api/clusters/{path}?loose=true", timeout=30)
    assert r.status_code == 200
    got = r.json()
    got.pop("next")
    assert got == exact and got["loose"] is False
    assert {row["name"] for row in got["rows"]} <= {name}
    page = requests.get(f"{server.url}/clusters/{path}?loose=true", timeout=30)
    assert "Loose author name cluster" not in page.text and page.status_code == (200 if exact["rows"] else 404)


@pytest.mark.parametrize("api", ["clusters", "coauthors", "reach"])
@pytest.mark.parametrize("path", ["Siobh%C3%A1n%20O'Brien%0A", "Siobh%C3%A1n%0AO'Brien", "%0ASiobh%C3%A1n%20O'Brien"])
def test_a_newline_anywhere_in_a_name_is_400_from_the_api(api: str, path: str, server: Server) -> None:
    r = requests.get(f"{server.url}/api/{api}/{path}", timeout=30)
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert "control characters" in r.json()["error"]


@pytest.mark.parametrize("path", ["Siobh%C3%A1n%20O'Brien%0A", "Siobh%C3%A1n%0AO'Brien", "Siobh%C3%A1n%20O'Brien%00"])
def test_a_control_character_in_a_name_is_a_400_page(path: str, server: Server) -> None:
    r = requests.get(f"{server.url}/clusters/{path}", timeout=30)
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("text/html") and "control characters" in r.text


# -- an IRI's path as a client writes it: encodeURIComponent leaves ' ( ) * ! ~ alone, a person types ':'

ROW = "dblp:Siobhán O'Brien"


def _as_javascript_writes_it(ident: str) -> str:
    """`encodeURIComponent(ident)`: what a page's script or a person building a URL sends."""
    return quote(ident, safe="!'()*~")


@pytest.mark.parametrize("shape", [
    "{}.ttl", "{}.jsonld", "{}.nt", "{}.rdf", "{}.html", "{}?format=ttl", "{}?format=bibtex", "{}?format=csv"])
@pytest.mark.parametrize("write", [_as_javascript_writes_it, lambda ident: quote(ident, safe=":'")])
def test_a_document_of_an_author_row_is_found_however_its_id_is_encoded(shape: str, write: Any,
                                                                        server: Server) -> None:
    """The suffixed documents and the downloads answer as the bare resource does (which re-encodes the
    path as kg mints it): the same body as for the path in kg's own encoding."""
    canonical = requests.get(f"{server.url}/author/{shape.format(quote(ROW, safe=''))}", timeout=30)
    assert canonical.status_code == 200
    r = requests.get(f"{server.url}/author/{shape.format(write(ROW))}", timeout=30)
    assert r.status_code == 200, (r.url, r.status_code, r.text[:200])
    assert r.content == canonical.content, r.url
    assert r.headers.get("content-location") == canonical.headers.get("content-location")


@pytest.mark.parametrize("name", list(ENCODED))
def test_every_link_of_the_pages_of_a_name_of_dots_answers_in_a_browser(name: str, server: Server,
                                                                       expected: dict[str, dict[str, Any]]) -> None:
    """The author row's page and its cluster's page: each link to this server, as a browser requests
    it, answers (the row's cluster IRI BASE/cluster/%2E among them: a browser asks for /cluster/)."""
    row = server.url + urlsplit(expected[name]["row"]).path
    pages = [row, f"{server.url}/clusters/{quote(name)}%20"]
    failed = []
    for page in pages:
        r = requests.get(page, headers={"Accept": "text/html"}, timeout=30)
        assert r.status_code == 200, page
        hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', r.text)]
        # no link a browser reads otherwise than RFC 3986 does (%2E taken as a dot segment)
        failed += [f"{page} -> {h}: a browser asks for {as_a_browser(page, h)}" for h in hrefs
                   if as_a_browser(page, h) != urljoin(page, h)]
        links = {as_a_browser(page, h).split("#")[0] for h in hrefs}
        for link in sorted(u for u in links if u.startswith(server.url)):
            answer = requests.get(link, headers={"Accept": "text/html"}, timeout=30)
            if answer.status_code != 200:
                failed.append(f"{page} -> {link}: {answer.status_code}")
    assert not failed, failed


@pytest.mark.parametrize("name", [".", "..", "+ +", LONG])
def test_the_search_page_leads_to_the_cluster_of_a_name_search_cannot_split(name: str, server: Server) -> None:
    """The search box (GET /search?q=NAME): the results page links the name cluster of exactly that
    name, though the search index has no word of it (punctuation only) or keeps only its first 200
    characters; the link, as a browser follows it, is the cluster's page."""
    r = requests.get(f"{server.url}/search", params={"q": name}, timeout=30)
    assert r.status_code == 200
    found = re.findall(r'<a class="exact-cluster" href="([^"]*)">', r.text)
    assert len(found) == 1, r.text[-2000:]
    page = requests.get(as_a_browser(r.url, html.unescape(found[0])), timeout=30)
    assert page.status_code == 200 and _heading(page.text) == name  # 404 for a cluster without rows


@pytest.mark.parametrize("typed", ["Zoe Kowalska", "Zoé Kowalska", unicodedata.normalize("NFD", "Zoé Kowalska"),
                                   "zoé KOWALSKA"])
def test_the_search_page_links_the_name_as_typed_first(typed: str, server: Server) -> None:
    """Two clusters one accent apart share a search key: the results page links both, the one whose
    name is the text as typed (any case, NFC or NFD) first, whichever has more papers."""
    r = requests.get(f"{server.url}/search", params={"q": typed}, timeout=30)
    links = [unicodedata.normalize("NFC", html.unescape(found))
             for found in re.findall(r'<a class="exact-cluster" href="[^"]*">([^<]*)</a>', r.text)]
    assert sorted(links) == ["Zoe Kowalska", "Zoé Kowalska"], links
    want = unicodedata.normalize("NFC", typed).casefold()
    assert links[0].casefold() == want, links


# -- the CLI beside the server: a name the web reads as U+FFFD is a clear error on the command line


@pytest.mark.parametrize("args", [["coauthors", b"\xff"], ["reach", b"J\xffrgen"], ["path", b"\xed\xa0\x80", "."],
                                  ["path", ".", b"\xff"], ["cluster", b"\xff"]])
def test_a_name_that_is_not_utf8_on_the_command_line_is_an_error_not_a_traceback(args: list[Any], store: Path) -> None:
    """A byte that is not UTF-8 in an argument reaches Python as a lone surrogate (as a shell passes a
    Latin-1 file name): a one-line error and a non-zero exit, as `kg cluster` gives."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "kg", *args, "--store", str(store)], capture_output=True,
                          timeout=60)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode != 0 and "Traceback" not in err, err[-600:]
    assert "not valid Unicode" in err, err


# -- a name written right to left, among the left-to-right words of a page, in Chromium


def test_a_name_written_right_to_left_keeps_the_words_around_it_in_place_in_chromium(server: Server) -> None:
    """On the results page an Arabic name is followed by its badge and "1 author row · 1 paper": without
    isolation the Unicode bidirectional algorithm draws the badge and the "1" into the name's
    right-to-left run, shown as "1 [name] محمد عبد الله author row". Each must stay to the name's right."""
    from test_browser import ARGS, _chromium

    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 700})
            page.goto(f"{server.url}/search?q=" + quote("محمد عبد الله"))
            result = page.locator("#search-results li.result.name").first
            name = result.locator("a strong").bounding_box()
            badge = result.locator(".badge").bounding_box()
            # where the note's first character ("1" of "1 author row") is drawn
            count = result.locator(".note").evaluate(
                "n => { const r = document.createRange(); const t = n.firstChild;"
                " r.setStart(t, 0); r.setEnd(t, 1); return r.getBoundingClientRect().x; }")
        finally:
            browser.close()
    assert name is not None and badge is not None
    assert result_text_order(name, badge, count), (name, badge, count)


def result_text_order(name: dict[str, float], badge: dict[str, float], count: float) -> bool:
    """The name, then its badge, then the note, from left to right."""
    return name["x"] + name["width"] <= badge["x"] + 1 and badge["x"] + badge["width"] <= count + 1
