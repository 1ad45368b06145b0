"""Each kind of page in a real browser (headless Chromium over the session's real `kg serve`):
axe-core finds no serious or critical violation, no page scrolls sideways on a 390 px phone, and
the layout promises hold (the path picture inside its column, CURIEs never broken mid-word, a
probable person titled in words, the pairwise verdicts as a table).

axe-core comes from node_modules (package.json's devDependencies, `npm ci`); it is injected into
each page with the page's Content-Security-Policy bypassed (the pages allow no script of their own).
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from server_fixtures import Server
from test_browser import browser  # noqa: F401  (the module's Chromium, a fixture)

from kg.server.pages import chain_picture, year_chart

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Each kind of page of the site on the example graph: "/" is the search-first home, "/query" the query
# editor; "/sparql" in a browser is the endpoint's service description as a table.
PAGES = {
    "home": "/",
    "query": "/query",
    "search": "/clusters?name=Liu",
    "results": "/search?q=liu",
    "abstract-results": "/search?q=rademacher&kind=paper",  # a paper found by its abstract, with its snippet
    "nothing-found": "/search?q=zzqqxx&kind=name",
    "cluster": "/clusters/Liyuan%20Liu",
    "pairs": "/clusters/Liyuan%20Liu?pairs=true",
    "loose-cluster": "/clusters/LIYUAN-LIU?loose=true",
    "author": "/author/liyuan-liu-a",
    "paper": "/paper/2024-fast-electra-for-efficient-pre-training",
    "venue": "/venue/iclr",
    "path": "/path?from=Adam%20Atkinson&to=Fei%20Wu&by=cluster",
    "person": "/author/liyuan-liu-a/person",
    "sparql-results": "/sparql",
    "error": "/clusters/Nobody%20Of%20That%20Name",
}


@pytest.fixture
def server(example_server: Server) -> Server:
    return example_server


def _axe() -> Path:
    if not AXE.is_file():
        if os.environ.get("CI"):
            pytest.fail("node_modules/axe-core is missing in CI: .ci/run runs npm ci")
        pytest.skip("axe-core is not installed (npm ci)")
    return AXE


def _open(browser: Any, url: str, width: int, height: int = 844) -> Any:  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize("kind", list(PAGES))
def test_axe_finds_no_serious_or_critical_violation(browser: Any, server: Server, kind: str) -> None:  # noqa: F811
    axe = _axe()
    for width in (1280, 390):
        page = _open(browser, server.url + PAGES[kind], width)
        try:
            page.add_script_tag(path=str(axe))
            found = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                ".map(v => v.id + ' (' + v.impact + '): '"
                " + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))")
        finally:
            page.context.close()
        assert found == [], f"{kind} at {width} px: {found}"


@pytest.mark.parametrize("kind", list(PAGES))
def test_no_page_scrolls_sideways_on_a_phone(browser: Any, server: Server, kind: str) -> None:  # noqa: F811
    page = _open(browser, server.url + PAGES[kind], 390)
    try:
        wide, seen = page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
        assert wide <= seen, f"{kind}: {wide} px of content in a {seen} px window"
        if kind == "path":
            box = page.locator("svg#chain").bounding_box()
            target = page.locator("svg#chain g.node rect").last.bounding_box()
            assert box is not None and target is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= seen
            assert target["x"] + target["width"] <= seen  # the target's box whole, not cut off
            assert page.locator("svg#chain g.node text.name").all_text_contents()[-1] == "Fei Wu"
    finally:
        page.context.close()


def test_the_path_picture_fits_its_column_at_1280(browser: Any, server: Server) -> None:  # noqa: F811
    page = _open(browser, server.url + PAGES["path"], 1280, 800)
    try:
        column = page.locator("main").bounding_box()
        box = page.locator("svg#chain").bounding_box()
        assert column is not None and box is not None
        assert box["x"] >= column["x"] and box["x"] + box["width"] <= column["x"] + column["width"]
        assert box["width"] > 300 and box["height"] > 150  # drawn at a readable size, not an empty element
    finally:
        page.context.close()


def test_a_curie_never_breaks_mid_word_on_a_phone(browser: Any, server: Server) -> None:  # noqa: F811
    """`kg:publishedIn` and `kg:paperCount` were broken over two lines ("kg:publishedI|n")."""
    for kind in ("paper", "author", "person"):
        page = _open(browser, server.url + PAGES[kind], 390)
        try:
            cells = page.locator("table.properties td:first-child code, table.incoming td:last-child code")
            assert cells.count() > 0
            broken = cells.evaluate_all(
                "cs => cs.filter(c => c.getClientRects().length > 1"
                " || c.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(c).lineHeight || 16))"
                ".map(c => c.textContent)")
            assert broken == [], f"{kind}: {broken}"
        finally:
            page.context.close()


def test_a_probable_person_has_a_title_in_words(browser: Any, server: Server) -> None:  # noqa: F811
    page = _open(browser, server.url + PAGES["person"], 1280)
    try:
        assert page.inner_text("h1") == "Liyuan Liu, probable person of 19 papers"
        assert "http" not in page.title()
    finally:
        page.context.close()


def test_the_pairwise_verdicts_have_an_html_table(browser: Any, server: Server) -> None:  # noqa: F811
    page = _open(browser, server.url + PAGES["cluster"], 1280)
    try:
        page.click("#pairs-link")
        page.wait_for_url("**pairs=true")
        assert page.inner_text("h1") == "Liyuan Liu: pairwise verdicts"
        rows = page.locator("#pairs tbody tr")
        assert rows.count() == 1
        cells = rows.first.locator("td").all_inner_texts()
        assert cells[0].startswith("Liyuan Liu") and "person 1" in cells[0] and "person 2" in cells[1]
        assert cells[2] == "unsure" and "no shared co-author" in cells[4]
    finally:
        page.context.close()


def test_a_long_chain_is_drawn_as_a_column_of_fixed_width() -> None:
    """A 5-link chain was a row 1,720 px wide; as a column it is as wide as a 1-link one."""
    def chain(n: int) -> dict[str, Any]:
        nodes = [{"iri": f"http://x/a{i}", "name": f"Αλέξης Ζωή 陳 {i}"} for i in range(n + 1)]
        links = [{"papers": [{"iri": f"http://x/p{i}{j}", "title": "A title long enough to be cut " * 3}
                             for j in range(i + 1)]} for i in range(n)]
        return {"nodes": nodes, "links": links}

    one, five = chain_picture(chain(1)), chain_picture(chain(5))
    assert five["width"] == one["width"] <= 480
    assert five["height"] > one["height"]
    for pic in (one, five):
        assert all(n["x"] + pic["box_w"] <= pic["width"] for n in pic["nodes"])
        assert [n["y"] for n in pic["nodes"]] == sorted({n["y"] for n in pic["nodes"]})  # one below the other
        assert all(len(t) <= 40 for link in pic["links"] for t in link["titles"])
    assert five["links"][4]["titles"][-1] == "and 3 more"


@pytest.mark.parametrize("years", [1, 8, 30, 60])
def test_the_year_axis_keeps_its_first_and_last_labels_whole(years: int) -> None:
    chart = year_chart([{"year": 1990 + i, "papers": i % 5 + 1} for i in range(years)])
    labelled = [b for b in chart["bars"] if b["label"]]
    half_label = 14  # a four-digit year at 11 px is about 26 px wide, centred on its bar
    assert labelled[0]["cx"] >= half_label
    assert labelled[-1]["cx"] <= chart["width"] - half_label


NAMES = ["José Núñez", unicodedata.normalize("NFD", "José Núñez"), "Αλέξης Παπαδόπουλος",
         "Алексей Иванов", "陳小明", "محمد العلي"]


@pytest.mark.parametrize("name", NAMES)
def test_a_probable_person_is_titled_by_its_rows_name_in_every_script(name: str) -> None:
    import pyoxigraph as ox

    from kg.backend.embedded import EmbeddedBackend
    from kg.describe import describe, view
    from kg.terms import KG, RDF_TYPE

    store = ox.Store()
    row, person = ox.NamedNode("http://x/author/a"), ox.NamedNode("http://x/author/a/person")
    for s, p, o in [(row, KG.name, ox.Literal(name)), (row, KG.probablePerson, person),
                    (person, RDF_TYPE, ox.NamedNode(KG.ProbablePerson)),
                    (person, KG.paperCount, ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))]:
        store.add(ox.Quad(s, ox.NamedNode(p), o))
    data = EmbeddedBackend(store)
    desc = describe(data, person.value)
    assert desc is not None
    assert view(data, desc)["label"] == f"{name}, probable person of 1 paper"  # the name as stored, NFD kept


@pytest.mark.parametrize("name", NAMES)
def test_the_pairwise_table_shows_each_row_by_name_in_every_script(name: str) -> None:
    from kg.server.html import environment
    from kg.server.pages import pair_rows

    a, b = "http://x/author/a", "http://x/author/b"
    cluster = {"name": name, "loose": False, "rows": [{"iri": a, "name": name}, {"iri": b, "name": name + " <b>"}],
               "persons": [{"rows": [a]}, {"rows": [b]}],
               "pairs": [{"rows": [a, b], "verdict": "unsure", "score": None, "reasons": ["no shared co-author"]}]}
    rows = pair_rows(cluster)["pairs"]
    assert [(r["a"]["name"], r["a"]["person"], r["b"]["person"]) for r in rows] == [(name, 1, 2)]
    html = environment().get_template("pairs.html").render(c=cluster, pairs=rows, root="/", link=lambda i: i)
    assert f"<h1>{name}: pairwise verdicts</h1>" in html and f"{name} &lt;b&gt;" in html and "—" in html
