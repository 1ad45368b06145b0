"""A real browser on the pages: headless Chromium (Debian's package) driven by Playwright.

Never `playwright install` (it downloads its own browsers): the test launches /usr/bin/chromium,
which .ci/run installs with apt-get when it is missing. Outside CI the test skips when no chromium
is found. Screenshots go to the test's temporary directory; scripts/screenshots.py makes the ones
in docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from server_fixtures import Server

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium() -> str:
    found = os.environ.get("KG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).is_file():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run should have installed Debian's chromium package")
        pytest.skip("no chromium found (apt-get install chromium; .ci/run installs it in CI)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def server(example_server: Server) -> Server:
    return example_server  # the session's real `kg serve` on the example graph


def test_cluster_author_and_path_pages_in_chromium(browser: Any, server: Server, tmp_path: Path) -> None:
    shots = tmp_path
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.set_default_timeout(20_000)

    # The search box leads to the results page, and its exact name to the name-cluster page.
    page.goto(server.url + "/clusters")
    page.fill("#search-form input[name=q]", "Liyuan Liu")
    page.press("#search-form input[name=q]", "Enter")
    page.wait_for_url("**/search?q=Liyuan+Liu**")
    page.click("#exact a.exact-cluster")
    page.wait_for_url("**/clusters/Liyuan%20Liu")
    assert page.inner_text("h1") == "Liyuan Liu"
    assert page.locator("article.paper").count() == 21
    assert page.locator("#rows tr.row").count() == 2
    # the rows grouped by probable person: the two Liyuan Liu rows share no co-author, two groups
    assert page.locator("#rows tbody.person").count() == 2
    assert page.locator("#rows tbody.person").first.locator("tr.row").count() == 1
    assert "no shared co-author" in page.inner_text("#person-1 ul.evidence")
    assert page.inner_text("#person-count") == "2 probable persons"
    # the papers coloured by group: 19 of the first person, 2 of the second, each with its colour
    assert page.locator("article.paper[data-person='1']").count() == 19
    assert page.locator("article.paper[data-person='2']").count() == 2
    first_colour = page.locator("article.paper[data-person='1']").first.evaluate(
        "a => getComputedStyle(a).borderLeftColor")
    second_colour = page.locator("article.paper[data-person='2']").first.evaluate(
        "a => getComputedStyle(a).borderLeftColor")
    assert first_colour != second_colour
    assert page.locator("#years rect").count() == 8
    first = page.locator("article.paper details").first
    assert not first.evaluate("d => d.open")  # abstracts are folded
    page.screenshot(path=str(shots / "cluster.png"))

    # Follow a row to its author page.
    page.locator("#rows a.row-link").first.click()
    page.wait_for_url("**/author/liyuan-liu-a")
    assert page.inner_text("h1") == "Liyuan Liu"
    assert page.locator("article.paper").count() == 19
    page.screenshot(path=str(shots / "author.png"))

    # Follow a co-author's path link: the SVG shows the chain of two.
    page.locator("#coauthors a.path-link").first.click()
    page.wait_for_url("**/path?**")
    names = page.locator("svg#chain g.node text.name").all_text_contents()
    assert names == ["Liyuan Liu", "Jingbo Shang"]
    assert "9 joint papers" in (page.locator("svg#chain").text_content() or "")

    # A longer chain through the form: by name cluster, Yiping Wang to Hong Chen.
    page.fill("input[name=from]", "Yiping Wang")
    page.fill("input[name=to]", "Hong Chen")
    page.select_option("select[name=by]", "cluster")
    page.click("form.inline button")
    page.wait_for_url("**by=cluster**")
    assert page.locator("svg#chain g.node text.name").all_text_contents() == ["Yiping Wang", "Liyuan Liu", "Hong Chen"]
    assert page.locator("svg#chain g.link").count() == 2
    box = page.locator("svg#chain").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150  # drawn, not an empty element
    page.screenshot(path=str(shots / "path.png"))
    for name in ("cluster.png", "author.png", "path.png"):
        assert (shots / name).stat().st_size > 10_000


def test_query_page_opens_on_its_first_query_in_chromium(browser: Any, server: Server) -> None:
    from kg.queries import all_named

    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.set_default_timeout(20_000)
    page.goto(server.url + "/query")
    people = [q.name for q in all_named() if not q.internal]
    if page.locator(".yasgui").count() == 0:  # YASGUI not vendored: the plain editor
        assert page.locator("#named option").first.text_content().startswith(people[0])
        return
    page.wait_for_selector(".tabsList .tab.active")
    assert page.locator(".tabsList .tab.active span").first.text_content() == people[0]
    tabs = page.locator(".tabsList .tab span").all_text_contents()
    assert "neighbours" not in tabs and people[0] in tabs
    assert page.locator("header.top form input[name=q]").count() == 1  # the site's header and search


def _no_sideways_scroll(page: Any, selector: str) -> None:
    """Neither the element nor anything in it is wider than the viewport (no sideways scroll from it)."""
    widest = page.evaluate(
        "s => Math.max(...[...document.querySelectorAll(s + ', ' + s + ' *')]"
        ".map(e => e.getBoundingClientRect().right))",
        selector)
    assert widest <= page.viewport_size["width"] + 1, (selector, widest)


def test_home_author_paper_and_venue_pages_in_chromium(browser: Any, server: Server) -> None:
    """Issue 29: the search-first home, then an author page, a paper page and a venue page as a visitor
    follows them, at 1280 px and on a 390 px phone."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    page.goto(server.url + "/")
    assert page.locator("#counts #count-papers strong").inner_text() == "21"
    names = page.locator("#examples li a").all_inner_texts()
    assert "Liyuan Liu" in names and len(names) >= 2  # the example graph's ambiguous names
    assert page.locator("#link-query").get_attribute("href") == "./query"
    page.fill("#home-search input[name=q]", "Liyuan Liu")
    page.press("#home-search input[name=q]", "Enter")  # no suggestion chosen: the results page
    page.wait_for_url("**/search?q=Liyuan+Liu**")
    page.click("#exact a.exact-cluster")
    page.wait_for_url("**/clusters/Liyuan%20Liu")
    page.goto(server.url + "/author/liyuan-liu-a")
    assert page.locator("h3.year").first.inner_text().startswith("2025")
    assert page.locator("#papers article.paper").count() == 19
    first = page.locator("#papers article.paper").first
    assert first.locator("ul.authors li").count() > 1 and first.locator("li.row").inner_text() == "Liyuan Liu"
    assert "active 2018–2025" in page.inner_text("#summary")
    bib = page.request.get(server.url + "/author/liyuan-liu-a?format=bibtex")
    assert bib.ok and bib.text().count("@inproceedings{") + bib.text().count("@article{") >= 1
    first.locator("h4.title a").click()
    page.wait_for_url("**/paper/**")
    assert page.locator("#meta #type").inner_text() == "Conference Paper"
    assert page.locator("#abstract p").inner_text().strip()
    page.locator("#meta a").first.click()
    page.wait_for_url("**/venue/neurips")
    assert page.inner_text("#full-name") == "Conference on Neural Information Processing Systems"
    assert page.locator("#papers article.paper").count() == 7
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.set_default_timeout(20_000)
    for path in ("/", "/author/liyuan-liu-a", "/paper/2025-decoder-hybrid-decoder-architecture-for", "/venue/neurips"):
        phone.goto(server.url + path)
        for selector in ("main h1", "#examples", "#summary", "#papers", "#meta", "#abstract"):  # (.counts: base.html)
            if phone.locator(selector).count():
                _no_sideways_scroll(phone, selector)
def test_the_search_box_suggests_as_one_types_in_chromium(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    page.goto(server.url + "/clusters")
    box = page.locator("header.top form[role=search] input[type=search]")
    box.press_sequentially("liu liy", delay=30)  # token order and a prefix
    options = page.locator("ul.kg-suggest li[role=option]")
    # the list for the whole text: on a loaded machine the keys come slower than the box's 120 ms,
    # and a list for "liu" may show first
    expect(options.first.locator("strong")).to_have_text("Liyuan Liu", timeout=20_000)
    assert "21 papers" in options.first.inner_text() and "2018–2025" in options.first.inner_text()
    assert "2 author rows" in options.first.inner_text()  # as the results page says it
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    assert options.first.get_attribute("aria-selected") == "true"
    box.press("Enter")
    page.wait_for_url("**/clusters/Liyuan%20Liu")
    assert page.inner_text("h1") == "Liyuan Liu"
    # Escape closes the list, and Enter without a choice lands on the results page, which lists the
    # cluster (with its facts) and links the exact name's cluster
    box = page.locator("header.top form[role=search] input[type=search]")
    box.press_sequentially("Xiaodong Liu", delay=30)
    page.wait_for_selector("ul.kg-suggest li[role=option]")
    box.press("Escape")
    assert page.locator("ul.kg-suggest").first.is_hidden()
    box.press("Enter")
    page.wait_for_url("**/search?q=Xiaodong+Liu", timeout=5000)
    first = page.locator("#search-results li.result").first
    assert first.get_attribute("data-kind") == "name" and first.locator("strong").inner_text() == "Xiaodong Liu"
    assert "paper" in first.locator(".note").inner_text()
    assert page.input_value("#search-form input[name=q]") == "Xiaodong Liu"
    page.click("#exact a.exact-cluster")
    page.wait_for_url("**/clusters/Xiaodong%20Liu", timeout=5000)
    assert page.inner_text("h1") == "Xiaodong Liu"
    # a title's words: the results page lists papers with year, venue and first authors
    page.goto(server.url + "/search?q=electra&kind=paper")
    assert page.locator("#search-results li.result[data-kind=paper]").count() >= 1
    # a word only an abstract has: the suggestion says so, Enter opens the paper
    box = page.locator("header.top form[role=search] input[type=search]")
    box.press_sequentially("rademach", delay=30)
    option = page.locator("ul.kg-suggest li[role=option]").first
    expect(option.locator("strong")).to_have_text("On the Generalization Ability of Next-Token-Prediction Pretraining",
                                                 timeout=20_000)
    assert "in its abstract" in option.inner_text()
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url("**/paper/2025-on-the-generalization-ability-of-next", timeout=5000)
    assert not errors and not failed, (errors, failed)


def test_escape_wins_over_suggestions_still_on_their_way_in_chromium(browser: Any, server: Server) -> None:
    """The list is open, more is typed, and Escape is pressed before that text's answer has come: the
    list stays closed when it comes. The answer is held back in the browser (Playwright's route) until
    after the key, as a slow server or network holds it: under load the list used to open again after
    Escape (CI saw it)."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.set_default_timeout(20_000)
    held: list[Any] = []
    holding = [False]

    def answer(route: Any) -> None:
        if holding[0]:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/suggest?*", answer)
    page.goto(server.url + "/clusters")
    box = page.locator("header.top form[role=search] input[type=search]")
    for first, more in (("Liyuan", " Liu"), ("Liu", " Liyuan"), ("Xiaodong", " Liu")):
        holding[0] = False
        box.fill("")
        box.press_sequentially(first, delay=0)
        page.wait_for_selector("ul.kg-suggest li[role=option]")  # the list is open
        held.clear()
        holding[0] = True
        box.press_sequentially(more, delay=0)
        for _ in range(200):  # the box asks 120 ms after the last key
            if held:
                break
            page.wait_for_timeout(10)
        assert held, f"the box never asked for {first + more!r}"
        box.press("Escape")
        assert page.locator("ul.kg-suggest").first.is_hidden()
        for route in held:
            route.continue_()  # the real server's answer, after the key
        page.wait_for_timeout(400)
        assert page.locator("ul.kg-suggest").first.is_hidden(), first + more
        assert box.get_attribute("aria-expanded") == "false"
        assert box.input_value() == first + more  # Escape closed the list, it did not clear the text
    # typing again after Escape asks again and shows the answer
    holding[0] = False
    box.press("Backspace")
    box.press_sequentially("u", delay=0)
    page.wait_for_selector("ul.kg-suggest li[role=option]")
    assert page.locator("ul.kg-suggest li[role=option] strong").first.inner_text() == "Xiaodong Liu"


def test_escape_closes_the_suggestions_still_on_their_way_in_chromium(browser: Any, server: Server) -> None:
    """Escape pressed before the suggestions arrive (within the keys' 120 ms, or while the answer is on
    its way) keeps them closed: the list opened anyway once they came, over what the person typed next."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.set_default_timeout(20_000)
    try:
        page.goto(server.url + "/clusters")
        box = page.locator("header.top form[role=search] input[type=search]")
        box.press_sequentially("Liyuan", delay=0)
        page.wait_for_selector("ul.kg-suggest li[role=option]")  # the list open
        box.press_sequentially(" L", delay=0)  # one more key: its suggestions asked 120 ms later
        box.press("Escape")  # at once: the list closes, and what was still to come with it
        page.wait_for_timeout(800)  # past the keys' delay and a loopback answer
        assert page.locator("ul.kg-suggest").first.is_hidden()
        assert box.input_value() == "Liyuan L"  # Escape closed the list, not the text
        box.press_sequentially("iu", delay=0)  # typing again asks again
        page.wait_for_selector("ul.kg-suggest li[role=option]")
    finally:
        page.close()


def test_every_request_a_page_makes_in_chromium_is_answered(browser: Any, server: Server) -> None:
    """What the browser asks for by itself, not only the links: each page's requests (its styles,
    scripts, the icon) answer below 400, and the console has no error. Without an icon in the pages,
    Chromium asked for /favicon.ico on every first visit and logged its 404 as a console error."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.set_default_timeout(20_000)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: failed.append(f"console: {m.text}") if m.type == "error" else None)
    for path in ["/", "/query", "/search?q=liu", "/clusters/Liyuan%20Liu", "/author/liyuan-liu-a", "/venue/icml",
                 "/path?from=yiping-wang&to=hong-chen-0004&by=cluster"]:
        page.goto(server.url + path, wait_until="networkidle")
        icon = page.locator("link[rel=icon]").get_attribute("href")
        assert icon is not None and page.request.get(urljoin(page.url, icon)).status == 200, (path, icon)
    assert not failed, failed
    page.close()
