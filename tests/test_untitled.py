"""Records without a title are real (OpenAlex works with `"title": null`, Crossref works without
`title`, dblp records without `<title>`): each is a paper without a title, loaded with its
authorships, DOI, year and venue, not a reject; the shapes, the cluster's JSON, text and CSV, and the
pages follow. So is a rows table's paper with an empty `title` (the column stays required)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from conftest import DATA, of, read_accepted
from server_fixtures import Server, running
from test_bad_rows import write_rows

import kg
from kg.backend import open_store
from kg.cli import main
from kg.cluster import cluster
from kg.records import Authorship, Paper
from kg.store import StoreDir
from kg.validate import validate

OPENALEX = DATA / "openalex" / "untitled.json"
CROSSREF = DATA / "crossref" / "untitled.json"


def test_an_openalex_work_with_a_null_title_is_a_paper_without_one() -> None:
    records, reasons = read_accepted("openalex", OPENALEX)
    assert reasons == []
    [paper] = of(records, Paper)
    assert paper.title is None
    assert (paper.doi, paper.year, paper.venue_id) == ("10.5555/untitled.2024.3", 2024, "openalex:S4306420609")
    assert [a.author_id for a in of(records, Authorship)] == ["openalex:A5023888391", "openalex:A2"]


def test_a_crossref_work_without_a_title_is_a_paper_without_one() -> None:
    records, reasons = read_accepted("crossref", CROSSREF)
    assert reasons == []
    [paper] = of(records, Paper)
    assert (paper.title, paper.doi, paper.year) == (None, "10.5555/untitled.2023.9", 2023)
    assert paper.venue_id is not None and len(of(records, Authorship)) == 1


def test_a_dblp_record_without_a_title_is_a_paper_without_one(tmp_path: Path) -> None:
    xml = tmp_path / "untitled.xml"
    xml.write_text(
        '<dblp>\n<article key="journals/x/U"><author>Liyuan Liu</author><year>2022</year>'
        "<journal>X</journal></article>\n</dblp>\n",
        encoding="utf-8",
    )
    records, reasons = read_accepted("dblp", xml)
    assert reasons == []
    [paper] = of(records, Paper)
    assert (paper.title, paper.year) == (None, 2022) and len(of(records, Authorship)) == 1


# Authors named in every script, the accented one in NFC and in NFD.
NAMES = ["Zoë Ångström", "Zoe\u0308 A\u030angstro\u0308m", "Γιώργος Παπαδόπουλος", "Дмитрий Иванов", "王小明",
         "محمد العلي"]


@pytest.mark.parametrize("table", ["csv", "jsonl"])
def test_a_rows_paper_with_an_empty_title_is_a_paper_without_one_with_its_authorships(table: str,
                                                                                      tmp_path: Path) -> None:
    """An empty title in a rows table was a reject, and then one more reject per authorship of the
    paper ("refers to unknown paper"): the paper and its authors were lost, where dblp, OpenAlex and
    Crossref keep their untitled records. Empty, blank and control-characters-only in CSV (the fast
    parser and the plain one); empty, null and absent in JSON Lines."""
    rows = write_rows(tmp_path / "rows", {
        "authors": [f"n{i},{name},,," for i, name in enumerate(NAMES)],
        "papers": ["u1,,2020,v1,,,10.5555/U1,,", "u2,   ,,,,,,,", "u3,\x07\x00,,,,,,,"],
        "authorships": [f"u1,n{i},{i + 1},{name}" for i, name in enumerate(NAMES)] + ["u2,a1,1,", "u3,a2,1,"],
    })
    if table == "jsonl":
        (rows / "papers.csv").unlink()
        papers = [{"id": "p1", "title": "On Engines"}, {"id": "u1", "title": "", "year": 2020, "venue_id": "v1",
                  "doi": "10.5555/U1"}, {"id": "u2", "title": None}, {"id": "u3"}]
        (rows / "papers.jsonl").write_text("".join(json.dumps(p) + "\n" for p in papers), encoding="utf-8")
    records, reasons = read_accepted("rows", rows)
    assert reasons == []
    papers_read = {p.id: p for p in of(records, Paper)}
    assert [papers_read[i].title for i in ("u1", "u2", "u3")] == [None, None, None]
    assert (papers_read["u1"].doi, papers_read["u1"].year, papers_read["u1"].venue_id) == ("10.5555/u1", 2020, "v1")
    ships = of(records, Authorship)
    assert [(a.author_id, a.name_as_printed) for a in ships if a.paper_id == "u1"] == [
        (f"n{i}", name) for i, name in enumerate(NAMES)]
    assert {a.paper_id for a in ships} == {"p1", "u1", "u2", "u3"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("untitled") / "store"
    report = kg.build([OPENALEX, CROSSREF], path)
    assert report.rows_rejected == 0
    return path


def test_the_store_conforms_to_the_shapes(store: Path) -> None:
    report = validate(StoreDir(store).open())
    assert report.conforms, [str(v) for v in report.violations]


def test_the_cluster_has_them_with_a_null_title(store: Path) -> None:
    with open_store(store) as backend:
        c = cluster(backend, "Liyuan Liu")
    assert len(c.papers) == 2 and {p.title for p in c.papers} == {None}
    data = json.loads(CliRunner().invoke(main, ["cluster", "liyuan liu", "--store", str(store), "--format", "json"])
                      .stdout)
    by_doi = {p["doi"]: p for p in data["papers"]}
    paper = by_doi["https://doi.org/10.5555/untitled.2024.3"]
    assert paper["title"] is None and paper["year"] == 2024
    assert paper["venue"] == "Neural Information Processing Systems"
    assert [a["name"] for a in paper["authors"]] == ["Liyuan Liu", "Bin Li"]
    text = CliRunner().invoke(main, ["cluster", "liyuan liu", "--store", str(store)]).stdout
    assert "[no title] https://doi.org/10.5555/untitled.2024.3" in text
    assert "[no title] https://doi.org/10.5555/untitled.2023.9" in text
    rows = list(csv.reader(io.StringIO(
        CliRunner().invoke(main, ["cluster", "liyuan liu", "--store", str(store), "--format", "csv"]).stdout)))
    assert [r[1] for r in rows[1:]] == ["", ""]


@pytest.fixture(scope="module")
def server(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(store, log=tmp_path_factory.mktemp("untitled-log") / "serve.log") as s:
        yield s


def test_pages_show_the_doi_or_the_id(server: Server) -> None:
    page = requests.get(server.url + "/clusters/Liyuan%20Liu", timeout=30)
    assert page.status_code == 200
    assert '<span class="untitled">[no title]</span> https://doi.org/10.5555/untitled.2024.3' in page.text
    paper = requests.get(server.url + "/paper/openalex%3AW4399000001", headers={"Accept": "text/html"}, timeout=30)
    assert paper.status_code == 200
    assert '<h1 id="title">[no title] https://doi.org/10.5555/untitled.2024.3</h1>' in paper.text
    author = requests.get(server.url + "/author/openalex%3AA2", headers={"Accept": "text/html"}, timeout=30)
    assert author.status_code == 200
    # its DOI, as the cluster and paper pages (issue 29: the author page's entries have it at hand now)
    assert '<span class="untitled">[no title]</span> https://doi.org/10.5555/untitled.2024.3' in author.text
    api = requests.get(server.url + "/api/clusters/Liyuan%20Liu", timeout=30).json()
    assert {p["title"] for p in api["papers"]} == {None}


def test_paged_clusters_have_them_too(store: Path, server: Server) -> None:
    """The paged cluster (kg.cluster_page: its sort keys and summaries) keeps papers without a title."""
    seen = []
    for page in (1, 2):
        r = requests.get(server.url + "/api/clusters/Liyuan%20Liu", params={"page": page, "page_size": 1}, timeout=30)
        assert r.status_code == 200, r.text
        seen += [(p["title"], p["doi"]) for p in r.json()["papers"]]
    assert sorted(d for _, d in seen) == ["https://doi.org/10.5555/untitled.2023.9", "https://doi.org/10.5555/untitled.2024.3"]
    assert {t for t, _ in seen} == {None}


def test_a_chain_through_a_paper_without_a_title_shows_its_doi(store: Path, server: Server) -> None:
    """A link's joint paper without a title was shown with its IRI as the title (JSON, CSV, text, the path
    page); now its title is null in the JSON and empty in the CSV, and it is shown as its page shows it."""
    ends = {"from": "openalex:A5023888391", "to": "openalex:A2"}
    api = requests.get(server.url + "/api/paths", params=ends, timeout=30)
    assert api.status_code == 200, api.text
    [paper] = api.json()["paths"][0]["links"][0]["papers"]
    assert (paper["title"], paper["doi"], paper["year"]) == (None, "https://doi.org/10.5555/untitled.2024.3", 2024)
    table = requests.get(server.url + "/api/paths", params={**ends, "format": "csv"}, timeout=30).text
    assert [r["title"] for r in csv.DictReader(io.StringIO(table))] == [""]
    page = requests.get(server.url + "/path", params=ends, timeout=30)
    assert page.status_code == 200
    assert ">[no title] https://doi.org/10.5555/untitled.2024.3</a>" in page.text  # the list of joint papers
    assert re.search(r'class="paper-title"[^>]*>\[no title\] https://doi\.org/10\.5555/unti', page.text)  # the picture
    assert "openalex%3AW4399000001</a>" not in page.text
    text = CliRunner().invoke(main, ["path", ends["from"], ends["to"], "--store", str(store)]).stdout
    assert "· [no title] https://doi.org/10.5555/untitled.2024.3 (Neural Information Processing Systems, 2024)" in text


def test_a_chain_through_a_dblp_record_without_a_title_or_doi_shows_its_id(tmp_path: Path) -> None:
    xml = tmp_path / "untitled.xml"
    xml.write_text(
        '<dblp>\n<article key="journals/x/U"><author>Ζωή Παπαδοπούλου</author><author>王伟</author>'
        "<author>محمد علي</author><year>2022</year><journal>X</journal></article>\n"
        '<article key="journals/x/T"><author>王伟</author><author>Иван Петров</author><title>Титул</title>'
        "<year>2021</year><journal>X</journal></article>\n</dblp>\n",
        encoding="utf-8",
    )
    kg.build([xml], tmp_path / "s")
    run = CliRunner().invoke(main, ["path", "ζωή παπαδοπούλου", "Иван Петров", "--store", str(tmp_path / "s"),
                                    "--format", "json"])
    assert run.exit_code == 0, run.output
    links = json.loads(run.stdout)["paths"][0]["links"]
    assert [[(p["title"], p["doi"]) for p in link["papers"]] for link in links] == [[(None, None)], [("Титул", None)]]
    text = CliRunner().invoke(main, ["path", "Ζωή Παπαδοπούλου", "Иван Петров", "--store", str(tmp_path / "s")]).stdout
    assert "· [no title] dblp:journals/x/U (X, 2022)" in text and "· Титул (X, 2021)" in text
