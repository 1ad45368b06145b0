"""A correction's rows named by a short id (kg.curate.resolve): an id no row has fails at once, naming
the id and the parameter, with close ids when there are some, in every script; ids encoded otherwise
than kg's own are still found (kg.row_ids)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from test_curation import BASE, _tables

import kg
from kg import curate, row_ids
from kg.adjacency import IriTable, _write_iris
from kg.cli import main
from kg.identity.curation import CurationError

# per script: a name and its homonym-numbered ids, as dblp numbers them
STEMS = {"latin": "Zoë Ünal", "greek": "Γιώργος Παπαδόπουλος", "cyrillic": "Иван Петров", "cjk": "王伟",
         "arabic": "محمد علي"}
ROWS = 60  # rows per script: 300 in all


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("rows")
    authors = [(f"{stem} {k:04d}", stem) for stem in STEMS.values() for k in range(1, ROWS + 1)]
    papers = {f"p{i}": (2000 + i % 20, "v", [a]) for i, (a, _) in enumerate(authors)}
    out = tmp / "store"
    kg.build([_tables(tmp / "in", authors, papers)], out)
    return out


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many IRIs of the index are read (decoded one by one)."""
    count = [0]
    original = IriTable.iri

    def counted(self: IriTable, i: int) -> str:
        count[0] += 1
        return original(self, i)

    monkeypatch.setattr(IriTable, "iri", counted)
    yield count


@pytest.mark.parametrize("script", list(STEMS))
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_an_unknown_id_fails_at_once_with_close_ids(store: Path, reads: list[int], script: str, form: str) -> None:
    stem = STEMS[script]
    typed = unicodedata.normalize(form, f"{stem} 0099")  # numbered up to 0060
    with pytest.raises(CurationError, match=r"^A: no author row") as e:
        curate.check(store, "same", typed, f"{stem} 0001")
    assert repr(typed) in str(e.value)
    assert "; close ids: " in str(e.value) and f"'{stem} 0060'" in str(e.value)
    assert reads[0] < 60, reads[0]  # not every one of the 300 rows


def test_an_id_without_its_prefix_is_suggested_with_it(tmp_path: Path) -> None:
    authors = [("dblp:Wei Wang 0001", "Wei Wang"), ("dblp:Wei Wang 0002", "Wei Wang")]
    built = tmp_path / "store"
    kg.build([_tables(tmp_path / "in", authors, {"p1": (2001, "v", ["dblp:Wei Wang 0001"]),
                                                 "p2": (2002, "v", ["dblp:Wei Wang 0002"])})], built)
    result = CliRunner().invoke(main, ["curate", "same", "Wei Wang 0001", "dblp:Wei Wang 0002", "--why", "x",
                                       "--store", str(built)])
    assert result.exit_code == 1
    assert "kg: error: A: no author row 'Wei Wang 0001' in this store" in result.stderr
    assert "close ids: 'dblp:Wei Wang 0001'" in result.stderr


@pytest.mark.parametrize("few", [row_ids.FEW, 0])  # found by a piece of the id; by the whole id (a common piece)
def test_ids_encoded_otherwise_are_found_by_their_decoded_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 few: int) -> None:
    """Rows of RDF from elsewhere (kg load): another base IRI, a colon or a space written as itself,
    hexadecimal digits in lower case, an id in NFD; decoys holding the label inside, not as their end."""
    monkeypatch.setattr(row_ids, "FEW", few)
    rows = [f"{BASE}author/dblp:Wei%20Wang%200001", "http://other.org/a/author/%e7%8e%8b%e4%bc%9f",
            f"{BASE}author/Zoe\u0308%20%C3%9Cnal", f"{BASE}author/dblp:Wei%20Wang%2000011",
            f"{BASE}author/dblp:Wei%20Wang%200001/papers", "http://other.org/x%2F%E7%8E%8B%E4%BC%9F"]
    _write_iris(tmp_path / "authors", sorted(rows))
    table = IriTable(tmp_path / "authors")
    index = SimpleNamespace(authors=table)
    try:
        assert row_ids.labelled(index, "dblp:Wei Wang 0001") == [rows[0]]  # type: ignore[arg-type]
        assert row_ids.labelled(index, "王伟") == [rows[1]]  # type: ignore[arg-type]
        assert row_ids.labelled(index, "Zoë Ünal") == [rows[2]]  # type: ignore[arg-type]
        assert row_ids.labelled(index, "x/王伟") == [rows[5]]  # type: ignore[arg-type]
        assert row_ids.labelled(index, "Wang 0001") == []  # type: ignore[arg-type]
    finally:
        table.close()


@pytest.mark.parametrize("script", list(STEMS))
def test_an_iri_of_elsewhere_suggests_the_row_of_its_id(store: Path, script: str) -> None:
    """An OpenAlex or dblp address pasted for a row (its id is the IRI's last segment) names the
    row it would be; a row's IRI with its last character lost names its neighbours."""
    stem = STEMS[script]
    elsewhere = f"https://openalex.org/people/{quote(stem + ' 0007')}"
    with pytest.raises(CurationError, match=r"^B: no author row <https://openalex.org/people/") as e:
        curate.check(store, "same", f"{stem} 0001", elsewhere)
    assert f"> in this store; close ids: '{stem} 0007'" in str(e.value)  # first: the one ending with its id
    cut = f"{BASE}author/{unicodedata.normalize('NFD', stem)} 001"  # as typed: decoded, decomposed
    with pytest.raises(CurationError, match=r"^B: no author row") as e:
        curate.check(store, "same", f"{stem} 0002", cut)
    assert f"; close ids: '{stem} 00" in str(e.value)


@pytest.mark.parametrize("huge", ["Ж" * 30_000, f"{BASE}author/{'Ж' * 30_000}"])
def test_a_huge_id_is_refused_without_being_repeated_whole(store: Path, huge: str) -> None:
    with pytest.raises(CurationError, match=r"^A: no author row ['<].{200}… \(29,\d{3} more characters\)") as e:
        curate.check(store, "same", huge, f"{STEMS['cjk']} 0001")
    assert len(str(e.value)) < 1000
