"""Details of the pages a newcomer met (issue 16): one year instead of "2025–2025", IRIs and keys that
wrap only where they must (no `word-break: break-all`), and an author page whose "Links in" table
does not repeat its paper list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from server_fixtures import Server, running

from kg.cluster import year_range


@pytest.fixture(scope="module")
def server(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(example_store, log=tmp_path_factory.mktemp("pages-log") / "serve.log") as s:
        yield s


def _html(server: Server, path: str) -> str:
    r = requests.get(server.url + path, headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200, (path, r.status_code)
    return r.text


def test_a_single_year_is_shown_once(server: Server) -> None:
    assert (year_range(2025, 2025), year_range(2018, 2025), year_range(None, None)) == ("2025", "2018–2025", "")
    page = _html(server, "/clusters/Liyuan%20Liu")
    years = re.findall(r'<tr class="row">.*?</td>\s*<td>\d+</td>\s*<td>([^<]*)</td>', page, flags=re.S)
    assert sorted(years) == ["2018–2025", "2025"]  # the example's two rows: 19 papers, and 2 of 2025
    assert "2025–2025" not in page


def test_keys_and_iris_wrap_only_where_they_must(server: Server) -> None:
    page = _html(server, "/clusters/Liyuan%20Liu")
    assert "break-all" not in page
    assert re.search(r"code\{[^}]*overflow-wrap:anywhere", page)


def test_an_author_page_lists_its_papers_once(server: Server) -> None:
    page = _html(server, "/author/liyuan-liu-a")
    papers = re.findall(r'<a href="[^"]*paper/([^"]+)"', page)
    assert len(papers) == 19 and len(set(papers)) == 19  # in the papers section, not again in "Links in"
    incoming = page[page.index('<table class="incoming">'):]
    incoming = incoming[: incoming.index("</table>")]
    assert "kg:author" not in incoming and "kg:hasMember" in incoming
    venue = _html(server, "/venue/neurips")  # its papers by year (issue 29), not again in "Links in"
    assert "kg:publishedIn" not in venue[venue.index("</section>", venue.index('<section id="papers">')):]
    listed = venue[venue.index('<section id="papers">'):]
    years = [int(y) for y in re.findall(r'<h3 class="year" id="year-(\d+)">', listed)]
    assert years and years == sorted(years, reverse=True)  # ordered, newest first, not in the store's order
    assert len(re.findall(r'<h4 class="title"><a href="[^"]*paper/', listed)) == 7
