"""kg sync's big clusters' order recomputed for the touched name keys only (kg.cluster_order_touched)
against the whole-graph step (kg sync --whole-derived): the same files, byte for byte, after random
changes to generated graphs; with a low threshold, so that many clusters are precomputed. And the
statistics kept current through the delta (kg.sync.counts) against those counted over the store."""

from __future__ import annotations

import os
import random
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg import build, open_store
from kg.adjacency import INDEX, AdjacencyIndex
from kg.cluster import cluster
from kg.cluster_order import DIRECTORY, cluster_order
from kg.names import loose_key, name_key
from kg.store import StoreDir
from kg.sync.embedded import sync
from kg.synthetic.generator import generate
from tests.sync_checks import assert_same_as_rebuild, edit_table, read_table

NAMES = ["Jürgen Müller", unicodedata.normalize("NFD", "Jürgen Müller"), "Γιώργος Παπαδόπουλος", "Дмитрий Иванов",
         "王小明", "محمد العلي"]
BIG = 4  # clusters of more papers than this are precomputed (the build's 50 leaves a small graph none)


def _files(store: Path) -> dict[str, bytes]:
    path = StoreDir(store).require() / INDEX / DIRECTORY
    return {f.name: f.read_bytes() for f in sorted(path.iterdir())}


def _change(rows: Path, seed: int, size: int) -> None:
    """Random changes in every table: papers retitled, moved a year, deleted; authors renamed (into
    every script and onto other rows' names), deleted; authorships added and removed; a new paper."""
    rng = random.Random(seed)
    _, authors = read_table(rows / "authors.csv")
    _, papers = read_table(rows / "papers.csv")
    deleted_papers = {p["id"] for p in rng.sample(papers, size)}
    deleted_authors = {a["id"] for a in rng.sample(authors, max(1, size // 2))}
    renamed = {a["id"]: rng.choice(NAMES + [b["name"] for b in authors]) for a in rng.sample(authors, size)}
    retitled = {p["id"] for p in rng.sample(papers, size)}

    def change_papers(rs: list[dict[str, str]]) -> list[dict[str, str]]:
        for r in rs:
            if r["id"] in retitled:
                r["title"] = (r["title"] + " " + rng.choice(NAMES)).strip()
                r["year"] = str(int(r["year"] or 2000) + rng.choice([-1, 1]))
        new = dict(rs[0], id=f"new-paper-{seed}", title=rng.choice(NAMES))
        return [r for r in rs if r["id"] not in deleted_papers] + [new]

    def change_authors(rs: list[dict[str, str]]) -> list[dict[str, str]]:
        for r in rs:
            r["name"] = renamed.get(r["id"], r["name"])
        return [r for r in rs if r["id"] not in deleted_authors]

    def change_authorships(rs: list[dict[str, str]]) -> list[dict[str, str]]:
        kept = [r for r in rs if r["paper_id"] not in deleted_papers and r["author_id"] not in deleted_authors]
        alive = [a["id"] for a in authors if a["id"] not in deleted_authors]
        added = [{**rs[0], "paper_id": rng.choice([f"new-paper-{seed}", rng.choice(papers)["id"]]),
                  "author_id": rng.choice(alive), "position": str(50 + k)} for k in range(size)]
        added = [a for a in added if a["paper_id"] not in deleted_papers]
        return kept + added

    edit_table(rows / "papers.csv", change_papers)
    edit_table(rows / "authors.csv", change_authors)
    edit_table(rows / "authorships.csv", change_authorships)


def _synced_both_ways(tmp: Path, seed: int, papers: int, size: int, other: tuple[Path, ...] = ()
                      ) -> tuple[Path, Path, Path]:
    """A generated graph (and `other` inputs) built, changed, and synced both ways."""
    rows, touched, whole = tmp / "rows", tmp / "touched", tmp / "whole"
    for path in (rows, touched, whole):
        shutil.rmtree(path, ignore_errors=True)
    generate(papers, seed, rows)
    build([rows, *other], touched)
    shutil.copytree(touched, whole, symlinks=True, copy_function=os.link)
    _change(rows, seed, size)
    sync([rows], touched, max_change=1.0)
    sync([rows], whole, max_change=1.0, whole_derived=True)
    return rows, touched, whole


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(1, 10_000), size=st.integers(1, 6))
def test_the_touched_keys_path_writes_the_files_of_the_whole_step(
    seed: int, size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kg.cluster_order.BIG", BIG)
    monkeypatch.setattr("kg.sync.derived.TOUCHED_MAX", 1.0)  # the touched path, however much was touched
    _, touched, whole = _synced_both_ways(tmp_path, seed, 300, size)
    meta = StoreDir(touched).meta()
    assert meta["synced"]["derived"] == "touched"
    assert meta["cluster_order"]["for"] == "touched keys"
    assert meta["cluster_order"]["clusters"] > 10  # the threshold leaves many clusters precomputed
    assert StoreDir(whole).meta()["synced"]["derived"] == "whole (--whole-derived or a large change)"
    assert _files(touched) == _files(whole)
    # the statistics kept current through the delta (kg.sync.counts) are the ones counted over the store
    assert "counts" in meta["synced"]["seconds"]
    assert meta["counts"] == StoreDir(whole).meta()["counts"]


def test_a_synced_store_with_touched_keys_equals_a_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The clusters' answers (their pages read from the precomputed order) equal a rebuild's."""
    monkeypatch.setattr("kg.cluster_order.BIG", BIG)
    monkeypatch.setattr("kg.sync.derived.TOUCHED_MAX", 1.0)
    rows, touched, _ = _synced_both_ways(tmp_path, 7, 400, 5)
    assert StoreDir(touched).meta()["synced"]["derived"] == "touched"
    assert_same_as_rebuild(touched, [rows], tmp_path, NAMES)
    assert StoreDir(touched).meta()["counts"] == StoreDir(tmp_path / "rebuilt").meta()["counts"]


def test_a_sync_of_one_source_of_two_reads_the_papers_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inputs are not every source of the store: the index is read back from the store, without
    the papers' facts collected while mapping, and the touched path looks them up."""
    monkeypatch.setattr("kg.cluster_order.BIG", BIG)
    monkeypatch.setattr("kg.sync.derived.TOUCHED_MAX", 1.0)
    dblp = Path(__file__).resolve().parent / "data" / "dblp" / "dblp_utf8.xml"
    _, touched, whole = _synced_both_ways(tmp_path, 11, 300, 4, (dblp,))
    generation = StoreDir(touched).require()
    assert not (generation / INDEX / "paper-facts-years.dat").exists()
    assert StoreDir(touched).meta()["cluster_order"]["for"] == "touched keys"
    assert _files(touched) == _files(whole)
    assert StoreDir(touched).meta()["counts"] == StoreDir(whole).meta()["counts"]


def test_rows_renamed_into_every_script_make_big_clusters_of_their_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight rows renamed to each name (NFC and NFD alike: one key): each name's cluster becomes big,
    is touched (its strict and loose keys) and is written as the whole step writes it."""
    monkeypatch.setattr("kg.cluster_order.BIG", BIG)
    monkeypatch.setattr("kg.sync.derived.TOUCHED_MAX", 1.0)
    rows, touched, whole = tmp_path / "rows", tmp_path / "touched", tmp_path / "whole"
    generate(300, 5, rows)
    build([rows], touched)
    shutil.copytree(touched, whole, symlinks=True, copy_function=os.link)
    _, authors = read_table(rows / "authors.csv")
    renamed = {a["id"]: NAMES[k % len(NAMES)] for k, a in enumerate(authors[: 8 * len(NAMES)])}
    edit_table(rows / "authors.csv", lambda rs: [{**r, "name": renamed.get(r["id"], r["name"])} for r in rs])
    done = sync([rows], touched, max_change=1.0)
    sync([rows], whole, max_change=1.0, whole_derived=True)
    assert done.delta is not None
    keys = {name_key(n) for n in NAMES}
    meta = StoreDir(touched).meta()
    assert meta["cluster_order"]["for"] == "touched keys"
    assert _files(touched) == _files(whole)
    with open_store(touched) as g:
        for name in NAMES:
            page = cluster(g, name).to_json()
            assert len(page["rows"]) >= 8, name
    order = cluster_order(AdjacencyIndex.open(StoreDir(touched).require()))
    assert order is not None
    assert all(order.find(k) is not None for k in keys)
    assert all(order.find(loose_key(n), loose=True) is not None for n in NAMES)


def test_a_paper_id_of_two_sources_keeps_its_first_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table's paper with the id of a dblp record: the dblp record is rejected while mapping, so
    the facts collected for the paper are the store's (its title in three scripts, its year)."""
    monkeypatch.setattr("kg.cluster_order.BIG", BIG)
    monkeypatch.setattr("kg.sync.derived.TOUCHED_MAX", 1.0)
    dblp = Path(__file__).resolve().parent / "data" / "dblp" / "dblp_utf8.xml"
    rows, touched, whole = tmp_path / "rows", tmp_path / "touched", tmp_path / "whole"
    generate(300, 13, rows)
    _, authors = read_table(rows / "authors.csv")
    _, ships = read_table(rows / "authorships.csv")
    busiest = max({a["author_id"] for a in ships}, key=lambda a: sum(1 for s in ships if s["author_id"] == a))
    twice = "dblp:journals/acta/Muller16"  # the id the dblp reader gives a record of the fixture
    edit_table(rows / "papers.csv",
               lambda rs: [*rs, {**rs[0], "id": twice, "title": "Ἀρχαῖα 中文 عربي", "year": "1999"}])
    edit_table(rows / "authorships.csv",
               lambda rs: [*rs, {**rs[0], "paper_id": twice, "author_id": busiest, "position": "1"}])
    build([rows, dblp], touched)
    shutil.copytree(touched, whole, symlinks=True, copy_function=os.link)
    _change(rows, 13, 3)
    sync([rows, dblp], touched, max_change=1.0)
    sync([rows, dblp], whole, max_change=1.0, whole_derived=True)
    assert f"duplicate paper id '{twice}'" in (touched / "rejects.jsonl").read_text(encoding="utf-8")
    assert StoreDir(touched).meta()["cluster_order"]["for"] == "touched keys"
    assert _files(touched) == _files(whole)


def test_a_large_change_takes_the_whole_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many resources moved: nothing read subject by subject, the whole-graph steps and counts."""
    monkeypatch.setattr("kg.sync.derived.TOUCHED_MAX", 0.0001)
    _, touched, whole = _synced_both_ways(tmp_path, 3, 200, 2)
    meta = StoreDir(touched).meta()
    assert meta["synced"]["derived"] == "whole (--whole-derived or a large change)"
    assert "touched" not in meta["synced"] and "counts" not in meta["synced"]["seconds"]
    assert meta["counts"] == StoreDir(whole).meta()["counts"]


def test_many_touched_keys_take_the_whole_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small change whose touched names are many of the clusters: the whole step, the touched
    rows and keys reported."""
    monkeypatch.setattr("kg.sync.derived.TOUCHED_MAX", 0.0001)
    monkeypatch.setattr("kg.sync.embedded.small", lambda _delta: True)
    _, touched, _ = _synced_both_ways(tmp_path, 3, 200, 2)
    meta = StoreDir(touched).meta()
    assert re.fullmatch(r"whole \([\d,]+ of [\d,]+ name keys touched\)", meta["synced"]["derived"])
    assert meta["synced"]["touched"]["strict_keys"] > 0
    assert "for" not in meta["cluster_order"]  # the build's own step
