"""OpenAlex works: API pages and snapshot JSON Lines; positions, ids, duplicates, counts of the samples."""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, of, read_accepted, shared

import kg
from kg import sources
from kg.cli import main
from kg.records import Author, Authorship, Paper, Venue
from kg.sources.openalex import abstract
from kg.store import StoreDir

PAGE = DATA / "openalex" / "page.json"
JSONL = DATA / "openalex" / "works.jsonl.gz"


accepted = functools.partial(read_accepted, "openalex")


def test_page_positions_are_list_indexes_and_names_as_printed_are_raw_names() -> None:
    records, reasons = accepted(PAGE)
    assert reasons == []
    ships = [(s.position, s.author_id, s.name_as_printed) for s in of(records, Authorship)]
    assert ships == [
        (1, "openalex:A1", "R. Müller"),
        (2, "openalex:W100/2", "Anon Person"),
        (3, "openalex:A2", "Bin Li"),
    ]
    authors = {a.id: a for a in of(records, Author)}
    assert authors["openalex:A1"].orcid == "0000-0002-1825-0097"
    assert authors["openalex:A1"].openalex_id == "A1"
    assert authors["openalex:A1"].name == "Richard Müller"


def test_authorship_without_author_id_keeps_the_printed_name() -> None:
    records, _ = accepted(PAGE)
    anon = {a.id: a for a in of(records, Author)}["openalex:W100/2"]
    assert anon.name == "Anon Person" and anon.openalex_id is None


def test_duplicate_work_loaded_once_without_reject() -> None:
    records, reasons = accepted(PAGE)
    assert [p.id for p in of(records, Paper)] == ["openalex:W100", "openalex:W101"]
    assert reasons == []


def test_venue_doi_type_year_abstract() -> None:
    records, _ = accepted(PAGE)
    paper = of(records, Paper)[0]
    expected = ("openalex:S4306420609", "10.5555/nips.2019.1", "article", 2019)
    assert (paper.venue_id, paper.doi, paper.type, paper.year) == expected
    assert paper.abstract == "We study Kernels"
    assert of(records, Venue) == [Venue("openalex:S4306420609", "Neural Information Processing Systems", "conference")]
    sourceless = of(records, Paper)[1]
    assert sourceless.venue_id is None and sourceless.type == "dataset"


def test_abstract_rebuilt_in_position_order() -> None:
    assert abstract({"world": [1], "hello": [0, 2]}) == "hello world hello"
    assert abstract(None) is None and abstract({}) is None


def test_snapshot_json_lines_gz_and_authors_once_across_files() -> None:
    records, reasons = accepted(PAGE, JSONL)
    assert reasons == []
    assert [a.id for a in of(records, Author)].count("openalex:A2") == 1
    papers = {p.id: p for p in of(records, Paper)}
    assert papers["openalex:W200"].abstract == "This is an abstract."
    assert sources.detect(JSONL) == "openalex"


def test_uncompressed_json_lines_detected_by_content(tmp_path: Path) -> None:
    plain = tmp_path / "part_000"
    plain.write_bytes(gzip.decompress(JSONL.read_bytes()))
    assert sources.detect(plain) == "openalex"
    assert len(of(accepted(plain)[0], Paper)) == 2


def test_bad_lines_and_works_are_rejected_with_file_line_and_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"id": "https://openalex.org/W1", "title": "ok", "authorships": [{"author": {}}]}) + "\n"
        + "{not json\n"
        + json.dumps({"id": "https://openalex.org/W2"}) + "\n",
        encoding="utf-8",
    )
    records, reasons = accepted(bad)
    assert [p.id for p in of(records, Paper)] == ["openalex:W1", "openalex:W2"]  # W2: a paper without a title
    assert reasons[0] == f"{bad}:1: work (W1): authorship 1: neither an author id nor a name"
    assert reasons[1].startswith(f"{bad}:2: invalid JSON")
    assert len(reasons) == 2


# ---------------------------------------------------------------- the recorded samples (SOURCES.md)

# file: (works, distinct works, authorships, distinct author ids, distinct sources,
#        works without a source, works with 0 authorships)
SAMPLES = {
    "openalexpro_page1_200works.json": (200, 200, 972, 956, 132, 16, 6),
    "openalexpro_page2_59works.json": (59, 58, 247, 189, 38, 15, 4),
    "openalexpro_chunk1.json": (50, 50, 163, 143, 32, 3, 1),
    "openalexpro_chunk2.json": (50, 50, 109, 109, 35, 8, 4),
    "openalexpro_chunk3.json": (50, 50, 85, 79, 30, 6, 2),
    "openalexpro_chunk4.json": (25, 25, 36, 36, 15, 2, 4),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_recorded_sample_counts(name: str) -> None:
    path = shared("data", "openalex", name)
    works, distinct, ships_n, authors_n, venues_n, sourceless_n, empty_n = SAMPLES[name]
    assert len(json.loads(path.read_text(encoding="utf-8"))["results"]) == works
    records, reasons = accepted(path)
    assert reasons == []
    papers = of(records, Paper)
    assert len(papers) == distinct
    ships = of(records, Authorship)
    duplicate_ships = 2 if name.startswith("openalexpro_page2") else 0  # W3108703640's, read once
    assert len(ships) + duplicate_ships == ships_n
    assert len(of(records, Author)) == authors_n
    assert len(of(records, Venue)) == venues_n
    assert sum(1 for p in papers if p.venue_id is None) == sourceless_n
    with_authors = {s.paper_id for s in ships}
    assert sum(1 for p in papers if p.id not in with_authors) == empty_n


def test_recorded_duplicate_work() -> None:
    path = shared("data", "openalex", "openalexpro_page2_59works.json")
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    twice = [w for w in results if w["id"].endswith("W3108703640")]
    assert len(twice) == 2
    records, _ = accepted(path)
    assert [p.id for p in of(records, Paper)].count("openalex:W3108703640") == 1
    ships = [s for s in of(records, Authorship) if s.paper_id == "openalex:W3108703640"]
    assert len(ships) == len(twice[0]["authorships"])


def test_recorded_samples_build_into_one_store(tmp_path: Path) -> None:
    paths = [shared("data", "openalex", name) for name in sorted(SAMPLES)]
    report = kg.build(paths, tmp_path / "store")
    assert report.rows_rejected == 0
    counts = StoreDir(tmp_path / "store").meta()["counts"]
    assert counts["papers"] == 433  # "433 distinct works in total"
    assert counts["authorships"] == 972 + 245 + 163 + 109 + 85 + 36


def test_one_line_page_without_extension_and_long_snapshot_lines(tmp_path: Path) -> None:
    page = tmp_path / "page1"
    page.write_text(json.dumps(json.loads(PAGE.read_text(encoding="utf-8"))), encoding="utf-8")
    assert sources.detect(page) == "openalex"
    assert [p.id for p in of(accepted(page)[0], Paper)] == ["openalex:W100", "openalex:W101"]
    words = {f"w{i}": [i] for i in range(20000)}  # a first line longer than the 64 KB sniffed
    work = {"id": "https://openalex.org/W7", "title": "Long", "abstract_inverted_index": words}
    part = tmp_path / "part_000.gz"
    part.write_bytes(gzip.compress((json.dumps(work) + "\n").encode()))
    assert len(part.read_bytes()) and sources.detect(part) == "openalex"
    [paper] = of(accepted(part)[0], Paper)
    assert paper.abstract is not None and paper.abstract.startswith("w0 w1 w2")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_recorded_sample_builds(name: str, tmp_path: Path) -> None:
    report = kg.build([shared("data", "openalex", name)], tmp_path / "store")
    assert report.rows_rejected == 0
    counts = StoreDir(tmp_path / "store").meta()["counts"]
    _, distinct, ships, authors, venues, _, _ = SAMPLES[name]
    assert counts["papers"] == distinct
    assert counts["authorships"] == ships - (2 if name.startswith("openalexpro_page2") else 0)
    assert (counts["authors"], counts["venues"]) == (authors, venues)


def test_a_rejected_authorship_leaves_the_later_authors_in_their_place(tmp_path: Path) -> None:
    """An authorship with neither an author id nor a name is a reject; the authors after it were moved
    up one place (the 4th author became the 3rd, and its authorship IRI another's), against the docs'
    "positions are the index in authorships". A source without a display_name is still the work's
    venue (it was dropped), named by its id as an author without a name is."""
    work = {
        "id": "https://openalex.org/W9", "title": "Four authors, one unusable", "publication_year": 2024,
        # a source without a name: the work's venue still (it was dropped), named by its id
        "primary_location": {"source": {"id": "https://openalex.org/S77", "display_name": None, "type": "journal"}},
        "authorships": [
            {"author": {"id": "https://openalex.org/A1", "display_name": "Иван Петров"},
             "raw_author_name": "И. Петров"},
            {"author": {"id": None, "display_name": None}, "raw_author_name": "王芳"},
            {"author": {}, "raw_author_name": None},
            {"author": {"id": "https://openalex.org/A4", "display_name": "محمد علي"}, "raw_author_name": None},
        ],
    }
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"meta": {"count": 1}, "results": [work]}), encoding="utf-8")
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["build", str(path), "--store", str(store), "--rejects", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "authorship 3: neither an author id nor a name" in (tmp_path / "r").read_text(encoding="utf-8")
    rows = StoreDir(store).open().query("""PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
        SELECT ?s ?n ?name WHERE { ?s kg:position ?n ; kg:nameAsPrinted ?name } ORDER BY ?n""",
                                        use_default_graph_as_union=True)
    got = [(r["s"].value.rsplit("/", 1)[1], int(r["n"].value), r["name"].value) for r in rows]
    assert got == [("1", 1, "И. Петров"), ("2", 2, "王芳"), ("4", 4, "محمد علي")]
    assert StoreDir(store).open().query("""PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
        ASK { ?p kg:publishedIn ?v . ?v kg:name "S77" ; kg:venueKind "journal" }""",
                                     use_default_graph_as_union=True)


def test_responses_saved_with_a_byte_order_mark_are_recognised(tmp_path: Path) -> None:
    """A response saved by a Windows tool (PowerShell's Out-File -Encoding utf8, Notepad) starts with a
    UTF-8 byte order mark: json reads it, but kg did not recognise the file ("not a dblp XML, OpenAlex,
    Crossref or rows input"). A recorded OpenAlex page, the snapshot's lines and a Crossref work."""
    bom = b"\xef\xbb\xbf"
    page = tmp_path / "page.json"
    page.write_bytes(bom + shared("data", "openalex", "openalexpro_page2_59works.json").read_bytes())
    lines = tmp_path / "part_000"
    lines.write_bytes(bom + gzip.decompress(JSONL.read_bytes()))
    work = tmp_path / "work.json"
    work.write_bytes(bom + shared("data", "crossref", "giraffe_crossref_work.json").read_bytes())
    assert [sources.detect(p) for p in (page, lines, work)] == ["openalex", "openalex", "crossref"]
    recorded = accepted(shared("data", "openalex", "openalexpro_page2_59works.json"))[0]
    assert len(of(accepted(page)[0], Paper)) == len(of(recorded, Paper)) and len(of(accepted(lines)[0], Paper)) == 2
    assert len(of(read_accepted("crossref", work)[0], Paper)) == 1


def test_a_line_cut_short_is_placed_in_its_own_line_not_in_a_second_one(tmp_path: Path) -> None:
    """A snapshot line cut short (a work whose record ends early, then the next work on the next line)
    was rejected as "FILE:3: invalid JSON: Expecting ',' delimiter: line 2 column 1 (char 44)": json
    counts the line's newline as a line, so the reason named a line 2 in a reject of line 3. The rows
    tables' JSON Lines say it the same way."""
    works = [json.dumps({"id": f"https://openalex.org/W{n}", "title": title}, ensure_ascii=False)
             for n, title in enumerate(["Zoë", "Γιώργος", "Дмитрий", "王小明", "محمد"], start=1)]
    works[2] = works[2][:-1]  # cut short
    works[3] = works[3].replace('"title"', '"title" 1,', 1)  # broken inside the line
    path = tmp_path / "part.jsonl"
    path.write_text("\n".join(works) + "\n", encoding="utf-8")
    records, reasons = accepted(path)
    assert [p.title for p in of(records, Paper)] == ["Zoë", "Γιώργος", "محمد"]
    assert reasons == [f"{path}:3: invalid JSON: Expecting ',' delimiter at the end of the line (a record cut short?)",
                       f"{path}:4: invalid JSON: Expecting ':' delimiter at column 43"]
    rows = tmp_path / "rows"
    rows.mkdir()
    headers = {"venues": "id,name", "authors": "id,name", "authorships": "paper_id,author_id,position"}
    for table, header in headers.items():
        (rows / f"{table}.csv").write_text(header + "\n", encoding="utf-8")
    (rows / "papers.jsonl").write_text('{"id": "p1", "title": "Zoë"\n', encoding="utf-8")
    cut = "invalid JSON: Expecting ',' delimiter at the end of the line (a record cut short?)"
    assert read_accepted("rows", rows)[1] == [f"{rows / 'papers.jsonl'}:1: {cut}"]


def test_a_huge_name_or_title_is_a_reject_not_a_failed_build(tmp_path: Path) -> None:
    """A 200,000-character title or author name (a full text or a whole author list in one field) was
    loaded, and the build then failed after its load with a traceback (the graph-wide steps read names
    and titles back as CSV fields, at most 131,072 characters). It is a reject naming the file and
    line; one of the longest length kg takes, in Greek, and the other works are loaded."""
    longest = 10_000  # kg.checks.LONGEST
    works = [
        {"id": "https://openalex.org/W1", "title": "Θ" * 200_000},
        {"id": "https://openalex.org/W2", "title": "Ж" * longest, "authorships": [
            {"author": {"id": "https://openalex.org/A1", "display_name": "王" * 150_000}},
            {"author": {"id": "https://openalex.org/A2", "display_name": "Γιώργος " + "Π" * (longest - 8)}}]},
    ]
    path = tmp_path / "works.jsonl"
    path.write_text("".join(json.dumps(w, ensure_ascii=False) + "\n" for w in works), encoding="utf-8")
    rejects = tmp_path / "rejects.jsonl"
    report = kg.build([path], tmp_path / "store", rejects=rejects)
    found = [(r["line"], r["reason"]) for r in map(json.loads, rejects.read_text(encoding="utf-8").splitlines())]
    assert found == [
        (1, "title of 200,000 characters: longer than the 10,000 kg takes"),
        (2, "name of 150,000 characters: longer than the 10,000 kg takes"),
        (2, "name as printed of 150,000 characters: longer than the 10,000 kg takes")]
    assert StoreDir(tmp_path / "store").meta()["counts"]["papers"] == 1 and report.rows_loaded == 3
    # an id as long (a Crossref DOI, "crossref:" and 150,008 characters): its IRI is read back as well
    doi = "10.5555/" + "ä" * 150_000
    crossref = tmp_path / "work.json"
    crossref.write_text(json.dumps({"status": "ok", "message-type": "work", "message": {"DOI": doi, "title": ["T"]}}),
                        encoding="utf-8")
    kg.build([crossref], tmp_path / "crossref", rejects=rejects)
    [reject] = map(json.loads, rejects.read_text(encoding="utf-8").splitlines())
    assert reject["reason"] == "id of 150,017 characters: longer than the 10,000 kg takes"
