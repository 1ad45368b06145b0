"""Crossref `work` and `work-list` messages."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from click.testing import CliRunner
from conftest import DATA, shared

import kg
from kg import sources
from kg.cli import main
from kg.records import Author, Authorship, Paper, Venue
from kg.store import StoreDir

WORK = DATA / "crossref" / "work.json"


def read(path: Path) -> list:  # type: ignore[type-arg]
    return [located.item for located in sources.read(path, "crossref")]


def test_work_message() -> None:
    items = read(WORK)
    paper = next(i for i in items if isinstance(i, Paper))
    assert (paper.id, paper.doi, paper.year, paper.type) == (
        "crossref:10.5555/neurips.2021.7", "10.5555/neurips.2021.7", 2021, "proceedings-article")
    assert paper.abstract == "We fit scaling laws & more."
    venue = next(i for i in items if isinstance(i, Venue))
    assert venue.name == "Advances in Neural Information Processing Systems" and venue.kind == "conference"
    ships = [(s.position, s.author_id, s.name_as_printed) for s in items if isinstance(s, Authorship)]
    assert ships == [(1, "crossref:10.5555/neurips.2021.7/1", "Bin Li"),
                     (2, "crossref:orcid/0000-0001-5109-3700", "André Straße")]
    assert sources.detect(WORK) == "crossref"


def test_other_message_types_are_rejected_with_the_file(tmp_path: Path) -> None:
    other = tmp_path / "members.json"
    other.write_text(json.dumps({"status": "ok", "message-type": "member-list", "message": {}}), encoding="utf-8")
    [located] = list(sources.read(other, "crossref"))
    assert located.file == str(other) and "member-list" in str(located.item)


def test_recorded_work_list_and_work(tmp_path: Path) -> None:
    worklist = read(shared("data", "crossref", "fmuro_crossref_worklist.json"))
    assert sum(isinstance(i, Paper) for i in worklist) == 4
    assert sum(isinstance(i, Authorship) for i in worklist) == 6
    # Fernando Muro signs all four with his ORCID: one author row.
    assert sum(isinstance(i, Author) for i in worklist) == 3
    work = read(shared("data", "crossref", "giraffe_crossref_work.json"))
    assert sum(isinstance(i, Paper) for i in work) == 1
    assert sum(isinstance(i, Authorship) for i in work) == 5
    store = tmp_path / "store"
    report = kg.build([shared("data", "crossref")], store)
    assert report.rows_rejected == 0
    assert StoreDir(store).meta()["counts"]["papers"] == 5


def test_held_out_work_abstract_and_names_as_a_reader_reads_them(tmp_path: Path) -> None:
    """A JATS abstract's inline markup joined to its word ("CO2", was "CO 2"), a control character a space
    (a BEL was kept), an inline formula read as one ("x=1", was "x = 1 ."), "a < b and c > d" kept,
    the "Abstract" heading most publishers open with left out; an author's suffix kept ("Jr.", was
    dropped); names in Greek and in NFD as written."""
    work = {
        "DOI": "10.1002/(SICI)1097-4636(199706)35:4<429::AID-JBM5>3.0.CO;2-D", "type": "journal-article",
        "title": ["Ti<jats:sub>2</jats:sub>O in <jats:italic>vivo</jats:italic>"],
        "abstract": "<jats:title>Abstract</jats:title><jats:p>CO<jats:sub>2</jats:sub> levels rose\u0007 by "
                    "5<jats:sup>th</jats:sup> power.</jats:p><jats:p>If a &lt; b and c &gt; d, then "
                    "<jats:inline-formula><mml:math><mml:mi>x</mml:mi><mml:mo>=</mml:mo><mml:mn>1</mml:mn>"
                    "</mml:math></jats:inline-formula>.</jats:p>",
        "author": [{"given": "Guy L.", "family": "Steele", "suffix": "Jr.", "sequence": "first"},
                   {"given": " ", "family": None, "sequence": "additional"},  # a reject: no name
                   {"given": "Μαρία", "family": "Παπαδοπούλου", "sequence": "additional"},
                   {"given": "José", "family": "Garci\u0301a", "sequence": "additional"}],
        "issued": {"date-parts": [[1997]]},
    }
    path = tmp_path / "works.json"
    path.write_text(json.dumps({"status": "ok", "message-type": "work-list", "message": {"items": [work]}}),
                    encoding="utf-8")
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["build", str(path), "--store", str(store)])
    assert result.exit_code == 0, result.output
    db = StoreDir(store).open()
    [row] = db.query("""PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
        SELECT ?title ?abstract WHERE { ?p a kg:Paper ; kg:title ?title ; kg:abstract ?abstract }""",
                     use_default_graph_as_union=True)
    assert (row["title"].value, row["abstract"].value) == (
        "Ti2O in vivo", "CO2 levels rose by 5th power. If a < b and c > d, then x=1.")
    names = db.query("""PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
        SELECT ?n ?name WHERE { ?s kg:position ?n ; kg:nameAsPrinted ?name } ORDER BY ?n""",
                     use_default_graph_as_union=True)
    # the authors after the nameless one keep their place in the list (they were moved up one)
    assert [(int(r["n"].value), r["name"].value) for r in names] == [
        (1, "Guy L. Steele Jr."), (3, "Μαρία Παπαδοπούλου"), (4, "José Garci\u0301a")]


def test_recorded_abstracts_lose_only_their_abstract_heading() -> None:
    worklist = read(shared("data", "crossref", "fmuro_crossref_worklist.json"))
    abstracts = [i.abstract for i in worklist if isinstance(i, Paper) and i.abstract]
    assert abstracts[0].startswith("We give a necessary and sufficient condition")
    [work] = [i for i in read(shared("data", "crossref", "giraffe_crossref_work.json")) if isinstance(i, Paper)]
    assert work.abstract is not None and work.abstract.startswith("Object Chiari malformation Type I (CM-I)")


def test_a_subtitle_is_part_of_the_title_as_crossref_displays_it(tmp_path: Path) -> None:
    """`subtitle` was dropped: "Deep Learning" for "Deep Learning: A Practitioner's Approach". Titles
    in every script, NFC and NFD; no colon after a title ending in punctuation; a subtitle the title
    repeats (in another normal form and case) not added twice; a subtitle alone is the title."""
    nfd = "Mode\u0300les de Markov"
    cases = [
        (["Deep Learning"], ["A Practitioner\u2019s Approach"], "Deep Learning: A Practitioner\u2019s Approach"),
        (["Über <i>Netze</i>"], ["Eine Einführung"], "Über Netze: Eine Einführung"),
        (["Why Now?"], ["Ein Überblick"], "Why Now? Ein Überblick"),
        (["Θεωρία Γραφημάτων"], ["Μια εισαγωγή"], "Θεωρία Γραφημάτων: Μια εισαγωγή"),
        (["Теория графов:"], ["введение"], "Теория графов: введение"),
        (["图论"], ["导论"], "图论: 导论"),
        (["نظرية المخططات"], ["مقدمة"], "نظرية المخططات: مقدمة"),
        ([f"Les {nfd}: théorie"], ["THÉORIE"], f"Les {nfd}: théorie"),
        ([f"Les modèles: {nfd}"], [unicodedata.normalize("NFC", nfd)], f"Les modèles: {nfd}"),
        ([], ["Only a Subtitle"], "Only a Subtitle"),
        (["No Subtitle"], [], "No Subtitle"),
        (["Blank Subtitle"], ["  "], "Blank Subtitle"),
    ]
    items = [{"DOI": f"10.5555/sub.{n}", "type": "journal-article", "title": title, "subtitle": subtitle}
             for n, (title, subtitle, _) in enumerate(cases)]
    path = tmp_path / "works.json"
    path.write_text(json.dumps({"status": "ok", "message-type": "work-list", "message": {"items": items}},
                               ensure_ascii=False), encoding="utf-8")
    titles = {p.doi: p.title for p in read(path) if isinstance(p, Paper)}
    assert titles == {f"10.5555/sub.{n}": expected for n, (_, _, expected) in enumerate(cases)}


def test_one_journal_is_one_venue_whatever_order_its_issns_come_in(tmp_path: Path) -> None:
    """Venues were keyed by the first ISSN listed: Crossref lists a journal's print and electronic
    ISSNs in either order, so one journal was two venues. Keyed by the print ISSN `issn-type` names
    (else the electronic one), the recorded work and copies with its ISSNs reversed, with only the
    print one, and with the print one first but a later-seen electronic one, are one venue carrying
    every ISSN; a work that gives only the electronic ISSN (nothing says which print one goes with
    it) is a venue of its own, with the same kg:issn. Synced after a first build: equal to a rebuild."""
    from kg.sync.embedded import sync
    from tests.sync_checks import assert_same_as_rebuild

    whole = json.loads(shared("data", "crossref", "fmuro_crossref_worklist.json").read_text(encoding="utf-8"))
    recorded = whole["message"]["items"][1]  # J. Inst. Math. Jussieu: print 1474-7480, electronic 1475-3030
    assert recorded["issn-type"] == [{"type": "print", "value": "1474-7480"},
                                     {"type": "electronic", "value": "1475-3030"}]
    only_print = [{"type": "print", "value": "1474-7480"}]
    variants = {  # DOI suffix: (ISSN, issn-type)
        "reversed": (["1475-3030", "1474-7480"], list(reversed(recorded["issn-type"]))),
        "print": (["1474-7480"], only_print),
        "untyped": (["1475-3030", "1474-7480"], None),
        "electronic": (["1475-3030"], [{"type": "electronic", "value": "1475-3030"}]),
    }
    items = [{**recorded, "DOI": "10.5555/print-only", "ISSN": ["1474-7480"], "issn-type": only_print}]
    for suffix, (listed, typed) in variants.items():
        item = {**recorded, "DOI": f"10.5555/{suffix}", "ISSN": listed, "issn-type": typed}
        items.append({k: v for k, v in item.items() if v is not None})
    items.append(recorded)  # after a work that gave only the print ISSN: it adds the electronic one
    directory = tmp_path / "crossref"
    directory.mkdir()
    path = directory / "works.json"
    path.write_text(json.dumps({**whole, "message": {**whole["message"], "items": items[:3]}}), encoding="utf-8")
    store = tmp_path / "store"
    kg.build([directory], store)
    path.write_text(json.dumps({**whole, "message": {**whole["message"], "items": items}}), encoding="utf-8")
    sync([directory], store, max_change=1.0)
    db = StoreDir(store).open()
    rows = db.query("""PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
        SELECT ?doi ?venue WHERE { ?p kg:doi ?doi ; kg:publishedIn ?venue }""", use_default_graph_as_union=True)
    venues = {r["doi"].value.rsplit("/", 1)[1]: r["venue"].value.rsplit("/", 1)[1] for r in rows}
    p, e = "crossref%3Aissn%2F1474-7480", "crossref%3Aissn%2F1475-3030"
    assert venues == {"print-only": p, "reversed": p, "print": p, "untyped": p, "electronic": e,
                      recorded["DOI"].rsplit("/", 1)[1].lower(): p}
    held = db.query("""PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
        SELECT ?venue ?issn WHERE { ?venue a kg:Venue ; kg:issn ?issn }""", use_default_graph_as_union=True)
    assert sorted((r["venue"].value.rsplit("/", 1)[1], r["issn"].value) for r in held) == [
        (p, "1474-7480"), (p, "1475-3030"), (e, "1475-3030")]
    del db
    assert_same_as_rebuild(store, [directory], tmp_path, [])


def test_issns_are_normalised_and_malformed_ones_left_out() -> None:
    from kg.sources.crossref import issns

    assert issns({"ISSN": ["1234-567x", "not an issn", "12345678"], "issn-type": [
        {"type": "electronic", "value": "12345678"}, {"type": "print", "value": "bad"}]}) == ("1234-5678", "1234-567X")
    assert issns({"ISSN": "0308-2105"}) == ("0308-2105",)
    assert issns({"ISSN": None, "issn-type": [None, {"type": None}]}) == ()
