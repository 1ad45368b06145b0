"""The pages a visitor meets (issue 29), on a real `kg serve`: the search-first home, the author page
(papers by year with their co-authors, a summary line, external ids, BibTeX and CSV export), the paper
page (venue, year, type in words, DOI, source, abstract; authorships in author order) and the venue page
(papers by year, the full name, venues sharing a short name told apart), with names in every script."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from server_fixtures import Server, running
from test_browser import browser  # noqa: F401  (the chromium fixture, for the one browser test here)

import kg
from kg.bibliography import bibtex, bibtex_key, bibtex_text, by_year, type_words
from kg.stats import compute_stats

BASE = "http://localhost:7878/"
NFD_ZOE = unicodedata.normalize("NFD", "Zoë Ångström")
NAMES = {  # author id -> name, in every script
    "zoe": "Zoë Ångström", "zoe-nfd": NFD_ZOE, "greek": "Γιώργος Παπαδόπουλος", "cyrillic": "Дмитрий Иванов",
    "cjk": "王小明", "arabic": "محمد علي", "comma": "Smith, Jr., Ann & Bob",
}
TITLES = {
    "p-greek": "Κατανεμημένα συστήματα & νέφος: 100% {fast}_x #1 ~ ^",
    "p-cjk": "云计算 Облачные вычисления الحوسبة السحابية",
    "p-nfd": unicodedata.normalize("NFD", "Ångström-scale résumé of Zoë's work"),
    "p-many": "Eleven authors in order",
}


def _write(directory: Path) -> None:
    """A small rows graph: two venues both "SoCC" (one without a full name), names and titles in every
    script (one name in NFD), a paper of eleven authors (author 10 sorts before author 2 as a string)."""
    many = [f"author-{i:02d}" for i in range(1, 12)]
    tables = {
        "venues": [["id", "name", "kind", "full_name"], ["socc", "SoCC", "conference", ""],
                   ["cloud", "SoCC", "conference", "ACM Symposium on Cloud Computing"],
                   ["jmlr", "JMLR", "journal", "Journal of Machine Learning Research"]],
        "authors": [["id", "name", "orcid", "dblp_pid", "openalex_id"],
                    ["zoe", NAMES["zoe"], "0000-0002-1825-0097", "12/3456", "A5023888391"],
                    *[[k, v, "", "", ""] for k, v in NAMES.items() if k != "zoe"],
                    *[[a, f"Author Number{int(a[-2:])}", "", "", ""] for a in many]],
        "papers": [["id", "title", "year", "venue_id", "type", "abstract", "doi", "url", "authors_truncated"],
                   ["p-greek", TITLES["p-greek"], "2021", "socc", "inproceedings",
                    "Ein Überblick über verteilte Systeme.", "10.1145/1234.5678", "", ""],
                   ["p-cjk", TITLES["p-cjk"], "2023", "cloud", "proceedings-article", "", "", "https://example.org/p",
                    ""],
                   ["p-nfd", TITLES["p-nfd"], "2023", "jmlr", "journal-article", "", "", "", ""],
                   ["p-many", TITLES["p-many"], "2019", "jmlr", "article", "", "", "", ""]],
        "authorships": [["paper_id", "author_id", "position", "name_as_printed"],
                        ["p-greek", "zoe", "1", ""], ["p-greek", "greek", "2", ""], ["p-greek", "cyrillic", "3", ""],
                        ["p-greek", "comma", "4", ""],
                        ["p-cjk", "cjk", "1", ""], ["p-cjk", "zoe", "2", ""], ["p-cjk", "arabic", "3", ""],
                        ["p-nfd", "zoe-nfd", "1", ""], ["p-nfd", "cyrillic", "2", ""],
                        ["p-many", "zoe", "12", ""], *[["p-many", a, str(i), ""] for i, a in enumerate(many, 1)]],
    }
    directory.mkdir(parents=True)
    for name, rows in tables.items():
        with open(directory / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)


@pytest.fixture(scope="module")
def scripts_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scripts")
    _write(root / "rows")
    kg.build([root / "rows"], root / "store")
    return root / "store"


@pytest.fixture(scope="module")
def server(scripts_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(scripts_store, log=tmp_path_factory.mktemp("visitor-log") / "serve.log") as s:
        yield s


def _html(server: Server, path: str) -> str:
    r = requests.get(server.url + path, headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("text/html")
    return r.text


def _text(html: str) -> str:
    """The page's text, tags dropped, entities of the escaped characters undone, NFC."""
    text = re.sub(r"<[^>]+>", "", html)
    for entity, char in (("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&#34;", '"'), ("&#39;", "'")):
        text = text.replace(entity, char)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _section(html: str, start: str, end: str = "</section>") -> str:
    at = html.index(start)
    return html[at: html.index(end, at)]


# -- home and the query editor

def test_home_is_a_search_page_with_the_stores_counts_and_names(server: Server, scripts_store: Path) -> None:
    page = _html(server, "/")
    assert re.search(r'<form id="home-search"[^>]*action="\./search"', page)
    with kg.open_store(scripts_store) as db:
        counts = compute_stats(db)
    text = _text(page)
    assert f"{counts['papers']} papers" in text and f"{counts['authors']} author rows" in text
    # the example names are this store's most ambiguous cluster (two rows, NFC and NFD), not "Liyuan Liu"
    examples = _section(page, '<section id="examples">')
    assert "Liyuan" not in page[page.index("<main>"):]  # (the header's placeholder is base.html's)
    assert unicodedata.normalize("NFC", NAMES["zoe"]) in _text(examples) and "(2 author rows)" in examples
    for href in ("./query", "./api/openapi.json", "./ontology", "./path"):
        assert f'href="{href}"' in page
    editor = _html(server, "/query")
    assert 'id="named-queries"' in editor and "liyuan" not in editor  # the store's values, not the example's
    shown = json.loads(re.search(r'<script id="named-queries" type="application/json">(.*?)</script>', editor,
                                 re.S).group(1))  # type: ignore[union-attr]
    papers = next(q["text"] for q in shown if q["name"] == "cluster-papers")
    assert 'VALUES (?key) { ("zoë ångström") }' in papers and "# example:" not in papers  # this store's key
    endpoint = requests.get(server.url + "/sparql", params={"query": "ASK {}"},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert endpoint.status_code == 200 and endpoint.json()["boolean"] is True  # GET /sparql stays the endpoint
    followed = requests.get(server.url + "/search", params={"name": NFD_ZOE}, timeout=30)
    assert followed.status_code == 200 and "Author name cluster" in followed.text


# -- the author page

def test_author_page_lists_papers_by_year_with_their_coauthors_and_a_summary(server: Server) -> None:
    page = _html(server, "/author/zoe")
    years = re.findall(r'<h3 class="year" id="year-(\d+)">', page)
    assert years == ["2023", "2021", "2019"]  # newest first
    papers = _section(page, '<section id="papers">')
    text = _text(papers)
    for k in ("greek", "cyrillic", "cjk", "arabic", "comma"):  # every co-author of every paper, in every script
        assert unicodedata.normalize("NFC", NAMES[k]) in text, k
    greek = papers[papers.index("p-greek"):]
    greek = greek[: greek.index("</article>")]
    shown = re.findall(r"<li[^>]*>(?:<a [^>]*>|<strong>)([^<]+)<", greek)
    assert [_text(n) for n in shown] == [NAMES["zoe"], NAMES["greek"], NAMES["cyrillic"], "Smith, Jr., Ann & Bob"]
    summary = _text(_section(page, '<p id="summary">', "</p>"))
    assert summary.startswith("3 papers, active 2019–2023; top venues")
    assert "SoCC (ACM Symposium on Cloud Computing) (1)" in summary and "SoCC (socc) (1)" in summary
    assert "16 co-authors" in summary  # 3 + 2 + 11 others on her three papers
    ids = _section(page, '<p id="ids">', "</p>")
    assert 'href="https://orcid.org/0000-0002-1825-0097"' in ids and 'href="https://dblp.org/pid/12/3456"' in ids
    assert 'href="https://openalex.org/A5023888391"' in ids
    assert page.index('<p id="ids">') < page.index('<section id="papers">')  # at the top, not only in the table
    assert 'href="?format=bibtex"' in page and 'href="?format=csv"' in page


def test_author_export_as_bibtex_and_csv_keeps_every_script(server: Server) -> None:
    r = requests.get(server.url + "/author/zoe", params={"format": "bibtex"}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert 'filename="zoe.bib"' in r.headers["Content-Disposition"]
    bib = r.content.decode("utf-8")
    entries = re.findall(r"^@(\w+)\{([^,]+),", bib, flags=re.M)
    assert [e[0] for e in entries] == ["inproceedings", "inproceedings", "article"]  # 2023, 2021, 2019
    keys = [e[1] for e in entries]
    assert len(set(keys)) == 3 and all(re.fullmatch(r"[a-z0-9]+", k) for k in keys), keys
    assert "paper2023" in keys[0]  # the first author 王小明 has no Latin letters: the key says "paper"
    assert r"{{Κατανεμημένα συστήματα \& νέφος: 100\% \{fast\}\_x \#1 \textasciitilde{} \textasciicircum{}}}" in bib
    assert "author = {Zoë Ångström and Γιώργος Παπαδόπουλος and Дмитрий Иванов and {Smith, Jr., Ann \\& Bob}}" in bib
    assert "王小明 and Zoë Ångström and محمد علي" in bib
    assert "booktitle = {ACM Symposium on Cloud Computing}" in bib and "doi = {10.1145/1234.5678}" in bib
    body = bib.replace("\\{", "").replace("\\}", "")
    assert body.count("{") == body.count("}")
    r = requests.get(server.url + "/author/zoe", params={"format": "csv"}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8"))))
    assert [x["year"] for x in rows] == ["2023", "2021", "2019"]
    greek = next(x for x in rows if x["year"] == "2021")
    assert greek["title"] == TITLES["p-greek"] and greek["type"] == "Conference Paper"
    assert greek["authors"] == "; ".join(NAMES[k] for k in ("zoe", "greek", "cyrillic", "comma"))
    assert greek["venue"] == "SoCC" and greek["doi"] == "10.1145/1234.5678"
    assert next(x for x in rows if x["title"].startswith("云"))["authors"] == "王小明; Zoë Ångström; محمد علي"
    nfd = requests.get(server.url + "/author/zoe-nfd", params={"format": "bibtex"}, timeout=30).content.decode()
    assert unicodedata.normalize("NFC", TITLES["p-nfd"]) in nfd
    assert "author = {Zoë Ångström and Дмитрий Иванов}" in nfd  # NFC in BibTeX: one form for one name
    stored = list(csv.DictReader(io.StringIO(requests.get(server.url + "/author/zoe-nfd", params={"format": "csv"},
                                                          timeout=30).content.decode("utf-8"))))
    assert stored[0]["title"] == TITLES["p-nfd"] and stored[0]["authors"].startswith(NFD_ZOE)  # CSV: as stored
    venue = requests.get(server.url + "/venue/jmlr", params={"format": "csv"}, timeout=30)
    assert venue.status_code == 400 and "author row" in venue.text
    assert requests.get(server.url + "/author/nobody", params={"format": "bibtex"}, timeout=30).status_code == 404


# -- the paper page

def test_paper_page_has_a_line_under_its_title_and_authorships_in_author_order(server: Server) -> None:
    page = _html(server, "/paper/p-greek")
    meta = _section(page, '<p id="meta"', "</p>")
    assert "SoCC (socc)" in _text(meta) and "2021" in meta
    assert '<span id="type">Conference Paper</span>' in meta and "inproceedings" not in meta
    assert 'href="https://doi.org/10.1145/1234.5678"' in meta and ">10.1145/1234.5678</a>" in meta
    assert 'id="source" href="https://doi.org/10.1145/1234.5678"' in meta  # no URL: the DOI is the source
    assert "<p>Ein Überblick über verteilte Systeme.</p>" in _section(page, '<section id="abstract">')
    assert _text(_section(page, "<h1", "</h1>")).endswith(TITLES["p-greek"])
    cjk = _html(server, "/paper/p-cjk")
    assert "ACM Symposium on Cloud Computing" in _text(_section(cjk, '<p id="meta"', "</p>"))
    assert 'id="source" href="https://example.org/p"' in cjk and 'id="abstract"' not in cjk
    assert all(unicodedata.normalize("NFC", NAMES[k]) in _text(cjk) for k in ("cjk", "zoe", "arabic"))
    nfd = _html(server, "/paper/p-nfd")
    assert "Journal Article" in nfd and unicodedata.normalize("NFC", TITLES["p-nfd"]) in _text(nfd)
    many = _html(server, "/paper/p-many")
    row = _section(many, "<code title=\"https://w3id.org/scholarly-kg/ontology#hasAuthorship\">", "</tr>")
    positions = [int(x) for x in re.findall(r'p-many/authorship/(\d+)"', row)]
    assert positions == list(range(1, 13))  # 1, 2, ..., 10, 11, 12: not 1, 10, 11, 12, 2
    assert "Article" in _text(_section(many, '<p id="meta"', "</p>"))


# -- the venue page

def test_venue_page_lists_papers_by_year_and_tells_apart_venues_sharing_a_short_name(server: Server) -> None:
    page = _html(server, "/venue/jmlr")
    assert _text(_section(page, "<h1", "</h1>")) == "JMLR"  # no other JMLR: the short name alone
    assert "Journal of Machine Learning Research" in _section(page, '<p id="full-name">', "</p>")
    assert re.findall(r'<h3 class="year" id="year-(\d+)">', page) == ["2023", "2019"]
    assert '<div id="paper-total"><strong>2</strong> papers</div>' in page
    papers = _text(_section(page, '<section id="papers">'))
    assert papers.index("Ångström-scale") < papers.index("Eleven authors")
    assert "Author Number11" in papers and NAMES["cyrillic"] in papers
    socc = _html(server, "/venue/socc")
    assert _text(_section(socc, "<h1", "</h1>")) == "SoCC (socc)"
    assert "Another venue of this graph has the short name “SoCC”" in socc
    cloud = _html(server, "/venue/cloud")
    assert _text(_section(cloud, "<h1", "</h1>")) == "SoCC (ACM Symposium on Cloud Computing)"


def test_the_cluster_page_tells_the_two_soccs_apart_and_names_types_in_words(server: Server) -> None:
    page = _html(server, "/clusters/" + requests.utils.quote(NAMES["zoe"]))
    text = _text(page)
    assert "SoCC (socc) 2021 Conference Paper" in text and "inproceedings" not in text
    assert "SoCC (ACM Symposium on Cloud Computing) 2023 Conference Paper" in text
    rows = _text(_section(page, '<table id="rows">', "</table>"))
    assert "SoCC (socc) (1)" in rows and "SoCC (ACM Symposium on Cloud Computing) (1)" in rows
    api = requests.get(server.url + "/api/clusters/" + requests.utils.quote(NAMES["zoe"]), timeout=30).json()
    assert {p["venue"] for p in api["papers"]} == {"SoCC", "JMLR"}  # the API keeps the stored names and types
    assert "inproceedings" in {p["type"] for p in api["papers"]}


def test_the_path_page_tells_the_two_soccs_apart(server: Server) -> None:
    """The joint papers of a link name their venue as every page does: the two SoCCs apart; the API's
    JSON keeps the stored short name, with the venue's IRI beside it."""
    to_greek = _text(_html(server, "/path?from=zoe&to=greek"))
    to_cjk = _text(_html(server, "/path?from=zoe&to=cjk"))
    assert f"{TITLES['p-greek']} SoCC (socc) 2021" in unicodedata.normalize("NFC", to_greek)
    assert "SoCC (ACM Symposium on Cloud Computing) 2023" in to_cjk
    api = requests.get(server.url + "/api/paths", params={"from": "zoe", "to": "cjk"}, timeout=30).json()
    [paper] = api["paths"][0]["links"][0]["papers"]
    assert (paper["venue"], paper["venue_iri"].rsplit("/", 1)[-1]) == ("SoCC", "cloud")


def test_names_in_every_script_in_chromium(browser: Any, server: Server) -> None:  # noqa: F811
    """The author and paper pages as a browser shows them: every script's names, in author order."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    page.goto(server.url + "/author/zoe")
    cjk = page.locator("#papers article.paper").first  # 2023: the paper of 王小明, Zoë Ångström, محمد علي
    assert [unicodedata.normalize("NFC", x) for x in cjk.locator("ul.authors li").all_inner_texts()] == [
        NAMES["cjk"], NAMES["zoe"], NAMES["arabic"]]
    assert cjk.locator("h4.title").inner_text() == TITLES["p-cjk"]
    cjk.locator("h4.title a").click()
    page.wait_for_url("**/paper/p-cjk")
    assert page.inner_text("h1") == TITLES["p-cjk"]
    assert [unicodedata.normalize("NFC", x) for x in page.locator("ol.paper-authors > li a").all_inner_texts()] == [
        NAMES["cjk"], NAMES["zoe"], NAMES["arabic"]]
    assert page.locator("#meta").inner_text().startswith("SoCC (ACM Symposium on Cloud Computing)")


# -- kg.bibliography, without a server

def test_types_in_words() -> None:
    assert type_words("inproceedings", "dblp:conf/x/Y") == "Conference Paper"
    assert type_words("article", "dblp:journals/x/Y") == "Journal Article"
    assert type_words("article", "openalex:W1") == "Article"
    assert type_words("journal-article", "crossref:10.1/x") == "Journal Article"
    assert type_words("proceedings-article") == "Conference Paper"
    assert type_words("book-chapter") == "Book Chapter"
    assert type_words("phdthesis") == "PhD Thesis"
    assert type_words("Conference Paper") == "Conference Paper"  # a rows file's words are kept
    assert type_words("some-new-type") == "Some New Type" and type_words(None) is None


@given(st.text())
def test_a_bibtex_value_keeps_its_braces_balanced_and_its_text(value: str) -> None:
    escaped = bibtex_text(value)
    plain = escaped.replace("\\{", "").replace("\\}", "").replace("{}", "")
    assert "{" not in plain and "}" not in plain
    assert not re.search(r"(?<!\\)[&%$#_]", escaped.replace("\\textbackslash{}", ""))
    kept = [c for c in unicodedata.normalize("NFC", " ".join(value.split())) if c not in "\\{}&%$#_~^"]
    assert all(c in escaped for c in kept)


def test_bibtex_keys_are_ascii_and_unique() -> None:
    entry = {"authors": [{"name": "Zoë Ångström"}], "title": "Über große Daten", "year": 2020}
    taken: set[str] = set()
    assert [bibtex_key(entry, taken) for _ in range(3)] == ["angstrom2020uber", "angstrom2020ubera",
                                                            "angstrom2020uberb"]
    assert bibtex_key({"authors": [{"name": "王小明"}], "title": "云计算", "year": None}, set()) == "paper"
    assert bibtex([]) == ""
    assert [g["year"] for g in by_year([{"year": None, "title": "a", "iri": "x"}, {"year": 2001, "title": "b",
                                                                                     "iri": "y"}])] == [2001, None]


@settings(max_examples=4, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1_500, max_value=3_000),
       st.integers(min_value=1, max_value=12))
def test_the_indexs_ambiguous_names_are_the_querys(seed: int, papers: int, limit: int) -> None:
    """kg.showcase.example_names: the speed path (the co-authorship index) equals the named query's."""
    import tempfile

    from kg.cluster import ambiguous
    from kg.showcase import example_names
    from kg.synthetic.generator import generate

    with tempfile.TemporaryDirectory() as tmp:
        generate(papers, seed, Path(tmp) / "rows")
        kg.build([Path(tmp) / "rows"], Path(tmp) / "store")
        with kg.open_store(Path(tmp) / "store") as db:
            assert db.index() is not None
            fast = example_names(db, limit)
            plain = [{"iri": r["cluster"], "name": r.get("label") or r["key"], "key": r["key"], "rows": r["rows"]}
                     for r in ambiguous(db, limit)]
            assert fast == plain


def test_a_source_link_is_http_only() -> None:
    from kg.bibliography import source_link

    assert source_link("dblp:conf/socc/X21", None, None) == "https://dblp.org/rec/conf/socc/X21"
    assert source_link("openalex:W1", None, "https://doi.org/10.1/x") == "https://openalex.org/W1"
    assert source_link("rows:x", "javascript:alert(1)", "https://doi.org/10.1/x") == "https://doi.org/10.1/x"
    assert source_link("rows:x", "https://example.org/p", None) == "https://example.org/p"
