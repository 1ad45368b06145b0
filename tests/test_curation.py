"""Corrections by hand (kg.identity.curation, kg.curate, `kg curate`, /api/curations): kept beside
the store, applied by every build, winning over the computed verdicts, reported when they cannot be
applied; names in every script."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from itertools import combinations
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner
from conftest import write_csv_tables
from hypothesis import given, settings
from hypothesis import strategies as st

import kg
from kg import curate
from kg.backend.embedded import EmbeddedBackend
from kg.cli import main
from kg.cluster import cluster
from kg.errors import KgError
from kg.identity.curation import Correction, CurationError, CurationFile, Hand
from kg.identity.evidence import DISTINCT, SAME, Pair
from kg.identity.facts import row_label
from kg.identity.grouping import Group, partition
from kg.store import StoreDir

BASE = "http://localhost:7878/"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"

# one name cluster per script; ids in the same script (the IRIs' last segments)
NAMES = {
    "latin": ("Zoë Ünal", "zoë-ünal"),
    "greek": ("Γιώργος Παπαδόπουλος", "γιώργος"),
    "cyrillic": ("Иван Петров", "иван"),
    "cjk": ("王伟", "王伟"),
    "arabic": ("محمد علي", "محمد"),
}


def _tables(folder: Path, authors: list[tuple[str, str]], papers: dict[str, tuple[int, str, list[str]]]) -> Path:
    """Rows tables: authors (id, name); papers id -> (year, venue, [author ids in order])."""
    folder.mkdir(parents=True, exist_ok=True)
    venues = sorted({v for _, v, _ in papers.values()})
    tables = {
        "venues.csv": (["id", "name", "kind"], [[v, v.upper(), "conference"] for v in venues]),
        "papers.csv": (["id", "title", "year", "venue_id"], [[p, f"On {p}", y, v] for p, (y, v, _) in papers.items()]),
        "authors.csv": (["id", "name"], [list(a) for a in authors]),
        "authorships.csv": (["paper_id", "author_id", "position"],
                            [[p, a, i] for p, (_, _, ids) in papers.items() for i, a in enumerate(ids, 1)]),
    }
    return write_csv_tables(folder, tables)


def _world(extra_paper: bool = False, drop: str | None = None,
           many: int = 0) -> tuple[list[tuple[str, str]], dict]:  # type: ignore[type-arg]
    """Per script: rows -a and -b with nothing in common (computed apart); rows -c and -d sharing two
    co-authors (computed one person); row -e sharing those co-authors with -d; rows -f and -g on one
    paper. `extra_paper`: one more paper (a changed input); `drop`: a row id left out; `many`: so many
    more papers of Latin -a (a cluster big enough for the build to precompute its page)."""
    authors: list[tuple[str, str]] = []
    papers: dict[str, tuple[int, str, list[str]]] = {}
    for script, (name, stem) in NAMES.items():
        rows = {x: f"{stem}-{x}" for x in "abcdefg"}
        authors += [(rid, name) for rid in rows.values()]
        mates = [f"{script}-m{i}" for i in range(4)]
        authors += [(m, f"Mate {m}") for m in mates]
        papers[f"{script}-p1"] = (2001, f"v{script}1", [rows["a"], f"{script}-m0"])
        papers[f"{script}-p2"] = (2019, f"v{script}2", [rows["b"], f"{script}-m1"])
        papers[f"{script}-p3"] = (2015, "common", [rows["c"], mates[2], mates[3]])
        papers[f"{script}-p4"] = (2016, "common", [rows["d"], mates[2], mates[3]])
        papers[f"{script}-p5"] = (2017, "common", [rows["e"], mates[2], mates[3]])
        papers[f"{script}-p6"] = (2018, "common", [rows["f"], rows["g"]])
    for k in range(many):
        papers[f"latin-many{k}"] = (2000 - k % 5, "vlatin1", [f"{NAMES['latin'][1]}-a"])
    if extra_paper:
        papers["latin-p7"] = (2020, "vlatin2", [f"{NAMES['latin'][1]}-b", "latin-m1"])
    if drop is not None:
        authors = [a for a in authors if a[0] != drop]
        papers = {p: (y, v, [a for a in ids if a != drop]) for p, (y, v, ids) in papers.items()}
        papers = {p: t for p, t in papers.items() if t[2]}
    return authors, papers


def _row(script: str, x: str) -> str:
    from kg.iris import segment

    return f"{BASE}author/{segment(NAMES[script][1] + '-' + x)}"


def _persons(store: Path, name: str) -> list[list[str]]:
    with EmbeddedBackend.open(store) as backend:
        c = cluster(backend, name, details=False)
    return sorted(sorted(p.rows) for p in c.persons)


def _together(store: Path, name: str, a: str, b: str) -> bool:
    return any(a in p and b in p for p in _persons(store, name))


def _evidence(store: Path, name: str) -> list[str]:
    with EmbeddedBackend.open(store) as backend:
        c = cluster(backend, name, details=False)
    return [e for p in c.persons for e in p.evidence]


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    inputs = _tables(tmp_path / "in", *_world())
    store = tmp_path / "store"
    kg.build([inputs], store)
    return inputs, store


@pytest.mark.parametrize("script", list(NAMES))
def test_same_joins_rows_apart_and_distinct_splits_rows_joined(world: tuple[Path, Path], script: str) -> None:
    _, store = world
    name = NAMES[script][0]
    a, b, c, d = (_row(script, x) for x in "abcd")
    assert not _together(store, name, a, b) and _together(store, name, c, d)  # what the evidence says alone
    who, why = f"{name} (curator)", f"homepage of {name}"
    curate.add(store, "same", NAMES[script][1] + "-a", b, why, who)
    curate.add(store, "distinct", c, NAMES[script][1] + "-d", why, who)
    assert _together(store, name, a, b)
    assert not _together(store, name, c, d)
    said = [e for e in _evidence(store, name) if e.startswith("corrected by hand")]
    assert any("are one person" in e and who in e and why in e for e in said)
    assert any("are two people" in e and who in e and why in e for e in said)


def test_distinct_holds_through_a_third_row(world: tuple[Path, Path]) -> None:
    _, store = world
    name = NAMES["latin"][0]
    c, d, e = (_row("latin", x) for x in "cde")
    assert _together(store, name, c, e)  # c, d and e: one person through shared co-authors
    curate.add(store, "distinct", c, e, "two different people at one lab", "Ann")
    persons = _persons(store, name)
    assert not _together(store, name, c, e)
    assert sum(1 for p in persons if d in p and (c in p or e in p)) == 1  # d joins one of them, not both


def test_newer_correction_wins_and_one_paper_is_a_conflict(world: tuple[Path, Path]) -> None:
    _, store = world
    name = NAMES["latin"][0]
    a, b, c, f, g = (_row("latin", x) for x in "abcfg")
    conflict = curate.add(store, "same", f, g, "looks alike", "Ann")  # both authors of one paper
    assert conflict.to_json()["status"] == "conflict" and "one paper" in conflict.to_json()["note"]
    assert not _together(store, name, f, g)
    curate.add(store, "same", a, b, "one person", "Ann")
    curate.add(store, "same", b, c, "one person", "Ann")
    newest = curate.add(store, "distinct", a, c, "no: two people", "Bob")  # contradicts the two older ones
    assert newest.to_json()["status"] == "applied"
    assert not _together(store, name, a, c)
    listed = {x.correction.id: x for x in curate.listing(store)}
    assert listed[conflict.correction.id].status == "conflict"
    assert sum(1 for x in listed.values() if x.status == "conflict") == 2  # f/g, and one of a-b, b-c


def test_corrections_survive_rebuilds_and_a_vanished_row_is_reported(tmp_path: Path) -> None:
    inputs = _tables(tmp_path / "in", *_world())
    store = tmp_path / "store"
    kg.build([inputs], store)
    name = NAMES["greek"][0]
    a, b = _row("greek", "a"), _row("greek", "b")
    curate.add(store, "same", a, b, "ίδιο πρόσωπο", "Ελένη")
    kg.build([inputs], store)  # the same inputs again: a new generation
    assert _together(store, name, a, b)
    changed = _tables(tmp_path / "in2", *_world(extra_paper=True))
    kg.build([changed], store)  # changed inputs
    assert _together(store, name, a, b)
    kg.build([changed], store, add=True)  # an update of the store
    assert _together(store, name, a, b)
    extra = tmp_path / "extra.nt"
    extra.write_text(f"<{BASE}paper/extra> <{BASE}x> \"y\" .\n", encoding="utf-8")
    kg.load([extra], store, add=True)  # RDF added to it: the identity step runs again
    assert _together(store, name, a, b)
    meta = StoreDir(store).meta()
    assert meta["curations"]["applied"] == 1 and meta["identity"]["clusters"] > 0

    gone = _tables(tmp_path / "in3", *_world(drop=NAMES["greek"][1] + "-b"))
    result = CliRunner().invoke(main, ["build", str(gone), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "correction #1" in result.stderr and "vanished" in result.stderr and "γιώργος-b" in result.stderr
    meta = StoreDir(store).meta()["curations"]
    assert meta["vanished"] == 1 and meta["not_applied"][0]["id"] == 1
    listed = CliRunner().invoke(main, ["curate", "list", "--store", str(store)])
    assert listed.exit_code == 0 and "VANISHED" in listed.output and "ίδιο πρόσωπο" in listed.output
    assert len(CurationFile(store).active()) == 1  # kept, not dropped
    kg.build([inputs], store)  # the row is back: applied again
    assert _together(store, name, a, b)


@pytest.mark.parametrize("script", list(NAMES))
def test_rows_named_as_the_pages_show_them_in_every_script(world: tuple[Path, Path], script: str) -> None:
    _, store = world
    stem = NAMES[script][1]
    a, b = _row(script, "a"), _row(script, "b")
    for shown in (a, f"{stem}-a", f"author/{stem}-a", f"/author/{stem}-a", unicodedata.normalize("NFD", f"{stem}-a"),
                  f"{BASE}author/{stem}-a", unicodedata.normalize("NFD", f"{BASE}author/{stem}-a")):
        assert curate.check(store, "same", shown, b) == (a, b)


@pytest.mark.parametrize("script", list(NAMES))
def test_rows_named_by_the_pages_links_percent_encoded(world: tuple[Path, Path], script: str) -> None:
    """The pages link a row as /author/ + its id percent-encoded, as the browser's address bar shows
    it too; `kg identity` prints <IRI>. Each names the row, as the full IRI in that form does."""
    _, store = world
    stem = NAMES[script][1]
    a, b = _row(script, "a"), _row(script, "b")
    encoded = quote(f"{stem}-a", safe="")
    nfd = quote(unicodedata.normalize("NFD", f"{stem}-a"), safe="")
    for shown in (f"author/{encoded}", f"/author/{encoded}", encoded, f"author/{nfd}", f"<{a}>"):
        assert curate.check(store, "same", shown, b) == (a, b), shown


def test_an_id_of_reserved_characters_is_named_every_way_the_pages_show_it(tmp_path: Path) -> None:
    odd, literal = "o'brien/#?&+<x> 😀 ‏Ｆ", "50%41"  # the second a percent sign in an id, not an escape
    inputs = _tables(tmp_path / "in", [(odd, "Ana Ödd"), (literal, "Ana Ödd"), ("50A", "Ana Ödd")],
                     {"p1": (2001, "v", [odd]), "p2": (2002, "v", [literal]), "p3": (2003, "v", ["50A"])})
    store = tmp_path / "store"
    kg.build([inputs], store)
    row = f"{BASE}author/{quote(odd, safe='')}"
    for shown in (odd, f"author/{quote(odd, safe='')}", f"/author/{quote(odd, safe='')}", row, f"<{row}>"):
        assert curate.check(store, "same", shown, "50A")[0] == row, shown
    pct = f"{BASE}author/50%2541"
    for shown in (literal, "author/50%2541", pct):  # the id as written wins over its reading as an escape
        assert curate.check(store, "same", shown, odd)[0] == pct, shown
    result = CliRunner().invoke(main, ["curate", "same", f"author/{quote(odd, safe='')}", "50A", "--why", "x",
                                       "--no-apply", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert CurationFile(store).read()[0].rows == (f"{BASE}author/50A", row)


def test_a_why_in_lines_of_any_ending_is_kept_and_listed_under_its_correction(world: tuple[Path, Path]) -> None:
    """A why read from a Windows file or sent by a browser's form ends its lines with \\r\\n: they are
    line breaks, not control characters; the one who corrects is named on one line."""
    _, store = world
    a, b = _row("greek", "a"), _row("greek", "b")
    why = "Ίδιο πρόσωπο:\r\n«ίδια διεύθυνση» 'x' \"y\" <b>\rτέλος"
    runner = CliRunner()
    one_line = runner.invoke(main, ["curate", "same", a, b, "--why", "x", "--by", "Ἀθηνᾶ\nΚ.", "--store", str(store)])
    assert one_line.exit_code == 1 and "kg: error: --by: one line" in one_line.stderr
    made = runner.invoke(main, ["curate", "same", a, b, "--why", why, "--by", "Ἀθηνᾶ", "--store", str(store)])
    assert made.exit_code == 0, made.output
    assert CurationFile(store).read()[0].why == "Ίδιο πρόσωπο:\n«ίδια διεύθυνση» 'x' \"y\" <b>\nτέλος"
    listed = runner.invoke(main, ["curate", "list", "--store", str(store)])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].startswith("#1 ") and all(line.startswith("     ") for line in lines[1:]), listed.output
    assert "τέλος" in lines[-1]
    shown = runner.invoke(main, ["identity", NAMES["greek"][0], "--store", str(store)]).output
    assert shown.count("τέλος") == 2  # the person's evidence and the pair's reasons, each line indented
    assert all(line.startswith(" ") for line in shown.splitlines() if "τέλος" in line or "«ίδια" in line)


def test_bad_input_names_the_parameter(world: tuple[Path, Path]) -> None:
    _, store = world
    a, b = _row("latin", "a"), _row("latin", "b")
    with pytest.raises(CurationError, match=r"^A: no author row 'nobody'"):
        curate.add(store, "same", "nobody", b, "why", "me")
    with pytest.raises(CurationError, match=r"^B: no author row <http://localhost:7878/author/ghost>"):
        curate.add(store, "same", a, BASE + "author/ghost", "why", "me")
    with pytest.raises(CurationError, match=r"^B: names the same row as A"):
        curate.add(store, "same", a, "zoë-ünal-a", "why", "me")
    with pytest.raises(CurationError, match=r"^--why: required"):
        curate.add(store, "same", a, b, "  ", "me")
    with pytest.raises(CurationError, match=r"^ID: no correction #7"):
        curate.undo(store, "7", "me")
    with pytest.raises(KgError, match="no such store"):
        curate.add(store.parent / "nowhere", "same", a, b, "why", "me")
    assert CurationFile(store).read() == []
    runner = CliRunner()
    missing = runner.invoke(main, ["curate", "same", a, b, "--store", str(store)])
    assert missing.exit_code == 2 and "--why" in missing.stderr
    unknown = runner.invoke(main, ["curate", "distinct", "nobody", b, "--store", str(store), "--why", "x"])
    assert unknown.exit_code == 1 and "kg: error: A: no author row 'nobody'" in unknown.stderr


def test_the_list_says_what_the_store_has_applied_not_what_was_recorded_since(world: tuple[Path, Path]) -> None:
    """After a build that applied corrections, one recorded with --no-apply is 'not applied yet'
    (the pages do not show it) until a build or `kg curate apply`; one undone so is still in the
    store until then, and the list says so."""
    _, store = world
    name = NAMES["cyrillic"][0]
    a, b = _row("cyrillic", "a"), _row("cyrillic", "b")
    c, d = _row("cyrillic", "c"), _row("cyrillic", "d")
    curate.add(store, "same", a, b, why="одно лицо", by="Ольга")  # applied: build.json lists it
    runner = CliRunner()
    later = runner.invoke(main, ["curate", "distinct", c, d, "--why", "два лица", "--by", "Ольга", "--no-apply",
                                 "--store", str(store)])
    assert later.exit_code == 0 and "not applied" not in later.output and "recorded: recorded" not in later.output
    assert _together(store, name, c, d)  # computed one person; the correction waits
    assert [(x.correction.id, x.status) for x in curate.listing(store)] == [(1, "applied"), (2, "not applied yet")]
    listed = runner.invoke(main, ["curate", "list", "--store", str(store)]).output
    assert "#2  distinct NOT APPLIED YET" in listed
    curate.undo(store, "1", by="Ольга", apply_now=False)
    assert _together(store, name, a, b)
    undone = next(x for x in curate.listing(store, every=True) if x.correction.id == 1)
    assert undone.status == "undone" and "still applied until the next build" in undone.note
    runner.invoke(main, ["curate", "apply", "--store", str(store)])
    assert [(x.correction.id, x.status) for x in curate.listing(store, every=True)] == [(1, "undone"), (2, "applied")]
    assert "still" not in curate.listing(store, every=True)[0].note
    assert not _together(store, name, c, d) and not _together(store, name, a, b)


def test_cli_same_list_undo_export(world: tuple[Path, Path]) -> None:
    _, store = world
    name = NAMES["arabic"][0]
    a, b = _row("arabic", "a"), _row("arabic", "b")
    runner = CliRunner()
    done = runner.invoke(main, ["curate", "same", "محمد-a", "محمد-b", "--store", str(store),
                                "--why", "نفس الشخص", "--by", "فاطمة", "--format", "json"])
    assert done.exit_code == 0, done.output
    made = json.loads(done.output)
    assert made["status"] == "applied" and made["rows"] == [a, b] and made["by"] == "فاطمة"
    assert _together(store, name, a, b)
    listed = json.loads(runner.invoke(main, ["curate", "list", "--store", str(store), "--format", "json"]).output)
    assert [(x["id"], x["status"], x["why"]) for x in listed] == [(1, "applied", "نفس الشخص")]
    undone = runner.invoke(main, ["curate", "undo", "1", "--store", str(store), "--by", "فاطمة"])
    assert undone.exit_code == 0, undone.output
    assert not _together(store, name, a, b)
    assert json.loads(runner.invoke(main, ["curate", "list", "--store", str(store), "--format", "json"]).output) == []
    every = json.loads(runner.invoke(main, ["curate", "list", "--all", "--store", str(store),
                                            "--format", "json"]).output)
    assert every[0]["status"] == "undone" and every[0]["undone"]["by"] == "فاطمة"

    exported = runner.invoke(main, ["curate", "export", "--store", str(store)])
    assert exported.exit_code == 0
    graph = ox.Store()
    graph.load(exported.stdout.encode(), format=ox.RdfFormat.TURTLE)
    node = ox.NamedNode(BASE + "curation/1")
    (why,) = [q.object.value for q in graph.quads_for_pattern(node, ox.NamedNode(DCTERMS + "description"), None)]
    (when,) = [q.object for q in graph.quads_for_pattern(node, ox.NamedNode(PROV + "generatedAtTime"), None)]
    (agent,) = [q.object for q in graph.quads_for_pattern(node, ox.NamedNode(PROV + "wasAttributedTo"), None)]
    (who,) = [q.object.value for q in graph.quads_for_pattern(agent, ox.NamedNode("http://xmlns.com/foaf/0.1/name"),
                                                              None)]
    assert (why, who) == ("نفس الشخص", "فاطمة") and isinstance(when, ox.Literal)
    assert when.datatype == ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
    assert list(graph.quads_for_pattern(node, ox.NamedNode(PROV + "invalidatedAtTime"), None))


def test_applied_corrections_are_in_the_identity_graph(world: tuple[Path, Path]) -> None:
    _, store = world
    a, b = _row("cjk", "a"), _row("cjk", "b")
    curate.add(store, "same", a, b, "同一人", "李")
    db = StoreDir(store).open()
    ask = """PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
             PREFIX prov: <http://www.w3.org/ns/prov#>
             PREFIX dcterms: <http://purl.org/dc/terms/>
             ASK { GRAPH <http://localhost:7878/graph/identity> {
               ?c a kg:Curation ; kg:comparedRow ?a, ?b ; kg:verdict "same" ; kg:curationStatus "applied" ;
                  dcterms:description "同一人" ; prov:generatedAtTime ?t ; prov:wasAttributedTo ?who . } }"""
    assert db.query(ask, substitutions={ox.Variable("a"): ox.NamedNode(a), ox.Variable("b"): ox.NamedNode(b)})


@pytest.mark.parametrize(("field", "value", "said"), [
    ("verdict", "Distinct", "verdict must be same or distinct, not 'Distinct'"),
    ("verdict", "maybe", "verdict must be same or distinct"),
    ("rows", ["http://localhost:7878/author/x"], "rows must be two row IRIs"),
    ("id", "1", "id must be a positive whole number"),
])
def test_a_hand_edited_file_with_a_correction_kg_cannot_read_stops_the_build(
        world: tuple[Path, Path], field: str, value: object, said: str) -> None:
    """The file is data a curator may edit; a verdict kg does not know was applied as a `same`
    (or shown as 'two people'): now the build stops with the file and the correction named,
    and the store keeps its generation."""
    inputs, store = world
    a, b = _row("greek", "a"), _row("greek", "b")
    curate.add(store, "distinct", a, b, why="δύο άτομα", by="Άννα")
    path = store / "curations.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["corrections"][0][field] = value
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    active = StoreDir(store).require()
    result = CliRunner().invoke(main, ["build", str(inputs), "--store", str(store)])
    assert result.exit_code == 1 and f"{path}: unreadable corrections file" in result.stderr and said in result.stderr
    assert StoreDir(store).require() == active
    listed = CliRunner().invoke(main, ["curate", "list", "--store", str(store)])
    assert listed.exit_code == 1 and said in listed.stderr


@pytest.mark.parametrize(("field", "value", "said"), [
    ("why", None, "why must be text, not None"),
    ("by", 7, "by must be text, not 7"),
    ("at", 12, "at must be a time as YYYY-MM-DDTHH:MM:SSZ, not 12"),
    ("at", "yesterday", "at must be a time"),
    ("undone", {"by": "Άννα"}, "undone must be null or an object with by, at"),
    ("undone", {"by": "Άννα", "at": "2026-01-02T00:00:00Z", "superseded_by": "2"}, "undone must be null"),
])
def test_a_hand_edited_why_who_or_when_that_is_not_one_is_refused(
        tmp_path: Path, field: str, value: object, said: str) -> None:
    """A why of null was applied as the why 'None', a time of 12 written as "12"^^xsd:dateTime."""
    made = {"id": 1, "verdict": "same", "rows": [_row("greek", "a"), _row("greek", "b")], "why": "ίδιο",
            "by": "Άννα", "at": "2026-01-01T00:00:00Z", "undone": None}
    (tmp_path / "curations.json").write_text(json.dumps({"format": 1, "corrections": [{**made, field: value}]}),
                                             encoding="utf-8")
    with pytest.raises(KgError, match=f"unreadable corrections file: correction #1: {said}"):
        CurationFile(tmp_path).read()


def test_the_file_survives_and_is_rewritten_whole(world: tuple[Path, Path]) -> None:
    _, store = world
    a, b = _row("latin", "a"), _row("latin", "b")
    curate.add(store, "same", a, b, "first", "Ann", apply_now=False)
    curate.add(store, "distinct", a, b, "second thoughts", "Ann", apply_now=False)  # supersedes the first
    data = json.loads((store / "curations.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in data["corrections"]] == [1, 2]
    assert data["corrections"][0]["undone"]["superseded_by"] == 2
    assert [x.status for x in curate.listing(store)] == ["not applied yet"]
    assert not list(store.glob(".curations-*"))  # no temporary file left behind
    curate.apply(store)
    assert [x.status for x in curate.listing(store)] == ["applied"]


def test_a_big_precomputed_cluster_shows_the_correction(tmp_path: Path) -> None:
    from kg.cluster_order import BIG
    from kg.cluster_page import cluster_page

    store = tmp_path / "store"
    kg.build([_tables(tmp_path / "in", *_world(many=BIG + 5))], store)
    name, a, b = NAMES["latin"][0], _row("latin", "a"), _row("latin", "b")
    with EmbeddedBackend.open(store) as backend:
        page = cluster_page(backend, name)
        assert page.paper_count > BIG and not any(a in p.rows and b in p.rows for p in page.whole.persons())
    curate.add(store, "same", a, b, "one person", "Ann")
    with EmbeddedBackend.open(store) as backend:
        page = cluster_page(backend, name)
        (joined,) = [p for p in page.whole.persons() if a in p.rows]
        assert b in joined.rows and any(e.startswith("corrected by hand") for e in joined.evidence)
        assert "corrected by hand" in page.json_bytes().decode("utf-8")


def test_a_store_held_by_another_build_gets_the_correction_later(world: tuple[Path, Path]) -> None:
    import fcntl

    _, store = world
    name, a, b = NAMES["latin"][0], _row("latin", "a"), _row("latin", "b")
    with open(store / ".lock", "w") as lock:  # what a build holds while it writes
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = curate.add(store, "same", a, b, "one person", "Ann", wait=0.3)
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert done.to_json()["status"] == "recorded" and "another build is writing" in done.to_json()["note"]
    assert [x.status for x in curate.listing(store)] == ["not applied yet"] and not _together(store, name, a, b)
    curate.apply(store)
    assert _together(store, name, a, b)


# -- the page and the API, on a real `kg serve`

def test_names_in_every_script_reach_the_routes_of_a_real_server(world: tuple[Path, Path], tmp_path: Path) -> None:
    """The HTTP front decodes the path's percent-encodings as UTF-8 (it once read them as Latin-1)."""
    from server_fixtures import running

    _, store = world
    with running(store, log=tmp_path / "serve.log") as server:
        for script, (name, _) in NAMES.items():
            for form in ("NFC", "NFD"):
                given = unicodedata.normalize(form, name)
                data = requests.get(f"{server.url}/api/clusters/{quote(given)}", timeout=30).json()
                assert len(data["rows"]) == 7 and data["rows"][0]["name"] == name, (script, form)


def test_page_and_json_say_corrected_by_hand(world: tuple[Path, Path], tmp_path: Path) -> None:
    from server_fixtures import running

    _, store = world
    name = NAMES["cyrillic"][0]
    a, b = _row("cyrillic", "a"), _row("cyrillic", "b")
    curate.add(store, "same", a, b, "один человек <b>точно</b>", "Мария")
    with running(store, log=tmp_path / "serve.log") as server:
        data = requests.get(f"{server.url}/api/clusters/{quote(name)}", params={"pairs": "true"}, timeout=30).json()
        (joined,) = [p for p in data["persons"] if a in p["rows"]]
        assert b in joined["rows"]
        assert any(e.startswith("corrected by hand") and "Мария" in e and "один человек" in e
                   for e in joined["evidence"])
        (pair,) = [v for v in data["pairs"] if v["rows"] == [a, b]]
        assert pair["verdict"] == "same" and pair["reasons"][0].startswith("corrected by hand")
        page = requests.get(f"{server.url}/clusters/{quote(name)}", headers={"Accept": "text/html"}, timeout=30).text
        assert '<li class="hand">corrected by hand' in page and "Мария" in page and "один человек" in page
        assert "&lt;b&gt;точно&lt;/b&gt;" in page and "<b>точно" not in page  # a curator's words stay text


@pytest.mark.parametrize("token", ["sëkrit", "ключ令牌", " padded"])
def test_a_token_no_client_can_send_is_refused_when_serving(world: tuple[Path, Path], token: str) -> None:
    """A header carries ASCII: a server given 'sëkrit' answered every client, curl's UTF-8 bytes
    and requests' Latin-1 alike, 'wrong update token'. (Served, it would run until the timeout.)"""
    _, store = world
    refused = subprocess.run([sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", "0",
                              "--update-token", token], capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2 and "--update-token: visible ASCII" in refused.stderr


def test_api_needs_the_token_and_changes_the_store(world: tuple[Path, Path], tmp_path: Path) -> None:
    from server_fixtures import running

    _, store = world
    name = NAMES["latin"][0]
    a, b = _row("latin", "a"), _row("latin", "b")
    body = {"verdict": "same", "a": "zoë-ünal-a", "b": b, "why": "même personne", "by": "Zoë"}
    with running(store, log=tmp_path / "ro.log") as server:  # updates off
        r = requests.post(f"{server.url}/api/curations", json=body, timeout=30)
        assert r.status_code == 403 and "disabled" in r.json()["error"]
    with running(store, "--update-token", "s3cret", log=tmp_path / "rw.log") as server:
        url = f"{server.url}/api/curations"
        no = requests.post(url, json=body, timeout=30)
        assert no.status_code == 401 and no.headers["www-authenticate"].startswith("Bearer")
        wrong = requests.post(url, json=body, headers={"Authorization": "Bearer nope"}, timeout=30)
        assert wrong.status_code == 403
        assert requests.get(url, timeout=30).json() == {"curations": []}
        token = {"Authorization": "Bearer s3cret"}
        bad = requests.post(url, json={**body, "why": ""}, headers=token, timeout=30)
        assert bad.status_code == 400 and bad.json()["param"] == "why" and bad.json()["error"].startswith("why:")
        bad = requests.post(url, json={**body, "by": "Zoë\nÜnal"}, headers=token, timeout=30)
        assert bad.status_code == 400 and bad.json()["param"] == "by"
        bad = requests.post(url, json={**body, "b": "nobody"}, headers=token, timeout=30)
        assert bad.status_code == 400 and bad.json()["param"] == "b"
        for field in ("a", "why", "by"):  # JSON's escape of a lone surrogate: not text (it was a 500)
            bad = requests.post(url, data=json.dumps({**body, field: "J\udcfcrgen"}), timeout=30,
                                headers={**token, "Content-Type": "application/json"})
            assert bad.status_code == 400 and bad.json() == {
                "error": f"{field}: not valid Unicode text (a lone surrogate)", "param": field}
        bad = requests.post(url, json={**body, "b": "zoë-ünal-bb"}, headers=token, timeout=30)  # a letter too many
        assert bad.status_code == 400 and bad.json()["param"] == "b"
        assert bad.json()["error"].startswith("b: no author row 'zoë-ünal-bb'") and "close ids: 'zoë-ünal-b'" \
            in bad.json()["error"]
        bad = requests.post(url, json={**body, "b": body["a"]}, headers=token, timeout=30)
        assert bad.status_code == 400 and "same row" in bad.json()["error"]
        bad = requests.post(url, data="verdict=same", headers={**token, "Content-Type": "text/plain"}, timeout=30)
        assert bad.status_code == 415

        # the row as the browser's address bar shows its page on this server (not the store's base)
        made = requests.post(url, json={**body, "a": f"{server.url}/author/{quote('zoë-ünal-a')}"}, headers=token,
                             timeout=60)
        assert made.status_code == 201, made.text
        assert made.json()["rows"] == [a, b]
        assert made.json()["status"] == "applied" and made.headers["location"] == "/api/curations/1"
        located = requests.get(server.url + made.headers["location"], timeout=30)  # where Location points
        assert located.status_code == 200 and located.json() == {**made.json(), "note": ""}
        assert requests.get(f"{url}/9", timeout=30).status_code == 404
        assert requests.get(f"{url}/x", timeout=30).json()["param"] == "id"
        cluster_url = f"{server.url}/api/clusters/{quote(name)}"
        persons = requests.get(cluster_url, timeout=30).json()["persons"]
        assert any(a in p["rows"] and b in p["rows"] for p in persons)
        listed = requests.get(url, timeout=30).json()["curations"]
        assert [(c["id"], c["by"], c["why"], c["status"]) for c in listed] == [(1, "Zoë", "même personne", "applied")]
        for browser in ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"):
            seen = requests.get(url, headers={"Accept": browser}, timeout=30)  # JSON, not RDF/XML to save
            assert seen.headers["content-type"].startswith("application/json") and seen.json()["curations"]
        turtle = requests.get(url, headers={"Accept": "text/turtle"}, timeout=30)
        assert turtle.headers["content-type"].startswith("text/turtle")
        ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)

        assert requests.delete(f"{url}/1", params={"by": "Zoë"}, timeout=30).status_code == 401
        assert requests.delete(f"{url}/1", headers=token, timeout=30).json()["param"] == "by"
        missing = requests.delete(f"{url}/9", params={"by": "Zoë"}, headers=token, timeout=30)
        assert missing.status_code == 404 and missing.json()["param"] == "id"
        assert str(store) not in missing.text  # the server's own paths are not the client's business
        gone = requests.delete(f"{url}/1", params={"by": "Zoë"}, headers=token, timeout=60)
        assert gone.status_code == 200 and gone.json()["undone"]["by"] == "Zoë" and gone.json()["status"] == "undone"
        assert requests.get(f"{url}/1", timeout=30).json()["status"] == "undone"
        persons = requests.get(cluster_url, timeout=30).json()["persons"]
        assert not any(a in p["rows"] and b in p["rows"] for p in persons)


# -- the grouping with corrections, on generated clusters

ROWS = [f"{BASE}author/r{i}" for i in range(7)]


@st.composite
def _clusters(draw: st.DrawFn) -> tuple[list[Pair], list[tuple[str, int, int]], set[frozenset[int]]]:
    """Computed verdicts of a 7-row cluster, corrections (verdict, row, row) oldest first, and the
    pairs of rows that share a paper."""
    pairs = []
    for i, j in combinations(range(len(ROWS)), 2):
        verdict = draw(st.sampled_from([SAME, DISTINCT, "unsure", None]))
        if verdict is not None:
            pairs.append(Pair(ROWS[i], ROWS[j], draw(st.floats(-5, 5)), verdict, ["computed"]))
    made = draw(st.lists(st.tuples(st.sampled_from([SAME, DISTINCT]), st.integers(0, 6), st.integers(0, 6))
                         .filter(lambda t: t[1] != t[2]), max_size=6))
    papers = draw(st.sets(st.frozensets(st.integers(0, 6), min_size=2, max_size=2), max_size=2))
    return pairs, made, papers


def _hand(made: list[tuple[str, int, int]], papers: set[frozenset[int]]) -> Hand:
    corrections = [Correction(k, v, (min(ROWS[i], ROWS[j]), max(ROWS[i], ROWS[j])), "why", "who",
                              f"2026-01-01T00:00:{k:02d}Z") for k, (v, i, j) in enumerate(made, 1)]
    shared = {r: {n for n, pair in enumerate(sorted(papers, key=sorted)) if r in pair} for r in range(len(ROWS))}
    return Hand(corrections, lambda iri: int(iri.rsplit("r", 1)[1]) if iri in ROWS else None, lambda r: 0,
                lambda r: shared[r])


@settings(max_examples=300, deadline=None)
@given(_clusters())
def test_corrections_win_and_without_them_the_grouping_is_the_computed_one(
        case: tuple[list[Pair], list[tuple[str, int, int]], set[frozenset[int]]]) -> None:
    pairs, made, papers = case
    known = {(p.a, p.b): p for p in pairs}

    def verdict(a: str, b: str) -> Pair:
        return known.get((min(a, b), max(a, b))) or Pair(min(a, b), max(a, b), 0.0, "unsure", [])

    plain = partition(ROWS, pairs, verdict, row_label)
    assert _groups(_hand([], papers).partition(ROWS, pairs, verdict, row_label)) == _groups(plain)
    hand = _hand(made, papers)
    groups = hand.partition(ROWS, pairs, verdict, row_label)
    group_of = {r: k for k, g in enumerate(groups) for r in g.rows}
    assert sorted(group_of) == sorted(ROWS)  # every row in exactly one group
    assert sum(len(g.rows) for g in groups) == len(ROWS)
    outcomes = {o.correction.id: o for o in hand.report()}
    for c in hand.corrections:
        a, b = c.rows
        o = outcomes[c.id]
        if o.status == "applied":
            assert (group_of[a] == group_of[b]) == (c.verdict == SAME), (c, groups)
            assert any(c.words() in e for g in groups if a in g.rows for e in g.evidence)
        else:
            assert o.status == "conflict" and o.note
        if c.verdict == SAME and frozenset((int(a[-1]), int(b[-1]))) in papers:
            assert o.status == "conflict"  # one paper: never joined by hand
    if hand.corrections:  # the newest is applied, unless it joins two rows of one paper
        newest = hand.corrections[-1]
        on_one_paper = frozenset(int(r[-1]) for r in newest.rows) in papers
        assert (outcomes[newest.id].status == "applied") == (newest.verdict == DISTINCT or not on_one_paper)


def _groups(groups: list[Group]) -> list[list[str]]:
    return sorted(sorted(g.rows) for g in groups)
