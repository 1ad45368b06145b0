"""The papers' abstracts kept in a scratch file while mapping (kg.search.spill), not in memory: read
back as they were written, in every script; the index written from the file is the one written from
memory, and the one a build writes with or without a worker, beside its steps or in turn, or reads
back from the store; the file is beside the store and nothing of it is left after a build."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import tracemalloc
import unicodedata
from pathlib import Path

import pytest
from conftest import write_csv_tables
from hypothesis import given, settings
from test_search import _mapped
from test_search_abstracts import PAPERS
from test_search_overlap import _dump

import kg
import kg.search.spill
from kg.adjacency import Collector
from kg.errors import BadRowError
from kg.iris import Minter
from kg.records import Paper
from kg.search.abstracts import pack, unpack
from kg.search.collect import Mapped, write_collected
from kg.search.spill import SpilledAbstracts
from kg.search.write import SEARCH
from kg.store import StoreDir

_rng = random.Random(27)
# 200 words of CJK characters drawn at random: too little repeats for zlib, so it packs to more
# bytes than the spill reads at once (kg.search.spill._READ)
LONG = " ".join("".join(chr(0x4E00 + _rng.randrange(20000)) for _ in range(5)) for _ in range(200))
ABSTRACTS = [
    "Η φωτοσύνθεση των φυτών μελετάται εδώ.",  # Greek
    "Мы изучаем микоризу в почвах тайги.",  # Cyrillic
    "本文研究光合作用的效率。",  # CJK
    "نَدْرُسُ التَّمْثِيلَ الضَّوْئِيَّ فِي النَّبَاتِ",  # Arabic with vowel marks
    "Une étude de la théorie de Galois à Zürich.",  # diacritics, NFC
    unicodedata.normalize("NFD", "Une étude de la théorie de Galois à Zürich."),  # and NFD
    LONG,
]


def test_the_abstracts_are_read_back_as_written_in_every_script(tmp_path: Path) -> None:
    spilled = SpilledAbstracts(tmp_path)
    packed = [pack(text) for text in ABSTRACTS]
    assert len(packed[-1] or b"") > kg.search.spill._READ
    numbers = [5, 0, 17, 3, 1000, 2, 9]  # not in order, with gaps
    for number, data in zip(numbers, packed, strict=True):
        assert data is not None
        spilled.add(number, data)
    spilled.add(5, pack("a second abstract of paper 5") or b"")  # the first one is kept
    assert spilled.count == len(ABSTRACTS) and len(spilled) == 1001
    for number, text in reversed(list(zip(numbers, ABSTRACTS, strict=True))):  # read in another order
        got = spilled.get(number)
        assert got is not None and unpack(got) == unicodedata.normalize("NFC", text)
    assert [spilled.get(n) for n in (4, 999, 1001, -1, 10**9)] == [None] * 5
    spilled.close()
    assert spilled.get(5) is None


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/self/fd")
def test_the_file_is_in_the_directory_given_and_has_no_name(tmp_path: Path) -> None:
    spilled = SpilledAbstracts(tmp_path)
    assert _open_under(tmp_path) == []  # no file until there is an abstract
    spilled.add(0, pack("Η φωτοσύνθεση") or b"")
    assert [t.endswith("(deleted)") for t in _open_under(tmp_path)] == [True]
    assert list(tmp_path.iterdir()) == []
    spilled.close()
    assert _open_under(tmp_path) == []


def test_the_collector_keeps_no_abstract_in_memory(tmp_path: Path) -> None:
    """Papers with an abstract grow the collector by the 8 bytes a paper of the offsets (and the
    array's spare room), not by their abstracts (600-700 bytes each, packed)."""
    n = 3000
    texts = [f"{ABSTRACTS[k % 6]} {' '.join(str(k * 7 + w) for w in range(120))}" for k in range(n)]
    grown = {}
    for with_abstracts in (False, True):
        collector = Collector(Minter(), tmp_path)
        papers = [Paper(f"p{k}", f"Title {k}", 2020, abstract=texts[k] if with_abstracts else None) for k in range(n)]
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for paper in papers:
            collector.add(paper)
        grown[with_abstracts] = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        collector.close()
    assert min(len(pack(t) or b"") for t in texts) > 200
    assert grown[True] - grown[False] < 24 * n, grown


@settings(max_examples=40, deadline=None)
@given(_mapped())
def test_the_index_written_from_the_file_is_the_one_written_from_memory(m: object) -> None:
    assert isinstance(m, Mapped)
    with tempfile.TemporaryDirectory() as folder:
        spilled = SpilledAbstracts(Path(folder))
        for number, packed in enumerate(m.abstracts):
            if packed is not None:
                spilled.add(number, packed)
        for name, abstracts in (("memory", m.abstracts), ("file", spilled)):
            (Path(folder) / name).mkdir()
            m.abstracts = abstracts
            write_collected(m, Path(folder) / name / SEARCH)
        spilled.close()
        assert _dump(Path(folder) / "file") == _dump(Path(folder) / "memory")


def _rows(folder: Path) -> Path:
    """The abstracts of tests/test_search_abstracts in every script, and a long one."""
    (folder / "rows").mkdir()
    papers = [*PAPERS, ("p11", "Zhōngwén Long Reading", 2015, LONG)]
    return write_csv_tables(folder / "rows", {
        "venues.csv": (["id", "name"], []),
        "papers.csv": (["id", "title", "year", "abstract"], papers),
        "authors.csv": (["id", "name"], [("a1", "Ana Núñez"), ("a2", "Ελένη Παπαδοπούλου"), ("a3", "李小龙")]),
        "authorships.csv": (["paper_id", "author_id", "position"],
                            [(p[0], "a1", 1) for p in papers] + [(p[0], "a2", 2) for p in papers[::2]]
                            + [(p[0], "a3", 3) for p in papers[::3]]),
    })


def test_every_way_of_building_writes_the_same_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With and without a worker, beside the steps or in turn, read back from the store (--add, kg
    load): the same index; the abstracts were spilled beside the store, and nothing is left of them."""
    rows = _rows(tmp_path)
    spilled_in: list[Path | None] = []
    made = kg.search.spill.tempfile.TemporaryFile

    def temporary_file(*args: object, dir: Path | None = None, **kwargs: object) -> object:  # noqa: A002
        with open(tmp_path / "spilled-in.txt", "a", encoding="utf-8") as f:  # the worker's too
            f.write(f"{dir}\n")
        return made(*args, dir=dir, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(kg.search.spill.tempfile, "TemporaryFile", temporary_file)
    built = {}
    for name, workers, overlap in (("turn", 2, False), ("overlap", 2, True), ("one", 1, True)):
        kg.build([rows], tmp_path / name / "store", workers=workers, search_overlap=overlap)
        generation = StoreDir(tmp_path / name / "store").require()
        assert json.loads((generation / "build.json").read_text())["search"]["from"] == "collected"
        built[name] = _dump(generation)
        spilled_in.extend(Path(line) for line in (tmp_path / "spilled-in.txt").read_text().split())
        (tmp_path / "spilled-in.txt").unlink()
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == ["store"], "a scratch file was left"
    # in the worker's scratch directory beside the store, or beside the store
    assert [p.parent for p in spilled_in] == [tmp_path / "turn", tmp_path / "overlap", tmp_path]
    assert [p.name.startswith(".store.paths-index-") for p in spilled_in] == [True, True, False]
    kg.build([rows], tmp_path / "one" / "store", add=True)  # read back from the store
    added = StoreDir(tmp_path / "one" / "store").require()
    assert json.loads((added / "build.json").read_text())["search"]["from"] == "store"
    # spilled too, into the generation being built
    assert [Path(line).parent for line in (tmp_path / "spilled-in.txt").read_text().split()] == \
        [tmp_path / "one" / "store"]
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["store"]
    dump = tmp_path / "graph.nq"
    subprocess.run([sys.executable, "-m", "kg", "export", "--store", str(tmp_path / "one" / "store"),
                    "--format", "nq", "-o", str(dump)], check=True)
    kg.load([dump], tmp_path / "loaded")
    assert built["turn"] == built["overlap"] == built["one"] == _dump(added) \
        == _dump(StoreDir(tmp_path / "loaded").require())
    abstracts = built["one"]["abstracts"]
    assert isinstance(abstracts, list) and len(abstracts) == 10
    assert unpack(max((a for _, a in abstracts), key=len)) == LONG


def _open_under(folder: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/self/fd")
def test_a_failed_mapping_leaves_no_scratch_file(tmp_path: Path) -> None:
    rows = _rows(tmp_path)
    with open(rows / "authorships.csv", "a", encoding="utf-8") as f:
        f.write("p1,nobody,9\n")  # refused by --strict after every paper was collected
    for workers in (1, 2):
        with pytest.raises(BadRowError, match="unknown author"):
            kg.build([rows], tmp_path / f"store-{workers}", workers=workers, strict=True)
        # the store's own files of the failed generation aside (kept open until collected)
        assert [t for t in _open_under(tmp_path) if not t.startswith(str(tmp_path / "store-"))] == []
        assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("store-")] == ["rows"]
