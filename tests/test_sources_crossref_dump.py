"""Crossref's public data file: directories of `{"items": [...]}` files, plain and gzipped."""

from __future__ import annotations

import gzip
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from conftest import DATA

import kg
import kg.sources.crossref_dump as crossref_dump
from kg import sources
from kg.errors import InputError
from kg.records import Authorship, Paper
from kg.store import StoreDir
from kg.sync.embedded import sync

DUMP = DATA / "crossref-dump"


def test_a_dump_directory_is_recognised_and_read_file_by_file_with_positions() -> None:
    assert sources.detect(DUMP) == "crossref"
    located = list(sources.read(DUMP, "auto"))
    titles = [loc.item.title for loc in located if isinstance(loc.item, Paper)]
    assert titles == ["Études de cas", "Теория графов", "نظرية المعلومات", "Reply"]
    [reject] = [loc for loc in located if isinstance(loc.item, str)]
    # the gzipped file is pretty-printed with CRLF line ends: the third item starts on line 71
    assert reject.file.endswith("0.json.gz") and reject.line == 71 and reject.item.startswith("items[2]: no valid DOI")
    assert sources.detect(DUMP / "1.json") == "crossref"
    assert sum(isinstance(loc.item, Paper) for loc in sources.read(DUMP / "1.json", "crossref")) == 2


def test_items_are_streamed_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = [loc.item for loc in sources.read(DUMP, "crossref")]
    monkeypatch.setattr(crossref_dump, "_CHUNK", 5)  # every item, name and escape split between reads
    assert [loc.item for loc in sources.read(DUMP, "crossref")] == whole


def test_a_file_cut_short_keeps_its_whole_items_and_names_the_cut_one(tmp_path: Path) -> None:
    text = gzip.decompress((DUMP / "0.json.gz").read_bytes()).decode("utf-8")
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(gzip.compress(text[: text.index('"10.5555/dump.2"') + 40].encode("utf-8")))
    located = list(sources.read(cut, "auto"))
    assert [loc.item.id for loc in located if isinstance(loc.item, Paper)] == ["crossref:10.5555/dump.1"]
    [reject] = [loc for loc in located if isinstance(loc.item, str)]
    assert reject.file == str(cut) and reject.line == 37 and reject.item.startswith("items[1]: ")


def test_a_dump_builds_and_syncs_as_a_rebuild(tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    shutil.copytree(DUMP, dump)
    store = tmp_path / "store"
    report = kg.build([dump], store)
    assert report.rows_rejected == 1
    counts = StoreDir(store).meta()["counts"]
    assert counts["papers"] == 4
    work = {"DOI": "10.5555/dump.5", "title": ["追加の論文"], "author": [{"given": "花子", "family": "佐藤"}]}
    more = {"items": [work]}
    (dump / "2.json").write_text(json.dumps(more, ensure_ascii=False), encoding="utf-8")
    sync([dump], store)
    assert StoreDir(store).meta()["counts"]["papers"] == 5
    ships = [loc.item for loc in sources.read(dump, "auto") if isinstance(loc.item, Authorship)]
    assert len(ships) == 7


def test_an_empty_file_is_named_as_empty_and_an_empty_part_of_a_dump_is_one_reject(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json.gz"
    empty.write_bytes(gzip.compress(b""))
    with pytest.raises(InputError, match=r"empty\.json\.gz: an empty file; nothing to build from"):
        sources.detect(empty)
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "0.json").write_bytes(b"\n")
    shutil.copy(DUMP / "1.json", dump / "1.json")
    assert sources.detect(dump) == "crossref"  # from the first file with something in it
    located = list(sources.read(dump, "auto"))
    assert [(Path(loc.file).name, loc.line, loc.item) for loc in located if isinstance(loc.item, str)] == [
        ("0.json", 1, "an empty file: no Crossref message or items")]
    assert sum(isinstance(loc.item, Paper) for loc in located) == 2


def test_the_dump_as_distributed_a_tar_of_its_files_is_read_without_unpacking(tmp_path: Path) -> None:
    tar = tmp_path / "April 2025 Public Data File from Crossref.tar"
    with tarfile.open(tar, "w") as out:
        out.add(DUMP / "0.json.gz", "dump/0.json.gz")
        out.add(DUMP / "1.json", "dump/1.json")
        readme = tmp_path / "README.txt"
        readme.write_text("not data\n", encoding="utf-8")
        out.add(readme, "dump/README.txt")
    assert sources.detect(tar) == "crossref"
    whole = [(Path(loc.file).name, loc.line, loc.item) for loc in sources.read(DUMP, "crossref")]
    assert [(Path(loc.file).name, loc.line, loc.item) for loc in sources.read(tar, "auto")] == whole
    [reject] = [loc for loc in sources.read(tar, "auto") if isinstance(loc.item, str)]
    assert reject.file == f"{tar}/dump/0.json.gz" and reject.line == 71
    report = kg.build([tar], tmp_path / "store")
    assert (report.rows_rejected, StoreDir(tmp_path / "store").meta()["counts"]["papers"]) == (1, 4)
    readme.unlink()  # the tar's directory, given instead of the tar: the error names the tar to give
    with pytest.raises(InputError, match=r"is an input of its own: give .*\.tar$"):
        sources.detect(tmp_path)


def test_a_gzip_cut_short_or_a_bad_byte_keeps_the_works_before_and_is_one_reject(tmp_path: Path) -> None:
    works = [json.dumps(w, ensure_ascii=False).encode() for w in json.loads((DUMP / "1.json").read_bytes())["items"]]
    # the works in the first chunks read, then 300,000 spaces and a third work in a download cut short
    raw = b'{"items": [' + works[0] + b"," + works[1] + b"," + b" " * 300_000 + works[0] + b"]}"
    cut = tmp_path / "cut.json.gz"
    whole = gzip.compress(raw)
    cut.write_bytes(whole[: len(whole) - 20])
    bad = tmp_path / "bad.json"
    bad.write_bytes(raw.replace(b" " * 1000, b"\xff\xfe" * 500, 1))
    for path, why in ((cut, "cannot be read on from this work"), (bad, "invalid UTF-8")):
        located = list(sources.read(path, "crossref"))
        [reject] = [loc for loc in located if isinstance(loc.item, str)]
        assert reject.file == str(path) and reject.item.startswith("items[2]: ") and why in reject.item, reject
        assert sum(isinstance(loc.item, Paper) for loc in located) == 2
