"""The recorded OpenAlex and Crossref works (../shared/data) found by a word of their abstract:
through /api/search on a real `kg serve`, and through `kg search --endpoint URL --index DIR` over
Oxigraph server and Virtuoso with the index `kg index` reads from the endpoint, as from the store."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import abstracts_of, shared
from engines import ENGINES, ROOT, Dataset
from server_fixtures import Server, running

from kg.backend.remote import RemoteBackend
from kg.indexing import build
from kg.search.abstracts import WORDS
from kg.search.collect import pairs
from kg.search.fold import index_tokens
from kg.store import StoreDir
from kg.terms import KG


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    files = sorted(shared("data", "openalex").glob("*.json")) + sorted(shared("data", "crossref").glob("*.json"))
    data = Dataset(tmp_path_factory.mktemp("abstracts-recorded"), files)
    yield data
    data.stop()


@pytest.fixture(scope="module")
def words(recorded: Dataset) -> list[tuple[str, str]]:
    """(word, paper IRI): for eight works, the longest word of their abstract's first WORDS words
    that is in no title and in no other abstract (so that work is its one match)."""
    store = StoreDir(recorded.store).open()
    in_titles = {t for _, title in pairs(store, KG.title) for t in index_tokens(title)}
    abstracts = dict(pairs(store, KG.abstract))
    seen: dict[str, set[str]] = {}
    for iri, text in abstracts.items():
        for word in text.split()[:WORDS]:
            if word.isalpha() and word.isascii():
                seen.setdefault(word.lower(), set()).add(iri)
    found: dict[str, str] = {}
    for word, iris in sorted(seen.items(), key=lambda kv: (-len(kv[0]), kv[0])):
        (iri,) = iris if len(iris) == 1 else (None,)
        if iri is not None and iri not in found.values() and word not in in_titles and len(found) < 8:
            found[word] = iri
    assert len(found) == 8
    return sorted(found.items())


@pytest.fixture(scope="module")
def server(recorded: Dataset) -> Iterator[Server]:
    with running(recorded.store, "--workers", "1", log=recorded.folder / "serve.log") as s:
        yield s


def test_the_recorded_works_are_found_by_a_word_of_their_abstract(server: Server,
                                                                  words: list[tuple[str, str]]) -> None:
    for word, iri in words:
        r = server.get(server.url + "/api/search", params={"q": word, "kind": "paper"})
        assert r.status_code == 200, r.text
        (got,) = r.json()["results"]
        assert got["iri"] == iri and got["matched"] == "abstract", (word, got)
        assert word in got["snippet"].lower()
        page = server.get(server.url + "/search", params={"q": word})
        assert page.status_code == 200 and "Matched in its abstract" in page.text


def test_abstract_matches_come_after_the_title_matches(server: Server) -> None:
    for typed in ("mosquito", "species", "climate change", "dengue", "resistance"):
        r = server.get(server.url + "/api/search", params={"q": typed, "kind": "paper", "limit": 50})
        assert r.status_code == 200, r.text
        matched = [s["matched"] for s in r.json()["results"]]
        assert "abstract" in matched, typed
        assert matched == sorted(matched, key=lambda m: m == "abstract"), typed  # every title match first


@pytest.mark.parametrize("typed", ['"malaria', "malaria*", "NEAR(malaria", "malaria:", "\x00\x07", "mal\ud800aria",
                                   "malaria " * 1250])
def test_bad_input_is_never_a_500(server: Server, typed: str) -> None:
    encoded = quote(typed.encode("utf-8", "surrogatepass"), safe="")  # a lone surrogate as its (invalid) UTF-8
    for path in ("/api/search", "/api/suggest", "/search"):
        r = server.get(f"{server.url}{path}?kind=paper&q={encoded}")
        assert r.status_code in (200, 400), (path, typed, r.status_code)
        assert "Traceback" not in r.text


@pytest.mark.parametrize("kind", ENGINES)
def test_through_an_endpoint_and_its_index_as_from_the_store(recorded: Dataset, words: list[tuple[str, str]],
                                                             kind: str, tmp_path: Path) -> None:
    with RemoteBackend(recorded.endpoint(kind)) as remote:
        build(tmp_path / "ix", backend=remote, page=100)
    local = abstracts_of(StoreDir(recorded.store).require() / "search.sqlite")
    assert len(local) > 300 and abstracts_of(tmp_path / "ix" / "search.sqlite") == local
    run = [sys.executable, "-m", "kg", "search", "--format", "json", "--kind", "paper"]
    for typed in [w for w, _ in words[:3]] + ["malaria vector", "mosquit"]:
        here = subprocess.run([*run, typed, "--store", str(recorded.store)], capture_output=True, text=True,
                              check=True, cwd=ROOT).stdout
        there = subprocess.run([*run, typed, "--endpoint", recorded.endpoint(kind), "--index", str(tmp_path / "ix")],
                               capture_output=True, text=True, check=True, cwd=ROOT).stdout
        assert json.loads(there) == json.loads(here) and json.loads(here)["results"], typed
