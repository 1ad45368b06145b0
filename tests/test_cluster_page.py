"""Pages of a name cluster (kg.cluster_page, `kg cluster --page/--all`): every paper on exactly one page,
in the whole cluster's order, with the rows and counts of the whole cluster on every page."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kg.backend import EmbeddedBackend
from kg.cli import main
from kg.cluster import ambiguous, cluster
from kg.cluster_page import MAX_PAGE_SIZE, all_papers, cluster_page
from kg.errors import QueryError


def chain(backend: EmbeddedBackend, name: str, size: int, **kw: Any) -> list[dict[str, Any]]:
    """Every page of the cluster, following next_page from page 1."""
    pages, page = [], 1
    while True:
        shown = cluster_page(backend, name, page=page, page_size=size, **kw)
        pages.append(shown.to_json())
        assert shown.page == page and shown.page_size == size
        if shown.next_page is None:
            return pages
        page = shown.next_page


def names(backend: EmbeddedBackend) -> list[str]:
    found = [str(c["key"]) for c in ambiguous(backend, 50)]
    assert "liyuan liu" in found
    return found


@pytest.mark.parametrize("size", [1, 4, 7, 50])
def test_every_paper_on_exactly_one_page_in_the_cluster_order(example_backend: EmbeddedBackend, size: int) -> None:
    for name in names(example_backend):
        whole = cluster(example_backend, name).to_json()
        pages = chain(example_backend, name, size)
        papers = [p for page in pages for p in page["papers"]]
        assert papers == whole["papers"], name  # same papers, same details, same order, none twice
        assert len(pages) == max(1, -(-len(whole["papers"]) // size)) == pages[0]["pages"]
        for page in pages:
            assert page["paper_count"] == len(whole["papers"])
            assert page["rows"] == whole["rows"], name  # counts, years, top venues and co-authors: the whole cluster
            assert sum(y["papers"] for y in page["years"]) == len(whole["papers"])
            assert len(page["papers"]) <= size


def test_rows_without_the_index_are_the_same(example_backend: EmbeddedBackend) -> None:
    bare = EmbeddedBackend(example_backend.store)  # no directory: no co-authorship index, counted in the store
    assert bare.index() is None
    for name in names(example_backend):
        assert chain(bare, name, 3)[0]["rows"] == chain(example_backend, name, 3)[0]["rows"]


def test_years_count_the_whole_cluster(example_backend: EmbeddedBackend) -> None:
    whole = cluster(example_backend, "Liyuan Liu")
    first = cluster_page(example_backend, "Liyuan Liu", page_size=2)
    expected: dict[int | None, int] = {}
    for p in whole.papers:
        expected[p.year] = expected.get(p.year, 0) + 1
    assert {y["year"]: y["papers"] for y in first.years} == expected
    known = [y["year"] for y in first.years if y["year"] is not None]
    assert known == sorted(known)


def test_bad_pages(example_backend: EmbeddedBackend) -> None:
    with pytest.raises(QueryError, match="page: must be at least 1"):
        cluster_page(example_backend, "Liyuan Liu", page=0)
    with pytest.raises(QueryError, match="page_size: must be from 1 to 500"):
        cluster_page(example_backend, "Liyuan Liu", page_size=MAX_PAGE_SIZE + 1)
    with pytest.raises(QueryError, match=r"past the last page \(3\)"):
        cluster_page(example_backend, "Liyuan Liu", page=4, page_size=10)
    with pytest.raises(QueryError, match=r"past the last page \(1\)"):
        cluster_page(example_backend, "Liyuan Liu", page=2)
    with pytest.raises(QueryError, match="name: must not be empty"):
        cluster_page(example_backend, "  ")
    empty = cluster_page(example_backend, "Nobody At All")
    assert empty.paper_count == 0 and empty.cluster.papers == [] and empty.next_page is None and empty.pages == 1


def test_all_papers_streams_the_cluster_in_order(example_backend: EmbeddedBackend) -> None:
    whole = cluster(example_backend, "Liyuan Liu")
    assert [p.iri for p in all_papers(example_backend, "Liyuan Liu", batch=4)] == [p.iri for p in whole.papers]
    assert list(all_papers(example_backend, "Nobody At All")) == []


def test_cli_pages_and_all(example_store: Path, example_backend: EmbeddedBackend) -> None:
    whole = cluster(example_backend, "Liyuan Liu").to_json()
    run = CliRunner().invoke
    r = run(main, ["cluster", "Liyuan Liu", "--store", str(example_store), "--page", "2", "--page-size", "5",
                   "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["papers"] == whole["papers"][5:10] and data["paper_count"] == 21 and data["pages"] == 5
    text = run(main, ["cluster", "Liyuan Liu", "--store", str(example_store), "--page-size", "5"]).output
    assert text.startswith("Liyuan Liu — 21 papers, 2 author rows") and "Page 1 of 5" in text and "--page 2" in text
    lines = run(main, ["cluster", "Liyuan Liu", "--store", str(example_store), "--all"]).output.splitlines()
    assert [json.loads(line) for line in lines] == whole["papers"]
    table = list(csv.reader(io.StringIO(
        run(main, ["cluster", "Liyuan Liu", "--store", str(example_store), "--all", "--format", "csv"]).output)))
    assert len(table) == 22 and [row[0] for row in table[1:]] == [p["iri"] for p in whole["papers"]]
    past = run(main, ["cluster", "Liyuan Liu", "--store", str(example_store), "--page", "9"])
    assert past.exit_code == 2 and "past the last page (1)" in past.output
    mixed = run(main, ["cluster", "Liyuan Liu", "--store", str(example_store), "--all", "--page", "2"])
    assert mixed.exit_code == 2 and "--all" in mixed.output


def test_an_errors_status_follows_its_type_not_its_words(example_backend: EmbeddedBackend,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A page past the last one is 404 because it is a PageNotFound; a QueryError that merely says
    "past the last page" (or "parameter") in its text is still the caller's 400 (and exit 1 in the CLI)."""
    from kg.errors import PageNotFound
    from kg.server import calls

    assert calls.cluster(example_backend, "Liyuan Liu", page=99).status == 404

    def worded(*args: Any, **kwargs: Any) -> Any:
        raise QueryError("name: the text 'past the last page' and the word parameter are only words here")

    monkeypatch.setattr(calls, "cluster_page", worded)
    assert calls.cluster(example_backend, "Liyuan Liu").status == 400
    monkeypatch.setattr(calls, "cluster_page", lambda *a, **k: (_ for _ in ()).throw(PageNotFound("page: 3")))
    assert calls.cluster(example_backend, "Liyuan Liu").status == 404
