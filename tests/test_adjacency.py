"""The co-authorship index collected while mapping equals the one read back from the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLE

import kg
from kg.adjacency import INDEX, AdjacencyIndex, build_index
from kg.store import StoreDir
from kg.synthetic import generate


def _tables(generation: Path) -> dict[str, object]:
    index = AdjacencyIndex.open(generation)
    assert index is not None
    try:
        authors = [index.authors.iri(i) for i in range(len(index.authors))]
        clusters = [index.clusters.iri(i) for i in range(len(index.clusters))]
        papers = {
            index.papers.iri(p): tuple(index.p2a.row(p)) for p in range(len(index.papers))
        }  # paper numbers differ with the order papers are met; their rows must not
        return {
            "authors": authors,
            "clusters": clusters,
            "papers": papers,
            "a2a": [tuple(index.a2a.row(i)) for i in range(len(authors))],
            "c2a": [tuple(index.c2a.row(c)) for c in range(len(clusters))],
            "a2p": sorted(tuple(sorted(index.papers.iri(p) for p in index.a2p.row(i))) for i in range(len(authors))),
        }
    finally:
        index.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_collected_index_equals_the_store_index(workers: int, tmp_path: Path) -> None:
    rows = tmp_path / "rows"
    generate(300, 5, rows)
    for source in (EXAMPLE, rows):
        store = tmp_path / f"S-{source.name}-{workers}"
        kg.build([source], store, workers=workers)
        active = StoreDir(store).active()
        assert active is not None and (active / INDEX).is_dir()
        collected = _tables(active)
        again = tmp_path / f"again-{source.name}-{workers}"
        again.mkdir()
        build_index(StoreDir(store).open(), again)
        assert collected == _tables(again)
    assert not list(tmp_path.glob(".*paths-index-*")), "the worker's index directory was left behind"
