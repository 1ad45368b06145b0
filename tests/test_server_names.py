"""Names with letters outside ASCII through a real `kg serve` (its HTTP front, kg.server.wire): the
cluster API, the cluster page, the search box, the co-author, reach and path APIs, the path page and
the author page's "name cluster" link answer what the library answers for the same name.

The front once decoded the percent-encoded path as Latin-1, so every name with one letter outside
ASCII became another name on a real server ('J%C3%BCrgen' was 'JÃ¼rgen') while the in-process
client, which never runs the front, saw nothing wrong. Two stores: a small fixture with names in
every script (tests/data/names), and the recorded dblp XML and OpenAlex files, every name of which
must reach its cluster.
"""

from __future__ import annotations

import html
import http.client
import json
import re
import socket
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
import requests
from conftest import DATA, of, read_accepted, shared
from server_fixtures import Server, running

import kg
from kg.cluster_page import cluster_page
from kg.paths import coauthors, reach, shortest_paths
from kg.records import Author

SCRIPTS = DATA / "names" / "every_script.xml"
# Each stored as the fixture has it; "Zoë Márquez" is stored decomposed (NFD), the others composed.
NAMES = ["Jürgen Becker", "Zoë Márquez", "Γεώργιος Παπαδόπουλος", "Сергей Иванов", "王小明", "山田 太郎",
         "محمد الأحمد", "Ana 🌍 Silva", "Jean+Paul O'Neil & Co", "100% Zoë / Ünal?#"]
PAPER_COUNT = re.compile(r'<div id="paper-count"><strong>(\d+)</strong>')
ROW_COUNT = re.compile(r'<div id="row-count"><strong>(\d+)</strong>')
HEADING = re.compile(r"<h1>(.*?)</h1>", re.S)
CLUSTER_LINK = re.compile(r'<a id="cluster-link" href="([^"]*)"')


def forms(name: str) -> list[str]:
    """The name composed (NFC) and decomposed (NFD), once each when they are the same."""
    return list(dict.fromkeys([unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)]))


def cluster_json(db: Any, name: str) -> dict[str, Any]:
    """What `kg cluster NAME --page 1 --format json` prints (the API adds `next`)."""
    return cluster_page(db, name).to_json()


def check_page(text: str, name: str, expected: dict[str, Any]) -> None:
    """The cluster page names the cluster as the library does (`name` composed), its paper and row
    counts, and no "No author row"."""
    assert "No author row is named" not in text, name
    heading = HEADING.search(text)
    assert heading is not None and html.unescape(heading.group(1)) == expected["name"], name
    papers, rows = PAPER_COUNT.search(text), ROW_COUNT.search(text)
    assert papers is not None and int(papers.group(1)) == expected["paper_count"], name
    assert rows is not None and int(rows.group(1)) == len(expected["rows"]), name


def search_target(session: requests.Session, server: Server, name: str) -> str:
    """Where the search box sends `name`: the URL its form submits (GET /clusters?name=..., the
    form's encoding: spaces as '+') redirects to, resolved."""
    r = session.get(server.url + "/clusters", params={"name": name}, allow_redirects=False, timeout=30)
    assert r.status_code == 303, (name, r.status_code, r.text[:200])
    return urljoin(r.url, r.headers["location"])


# -- names in every script, NFC and NFD


@pytest.fixture(scope="module")
def scripts_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("names") / "store"
    kg.build([SCRIPTS], store, kind="dblp")
    return store


@pytest.fixture(scope="module")
def expected(scripts_store: Path) -> dict[str, dict[str, Any]]:
    """The library's answers for each form of each name: cluster page, co-authors, reach."""
    db = kg.open_store(scripts_store)
    out: dict[str, dict[str, Any]] = {}
    for name in NAMES:
        for form in forms(name):
            other = NAMES[(NAMES.index(name) + 1) % len(NAMES)]
            out[form] = {"cluster": cluster_json(db, form), "coauthors": coauthors(db, form).to_json(),
                         "reach": reach(db, form).to_json(), "to": other,
                         "paths": shortest_paths(db, form, other, max_hops=6, limit=100).to_json()}
    db.close()
    return out


@pytest.fixture(scope="module")
def scripts_server(scripts_store: Path, expected: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(scripts_store, "--workers", "1", log=tmp_path_factory.mktemp("serve") / "serve.log") as server:
        yield server


def test_the_fixture_has_every_form() -> None:
    text = SCRIPTS.read_text(encoding="utf-8")
    for name in NAMES:
        stored = unicodedata.normalize("NFD" if name.startswith("Zoë M") else "NFC", name)
        assert html.escape(stored, quote=False) in text, name
    assert unicodedata.normalize("NFC", "Zoë Márquez") not in text  # stored decomposed, asked composed too


@pytest.mark.parametrize("name", NAMES)
def test_a_name_in_any_script_reaches_its_cluster(name: str, scripts_server: Server,
                                                  expected: dict[str, dict[str, Any]]) -> None:
    with requests.Session() as session:
        for form in forms(name):
            want = expected[form]
            assert want["cluster"]["rows"], f"the fixture has no row named {form!r}"
            path = quote(form, safe="")
            r = session.get(f"{scripts_server.url}/api/clusters/{path}", timeout=30)
            assert r.status_code == 200, (form, r.text[:200])
            got = r.json()
            assert got.pop("next") is None
            assert got == want["cluster"], form

            page = session.get(f"{scripts_server.url}/clusters/{path}", timeout=30)
            assert page.status_code == 200, (form, page.text[:200])
            check_page(page.text, form, want["cluster"])

            target = search_target(session, scripts_server, form)
            assert target == f"{scripts_server.url}/clusters/{path}"
            found = session.get(target, timeout=30)
            assert found.status_code == 200
            check_page(found.text, form, want["cluster"])

            r = session.get(f"{scripts_server.url}/api/coauthors/{path}", timeout=30)
            assert r.status_code == 200, (form, r.text[:200])
            assert r.json() == want["coauthors"]
            r = session.get(f"{scripts_server.url}/api/reach/{path}", timeout=30)
            assert r.status_code == 200, (form, r.text[:200])
            assert r.json() == want["reach"]

            # A co-authorship path to the next name of the list: the API's JSON, and the path page.
            r = session.get(f"{scripts_server.url}/api/paths", params={"from": form, "to": want["to"]}, timeout=30)
            assert r.status_code == 200, (form, r.text[:200])
            assert r.json() == want["paths"]
            assert want["paths"]["status"] == "found"
            r = session.get(f"{scripts_server.url}/path", params={"from": form, "to": want["to"]}, timeout=30)
            assert r.status_code == 200, (form, r.text[:200])
            shown = html.unescape(r.text)  # the chain drawn: every author row on it (the ends are in the form too)
            assert all(node["name"] in shown for node in want["paths"]["paths"][0]["nodes"])

            # The author row's own page links to its name cluster, and the link reaches it.
            iri = urlsplit(want["coauthors"]["author"]["iri"])
            author = session.get(scripts_server.url + iri.path, headers={"Accept": "text/html"}, timeout=30)
            assert author.status_code == 200, (form, author.text[:200])
            link = CLUSTER_LINK.search(author.text)
            assert link is not None
            linked = session.get(urljoin(author.url, html.unescape(link.group(1))), timeout=30)
            assert linked.status_code == 200, (form, linked.url)
            assert "No author row is named" not in linked.text


def test_a_raw_byte_outside_ascii_in_the_path_is_400(scripts_server: Server) -> None:
    """A path sent as raw UTF-8 bytes (not percent-encoded) is refused with 400, as uvicorn does:
    a browser or an HTTP library always percent-encodes it."""
    host, port = scripts_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall("GET /api/clusters/Jürgen HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = s.recv(65536)
    assert head.startswith(b"HTTP/1.1 400 "), head[:200]


def test_an_escape_that_is_not_utf8_is_not_another_name(scripts_server: Server) -> None:
    """%FC (Latin-1's ü) is not UTF-8: the name has U+FFFD in it, as ASGI servers decode it, and
    no cluster."""
    r = requests.get(f"{scripts_server.url}/api/clusters/J%FCrgen%20Becker", timeout=30)
    assert r.status_code == 200
    assert r.json()["name"] == "J\ufffdrgen Becker" and r.json()["rows"] == []


LOOSE_KEY = re.compile(r'<code id="cluster-key">(.*?)</code>')
EXACT_LINK = re.compile(r'<a id="exact-link" href="([^"]*)"')
NEXT_LINK = re.compile(r'<a rel="next" href="([^"]*)"')


def test_the_cluster_page_honours_loose_as_the_api_does(scripts_server: Server, scripts_store: Path) -> None:
    """/clusters/NAME?loose=true is the loose cluster (diacritics and punctuation folded), as
    /api/clusters/NAME?loose=true: the page showed the exact name's cluster whatever `loose` said.
    It says it is the loose cluster, names its folded key, links back to the exact cluster, and its
    pages keep `loose`."""
    db = kg.open_store(scripts_store)
    try:
        want = cluster_page(db, "Jurgen Becker", loose=True, page_size=1).to_json()
        assert not cluster_page(db, "Jurgen Becker").to_json()["rows"]  # no row is spelled without the ü
        second = cluster_page(db, "Jurgen Becker", loose=True, page=2, page_size=1).to_json()
    finally:
        db.close()
    assert want["rows"] and want["pages"] >= 2
    with requests.Session() as session:
        api = session.get(f"{scripts_server.url}/api/clusters/Jurgen%20Becker",
                          params={"loose": "true", "page_size": "1"}, timeout=30).json()
        assert api.pop("next") and api == want
        page = session.get(f"{scripts_server.url}/clusters/Jurgen%20Becker?loose=true&page_size=1", timeout=30)
        assert page.status_code == 200, page.text[:300]
        check_page(page.text, "Jurgen Becker", want)
        assert "Loose author name cluster" in page.text and "<title>Jurgen Becker (loose cluster) · kg" in page.text
        key = LOOSE_KEY.search(page.text)
        assert key is not None and html.unescape(key.group(1)) == "jurgen becker"
        exact = EXACT_LINK.search(page.text)
        assert exact is not None
        back = session.get(urljoin(page.url, html.unescape(exact.group(1))), timeout=30)
        assert back.status_code == 404 and "No author row is named" in back.text  # the exact name's cluster
        following = NEXT_LINK.search(page.text)
        assert following is not None
        nxt = session.get(urljoin(page.url, html.unescape(following.group(1))), timeout=30)
        assert nxt.status_code == 200
        check_page(nxt.text, "Jurgen Becker", second)
        assert "Loose author name cluster" in nxt.text
        boxed = session.get(f"{scripts_server.url}/clusters?name=Jurgen+Becker&loose=true", timeout=30)
        assert boxed.url == page.url.replace("&page_size=1", "")  # the old search box's field keeps loose
        check_page(boxed.text, "Jurgen Becker", want)
        bad = session.get(f"{scripts_server.url}/clusters/Jurgen%20Becker?loose=maybe", timeout=30)
        assert bad.status_code == 400 and "loose" in bad.text
        # pairs is read as the API reads it too: "yes" is true (the page showed the cluster), "maybe" a 400
        pairs = session.get(f"{scripts_server.url}/clusters/J%C3%BCrgen%20Becker?pairs=yes", timeout=30)
        assert pairs.status_code == 200 and "pairwise verdicts</h1>" in pairs.text
        maybe = session.get(f"{scripts_server.url}/clusters/J%C3%BCrgen%20Becker?pairs=maybe", timeout=30)
        assert maybe.status_code == 400


@pytest.mark.parametrize("name", [*NAMES, "Zoë Nobody"])
def test_a_decomposed_request_answers_as_the_composed_one(name: str, scripts_server: Server) -> None:
    """The NFD and NFC forms of a name get the same answer from the cluster API and page, exact or
    loose, with the label composed: a loose cluster (and a name with no row) was labelled with the
    name as typed, so "Zoë" typed decomposed was another label than "Zoë" composed."""
    nfc, nfd = unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)
    with requests.Session() as session:
        for query in ("", "?loose=true"):
            answers = []
            for form in (nfc, nfd):
                r = session.get(f"{scripts_server.url}/api/clusters/{quote(form, safe='')}{query}", timeout=30)
                assert r.status_code == 200, (form, r.text[:200])
                answers.append(r.json())
                answers[-1].pop("next")
                page = session.get(f"{scripts_server.url}/clusters/{quote(form, safe='')}{query}", timeout=30)
                heading = HEADING.search(page.text)
                assert heading is not None and html.unescape(heading.group(1)) == answers[-1]["name"], (form, query)
            assert answers[0] == answers[1], (name, query)
            assert unicodedata.is_normalized("NFC", answers[0]["name"]) or answers[0]["rows"], (name, query)
            if not answers[0]["rows"] or query:
                assert answers[0]["name"] == " ".join(nfc.split())


def test_a_forged_host_never_reaches_another_clients_links(scripts_server: Server) -> None:
    """An API answer's `next` (and its Link header) names the origin the request came for; the page
    cache kept one answer per path whatever the Host, so one request with `Host: evil.example` put
    evil.example's links into everyone's answers for the whole build."""
    path = f"/api/clusters/{quote('Ana 🌍 Silva', safe='')}?page_size=1"
    forged = requests.get(scripts_server.url + path, headers={"Host": "evil.example"}, timeout=30)
    assert forged.json()["next"].startswith("http://evil.example/")  # its own links, for its own Host
    for _ in range(2):
        r = requests.get(scripts_server.url + path, timeout=30)
        assert r.status_code == 200
        assert r.json()["next"].startswith(scripts_server.url + "/api/clusters/"), r.json()["next"]
        assert "evil" not in r.headers["link"]


def test_the_links_of_a_page_follow_the_path_it_was_asked_by(scripts_server: Server) -> None:
    """"100% Zoë / Ünal?#" asked with its "/" as %2F and as a slash: two paths of different depths to
    one page, whose links are relative to the root ("../" or "../../"). The page cache kept the page
    of the first path asked for both, so every link of the second was off by one level."""
    encoded = quote("100% Zoë / Ünal?#", safe="")
    raw = quote("100% Zoë / Ünal?#", safe="/")
    assert encoded.count("%2F") == 1 and raw.count("/") == 1
    with requests.Session() as session:
        for query in ("", "?pairs=true"):
            for path in (encoded, raw):  # the shallow path first: its page kept, then the deeper one
                url = f"{scripts_server.url}/clusters/{path}{query}"
                page = session.get(url, timeout=30)
                assert page.status_code == 200
                links = {html.unescape(h) for h in re.findall(r'href="([^"]*)"', page.text) if "clusters" in h}
                assert links
                for link in links:
                    r = session.get(urljoin(url, link), timeout=30)
                    assert r.status_code == 200, (url, link, r.status_code)


# -- every name of the recorded dblp and OpenAlex files


def recorded_names() -> tuple[list[Path], Path, list[str]]:
    """The recorded files, dblp's DTD, and the name of every author record they hold."""
    dblp = shared("data", "dblp_xml")
    openalex = shared("data", "openalex")
    dtd = dblp / "dblp.dtd"
    xml, json_files = sorted(dblp.glob("*.xml")), sorted(openalex.glob("*.json"))
    records = []
    for path in xml:
        records += read_accepted("dblp", path, dtd=dtd)[0]
    for path in json_files:
        records += read_accepted("openalex", path)[0]
    names = sorted({a.name for a in of(records, Author)})
    return [*xml, *json_files], dtd, names


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, list[str], Any]]:
    """`kg serve` on a store of the recorded files, their names, and the store opened for the library."""
    files, dtd, names = recorded_names()
    store = tmp_path_factory.mktemp("recorded") / "store"
    kg.build(files, store, dtd=dtd)
    db = kg.open_store(store)
    try:
        with running(store, log=tmp_path_factory.mktemp("serve") / "serve.log") as server:
            yield server, names, db
    finally:
        db.close()


class Client:
    """One kept-alive connection (http.client: a few times less of the test's CPU a request than
    requests, which matters over 20,000 of them on two cores shared with the server)."""

    def __init__(self, server: Server) -> None:
        host, port = server.url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)

    def get(self, target: str) -> tuple[int, str | None, bytes]:
        """The status, Location and body of GET `target`."""
        self.conn.request("GET", target)
        answer = self.conn.getresponse()
        return answer.status, answer.getheader("location"), answer.read()

    def close(self) -> None:
        self.conn.close()


def _reach_all(server: Server, names: list[str], db: Any) -> list[str]:
    """The names (of `names`) that do not reach their cluster on `server`, each with what went wrong.
    The library's answer for each is made here, while the server works on the one before."""
    failures: list[str] = []
    client = Client(server)
    try:
        for name in names:
            want = cluster_json(db, name)
            path = f"/clusters/{quote(name, safe='')}"
            try:
                assert want["rows"], "the library finds no row"
                status, _, body = client.get(f"/api/clusters/{quote(name, safe='')}")
                assert status == 200, f"API {status}"
                got = json.loads(body)
                got.pop("next", None)
                assert got == want, "the API's JSON is not the library's"
                status, _, body = client.get(path)
                assert status == 200, f"page {status}"
                check_page(body.decode(), name, want)
                # The search box: its form's GET (UTF-8, a space as '+'), then where it redirects.
                status, location, _ = client.get("/clusters?" + urlencode({"name": name}))
                assert status == 303 and location, f"search {status}"
                target = urljoin("/clusters", location)
                if target != path:  # the form's URL lands elsewhere: that page must be the cluster's too
                    status, _, body = client.get(target)
                    assert status == 200, f"search {status}"
                    check_page(body.decode(), name, want)
            except AssertionError as e:
                failures.append(f"{name!r}: {e}")
    finally:
        client.close()
    return failures


def test_every_recorded_name_reaches_its_cluster(recorded: tuple[Server, list[str], Any]) -> None:
    server, names, db = recorded
    assert len(names) > 5000 and sum(not n.isascii() for n in names) > 300  # the files' own mix
    shares = [names[i::4] for i in range(4)]  # four keep-alive clients: the server's two workers kept busy
    with ThreadPoolExecutor(4) as pool:
        failures = [f for part in pool.map(lambda part: _reach_all(server, part, db), shares) for f in part]
    assert not failures, f"{len(failures)} of {len(names)} names do not reach their cluster:\n" + "\n".join(
        failures[:20])
