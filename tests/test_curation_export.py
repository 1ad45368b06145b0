"""Corrections by hand through `kg export` and `kg load` (kg.identity.curation_rdf.read,
kg.identity.curation.CurationFile.merge, kg.build.load): a store exported and loaded again applies
and lists the same corrections, undone ones and who undid them too; names in every script."""

from __future__ import annotations

import importlib
import json
import shutil
import unicodedata
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from test_curation import BASE, NAMES, _persons, _row, _tables, _world

import kg
from kg import curate
from kg.cli import main
from kg.errors import KgError
from kg.identity.curation import Correction, CurationFile, taken_in
from kg.store import StoreDir

IDENTITY = f"{BASE}graph/identity"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PROV_AGENT = "http://www.w3.org/ns/prov#Agent"


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def _listed(store: Path) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(_cli("curate", "list", "--all", "--format", "json", "--store", str(store)))  # type: ignore[no-any-return]


def _identity_triples(store: Path) -> int:
    return sum(1 for _ in StoreDir(store).open().quads_for_pattern(None, None, None, ox.NamedNode(IDENTITY)))


@pytest.fixture(scope="module")
def curated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with corrections in every script: applied ones, one undone, one superseded."""
    tmp = tmp_path_factory.mktemp("curated")
    store = tmp / "store"
    kg.build([_tables(tmp / "in", *_world())], store)
    for script, (_, stem) in NAMES.items():
        curate.add(store, "same", f"{stem}-a", f"{stem}-b", f"{NAMES[script][0]}: one homepage", f"{stem} Ⅱ",
                   apply_now=False)
    curate.add(store, "distinct", _row("greek", "c"), _row("greek", "d"), "δύο πρόσωπα", "Ἀθηνᾶ", apply_now=False)
    curate.add(store, "same", _row("greek", "c"), _row("greek", "d"), "ένα πρόσωπο τελικά", "Ελένη", apply_now=False)
    curate.undo(store, "1", "Zoë Ünal (NFD: Zoe\u0308)", apply_now=False)
    curate.apply(store)
    return store


@pytest.mark.parametrize("fmt", ["nq", "trig", "jsonld"])
def test_export_then_load_keeps_every_correction(curated: Path, tmp_path: Path, fmt: str) -> None:
    exported = tmp_path / f"all.{fmt}"
    _cli("export", "--store", str(curated), "--format", fmt, "-o", str(exported))
    loaded = tmp_path / "loaded"
    result = CliRunner().invoke(main, ["load", str(exported), "--store", str(loaded)])
    assert result.exit_code == 0, result.output
    assert "7 corrections by hand taken in" in result.stderr
    assert _listed(loaded) == _listed(curated)  # undone and superseded ones, who undid them, the statuses
    assert _cli("curate", "list", "--store", str(loaded)) == _cli("curate", "list", "--store", str(curated))
    for script, (name, _) in NAMES.items():
        assert _persons(loaded, name) == _persons(curated, name), script
    # the loaded identity graph is the one the step writes anew: nothing doubled
    assert _identity_triples(loaded) == _identity_triples(curated)
    assert _cli("identity", NAMES["greek"][0], "--store", str(loaded)) == \
        _cli("identity", NAMES["greek"][0], "--store", str(curated))


def test_loading_an_export_again_takes_in_nothing_twice(curated: Path, tmp_path: Path) -> None:
    exported = tmp_path / "all.nq"
    _cli("export", "--store", str(curated), "--format", "nq", "-o", str(exported))
    loaded = tmp_path / "loaded"
    _cli("load", str(exported), "--store", str(loaded))
    again = CliRunner().invoke(main, ["load", str(exported), "--store", str(loaded), "--add"])
    assert again.exit_code == 0 and "taken in" not in again.stderr
    assert _listed(loaded) == _listed(curated)
    curate.undo(loaded, "2", "Ολγα")  # undone in the loaded store, then that store's export loaded into the first
    undone = tmp_path / "undone.nq"
    _cli("export", "--store", str(loaded), "--format", "nq", "-o", str(undone))
    copy = tmp_path / "copy"
    kg.build([_tables(tmp_path / "in", *_world())], copy)
    CurationFile(copy).merge(CurationFile(curated).read(), "test")
    kg.load([undone], copy)
    mine = {x["id"]: x for x in _listed(copy)}
    assert mine[2]["status"] == "undone" and mine[2]["undone"]["by"] == "Ολγα" and len(mine) == 7


def test_ids_taken_already_are_renumbered_and_superseded_by_follows(tmp_path: Path) -> None:
    store = tmp_path / "store"
    own = Correction(1, "same", (_row("cjk", "a"), _row("cjk", "b")), "同一人", "李", "2026-01-01T00:00:00Z")
    kept = CurationFile(store).merge([own], "first")
    assert kept == [own]
    older = Correction(1, "distinct", (_row("arabic", "c"), _row("arabic", "d")), "شخصان", "فاطمة",
                       "2026-02-01T00:00:00Z", {"by": "علي", "at": "2026-02-02T00:00:00Z", "superseded_by": 2})
    newer = Correction(2, "same", older.rows, "شخص واحد", "علي", "2026-02-02T00:00:00Z")
    added = CurationFile(store).merge([older, newer], "theirs")
    assert [(c.id, c.verdict) for c in added] == [(2, "same"), (3, "distinct")]  # #2 free: kept; #1 taken: the next
    assert added[1].undone is not None and added[1].undone["superseded_by"] == 2
    assert CurationFile(store).merge([older, newer], "theirs") == []  # held already
    assert [c.id for c in CurationFile(store).read()] == [1, 2, 3]


@pytest.mark.parametrize(("why", "at", "said"), [
    ("", "2026-01-01T00:00:00Z", "why: required"), ("x" * 2001, "2026-01-01T00:00:00Z", "why: longer than 2000"),
    ("bad\x07bell", "2026-01-01T00:00:00Z", "why: control characters"),
    ("fine", "2026-01-01", "at: a time as YYYY-MM-DDTHH:MM:SSZ, not '2026-01-01'")])
def test_a_correction_in_the_files_kg_cannot_keep_stops_the_load(tmp_path: Path, why: str, at: str,
                                                                  said: str) -> None:
    bad = Correction(1, "same", (_row("latin", "a"), _row("latin", "b")), why, "Ann", at)
    with pytest.raises(KgError, match=f"^data.nq: correction #1 .*{said}"):
        CurationFile(tmp_path).merge([bad], "data.nq")
    assert not CurationFile(tmp_path).path.exists()


def test_a_curation_in_rdf_that_is_not_one_stops_the_load_naming_it(curated: Path, tmp_path: Path) -> None:
    exported = tmp_path / "all.nq"
    _cli("export", "--store", str(curated), "--format", "nq", "-o", str(exported))
    text = exported.read_text(encoding="utf-8")
    node = f"<{BASE}curation/3>"
    line = next(x for x in text.splitlines() if x.startswith(node) and "#verdict>" in x)
    exported.write_text(text.replace(line, line.replace('"same"', '"maybe"')), encoding="utf-8")
    result = CliRunner().invoke(main, ["load", str(exported), "--store", str(tmp_path / "loaded")])
    assert result.exit_code == 1 and f"{node[1:-1]}>: a correction's verdict is same or distinct, not 'maybe'" \
        in result.stderr
    assert not StoreDir(tmp_path / "loaded").exists() and not CurationFile(tmp_path / "loaded").path.exists()


def test_a_curator_typed_composed_or_decomposed_is_one_agent(tmp_path: Path) -> None:
    """`--by` in NFD (as a Mac's file names, some keyboards) and in NFC: one curator, one prov:Agent."""
    store = tmp_path / "store"
    kg.build([_tables(tmp_path / "in", *_world())], store)
    for name, stem in NAMES.values():
        who = f"{name} Ἀθηνᾶ Zoë"
        curate.add(store, "same", f"{stem}-a", f"{stem}-b", "one", unicodedata.normalize("NFD", who), apply_now=False)
        curate.add(store, "distinct", f"{stem}-c", f"{stem}-e", "two", unicodedata.normalize("NFC", who),
                   apply_now=False)
    curate.undo(store, "1", unicodedata.normalize("NFD", "Zoë"), apply_now=False)
    assert {c.by for c in CurationFile(store).read()} == {unicodedata.normalize("NFC", f"{n} Ἀθηνᾶ Zoë")
                                                           for n, _ in NAMES.values()}
    assert CurationFile(store).read()[0].undone["by"] == unicodedata.normalize("NFC", "Zoë")  # type: ignore[index]
    graph = ox.Store()
    graph.load(curate.export(store), format=ox.RdfFormat.TURTLE)
    agents = {q.subject for q in graph.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV_AGENT))}
    assert len(agents) == len(NAMES) + 1


def test_a_load_that_fails_takes_no_correction_in(curated: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The corrections of the files are written beside the store once its new generation is in place."""
    building = importlib.import_module("kg.build")  # the module: `kg.build` is its function

    exported = tmp_path / "all.nq"
    _cli("export", "--store", str(curated), "--format", "nq", "-o", str(exported))
    loaded = tmp_path / "loaded"
    _cli("load", str(exported), "--store", str(loaded))
    own = curate.add(loaded, "distinct", _row("cjk", "c"), _row("cjk", "d"), "两个人", "王")
    before = CurationFile(loaded).path.read_bytes()
    other = tmp_path / "other"
    kg.build([_tables(tmp_path / "in", *_world())], other)
    curate.add(other, "same", _row("arabic", "f"), _row("arabic", "a"), "نفس", "علي")
    theirs = tmp_path / "theirs.nq"
    _cli("export", "--store", str(other), "--format", "nq", "-o", str(theirs))

    def broken(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(building, "identity_step", broken)
    with pytest.raises(KgError, match="No space left on device .the store is unchanged."):
        kg.load([theirs], loaded, add=True)
    assert CurationFile(loaded).path.read_bytes() == before
    monkeypatch.undo()
    kg.load([theirs], loaded, add=True)
    assert [(x["id"], x["why"], x["status"]) for x in _listed(loaded)][-2:] == [
        (own.correction.id, "两个人", "applied"), (own.correction.id + 1, "نفس", "applied")]


def test_the_list_shows_the_rows_ids_as_the_pages_do(curated: Path, tmp_path: Path) -> None:
    """A curator reads `γιώργος-a`, as the pages show it, not only `%CE%B3%CE%B9…` (the IRI follows)."""
    text = _cli("curate", "list", "--store", str(curated))
    for script, (_, stem) in NAMES.items():
        if script != "latin":  # its correction, #1, is undone
            assert f"same     applied  {stem}-a  {stem}-b\n     <{_row(script, 'a')}> <{_row(script, 'b')}>\n" in text
    copy = tmp_path / "copy"
    shutil.copytree(curated, copy, symlinks=True)
    made = CliRunner().invoke(main, ["curate", "distinct", "王伟-f", "王伟-a", "--why", "两个人", "--no-apply",
                                     "--store", str(copy)])
    assert made.exit_code == 0, made.stderr
    assert made.stdout.startswith("#8 distinct 王伟-a 王伟-f: recorded: ")
    assert f"\n     <{_row('cjk', 'a')}> <{_row('cjk', 'f')}>\n" in made.stdout


def test_a_correction_written_by_hand_as_a_blank_node_is_taken_in(curated: Path, tmp_path: Path) -> None:
    """Turtle a curator writes needs no IRI for the correction: it is taken in, numbered next."""
    hand = tmp_path / "hand.ttl"
    hand.write_text(f"""@prefix kg: <https://w3id.org/scholarly-kg/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
[] a kg:Curation ; kg:verdict "distinct" ; kg:comparedRow <{_row("cyrillic", "c")}>, <{_row("cyrillic", "e")}> ;
   dcterms:description "два человека" ; prov:generatedAtTime "2026-03-01T10:00:00Z" ;
   prov:wasAttributedTo [ <http://xmlns.com/foaf/0.1/name> "Ольга" ] .
""", encoding="utf-8")
    copy = tmp_path / "copy"
    shutil.copytree(curated, copy, symlinks=True)
    result = CliRunner().invoke(main, ["load", str(hand), "--store", str(copy), "--add"])
    assert result.exit_code == 0, result.stderr
    assert "1 corrections by hand taken in from the files (kg curate list): #8" in result.stderr
    (mine,) = [x for x in _listed(copy) if x["id"] == 8]
    assert (mine["verdict"], mine["by"], mine["why"], mine["status"]) == ("distinct", "Ольга", "два человека",
                                                                          "applied")


@pytest.mark.parametrize("theirs_first", [True, False])
def test_of_two_corrections_of_one_pair_the_one_made_last_stays(tmp_path: Path, theirs_first: bool) -> None:
    """One made here and one taken in about the same two rows: the later one wins, whatever its id."""
    rows = (_row("arabic", "a"), _row("arabic", "b"))
    early, late = "2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z"
    ours = Correction(1, "distinct", rows, "شخصان", "فاطمة", late if theirs_first else early)
    theirs = Correction(1, "same", rows, "شخص واحد", "علي", early if theirs_first else late)
    every, changed = taken_in([ours], [theirs])
    (active,) = [c for c in every if c.active]
    assert active.why == ("شخصان" if theirs_first else "شخص واحد") and [c.id for c in every] == [1, 2]
    (older,) = [c for c in every if not c.active]
    assert older.undone == {"by": active.by, "at": late, "superseded_by": active.id}
    assert changed == ([2] if theirs_first else [1, 2])  # ours marked superseded when theirs is the later
