"""Sharded N-Quads (`kg etl --shards`) and the build's mapping worker (`--workers 2`): same graph, each
quad exactly once, the same rejects and --strict semantics as the single-process path."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

import kg
from kg.backend import EmbeddedBackend
from kg.cli import main
from kg.cluster import cluster
from kg.errors import BadRowError
from kg.shards import etl_shards
from kg.store import StoreDir
from kg.synthetic import generate


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shards") / "rows"
    generate(1500, 9, out)
    return out


@pytest.fixture(scope="module")
def single(rows: Path, tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    out = tmp_path_factory.mktemp("single") / "all.nq"
    kg.etl([rows], out)
    return out.read_bytes().splitlines()


def _shard_lines(directory: Path) -> list[bytes]:
    lines: list[bytes] = []
    for part in sorted(directory.glob("part-*.nq.gz")):
        with gzip.open(part, "rb") as f:
            lines += f.read().splitlines()
    return lines


@pytest.mark.parametrize("workers", [1, 2])
def test_shards_hold_each_quad_of_the_single_file_exactly_once(
    rows: Path, single: list[bytes], tmp_path: Path, workers: int
) -> None:
    report = etl_shards([rows], tmp_path / "out", shards=3, workers=workers)
    parts = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert parts == ["part-00000.nq.gz", "part-00001.nq.gz", "part-00002.nq.gz"]
    lines = _shard_lines(tmp_path / "out")
    assert Counter(lines) == Counter(single)
    assert len(lines) == len(set(lines)) == report.triples
    assert all(len(_shard_lines_of(p)) > 0 for p in (tmp_path / "out").glob("part-*"))


def _shard_lines_of(part: Path) -> list[bytes]:
    with gzip.open(part, "rb") as f:
        return f.read().splitlines()


def test_clusters_are_the_same_from_the_shards(rows: Path, tmp_path: Path) -> None:
    etl_shards([rows], tmp_path / "out", shards=4, workers=2)
    kg.load(sorted((tmp_path / "out").glob("part-*.nq.gz")), tmp_path / "from-shards")
    kg.build([rows], tmp_path / "built", workers=1)
    a, b = StoreDir(tmp_path / "from-shards").open(), StoreDir(tmp_path / "built").open()
    names = [line.split(",")[1] for line in (rows / "authors.csv").read_text(encoding="utf-8").splitlines()[1:40]]
    for name in names:
        assert cluster(EmbeddedBackend(a), name).to_json() == cluster(EmbeddedBackend(b), name).to_json()
    assert len(a) == len(b)


def test_cli_shards_and_strict_leaves_nothing(rows: Path, tmp_path: Path) -> None:
    ok = CliRunner().invoke(main, ["etl", str(rows), "-o", f"{tmp_path / 'out'}/", "--shards", "2", "--workers", "2"])
    assert ok.exit_code == 0, ok.output
    assert len(list((tmp_path / "out").glob("part-*.nq.gz"))) == 2
    bad = tmp_path / "bad"
    bad.mkdir()
    for table in rows.iterdir():
        (bad / table.name).write_bytes(table.read_bytes())
    with open(bad / "authorships.csv", "a", encoding="utf-8") as f:
        f.write("p1,nobody,99,\n")
    with pytest.raises(BadRowError):
        etl_shards([bad], tmp_path / "bad-out", shards=2, workers=2, strict=True)
    assert not list((tmp_path / "bad-out").glob("*.nq.gz")) and not list((tmp_path / "bad-out").glob(".part*"))


def _dump(store: Path) -> list[bytes]:
    return sorted(StoreDir(store).open().dump(format=ox.RdfFormat.N_QUADS).splitlines())


def test_build_with_a_mapping_worker_gives_the_same_store(rows: Path, tmp_path: Path) -> None:
    one = kg.build([rows], tmp_path / "one", workers=1)
    two = kg.build([rows], tmp_path / "two", workers=2)
    assert (two.rows_read, two.rows_loaded, two.rows_rejected, two.triples) == (
        one.rows_read, one.rows_loaded, one.rows_rejected, one.triples
    )
    assert two.graphs == one.graphs
    assert _dump(tmp_path / "one") == _dump(tmp_path / "two")


def _with_bad_rows(rows: Path, target: Path) -> Path:
    target.mkdir()
    for table in rows.iterdir():
        (target / table.name).write_bytes(table.read_bytes())
    with open(target / "authorships.csv", "a", encoding="utf-8") as f:
        f.write("p1,nobody,99,\n")
        f.write("p1,a1,not-a-number,\n")
    return target


def test_worker_rejects_are_written_and_counted(rows: Path, tmp_path: Path) -> None:
    bad = _with_bad_rows(rows, tmp_path / "bad")
    one = kg.build([bad], tmp_path / "one", workers=1, rejects=tmp_path / "r1.jsonl")
    two = kg.build([bad], tmp_path / "two", workers=2, rejects=tmp_path / "r2.jsonl")
    assert two.rows_rejected == one.rows_rejected == 2
    assert two.rows_read == two.rows_loaded + two.rows_rejected
    assert (tmp_path / "r1.jsonl").read_text() == (tmp_path / "r2.jsonl").read_text()
    lines = len((rows / "authorships.csv").read_bytes().splitlines())
    assert [json.loads(x)["line"] for x in (tmp_path / "r2.jsonl").read_text().splitlines()] == [lines + 1, lines + 2]


def test_strict_with_a_worker_fails_and_changes_nothing(rows: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg.build([rows], store, workers=1)
    before = StoreDir(store).active()
    bad = _with_bad_rows(rows, tmp_path / "bad")
    with pytest.raises(BadRowError, match="nothing was changed"):
        kg.build([bad], store, workers=2, strict=True)
    assert StoreDir(store).active() == before
    assert sorted(p.name for p in store.iterdir() if not p.name.startswith(".")) == sorted(
        ["active", before.name] + (["rejects.jsonl"] if (store / "rejects.jsonl").exists() else [])
    )
