"""Issue 18 on a real `kg serve`: /api/paths with avoid, strongest and alternatives, /api/reach, the
path page (alternatives, a click on a node avoids it, the strongest marked) and --anchor on author pages."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from click.testing import CliRunner
from server_fixtures import Server, running
from test_browser import browser  # noqa: F401 - the fixture
from test_pages import page

from kg.backend import EmbeddedBackend
from kg.cli import main
from kg.iris import Minter
from kg.paths import reach, shortest_paths

M = Minter()
YIPING, HONG = M.author("yiping-wang"), M.author("hong-chen")


@pytest.fixture(scope="module")
def server(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("paths-server") / "serve.log"
    with running(example_store, "--anchor", "Yiping Wang", "--anchor", "hong-chen-0004", log=log) as s:
        yield s


def api(server: Server, path: str, **kw: Any) -> requests.Response:
    return requests.get(server.url + "/api/" + path, timeout=30, **kw)


def test_api_paths_modes_are_the_library_json(server: Server, example_backend: EmbeddedBackend) -> None:
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"avoid": ["Liyuan Liu"]}, {"avoid": ("Liyuan Liu",)}),
        ({"strongest": "true"}, {"strongest": True}),
        ({"alternatives": "4", "strongest": "1"}, {"alternatives": 4, "strongest": True}),
        ({"alternatives": "3", "avoid": ["Liyuan Liu", "Baolin Peng"]}, {"alternatives": 3,
                                                                         "avoid": ("Liyuan Liu", "Baolin Peng")}),
    ]
    for params, options in cases:
        r = api(server, "paths", params={"from": "Yiping Wang", "to": "Hong Chen 0004", "by": "cluster", **params})
        assert r.status_code == 200, r.text
        want = shortest_paths(example_backend, "Yiping Wang", "Hong Chen 0004", by="cluster", **options).to_json()
        assert r.json() == want
    avoided = api(server, "paths", params={"from": "Yiping Wang", "to": "Hong Chen 0004", "by": "cluster",
                                           "avoid": "Liyuan Liu"}).json()
    assert avoided["status"] == "not-connected" and avoided["avoid"][0]["name"] == "Liyuan Liu"
    alternatives = api(server, "paths", params={"from": "Yiping Wang", "to": "Hong Chen 0004", "by": "cluster",
                                                "alternatives": "3", "format": "csv"})
    chains = {row[0] for row in csv.reader(io.StringIO(alternatives.text))} - {"path"}
    assert chains == {"1", "2", "3"}


@pytest.mark.parametrize(("params", "status", "word"), [
    ({"alternatives": "0"}, 400, "alternatives"), ({"alternatives": "many"}, 400, "alternatives"),
    ({"alternatives": "21"}, 400, "alternatives"), ({"avoid": ""}, 400, "avoid"), ({"avoid": "a\x01"}, 400, "avoid"),
    ({"avoid": [f"x{i}" for i in range(51)]}, 400, "avoid"), ({"strongest": "maybe"}, 400, "strongest"),
    ({"avoid": "Yiping Wang"}, 400, "avoid"), ({"avoid": "Nobody Known"}, 404, "avoid"),
    ({"alternatives": "2", "all": "true"}, 400, "alternatives"),
])
def test_api_paths_bad_modes(server: Server, params: dict[str, Any], status: int, word: str) -> None:
    r = api(server, "paths", params={"from": "Yiping Wang", "to": "Hong Chen", **params})
    assert r.status_code == status, r.text
    assert r.json()["error"].startswith(word), r.json()


def test_api_reach(server: Server, example_backend: EmbeddedBackend) -> None:
    r = api(server, "reach/Yiping%20Wang")
    assert r.status_code == 200 and r.json() == reach(example_backend, "Yiping Wang").to_json()
    assert set(r.json()) == {"author", "by", "max_hops", "status", "counts", "capped"}
    listed = api(server, "reach/yiping-wang", params={"at": "2", "offset": "2", "limit": "5", "by": "cluster"})
    want = reach(example_backend, "yiping-wang", at=2, offset=2, limit=5, by="cluster").to_json()
    assert listed.json() == want and len(want["authors"]) == 5
    near = api(server, "reach/Yiping%20Wang", params={"max_hops": "1"}).json()
    assert (near["status"], near["capped"], list(near["counts"])) == ("beyond-max-hops", True, ["1"])
    counts = list(csv.reader(io.StringIO(api(server, "reach/Yiping%20Wang", params={"format": "csv"}).text)))
    assert counts[0] == ["distance", "authors"] and counts[1] == ["1", str(r.json()["counts"]["1"])]
    at_csv = api(server, "reach/Yiping%20Wang", params={"format": "csv", "at": "1"})
    page_csv = list(csv.reader(io.StringIO(at_csv.text)))
    assert page_csv[0] == ["distance", "iri", "name"] and len(page_csv) == 1 + r.json()["counts"]["1"]
    assert api(server, "reach/Nobody%20Known").status_code == 404
    assert api(server, "reach/Liyuan%20Liu").json()["candidates"]
    for params, word in (({"at": "3", "max_hops": "2"}, "at"), ({"at": "0"}, "at"), ({"max_hops": "13"}, "max_hops"),
                         ({"limit": "0"}, "limit"), ({"offset": "-1"}, "offset"), ({"by": "venue"}, "by")):
        bad = api(server, "reach/Yiping%20Wang", params=params)
        assert bad.status_code == 400 and bad.json()["error"].startswith(word), bad.text
    spec = api(server, "openapi.json").json()
    assert "/api/reach/{author}" in spec["paths"] and "Reach" in spec["components"]["schemas"]
    names = {p["name"] for p in spec["paths"]["/api/paths"]["get"]["parameters"]}
    assert {"avoid", "strongest", "alternatives"} <= names


def test_path_page_alternatives_strongest_and_a_click_to_avoid(server: Server) -> None:
    url = "/path?from=Yiping+Wang&to=Hong+Chen+0004&by=cluster&strongest=true&alternatives=4"
    p = page(server, url)
    chains = p.all("svg", "chain")
    assert len(chains) == 4 and chains[0]["id"] == "chain" and "strongest" in chains[0]["class"].split()
    assert [c["id"] for c in chains[1:]] == ["chain-2", "chain-3", "chain-4"]
    assert len(p.all("svg", "alternative")) == 3 and p.all("h3", "strongest")
    assert "its weakest link has 1 joint paper" in " ".join(p.text.split())
    # the first chain: Yiping Wang, Liyuan Liu, Hong Chen; only Liyuan Liu (between the ends) avoids on a click
    links = [a["href"] for a in p.all("a") if "avoid=" in a.get("href", "")]
    liu = [h for h in links if "liyuan%2520liu" in h or "liyuan+liu" in h.lower() or "liyuan%20liu" in h]
    assert liu, links
    followed = page(server, "/" + html.unescape(liu[0]).removeprefix("../").removeprefix("./"))
    assert "Not connected" in followed.text and "without those avoided" in followed.text
    avoiding = [a for a in followed.all("a") if a.get("title") == "do not avoid"]
    assert len(avoiding) == 1 and "Liyuan Liu" in followed.text
    back = page(server, "/" + html.unescape(avoiding[0]["href"]).removeprefix("../").removeprefix("./"))
    assert len(back.all("svg", "chain")) == 4
    hidden = [i for i in followed.all("input") if i.get("name") == "avoid"]
    assert len(hidden) == 1, "the form keeps what is avoided"
    bad = page(server, "/path?from=a&to=b&alternatives=lots", 400)
    assert "alternatives" in bad.text


def test_author_pages_show_the_distance_to_each_anchor(server: Server) -> None:
    author = page(server, "/author/liyuan-liu-a")
    assert author.all("section") and "Collaboration distance" in author.text
    section = re.sub(r"\s+", " ", author.text)
    assert "to Yiping Wang: 1" in section, section
    assert "to Hong Chen 0004: not connected" in section  # no chain by row
    chain = [a["href"] for a in author.all("a", "anchor-path")]
    assert len(chain) == 1 and "from=" + YIPING.replace(":", "%3A").replace("/", "%2F") in chain[0]
    followed = page(server, "/" + html.unescape(chain[0]).removeprefix("../"))
    assert "Distance 1" in " ".join(followed.text.split())
    itself = re.sub(r"\s+", " ", page(server, "/author/yiping-wang").text)
    assert "to Yiping Wang: 0" in itself


def test_serve_refuses_an_unknown_anchor(example_store: Path) -> None:
    res = CliRunner().invoke(main, ["serve", "--store", str(example_store), "--anchor", "Nobody Known"])
    assert res.exit_code == 2 and "--anchor" in res.output and "Nobody Known" in res.output
    ambiguous = CliRunner().invoke(main, ["serve", "--store", str(example_store), "--anchor", "Liyuan Liu"])
    assert ambiguous.exit_code == 2 and "--anchor" in ambiguous.output


def test_path_page_in_chromium(browser: Any, server: Server) -> None:  # noqa: F811 - the fixture imported
    """In a browser: the alternatives are drawn, and a click on the middle person avoids them."""
    page_ = browser.new_page(viewport={"width": 1100, "height": 900})
    page_.goto(server.url + "/path?from=Yiping+Wang&to=Adam+Atkinson&alternatives=3&strongest=true")
    assert page_.locator("svg.chain").count() == 3 and page_.locator("h3#strongest").count() == 1
    first = page_.locator("svg#chain g.node text.name").all_text_contents()
    assert len(first) == 3
    page_.locator("svg#chain g.node.avoidable").first.click()
    page_.wait_for_url("**avoid=**")
    assert first[1] in (page_.locator("#avoiding").text_content() or "")
    again = page_.locator("svg#chain g.node text.name").all_text_contents()
    assert first[1] not in again and again[0] == first[0] and again[-1] == first[-1]
    page_.locator("#avoiding a").click()
    page_.wait_for_load_state()
    assert page_.locator("svg#chain g.node text.name").all_text_contents() == first


def test_an_ambiguous_end_lists_its_rows_with_papers_and_years_and_reruns_with_one(server: Server) -> None:
    """Two rows are named Liyuan Liu (19 papers, 2018-2025 and 2 papers, 2025): the API and the path page say
    which is which, and on the page each candidate's link runs the same path again with that row as its end."""
    r = api(server, "paths", params={"from": "Yiping Wang", "to": "Liyuan Liu", "by": "author"})
    assert r.status_code == 400 and r.json()["end"] == "B"
    assert r.json()["candidates"] == [
        {"iri": M.author("liyuan-liu-a"), "name": "Liyuan Liu", "papers": 19, "first_year": 2018, "last_year": 2025},
        {"iri": M.author("liyuan-liu-b"), "name": "Liyuan Liu", "papers": 2, "first_year": 2025, "last_year": 2025}]
    p = requests.get(server.url + "/path", params={"from": "Yiping Wang", "to": "Liyuan Liu", "strongest": "true"},
                     timeout=30)
    assert p.status_code == 400
    text = html.unescape(p.text)
    assert "19 papers, 2018–2025" in text and "2 papers, 2025 " in text
    reruns = [html.unescape(h) for h in re.findall(r'<li><a href="([^"]+)">Liyuan Liu</a>', p.text)]
    assert len(reruns) == 2 and all("strongest=true" in h and "from=Yiping+Wang" in h for h in reruns)
    again = requests.get(urljoin(server.url + "/path", reruns[0]), timeout=30)
    assert again.status_code == 200 and "Distance <strong>" in again.text, again.text
