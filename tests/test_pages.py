"""Server-rendered pages on a real `kg serve` (the example graph's; the hostile names' in-process),
and escaping of hostile names everywhere."""

from __future__ import annotations

import csv
import html.parser
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import rdflib
from server_fixtures import App, Server, in_process

import kg
from kg.backend import EmbeddedBackend
from kg.cluster import cluster
from kg.iris import Minter
from kg.store import StoreDir

BASE = "http://localhost:7878/"
KG = rdflib.Namespace("https://w3id.org/scholarly-kg/ontology#")


class Page(html.parser.HTMLParser):
    """Tags with their attributes, and the text, of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def all(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and (cls is None or cls in a.get("class", "").split())]

    @property
    def text(self) -> str:
        return "".join(self.texts)


def page(server: App, path: str, status: int = 200) -> Page:
    r = server.get(server.url + path, headers={"Accept": "text/html"})
    assert r.status_code == status, (path, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    parsed = Page(r.text)
    # the pages are whole without JavaScript; the one script, from the server itself, is the search
    # box's suggestions (kg/server/static/suggest.js), with no inline code (the CSP allows none)
    assert [(a.get("src") or "").rsplit("/", 1)[-1] for a in parsed.all("script")] == ["suggest.js"]
    assert "script-src 'self'" in r.headers["content-security-policy"]
    return parsed


@pytest.fixture
def server(example_front: Server) -> Server:
    return example_front


def test_cluster_page_like_the_seed(server: Server) -> None:
    p = page(server, "/clusters/Liyuan%20Liu")
    papers = p.all("article", "paper")
    assert len(papers) == 21
    assert len(p.all("tr", "row")) == 2
    assert len(p.all("tbody", "person")) == 2 and "no shared co-author" in p.text  # grouped by probable person
    assert "21 papers" in " ".join(p.text.split()) and "2 author rows" in " ".join(p.text.split())
    years = [int(y) for y in re.findall(r"(?:NeurIPS|ICML|ICLR|IJCAI|AAAI|TMLR) (\d{4}) ", p.text)]
    assert len(years) == 21 and years == sorted(years, reverse=True)  # newest first
    assert len(p.all("details")) == 21  # abstracts folded
    assert p.all("svg") and len(p.all("rect")) == 8  # one bar a year, 2018 to 2025
    assert "Decoder-Hybrid-Decoder Architecture for Efficient Reasoning with Long Generation" in p.text
    assert any(a["href"] == "../author/liyuan-liu-a" for a in p.all("a", "row-link"))
    # the cluster's own IRI shows the same page to a browser
    same = page(server, "/cluster/liyuan%20liu")
    assert len(same.all("article", "paper")) == 21
    assert not p.all("nav", "pager")  # one page: no pager


def titles(p: Page) -> list[str]:
    """The links of the papers' titles (the first link after each h3), in page order."""
    return [p.tags[i + 1][1]["href"] for i, (tag, _) in enumerate(p.tags) if tag == "h3" and p.tags[i + 1][0] == "a"]


def test_cluster_page_pages_with_the_whole_chart_and_rows(server: Server) -> None:
    whole = page(server, "/clusters/Liyuan%20Liu")
    seen: list[str] = []
    target: str | None = "/clusters/Liyuan%20Liu?page_size=8"
    while target is not None:
        p = page(server, target)
        assert len(p.all("tr", "row")) == 2 and len(p.all("rect")) == 8  # rows and chart of the whole cluster
        assert "21 papers" in " ".join(p.text.split())
        seen += titles(p)
        nxt = [a for a in p.all("a") if a.get("rel") == "next"]
        target = "/clusters/Liyuan%20Liu" + nxt[0]["href"] if nxt else None
    assert seen == titles(whole) and len(seen) == 21
    assert page(server, "/clusters/Liyuan%20Liu?page=9", 404)
    assert page(server, "/clusters/Liyuan%20Liu?page=zero", 400)


@pytest.mark.parametrize("path", ["/clusters/Liyuan%20Liu?page=%C2%B2", "/clusters/Liyuan%20Liu?page_size=%C2%B3",
                                  "/path?from=Liyuan%20Liu&to=Yuan%20Li&max_hops=%C2%B2",
                                  "/path?from=Liyuan%20Liu&to=Yuan%20Li&alternatives=%C2%B9",
                                  "/author/liyuan-liu-a?page=%C2%B2", "/clusters/Liyuan%20Liu?page=" + "9" * 5000])
def test_a_number_that_is_not_one_is_a_400_not_a_500(server: Server, path: str) -> None:
    """"²" passes str.isdigit() and int() refuses it: the cluster, path and resource pages answered 500
    (a ValueError) where the API answers 400; so did a number of more digits than int() reads."""
    r = server.get(server.url + path, headers={"Accept": "text/html"})
    assert r.status_code == 400, (path, r.status_code, r.text[:300])
    assert "Traceback" not in r.text


def test_a_number_in_other_digits_is_read_as_the_api_reads_it(server: Server) -> None:
    """Fullwidth and Arabic-Indic digits are numbers to int(), to the API and to the pages alike."""
    assert page(server, "/clusters/Liyuan%20Liu?page_size=%EF%BC%98")  # "８"
    assert len(page(server, "/clusters/Liyuan%20Liu?page_size=%D9%A8").all("article", "paper")) == 8  # "٨"


def test_search_box_goes_to_the_cluster_page(server: Server) -> None:
    forms = page(server, "/clusters/Liyuan%20Liu").all("form")
    assert forms[0]["action"] == "../search" and forms[0]["method"] == "get"  # the results page (issue 27)
    r = server.get(server.url + "/clusters", params={"name": " Liyuan Liu "}, allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "clusters/Liyuan%20Liu"
    followed = server.get(server.url + "/search", params={"name": "liyuan liu"}, timeout=30)
    assert followed.status_code == 200 and str(followed.url).endswith("/clusters/liyuan%20liu")
    missing = page(server, "/clusters/Nobody%20At%20All", 404)
    assert "No author row is named" in missing.text


def test_path_page_draws_the_chain(server: Server) -> None:
    p = page(server, "/path?from=Yiping+Wang&to=Hong+Chen&by=cluster")
    svg_names = [t for t in p.texts if t.strip() in ("Yiping Wang", "Liyuan Liu", "Hong Chen")]
    assert svg_names[-3:] == ["Yiping Wang", "Liyuan Liu", "Hong Chen"]
    assert len(p.all("g", "node")) == 3 and len(p.all("g", "link")) == 2
    assert "Distance 2" in " ".join(p.text.split())
    form = page(server, "/path")
    assert form.all("form") and not form.all("svg", "chain")
    bad = page(server, "/path?from=a&to=b&max_hops=lots", 400)
    assert "max_hops" in bad.text
    ambiguous = page(server, "/path?from=Liyuan+Liu&to=Hong+Chen", 400)
    assert "liyuan-liu-a" in ambiguous.text  # the candidates are listed
    assert "no author row" in page(server, "/path?from=Yiping+Wang&to=Nobody", 404).text


def test_author_paper_and_venue_pages_link_to_each_other(server: Server) -> None:
    author = page(server, "/author/liyuan-liu-b")
    hrefs = {a["href"] for a in author.all("a")}
    assert "../paper/2025-on-the-generalization-ability-of-next" in hrefs
    assert "../clusters/Liyuan%20Liu" in hrefs
    assert any(h.startswith("../path?from=") for h in hrefs)
    assert len(author.all("article", "paper")) == 2
    paper = page(server, "/paper/2025-mixture-of-inputs-text-generation-beyond")
    authors = [t for t in paper.texts if t.strip()]
    assert "Mixture of Inputs: Text Generation Beyond Discrete Token Sampling" in paper.text
    order = [a for a in authors if a in ("Yufan Zhuang", "Liyuan Liu", "Chandan Singh", "Jingbo Shang")]
    assert order[:4] == ["Yufan Zhuang", "Liyuan Liu", "Chandan Singh", "Jingbo Shang"]
    assert "../venue/neurips" in {a["href"] for a in paper.all("a")}
    venue = page(server, "/venue/neurips")
    assert "NeurIPS" in venue.text and "Conference on Neural Information Processing Systems" in venue.text
    assert sum(1 for a in venue.all("a") if a["href"].startswith("../paper/")) == 7


# -- hostile names -----------------------------------------------------------------------------

EVIL = 'O\'Brien "<script>alert(1)</script>" & <b>Sons</b>'
CJK = "李小龍"
LONG = "Жан " + "Ёлкин" * 400  # 2,004 characters
INJECT = 'x" } UNION { ?s ?p ?o } #'
TITLE = '</title><script>alert("t")</script> & "quoted" <i>title</i>'
EVIL_ID = 'o\'brien"<x>/1?#'


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture(scope="module")
def evil_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = tmp_path_factory.mktemp("evil-rows")
    _write(rows / "venues.csv", ["id", "name", "kind", "full_name"], [["v<1>", 'Conf "<b>&amp;</b>"', "conference",
                                                                       "</td></tr><script>x()</script>"]])
    _write(rows / "papers.csv", ["id", "title", "year", "venue_id", "type", "abstract"],
           [["p/1?#<>", TITLE, "2024", "v<1>", "<Type>", "</details><script>y()</script>"]])
    _write(rows / "authors.csv", ["id", "name"], [[EVIL_ID, EVIL], ["li", CJK], ["long", LONG], ["inj", INJECT]])
    _write(rows / "authorships.csv", ["paper_id", "author_id", "position", "name_as_printed"],
           [["p/1?#<>", EVIL_ID, "1", EVIL], ["p/1?#<>", "li", "2", CJK], ["p/1?#<>", "long", "3", LONG],
            ["p/1?#<>", "inj", "4", INJECT]])
    store = tmp_path_factory.mktemp("evil") / "store"
    kg.build([rows], store)
    return store


@pytest.fixture(scope="module")
def evil_server(evil_store: Path) -> Iterator[App]:
    with in_process(evil_store) as s:
        yield s


def test_hostile_names_are_escaped_everywhere(evil_server: App, evil_store: Path) -> None:
    db = StoreDir(evil_store).open()
    minter = Minter()
    evil_iri = minter.author(EVIL_ID)
    assert "<" not in evil_iri and '"' not in evil_iri  # the IRI is percent-encoded
    # SPARQL: names are bound, never pasted: each finds exactly its own row, the injection finds itself
    for name in (EVIL, CJK, LONG, INJECT):
        found = cluster(EmbeddedBackend(db), name)
        assert [r.name for r in found.rows] == [name], name[:40]
    # JSON: exact round trip, and no raw '<' in the body
    for name in (EVIL, CJK, LONG, INJECT):
        r = evil_server.get(evil_server.url + "/api/clusters/" + quote(name, safe=""), timeout=30)
        assert r.status_code == 200 and "<" not in r.text
        data = r.json()
        assert data["rows"][0]["name"] == name and data["papers"][0]["title"] == TITLE
        assert json.loads(r.content.decode("utf-8"))["name"] == name
    # HTML: every page shows the exact text, runs no script (Page asserts no <script> element)
    for path in ("/clusters/" + quote(EVIL, safe=""), "/clusters/" + quote(CJK, safe=""),
                 "/clusters/" + quote(LONG, safe=""), "/clusters/" + quote(INJECT, safe=""),
                 "/" + evil_iri[len(BASE):], "/" + minter.paper("p/1?#<>")[len(BASE):],
                 "/" + minter.venue("v<1>")[len(BASE):],
                 "/path?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in (("from", EVIL_ID), ("to", "li")))):
        p = page(evil_server, path)
        assert EVIL in p.text or CJK in p.text or LONG in p.text or INJECT in p.text or TITLE in p.text, path
        assert not p.all("b") and not p.all("i"), path  # markup in names stays text
    text = evil_server.get(evil_server.url + "/" + evil_iri[len(BASE):], headers={"Accept": "text/html"},
                        timeout=30).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    # URLs: links carry percent-encoded IRIs and names
    p = page(evil_server, "/clusters/" + quote(EVIL, safe=""))
    hrefs = [a["href"] for a in p.all("a")]
    assert "../" + evil_iri[len(BASE):] in hrefs
    assert all("<" not in h and '"' not in h and " " not in h for h in hrefs)
    redirect = evil_server.get(evil_server.url + "/clusters", params={"name": EVIL}, allow_redirects=False, timeout=30)
    assert redirect.headers["location"] == "clusters/" + quote(EVIL, safe="")
    # RDF: the Turtle of the hostile IRI parses back to the exact names
    r = evil_server.get(evil_server.url + "/" + evil_iri[len(BASE):], headers={"Accept": "text/turtle"}, timeout=30)
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    assert g.value(rdflib.URIRef(evil_iri), KG.name) == rdflib.Literal(EVIL)
    assert rdflib.Literal(TITLE) in set(g.objects(None, KG.title))
