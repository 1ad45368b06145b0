"""Affiliations and citations as data: the OpenAlex and Crossref readers, the integrity check, the
mapping (valid against the shapes) and the recorded samples' counts."""

from __future__ import annotations

import functools
import json
import unicodedata
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import DATA, of, read_accepted, shared

import kg
from kg.checks import Integrity
from kg.iris import Minter
from kg.mapping import Mapper
from kg.records import Affiliation, Author, Authorship, Citation, Paper
from kg.store import StoreDir
from kg.terms import KG, RDF_TYPE
from kg.validate import validate

OPENALEX = DATA / "openalex" / "affiliations.json"
CROSSREF = DATA / "crossref" / "affiliations.json"
openalex = functools.partial(read_accepted, "openalex")
crossref = functools.partial(read_accepted, "crossref")


def test_openalex_institutions_in_every_script_and_the_strings_no_institution_stands_for() -> None:
    records, reasons = openalex(OPENALEX)
    assert reasons == []
    got = [a for a in of(records, Affiliation) if a.paper_id == "openalex:W9001"]
    assert got == [
        Affiliation("openalex:W9001", 1, "Université de Genève", "openalex:I9001", "01swzsf04", "CH"),
        Affiliation("openalex:W9001", 1, "東京大学", "openalex:I9002", "057zh3y96", "JP"),
        # linked to no institution by `affiliations[]`: kept as text; the two linked strings are not
        Affiliation("openalex:W9001", 1, "Laboratoire sans identifiant"),
        Affiliation("openalex:W9001", 2, "Εθνικό Μετσόβιο Πολυτεχνείο", "openalex:I9003", "03cx6bg69", "GR"),
        # a malformed ROR and a lower-case country lose only themselves; without `affiliations[]`,
        # the raw string of an authorship with an institution is that institution's
        Affiliation("openalex:W9001", 3, "Московский государственный университет", "openalex:I9004"),
        # no institution: the strings, once each, as written (the file writes "Zürich" decomposed, NFD:
        # the graph keeps the source's text, the identity evidence folds it)
        Affiliation("openalex:W9001", 4, "جامعة القاهرة"),
        Affiliation("openalex:W9001", 4, unicodedata.normalize("NFD", "Universität Zürich")),
    ]


def test_openalex_referenced_works_once_each_without_the_work_itself() -> None:
    records, _ = openalex(OPENALEX)
    assert of(records, Citation) == [Citation("openalex:W9001", "openalex:W9002"),
                                     Citation("openalex:W9001", "openalex:W123456")]


def test_crossref_affiliation_names_and_ror_ids_and_references_by_doi() -> None:
    records, reasons = crossref(CROSSREF)
    assert reasons == []
    assert of(records, Affiliation) == [
        Affiliation("crossref:10.5555/affil.1", 1, "Universidad de Chile", "ror:047gc3g35", "047gc3g35"),
        Affiliation("crossref:10.5555/affil.1", 1, "Departamento de Física"),  # given twice, once
        Affiliation("crossref:10.5555/affil.1", 2, "清华大学"),
        Affiliation("crossref:10.5555/affil.2", 1, "Universidad de Chile"),
    ]
    # a reference without a DOI is left out; one DOI written twice, and the work's own, are not repeated
    assert of(records, Citation) == [Citation("crossref:10.5555/affil.1", "crossref:10.5555/affil.2")]


def test_an_affiliation_of_an_unknown_authorship_or_a_citation_of_an_unknown_paper_is_rejected() -> None:
    check = Integrity()
    assert check.reason(Author("a", "Ada")) is None
    assert check.reason(Paper("p", "T")) is None
    assert check.reason(Authorship("p", "a", 1)) is None
    assert check.reason(Affiliation("p", 1, "Somewhere")) is None
    assert check.reason(Affiliation("p", 2, "Somewhere")) == "affiliation refers to unknown authorship 2 of paper 'p'"
    assert check.reason(Affiliation("q", 1, "Somewhere")) == "affiliation refers to unknown authorship 1 of paper 'q'"
    assert check.reason(Citation("p", "not-read-yet")) is None  # the cited paper may come later, or never
    assert check.reason(Citation("q", "p")) == "citation refers to unknown paper 'q'"


def test_mapping_an_institution_is_described_once_and_text_stays_on_the_authorship() -> None:
    minter = Minter("https://example.org/")
    mapper = Mapper(minter, "https://example.org/graph/g")
    first = "".join(mapper.lines(Affiliation("p", 1, "東京大学", "openalex:I9002", "057zh3y96", "JP")))
    again = "".join(mapper.lines(Affiliation("p", 2, "東京大学", "openalex:I9002", "057zh3y96", "JP")))
    text = "".join(mapper.lines(Affiliation("p", 3, "جامعة القاهرة")))
    cites = "".join(mapper.lines(Citation("p", "q")))
    inst = f"<{minter.institution('openalex:I9002')}>"
    assert f"<{KG.Institution}>" in first and '"東京大学"' in first and "<https://ror.org/057zh3y96>" in first
    assert '"JP"' in first
    assert again == f"<{minter.authorship('p', 2)}> <{KG.affiliation}> {inst} <https://example.org/graph/g> .\n"
    assert text == (f"<{minter.authorship('p', 3)}> <{KG.affiliationText}> \"جامعة القاهرة\" "
                    "<https://example.org/graph/g> .\n")
    assert cites == f"<{minter.paper('p')}> <{KG.cites}> <{minter.paper('q')}> <https://example.org/graph/g> .\n"


def test_the_fixtures_build_valid_against_the_shapes(tmp_path: Path) -> None:
    report = kg.build([OPENALEX, CROSSREF], tmp_path / "store")
    assert report.rows_rejected == 0
    store = StoreDir(tmp_path / "store").open()
    assert validate(store).violations == []
    rows = store.query(f"""SELECT ?name ?ror ?country WHERE {{
        ?i a <{KG.Institution}> ; <{KG.name}> ?name .
        OPTIONAL {{ ?i <{KG.ror}> ?ror }} OPTIONAL {{ ?i <{KG.countryCode}> ?country }} }}""",
                       use_default_graph_as_union=True)
    assert isinstance(rows, ox.QuerySolutions)
    found = {r["name"].value: (r["ror"] and r["ror"].value, r["country"] and r["country"].value) for r in rows}
    assert found["Εθνικό Μετσόβιο Πολυτεχνείο"] == ("https://ror.org/03cx6bg69", "GR")
    assert found["Universidad de Chile"] == ("https://ror.org/047gc3g35", None)
    assert found["Московский государственный университет"] == (None, None)
    assert len(found) == 5
    ask = store.query(f"ASK {{ ?p <{KG.cites}> ?q . ?q a <{KG.Paper}> }}", use_default_graph_as_union=True)
    assert isinstance(ask, ox.QueryBoolean) and bool(ask)


def test_a_bad_country_or_ror_on_an_institution_is_a_violation() -> None:
    store = ox.Store()
    i = ox.NamedNode("https://example.org/institution/x")
    for p, o in ((ox.NamedNode(RDF_TYPE),
                  ox.NamedNode(KG.Institution)),
                 (ox.NamedNode(KG.name), ox.Literal("X")), (ox.NamedNode(KG.countryCode), ox.Literal("Swiss")),
                 (ox.NamedNode(KG.ror), ox.NamedNode("https://ror.org/nope"))):
        store.add(ox.Quad(i, p, o))
    messages = sorted(v.message for v in validate(store).violations)
    assert messages == ["a ROR id is an IRI https://ror.org/0…",
                        "a country code is two capital letters (ISO 3166-1 alpha-2)"]


# ---------------------------------------------------------------- the recorded samples

# file: (distinct works, institution links, authorships with an institution, cited works (distinct, not itself))
SAMPLES = {
    "openalexpro_chunk1.json": (50, 99, 96, 1017),
    "openalexpro_chunk2.json": (50, 67, 57, 572),
    "openalexpro_chunk3.json": (50, 35, 32, 158),
    "openalexpro_chunk4.json": (25, 29, 27, 139),
    "openalexpro_page1_200works.json": (200, 1093, 750, 5664),
    "openalexpro_page2_59works.json": (58, 125, 106, 642),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_recorded_openalex_affiliations_and_citations(name: str) -> None:
    path = shared("data", "openalex", name)
    works, links, with_institution, cited = SAMPLES[name]
    records, reasons = openalex(path)
    assert reasons == []
    assert len(of(records, Paper)) == works
    affiliations = of(records, Affiliation)
    institutions = [a for a in affiliations if a.institution_id]
    assert len(institutions) == links
    assert len({(a.paper_id, a.position) for a in institutions}) == with_institution
    assert all(a.ror for a in institutions)  # every recorded institution has its ROR
    assert len(of(records, Citation)) == cited


def test_recorded_crossref_affiliations_are_names_without_ids() -> None:
    path = shared("data", "crossref", "giraffe_crossref_work.json")
    authors = json.loads(path.read_text(encoding="utf-8"))["message"]["author"]
    records, reasons = crossref(path)
    assert reasons == []
    got = of(records, Affiliation)
    assert len(got) == len(authors) == 5
    assert all(a.institution_id is None for a in got)
    assert got[0].name.startswith("1Department of Neurosurgery, The Chiari Institute")


def test_recorded_openalex_citations_inside_the_files_link_papers(tmp_path: Path) -> None:
    paths = [shared("data", "openalex", name) for name in sorted(SAMPLES)]
    kg.build(paths, tmp_path / "store")
    store = StoreDir(tmp_path / "store").open()
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?p <{KG.cites}> ?q . ?q a <{KG.Paper}> }}",
                       use_default_graph_as_union=True)
    assert isinstance(rows, ox.QuerySolutions)
    assert int(next(iter(rows))["n"].value) == 11
