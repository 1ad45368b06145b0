"""A row's first and last year skip its papers without a year, on every surface: the cluster-rows
query's MIN and MAX are unbound on Oxigraph as soon as one paper has no year, so a small cluster,
a page counted over an engine without the index, and an ambiguous path end's candidates showed no
years, while the big cluster's precomputed answer (kg.cluster_order) showed them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from engines import Dataset, kg_serve
from server_fixtures import Server, running

ZOE = "Ζωή Παπαδοπούλου"  # two numbered rows, 57 papers: a big cluster, precomputed by the build
WANG = "王伟"  # one row, 3 papers: a small cluster, counted at request time


def _record(key: str, authors: list[str], year: int | None) -> str:
    people = "".join(f"<author>{a}</author>" for a in authors)
    when = "" if year is None else f"<year>{year}</year>"
    return f'<article key="journals/y/{key}">{people}<title>Τίτλος {key}</title>{when}<journal>Ж</journal></article>'


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    folder = tmp_path_factory.mktemp("row-years")
    records = [_record(f"a{i}", [f"{ZOE} 0001", "محمد علي"], None if i % 13 == 0 else 2001 + i % 20) for i in range(41)]
    records += [_record(f"b{i}", [f"{ZOE} 0002"], None if i == 3 else 2010 + i % 6) for i in range(16)]
    records += [_record("c1", [WANG, "Иван Петров"], 2019), _record("c2", [WANG], None), _record("c3", [WANG], 2021)]
    xml = folder / "years.xml"
    xml.write_text("<dblp>\n" + "\n".join(records) + "\n</dblp>\n", encoding="utf-8")
    data = Dataset(folder / "built", [xml])
    yield data
    data.stop()


@pytest.fixture(scope="module")
def server(dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(dataset.store, log=tmp_path_factory.mktemp("row-years-log") / "serve.log") as s:
        yield s


def _years(answer: dict[str, object]) -> list[tuple[str, object, object]]:
    return [(r["name"], r["first_year"], r["last_year"]) for r in answer["rows"]]  # type: ignore[attr-defined,index]


WANT = {ZOE: [(f"{ZOE} 0001", 2001, 2020), (f"{ZOE} 0002", 2010, 2015)], WANG: [(WANG, 2019, 2021)]}


def test_rows_years_skip_papers_without_one(server: Server) -> None:
    for name, want in WANT.items():
        for page in (1, 2):
            r = requests.get(f"{server.url}/api/clusters/{name}", params={"page": page, "page_size": 2}, timeout=30)
            assert r.status_code == 200, r.text
            assert _years(r.json()) == want
    r = requests.get(f"{server.url}/api/paths", params={"from": ZOE, "to": WANG}, timeout=30)
    assert r.status_code == 400
    assert [(c["name"], c["first_year"], c["last_year"]) for c in r.json()["candidates"]] == WANT[ZOE]


def test_an_engine_without_the_index_gives_the_same_years(dataset: Dataset, server: Server, tmp_path: Path) -> None:
    with kg_serve("--endpoint", dataset.endpoint("oxigraph"), log=tmp_path / "serve.log") as url:
        for name in WANT:
            for page in (1, 2):
                params = {"page": page, "page_size": 2}
                remote = requests.get(f"{url}/api/clusters/{name}", params=params, timeout=30).json()
                local = requests.get(f"{server.url}/api/clusters/{name}", params=params, timeout=30).json()
                assert remote["rows"] == local["rows"] and _years(remote) == WANT[name]
