"""Several sources in one store: a graph each, --add replacing one, DOI links, clusters across sources."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import DATA

import kg
from kg.cli import main
from kg.cluster import cluster
from kg.errors import BadRowError, KgError
from kg.store import StoreDir

DBLP = DATA / "dblp" / "raw" / "dblp_raw.xml"
OPENALEX = DATA / "openalex" / "page.json"
JSONL = DATA / "openalex" / "works.jsonl.gz"
CROSSREF = DATA / "crossref" / "work.json"
BASE = "http://localhost:7878/"
SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"


def graph_size(store: Path, source: str) -> int:
    db = StoreDir(store).open()
    return sum(1 for _ in db.quads_for_pattern(None, None, None, ox.NamedNode(f"{BASE}graph/{source}")))


def same_as(store: Path, kind: str = "paper") -> set[tuple[str, str]]:
    """The owl:sameAs links between papers (by DOI) or between author rows (kind "author": by ORCID,
    dblp person or OpenAlex author, kg.identity)."""
    db = StoreDir(store).open()
    return {(q.subject.value, q.object.value) for q in db.quads_for_pattern(None, ox.NamedNode(SAME_AS), None, None)
            if q.subject.value.startswith(f"{BASE}{kind}/")}


def paper(source_id: str) -> str:
    from kg.iris import Minter

    return Minter(BASE).paper(source_id)


def test_each_source_in_its_own_graph_and_papers_linked_by_doi(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg.build([DBLP, OPENALEX, CROSSREF], store)
    assert StoreDir(store).meta()["graphs"] == [f"{BASE}graph/dblp", f"{BASE}graph/openalex", f"{BASE}graph/crossref"]
    links = same_as(store)
    nips = (paper("dblp:conf/nips/MullerL19"), paper("openalex:W100"))
    neurips = (paper("dblp:conf/nips/Li21"), paper("crossref:10.5555/neurips.2021.7"))
    assert links == {nips, nips[::-1], neurips, neurips[::-1]}
    muller = (f"{BASE}author/dblp%3ARichard%20M%C3%BCller%200001", f"{BASE}author/openalex%3AA1")
    assert muller in same_as(store, "author") and muller[::-1] in same_as(store, "author")


def test_add_replaces_only_that_sources_graph(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg.build([DBLP], store)
    dblp_quads = graph_size(store, "dblp")
    kg.build([OPENALEX], store, add=True)
    kg.build([CROSSREF], store, add=True)
    assert graph_size(store, "dblp") == dblp_quads
    assert len(same_as(store)) == 4
    counts = StoreDir(store).meta()["counts"]
    assert counts["papers"] == 8 + 2 + 1
    # Replacing OpenAlex with other works drops W100 and its link, keeps dblp and Crossref.
    kg.build([JSONL], store, add=True)
    assert graph_size(store, "dblp") == dblp_quads
    assert graph_size(store, "crossref") > 0
    assert StoreDir(store).meta()["counts"]["papers"] == 8 + 2 + 1
    assert len(same_as(store)) == 2
    meta = StoreDir(store).meta()
    assert meta["graphs"] == sorted(f"{BASE}graph/{s}" for s in ("crossref", "dblp", "openalex"))


def test_failed_add_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg.build([DBLP], store)
    before = StoreDir(store).active()
    bad = tmp_path / "bad.jsonl"
    work = {"id": "https://openalex.org/W9", "publication_year": 2020, "authorships": [{"author": {}}]}
    bad.write_text(json.dumps(work) + "\n", encoding="utf-8")  # an authorship with neither id nor name
    with pytest.raises(BadRowError):
        kg.build([bad], store, add=True, strict=True)
    assert StoreDir(store).active() == before


def test_add_needs_an_existing_store_and_the_same_base_iri(tmp_path: Path) -> None:
    with pytest.raises(KgError, match="no such store"):
        kg.build([OPENALEX], tmp_path / "none", add=True)
    kg.build([DBLP], tmp_path / "store")
    with pytest.raises(KgError, match="base-iri"):
        kg.build([OPENALEX], tmp_path / "store", add=True, base_iri="https://example.org/")


def test_name_cluster_spans_sources(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg.build([DBLP], store)
    kg.build([OPENALEX, JSONL], store, add=True)
    result = cluster(kg.open_store(store), "Bin Li")
    rows = {r.iri.rsplit("/", 1)[-1] for r in result.rows}
    assert rows == {"dblp%3ABin%20Li%200019", "openalex%3AA2"}
    assert len(result.papers) == 5 + 2  # dblp: 5 papers of Bin Li 0019; OpenAlex: W100, W200


def test_cli_build_add_and_dtd(tmp_path: Path) -> None:
    store = tmp_path / "store"
    alone = tmp_path / "dump.xml"
    alone.write_bytes(DBLP.read_bytes())
    runner = CliRunner()
    result = runner.invoke(main, ["build", str(alone), "--store", str(store)])
    assert result.exit_code == 1 and "--dtd" in result.output
    result = runner.invoke(main, ["build", str(alone), "--dtd", str(DBLP.parent / "dblp.dtd"), "--store", str(store)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["build", "--add", "--from", "openalex", str(OPENALEX), "--store", str(store)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["cluster", "Richard Müller", "--store", str(store), "--format", "json"])
    assert result.exit_code == 0 and "openalex%3AW100" in result.output and "MullerL19" in result.output
