"""dblp XML: both layouts, every record kind, entities via the DTD, counts of the recorded samples."""

from __future__ import annotations

import functools
import gzip
import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import DATA, of, read_accepted, shared

import kg
from kg import sources
from kg.cli import main
from kg.errors import InputError
from kg.records import Author, AuthorDetail, Authorship, Paper, Venue
from kg.store import StoreDir

RAW = DATA / "dblp" / "raw" / "dblp_raw.xml"
UTF8 = DATA / "dblp" / "dblp_utf8.xml"
HOMONYM = re.compile(r" \d{4}$")


accepted = functools.partial(read_accepted, "dblp")


def test_raw_layout_decodes_entities_through_the_dtd_beside_the_file() -> None:
    records, reasons = accepted(RAW)
    assert reasons == []
    names = {a.name for a in of(records, Author)}
    assert "Richard Müller 0001" in names  # written Richard M&uuml;ller 0001
    assert "André Straße" in names
    assert "Jürgen Latin" in names  # a raw ISO-8859-1 byte, not an entity
    titles = {p.title for p in of(records, Paper)}
    assert "Learning with Schön Kernels." in titles  # inline <i> flattened


def test_every_record_kind_becomes_a_paper_typed_by_its_element() -> None:
    records, _ = accepted(RAW)
    types = Counter(p.type for p in of(records, Paper))
    assert types == {"inproceedings": 2, "proceedings": 1, "article": 1, "incollection": 1, "book": 1,
                     "phdthesis": 1, "mastersthesis": 1}


def test_utf8_layout_without_doctype() -> None:
    records, reasons = accepted(UTF8)
    assert reasons == []
    assert {a.name for a in of(records, Author)} == {"Richard Müller 0001", "José María Núñez"}
    assert [p.title for p in of(records, Paper)] == ["Über Bäume.", "Cloud things."]
    paper = of(records, Paper)[0]
    assert paper.doi == "10.1007/s00236-016-0001-x"


def test_gzipped_dump_finds_the_dtd_too(tmp_path: Path) -> None:
    target = tmp_path / "dblp.xml.gz"
    target.write_bytes(gzip.compress(RAW.read_bytes()))
    shutil.copy(RAW.parent / "dblp.dtd", tmp_path / "dblp.dtd")
    assert accepted(target) == accepted(RAW)
    assert sources.detect(target) == "dblp"


def test_dtd_option_when_it_is_not_beside_the_file(tmp_path: Path) -> None:
    alone = tmp_path / "dump.xml"
    shutil.copy(RAW, alone)
    with pytest.raises(InputError, match=r"dump\.xml:5: .*uuml.*--dtd"):
        accepted(alone)
    records, _ = accepted(alone, dtd=RAW.parent / "dblp.dtd")
    assert "Richard Müller 0001" in {a.name for a in of(records, Author)}


def test_homonym_numbers_kept_in_the_row_and_dropped_from_the_printed_name() -> None:
    records, _ = accepted(RAW)
    ships = [s for s in of(records, Authorship) if s.paper_id == "dblp:conf/nips/MullerL19"]
    assert [(s.author_id, s.position, s.name_as_printed) for s in ships] == [
        ("dblp:Richard Müller 0001", 1, "Richard Müller"),
        ("dblp:Bin Li 0019", 2, "Bin Li"),
    ]
    authors = {a.id: a for a in of(records, Author)}
    assert authors["dblp:Richard Müller 0001"].orcid == "0000-0002-1825-0097"


def test_each_author_and_venue_once_and_before_the_papers_that_use_them() -> None:
    records, _ = accepted(RAW)
    ids = [r.id for r in records if isinstance(r, Author | Venue)]
    assert len(ids) == len(set(ids))
    seen: set[str] = set()
    for r in records:
        if isinstance(r, Author | Venue | Paper):
            seen.add(r.id)
        elif isinstance(r, Authorship):
            assert {r.paper_id, r.author_id} <= seen
        if isinstance(r, Paper) and r.venue_id:
            assert r.venue_id in seen


def test_one_venue_per_key_prefix() -> None:
    records, _ = accepted(RAW)
    venues = {v.id: v for v in of(records, Venue)}
    by_paper = {p.id: p.venue_id for p in of(records, Paper)}
    # NIPS (2019) and NeurIPS (2021) are one stream, conf/nips.
    assert by_paper["dblp:conf/nips/MullerL19"] == by_paper["dblp:conf/nips/Li21"] == "dblp:conf/nips"
    assert venues["dblp:conf/nips"].kind == "conference"
    assert venues["dblp:journals/corr"].kind == "repository"
    assert by_paper["dblp:phd/Li10"] is None


def test_doi_from_ee_links() -> None:
    records, _ = accepted(RAW)
    dois = {p.id: p.doi for p in of(records, Paper)}
    assert dois["dblp:conf/nips/Li21"] == "10.5555/neurips.2021.7"  # second <ee>, dx.doi.org
    assert dois["dblp:journals/corr/abs-2101-00001"] is None  # arXiv link only


def test_person_records_give_pid_and_name_variants_and_skip_disambiguation_pages() -> None:
    records, _ = accepted(RAW)
    details = [d for d in of(records, AuthorDetail) if d.author_id == "dblp:Richard Müller 0001"]
    assert details == [
        AuthorDetail("dblp:Richard Müller 0001", dblp_pid="12/3456"),  # the row came earlier, from a paper
        AuthorDetail("dblp:Richard Müller 0001", name_variant="Richard Mueller"),
    ]
    assert "dblp:Bin Li" not in {a.id for a in of(records, Author)}


def test_record_without_author_is_a_paper_without_authorships(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg.build([RAW], store)
    db = StoreDir(store).open()
    ask = """PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
    SELECT ?p WHERE { ?p a kg:Paper ; kg:sourceId "dblp:reference/vision/X14bd" ; kg:year ?y
                      FILTER NOT EXISTS { ?p kg:hasAuthorship ?s } }"""
    assert len(list(db.query(ask, use_default_graph_as_union=True))) == 1


def test_bad_records_are_rejected_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(
        "<dblp>\n<article key=\"journals/x/A\">\n<title>T</title>\n<year>20x5</year>\n</article>\n"
        "<article key=\"journals/x/B\"><author>A</author></article>\n"
        "<article><title>No key</title></article>\n</dblp>\n",
        encoding="utf-8",
    )
    _, reasons = accepted(bad)
    assert reasons == [
        f"{bad}:2: journals/x/A: year '20x5' is not a year",
        f"{bad}:7: <article> record without a key",
    ]


def test_broken_xml_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.xml"
    bad.write_text("<dblp>\n<article key=\"a/b/c\">\n<title>T</titel>\n</article></dblp>\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.xml:3: not well-formed"):
        accepted(bad)


# ---------------------------------------------------------------- the recorded samples (SOURCES.md)

# file: (records, papers loaded, authorships loaded, distinct names, homonym occurrences, distinct homonym names)
SAMPLES = {
    # 518 inproceedings + 8 proceedings + 228 www; 1,824 <author> of which 232 in www records. One www
    # is a disambiguation page (homepages/149/2721 "Carlos Herrera", publtype="disambiguation"): not a
    # person, and its name is on no paper of the file.
    "donnerdistel_dblp_test.xml": (754, 526, 1592, 1458, 67, 54),
    # 616 records, one key (conf/adma/GuoZ07) twice in the file: the second copy is rejected.
    "rgovaerts_dblp_excerpt.xml": (616, 615, 1611, 1478, 0, 0),
    "xcurator_dblp_sample.xml": (1288, 1288, 3027, 2399, 14, 11),
    "shenka123_dblp_head.xml": (131, 131, 73, 61, 5, 5),
    "florentin4_dblp_articles.xml": (85, 85, 145, 141, 2, 2),
}


DISAMBIGUATION_PAGES = {"donnerdistel_dblp_test.xml": 1}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_recorded_sample_counts(name: str) -> None:
    path = shared("data", "dblp_xml", name)
    records_n, papers_n, ships_n, names_n, homonym_n, homonym_distinct = SAMPLES[name]
    read = [located.item for located in sources.read(path, "dblp")]
    persons = [a for a in read if isinstance(a, Author) and a.dblp_pid]  # each www record here names a new person
    disambiguation = DISAMBIGUATION_PAGES.get(name, 0)
    assert sum(1 for r in read if isinstance(r, Paper)) + len(persons) + disambiguation == records_n
    records, _ = accepted(path)
    assert len(of(records, Paper)) == papers_n
    ships = of(records, Authorship)
    assert len(ships) == ships_n
    variants = {d.name_variant for d in of(records, AuthorDetail) if d.name_variant}
    names = {a.name for a in of(records, Author)} | variants
    assert len(names) == names_n
    occurrences = sum(1 for s in ships if HOMONYM.search(s.author_id))
    occurrences += sum(1 for a in persons if HOMONYM.search(a.name))
    assert occurrences == homonym_n
    assert len({n for n in names if HOMONYM.search(n)}) == homonym_distinct


def test_recorded_samples_entities_orcids_and_authorless_records() -> None:
    florentin, _ = accepted(shared("data", "dblp_xml", "florentin4_dblp_articles.xml"))
    assert "Richard Müller 0001" in {a.name for a in of(florentin, Author)}
    xcurator, _ = accepted(shared("data", "dblp_xml", "xcurator_dblp_sample.xml"))
    assert {"Jörg Müller", "Ulrich Müller-Funk"} <= {a.name for a in of(xcurator, Author)}
    donner, _ = accepted(shared("data", "dblp_xml", "donnerdistel_dblp_test.xml"))
    orcids = {a.name: a.orcid for a in of(donner, Author)}
    assert orcids["Andrea Alessandretti"] == "0000-0002-1861-8525"
    assert len(of(donner, Author)) == 1454 and sum(1 for a in of(donner, Author) if a.dblp_pid) == 227
    assert "dblp:Carlos Herrera" not in {a.id for a in of(donner, Author)}  # its disambiguation page, no person
    shenka, _ = accepted(shared("data", "dblp_xml", "shenka123_dblp_head.xml"))
    with_authors = {s.paper_id for s in of(shenka, Authorship)}
    assert "dblp:reference/vision/X14bd" not in with_authors
    assert sum(1 for p in of(shenka, Paper) if p.id not in with_authors) == 76
    assert {p.year for p in of(shenka, Paper)} == {2014}  # one "2014 " with trailing space


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_recorded_sample_builds(name: str, tmp_path: Path) -> None:
    path = shared("data", "dblp_xml", name)
    report = kg.build([path], tmp_path / "store")
    counts = StoreDir(tmp_path / "store").meta()["counts"]
    assert counts["papers"] == SAMPLES[name][1]
    assert counts["authorships"] == SAMPLES[name][2]
    assert report.rows_rejected == (3 if name.startswith("rgovaerts") else 0)


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    crafted = tmp_path / "crafted.xml"
    crafted.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE dblp [ <!ENTITY s SYSTEM "{secret.as_uri()}"> ]>\n'
        '<dblp><article key="journals/x/A"><author>&s;</author><title>T &s;</title></article></dblp>\n',
        encoding="utf-8",
    )
    records, _ = accepted(crafted)
    assert "TOP SECRET" not in repr(records)


def test_person_record_after_the_papers_still_links_the_pid_and_variants(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg.build([RAW], store)
    db = StoreDir(store).open()
    ask = """PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
    ASK { ?a kg:sourceId "dblp:Richard Müller 0001" ; kg:dblpPerson <https://dblp.org/pid/12/3456> ;
             kg:nameVariant "Richard Mueller" }"""
    assert db.query(ask, use_default_graph_as_union=True)


def test_orcid_of_a_later_signature_is_added_once() -> None:
    records, _ = accepted(RAW)
    authors = {a.id: a for a in of(records, Author)}
    assert authors["dblp:Bin Li 0019"].orcid is None  # its first signature has none
    orcids = [d for d in of(records, AuthorDetail) if d.orcid]
    assert orcids == [AuthorDetail("dblp:Bin Li 0019", orcid="0000-0003-1415-9269")]  # given twice, added once


def test_recorded_orcids_all_kept() -> None:
    records, _ = accepted(shared("data", "dblp_xml", "donnerdistel_dblp_test.xml"))
    with_orcid = {a.id for a in of(records, Author) if a.orcid}
    with_orcid |= {d.author_id for d in of(records, AuthorDetail) if d.orcid}
    assert len(with_orcid) == 131  # the distinct names carrying an orcid attribute in the file


# ------------------------------------------------- held-out records: what the recorded samples lack

HELD_OUT = (
    b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE dblp SYSTEM "dblp.dtd">\n<dblp>\n'
    # dblp.dtd's tenth record kind (2023): a data set, with its authors and DOI
    b'<data mdate="2023-05-10" key="data/10/Brown23"><author>Carol Brown</author>'
    b'<author>&#x5F20;&#x4F1F; 0002</author><title>A Data Set of Things.</title><year>2023</year>'
    b'<ee type="oa">https://doi.org/10.5281/zenodo.123</ee><stream>streams/repo/zenodo</stream></data>\n'
    # a superscript two is a digit (str.isdigit) that int() refuses
    b'<article key="journals/x/Sup"><author>Year Sup</author><title>Sup</title><year>&#xB2;</year>'
    b'<journal>X</journal></article>\n'
    # a stray Windows-1252 byte in an ISO-8859-1 dump is a C1 control; NEL and DEL given as references
    b"<article key=\"journals/x/C1\"><author>O\x92Brien M&uuml;ller</author>"
    b"<title>Don\x92t&#x85;panic&#x7F;now.</title><year>2020</year><journal>X&#x85;Y</journal></article>\n"
    b'</dblp>\n'
)


def test_held_out_records_data_sets_odd_years_and_control_characters(tmp_path: Path) -> None:
    """`kg build` of a dump holding a `data` record (was skipped without a word), a year of a
    superscript digit (was a traceback) and C1 control characters (were kept in names, titles and IRIs)."""
    (tmp_path / "dump").mkdir()
    shutil.copy(RAW.parent / "dblp.dtd", tmp_path / "dump" / "dblp.dtd")
    (tmp_path / "dump" / "dblp.xml").write_bytes(HELD_OUT)
    store, rejects = tmp_path / "store", tmp_path / "rejects.jsonl"
    result = CliRunner().invoke(main, ["build", str(tmp_path / "dump" / "dblp.xml"), "--store", str(store),
                                       "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["reason"] for line in rejects.read_text(encoding="utf-8").splitlines()] == [
        "journals/x/Sup: year '²' is not a year"]
    db = StoreDir(store).open()
    rows = db.query("""PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
        SELECT ?id ?type ?title ?year ?doi (GROUP_CONCAT(?n; separator="|") AS ?names) WHERE {
          ?p a kg:Paper ; kg:sourceId ?id ; kg:publicationType ?type ; kg:title ?title ; kg:year ?year .
          OPTIONAL { ?p kg:doi ?doi }
          OPTIONAL { ?p kg:hasAuthorship ?s . ?s kg:authorRow/kg:name ?n } }
        GROUP BY ?id ?type ?title ?year ?doi ORDER BY ?id""", use_default_graph_as_union=True)
    got = [tuple(None if t is None else t.value for t in row) for row in rows]
    assert got == [
        ("dblp:data/10/Brown23", "data", "A Data Set of Things.", "2023", "https://doi.org/10.5281/zenodo.123",
         got[0][5]),
        ("dblp:journals/x/C1", "article", "Don t panic now.", "2020", None, "O Brien Müller"),
    ]
    assert sorted(got[0][5].split("|")) == ["Carol Brown", "张伟 0002"]
    assert db.query("""PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
        ASK { ?v a kg:Venue ; kg:name "X Y" }""", use_default_graph_as_union=True)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|%C2%[89]", store_dump(db))


def store_dump(db: Any) -> str:
    return "\n".join(str(q) for q in db)


PERSON_PAGE_WITH_HOMONYMS = """<?xml version="1.0" encoding="US-ASCII"?>
<dblpperson name="Di Xu 0001" pid="95/7448-1" n="1">
<person key="homepages/95/7448-1" mdate="2019-11-26">
<author pid="95/7448-1">Di Xu 0001</author>
<note type="affiliation">University of British Columbia, Canada</note>
</person>
<homonyms n="2">
<h f="x/Xu:Di"><person publtype="disambiguation" key="homepages/95/7448" mdate="2019-11-26">
<author pid="95/7448">Di Xu</author>
</person></h>
<h f="x/Xu_0002:Di"><person key="homepages/95/7448-2" mdate="2019-11-26">
<author pid="95/7448-2">Di Xu 0002</author>
</person></h>
</homonyms>
<r><inproceedings key="conf/3dtv/Coria-MendozaXN12" mdate="2019-11-26">
<author pid="32/5783">Lino Coria-Mendoza</author>
<author pid="95/7448-1">Di Xu 0001</author>
<title>Automatic stereoscopic 3D video reframing.</title>
<year>2012</year>
<booktitle>3DTV-Conference</booktitle>
</inproceedings></r>
</dblpperson>
"""

DUMP_WITH_DISAMBIGUATION = """<?xml version="1.0" encoding="UTF-8"?>
<dblp>
<article key="journals/x/Herrera18" mdate="2018-03-25"><author>Carlos Herrera</author><title>T.</title>
<year>2018</year><journal>X</journal></article>
<www mdate="2018-03-25" key="homepages/149/2721" publtype="disambiguation">
<author>Carlos Herrera</author>
<title>Home Page</title>
</www>
</dblp>
"""


def test_disambiguation_pages_and_a_person_pages_homonyms_are_nobody(tmp_path: Path) -> None:
    """dblp marks a disambiguation page publtype="disambiguation" (the recorded dump does): its pid was
    given to the row of every unresolved signature of the name, as if they were one person; and a person
    page's <homonyms> made rows without papers for the other people of the name, in its cluster."""
    (tmp_path / "page.xml").write_text(PERSON_PAGE_WITH_HOMONYMS, encoding="ascii")
    (tmp_path / "dump.xml").write_text(DUMP_WITH_DISAMBIGUATION, encoding="utf-8")
    for name in ("page.xml", "dump.xml"):
        result = CliRunner().invoke(main, ["build", str(tmp_path / name), "--store", str(tmp_path / f"{name}.store")])
        assert result.exit_code == 0, result.output
    page = StoreDir(tmp_path / "page.xml.store").open()
    rows = page.query("""PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
        SELECT ?name ?pid WHERE { ?a a kg:AuthorRow ; kg:name ?name OPTIONAL { ?a kg:dblpPerson ?pid } }
        ORDER BY ?name""", use_default_graph_as_union=True)
    assert [(r["name"].value, r["pid"].value if r["pid"] else None) for r in rows] == [
        ("Di Xu 0001", "https://dblp.org/pid/95/7448-1"), ("Lino Coria-Mendoza", "https://dblp.org/pid/32/5783")]
    dump = StoreDir(tmp_path / "dump.xml.store").open()
    assert not dump.query("""PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
        ASK { ?a kg:dblpPerson ?pid }""", use_default_graph_as_union=True)
    assert dump.query("""PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
        ASK { ?a kg:name "Carlos Herrera" ; ^kg:authorRow/kg:paper ?p }""", use_default_graph_as_union=True)


def test_a_key_with_characters_an_iri_cannot_hold_builds(tmp_path: Path) -> None:
    """A record key with '%' (or '?', '#', a space) stopped `kg build` with a traceback (its dblp.org/rec
    URL was not a valid IRI); the key is percent-encoded there, as kg.bibliography links it."""
    xml = tmp_path / "odd.xml"
    xml.write_text('<dblp>\n<article key="journals/x/100% a?b#c"><author>Ζωή Παπαδοπούλου</author>'
                   "<title>Τίτλος</title><year>2020</year><journal>X</journal></article>\n</dblp>\n", encoding="utf-8")
    records, reasons = read_accepted("dblp", xml)
    assert reasons == []
    [paper] = of(records, Paper)
    assert paper.url == "https://dblp.org/rec/journals/x/100%25%20a%3Fb%23c"
    report = kg.build([xml], tmp_path / "store")
    assert (report.rows_loaded, report.rows_rejected) == (len(records), 0)


@pytest.mark.parametrize("label", ["Revista Española de Cardiología", "Θεωρητική Πληροφορική", "Журнал Вычислений",
                                   "情報処理学会論文誌", "مجلة الحاسوب"])
def test_a_venue_label_in_nfc_and_in_nfd_is_one_venue(label: str, tmp_path: Path) -> None:
    """A venue keyed by its label (a record outside the conf/journals streams) was two venues when one
    record wrote the label in NFC and another in NFD (a re-serialised file): its key is the NFC form,
    its name the first spelling read. Crossref's venues keyed by container title likewise."""
    import unicodedata

    nfd = unicodedata.normalize("NFD", label)
    xml = tmp_path / "venues.xml"
    xml.write_text(f'<dblp><article key="x/a"><title>A</title><journal>{label}</journal></article>'
                   f'<article key="x/b"><title>B</title><journal>{nfd}</journal></article></dblp>', encoding="utf-8")
    records, reasons = read_accepted("dblp", xml)
    assert reasons == [] and [v.name for v in of(records, Venue)] == [label]
    assert len({p.venue_id for p in of(records, Paper)}) == 1
    works = [{"DOI": f"10.5555/{n}", "title": ["T"], "container-title": [text], "type": "journal-article"}
             for n, text in enumerate([nfd, label])]
    crossref = tmp_path / "works.json"
    crossref.write_text(json.dumps({"status": "ok", "message-type": "work-list", "message": {"items": works}}),
                        encoding="utf-8")
    records, reasons = read_accepted("crossref", crossref)
    assert reasons == [] and [v.name for v in of(records, Venue)] == [nfd]
    assert len({p.venue_id for p in of(records, Paper)}) == 1


def test_a_dblp_name_in_nfc_and_in_nfd_is_one_author_row(tmp_path: Path) -> None:
    """dblp's name is its id of a person: "Jürgen Müller 0002" in NFC in one record and in NFD in
    another (a re-serialised file) were two author rows of one dblp person. The id is the NFC form,
    the name the first spelling read, each signature's printed name as written; a person record in
    NFD gives the same row its pid."""
    import unicodedata

    names = ["Jürgen Müller 0002", "Γιώργος Παπαδόπουλος", "Дмитрий Иванов", "王小明", "محمد العلي"]
    records_xml = "".join(
        f'<article key="conf/x/{n}{form}"><author>{unicodedata.normalize(form, name)}</author><title>T</title>'
        f"<booktitle>X</booktitle></article>" for n, name in enumerate(names) for form in ("NFC", "NFD"))
    person = (f'<www key="homepages/12/3456"><author>{unicodedata.normalize("NFD", names[0])}</author>'
              "<title>Home Page</title></www>")
    xml = tmp_path / "names.xml"
    xml.write_text(f"<dblp>{records_xml}{person}</dblp>", encoding="utf-8")
    records, reasons = read_accepted("dblp", xml)
    assert reasons == []
    assert [a.name for a in of(records, Author)] == names
    printed = [s.name_as_printed for s in of(records, Authorship)]
    assert printed == [unicodedata.normalize(f, strip) for strip in
                       ["Jürgen Müller", *names[1:]] for f in ("NFC", "NFD")]
    assert [(d.author_id, d.dblp_pid) for d in of(records, AuthorDetail)] == [("dblp:Jürgen Müller 0002", "12/3456")]
