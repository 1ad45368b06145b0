"""Malformed rows: reported with file, line and reason; --strict changes nothing; killed builds are harmless."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
from kg.cli import main
from kg.cluster import cluster
from kg.store import StoreDir

HEADERS = {
    "venues": "id,name,kind,full_name",
    "authors": "id,name,orcid,dblp_pid,openalex_id",
    "papers": "id,title,year,venue_id,type,abstract,doi,url,authors_truncated",
    "authorships": "paper_id,author_id,position,name_as_printed",
}
GOOD = {
    "venues": ["v1,NeurIPS,conference,Neural Information Processing Systems"],
    "authors": ["a1,Ada Lovelace,0000-0002-1825-0097,,", "a2,Alan Turing,,t/Turing,A123"],
    "papers": ["p1,On Engines,1843,v1,Journal Article,An abstract.,10.1000/XYZ,https://example.org/p1,false"],
    "authorships": ["p1,a1,1,A. Lovelace", "p1,a2,2,"],
}


def write_rows(directory: Path, extra: dict[str, list[str]] | None = None, raw: dict[str, bytes] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for table, header in HEADERS.items():
        lines = [header, *GOOD[table], *(extra or {}).get(table, [])]
        data = ("\n".join(lines) + "\n").encode("utf-8") + (raw or {}).get(table, b"")
        (directory / f"{table}.csv").write_bytes(data)
    return directory


BAD_CASES = {
    "bad year": ("papers", "p2,Title,not-a-year,v1,,,,,", "column 'year': expected an integer"),
    "year out of range": ("papers", "p2,Title,12345,v1,,,,,", "out of range"),
    "missing id": ("papers", ",Title,2020,v1,,,,,", "missing required column 'id'"),
    "duplicate paper id": ("papers", "p1,Again,2020,v1,,,,,", "duplicate paper id 'p1'"),
    "unknown venue": ("papers", "p2,Title,2020,nowhere,,,,,", "unknown venue 'nowhere'"),
    "bad doi": ("papers", "p2,Title,2020,v1,,,not-a-doi,,", "not a DOI"),
    "url not an IRI": ("papers", "p2,Title,2020,v1,,,,http://host:abc/x,", "not a valid IRI"),
    "bad boolean": ("papers", "p2,Title,2020,v1,,,,,maybe", "expected true or false"),
    "wrong field count": ("papers", "p2,Title", "expected 9 fields, found 2"),
    "bad orcid": ("authors", "a3,Name,1234,,", "not an ORCID"),
    "duplicate author id": ("authors", "a1,Someone Else,,,", "duplicate author id 'a1'"),
    "bad venue kind": ("venues", "v2,X,circus,", "'circus' is not one of"),
    "unknown paper": ("authorships", "p9,a1,1,", "unknown paper 'p9'"),
    "unknown author": ("authorships", "p1,a9,3,", "unknown author 'a9'"),
    "position zero": ("authorships", "p1,a1,0,", "column 'position': 0 is out of range"),
    "position not a number": ("authorships", "p1,a1,x,", "column 'position': expected an integer"),
    "duplicate position": ("authorships", "p1,a1,2,", "duplicate position 2 for paper 'p1'"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_each_bad_row_is_rejected_with_file_line_and_reason(case: str, tmp_path: Path) -> None:
    table, line, reason = BAD_CASES[case]
    rows = write_rows(tmp_path / "rows", {table: [line]})
    rejects = tmp_path / "rejects.jsonl"
    report = kg.build([rows], tmp_path / "S", rejects=rejects)
    assert report.rows_rejected == 1
    assert report.rows_read == report.rows_loaded + report.rows_rejected == 7
    [reject] = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert reject["file"].endswith(f"{table}.csv")
    assert reject["line"] == 2 + len(GOOD[table])
    assert reason in reject["reason"]


def test_broken_utf8_in_csv_is_rejected(tmp_path: Path) -> None:
    rows = write_rows(tmp_path / "rows", raw={"authors": b"a3,Bad \xff\xfe name,,,\n"})
    report = kg.build([rows], tmp_path / "S", rejects=tmp_path / "r.jsonl")
    [reject] = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert (reject["line"], reject["reason"]) == (4, "invalid UTF-8")
    assert report.rows_loaded == 6


def test_control_characters_in_a_row_are_spaces_not_kept_nor_a_reject(tmp_path: Path) -> None:
    """A BEL or a NUL in a name, a form feed in an abstract (PDF text has them): a space, as kg.text.plain
    makes them in OpenAlex and Crossref text, not kept to be printed raw by kg search and written into a
    cluster's IRI (%07), nor a reject that loses the paper; a quoted field's lines stay lines."""
    rows = write_rows(tmp_path / "rows", {
        "authors": ["a3,Γιώργος\x07 Παπαδόπουλος,,,", "a4,王\x00小明,,,"],
        "papers": ['p2,Über\x1b[1m Netze,2020,v1,,"Line one\nline\x0ctwo",,,'],
        "authorships": ["p2,a3,1,G.\x7f Papadopoulos", "p2,a4,2,"],
    })
    papers = [{"id": "p9", "title": "Ли\u0085 Вэй\u0000", "venue_id": "v1", "abstract": "tab\tkept"}]
    jsonl = tmp_path / "jsonl"
    write_rows(jsonl)
    (jsonl / "papers.csv").unlink()
    (jsonl / "papers.jsonl").write_text("\n".join(json.dumps(p) for p in papers) + "\n", encoding="utf-8")
    (jsonl / "authorships.csv").write_text(HEADERS["authorships"] + "\n", encoding="utf-8")
    from kg.records import Author, Authorship, Paper
    from kg.sources.rows import read_rows

    read = [located.item for located in read_rows(rows)]
    assert {a.name for a in read if isinstance(a, Author)} >= {"Γιώργος  Παπαδόπουλος", "王 小明"}
    [paper] = [p for p in read if isinstance(p, Paper) and p.id == "p2"]
    assert (paper.title, paper.abstract) == ("Über [1m Netze", "Line one\nline two")
    assert "G.  Papadopoulos" in {a.name_as_printed for a in read if isinstance(a, Authorship)}
    [paper] = [p.item for p in read_rows(jsonl) if isinstance(p.item, Paper)]
    assert (paper.title, paper.abstract) == ("Ли  Вэй", "tab\tkept")
    report = kg.build([rows], tmp_path / "S", rejects=tmp_path / "r.jsonl")
    assert report.rows_rejected == 0
    assert cluster(kg.open_store(tmp_path / "S"), "Γιώργος Παπαδόπουλος").to_json()["rows"]


def test_jsonl_tables_with_bad_lines(tmp_path: Path) -> None:
    rows = write_rows(tmp_path / "rows")
    (rows / "papers.csv").unlink()
    papers = [
        {"id": "p1", "title": "On Engines", "year": 1843, "venue_id": "v1", "authors_truncated": True},
        {"id": "p2", "title": "No year", "year": "soon"},
        {"id": "p3", "title": 7},
        {"title": "no id"},
    ]
    lines = [json.dumps(p).encode() for p in papers] + [b"{not json", b"[1, 2]", b'{"id": "p4", "title": "\xc3\x28"}']
    with gzip.open(rows / "papers.jsonl.gz", "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    report = kg.build([rows], tmp_path / "S", rejects=tmp_path / "r.jsonl")
    rejects = {r["line"]: r["reason"] for r in map(json.loads, (tmp_path / "r.jsonl").read_text().splitlines())}
    assert rejects[2].startswith("column 'year'")
    assert 3 not in rejects  # a number where text is expected is written as text
    assert rejects[4] == "missing required column 'id'"
    assert rejects[5].startswith("invalid JSON")
    assert rejects[6].startswith("expected a JSON object")
    assert rejects[7] == "invalid UTF-8"
    assert report.rows_read == report.rows_loaded + report.rows_rejected


def test_missing_table_and_missing_column_are_input_errors(tmp_path: Path) -> None:
    rows = write_rows(tmp_path / "rows")
    (rows / "venues.csv").unlink()
    with pytest.raises(kg.InputError, match="no venues table"):
        kg.build([rows], tmp_path / "S")
    write_rows(rows)
    (rows / "papers.csv").write_text("id,year\np1,2020\n")
    with pytest.raises(kg.InputError, match=r"papers\.csv:1: missing required column\(s\): title"):
        kg.build([rows], tmp_path / "S")
    assert not StoreDir(tmp_path / "S").exists()


def test_strict_fails_on_the_first_bad_row_and_keeps_the_old_store(tmp_path: Path) -> None:
    store = tmp_path / "S"
    good = write_rows(tmp_path / "good")
    kg.build([good], store)
    before = sorted(StoreDir(store).open().dump(format=__import__("pyoxigraph").RdfFormat.N_QUADS).splitlines())
    bad = write_rows(tmp_path / "bad", {"authorships": ["p1,a9,3,"]})
    result = CliRunner().invoke(main, ["build", str(bad), "--store", str(store), "--strict"])
    assert result.exit_code == 1
    assert "authorships.csv:4: authorship refers to unknown author 'a9'" in result.output
    assert "--strict" in result.output
    after = sorted(StoreDir(store).open().dump(format=__import__("pyoxigraph").RdfFormat.N_QUADS).splitlines())
    assert after == before
    assert [p.name for p in store.iterdir() if p.name.startswith(".build-")] == []


def _big_rows(directory: Path, papers: int) -> Path:
    directory.mkdir()
    (directory / "venues.csv").write_text(HEADERS["venues"] + "\nv1,V,journal,\n")
    with open(directory / "authors.csv", "w") as f:
        f.write(HEADERS["authors"] + "\n")
        f.writelines(f"a{i},Author {i},,,\n" for i in range(papers))
    with open(directory / "papers.csv", "w") as f:
        f.write(HEADERS["papers"] + "\n")
        f.writelines(f"p{i},Paper number {i},2000,v1,Journal Article,,,,\n" for i in range(papers))
    with open(directory / "authorships.csv", "w") as f:
        f.write(HEADERS["authorships"] + "\n")
        f.writelines(f"p{i},a{(i * 7 + k) % papers},{k + 1},\n" for i in range(papers) for k in range(3))
    return directory


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_build_leaves_the_previous_store_as_it_was(tmp_path: Path) -> None:
    store = tmp_path / "S"
    kg.build([write_rows(tmp_path / "good")], store)
    before = cluster(kg.open_store(store), "Ada Lovelace").to_json()
    big = _big_rows(tmp_path / "big", 300_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "build", str(big), "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".build-") for p in store.iterdir()):
        assert proc.poll() is None, "the build ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.5)
    assert proc.poll() is None, "the build ended before it could be killed"
    workers = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # its mapping worker (if it had one) notices at its next send and ends too
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"mapping worker(s) {workers} outlived the killed build"
        time.sleep(0.05)
    assert cluster(kg.open_store(store), "Ada Lovelace").to_json() == before
    assert StoreDir(store).meta()["counts"]["papers"] == 1
    # The next build cleans up what the killed one left.
    kg.build([write_rows(tmp_path / "again")], store)
    assert [p.name for p in store.iterdir() if p.name.startswith(".build-")] == []


BROKEN_QUOTE = (
    HEADERS["papers"] + "\n"
    + GOOD["papers"][0] + "\n"  # line 2
    + "p2,Second,2021,v1,,,,,\n"  # line 3
    + 'p3,"Third, quoted",2022,v1,,"An abstract\nover two lines",,,\n'  # lines 4-5: one good record
    + 'p4,"An unterminated quote, 2024,v1,,,,,\n'  # line 6: broken
    + "p5,Fifth,2020,v1,,,,,\n"  # line 7
    + 'p6,"Sixth, quoted",2020,v1,,,,,\n'  # line 8: where csv, reading on, fails
    + "p7,Seventh,2020,v1,,,,,\n"  # line 9
)


def test_a_broken_quote_is_a_reject_and_the_rows_after_it_are_read(tmp_path: Path) -> None:
    rows = write_rows(tmp_path / "rows")
    (rows / "papers.csv").write_text(BROKEN_QUOTE, encoding="utf-8")
    rejects = tmp_path / "r.jsonl"
    report = kg.build([rows], tmp_path / "S", rejects=rejects)
    [reject] = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert reject["file"].endswith("papers.csv") and reject["line"] == 6
    assert reject["reason"].startswith("broken CSV: ")
    assert "line 6 to 8" in reject["reason"]
    papers = {p.title for p in cluster(kg.open_store(tmp_path / "S"), "Ada Lovelace").papers}
    assert papers == {"On Engines"}
    assert _paper_ids(tmp_path / "S") == {"p1", "p2", "p3", "p5", "p6", "p7"}
    assert report.rows_read == report.rows_loaded + report.rows_rejected
    result = CliRunner().invoke(main, ["build", str(rows), "--store", str(tmp_path / "T"), "--strict"])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("kg: error: ") and "papers.csv:6: broken CSV" in line


def test_an_unbalanced_quote_that_csv_accepts_is_still_a_reject_on_its_line(tmp_path: Path) -> None:
    """The quote opened on line 3 closes on line 5 before a comma: csv reads lines 3-5 as one record
    with the wrong number of fields. It is rejected on line 3 and lines 4-5 are read again."""
    text = (
        HEADERS["papers"] + "\n" + GOOD["papers"][0] + "\n"
        + 'p2,"Open quote,2021,v1,,,,,\n'  # line 3
        + "p3,Third,2021,v1,,,,,\n"  # line 4
        + 'p4,Fourth,2021,v1,,,,,"\n'  # line 5: a stray quote at the end closes the one of line 3
    )
    rows = write_rows(tmp_path / "rows")
    (rows / "papers.csv").write_text(text, encoding="utf-8")
    report = kg.build([rows], tmp_path / "S", rejects=tmp_path / "r.jsonl")
    rejects = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [3, 5]
    assert "line 3 to 5" in rejects[0]["reason"]
    assert report.rows_rejected == 2 and _paper_ids(tmp_path / "S") == {"p1", "p3"}


def _paper_ids(store: Path) -> set[str]:
    from kg.terms import NS

    found = StoreDir(store).open().query(f"SELECT ?p WHERE {{ ?p a <{NS}Paper> }}", use_default_graph_as_union=True)
    return {str(row["p"].value).rsplit("/", 1)[-1] for row in found}  # type: ignore[union-attr,index]


def test_the_rows_of_a_rejected_paper_or_author_say_so_once_and_unknown_ids_still_each_a_reject(
        tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "pé")
    extra = {
        "authors": ["a3,Дмитрий Иванов,1234,,"],  # a bad ORCID: the author is rejected
        "papers": [f"{nfd},Ἀρχαῖα κείμενα,not-a-year,v1,,,,,", "p3,王小明の論文,2020,nowhere,,,,,"],
        "authorships": [f"{nfd},a1,1,", f"{nfd},a2,2,", f"{nfd},a1,3,", "p3,a1,1,", "p3,a2,2,",
                        "p9,a1,1,", "p9,a2,2,", "p1,a3,3,محمد العلي"],
    }
    rows = write_rows(tmp_path / "rows", extra)
    rejects = tmp_path / "rejects.jsonl"
    report = kg.build([rows], tmp_path / "S", rejects=rejects)
    found = [(Path(r["file"]).name, r["line"], r["reason"]) for r in map(json.loads, rejects.read_text().splitlines())]
    assert [(name, line) for name, line, _ in found] == [
        ("authors.csv", 4), ("papers.csv", 3), ("papers.csv", 4),
        ("authorships.csv", 4), ("authorships.csv", 7), ("authorships.csv", 9), ("authorships.csv", 10),
        ("authorships.csv", 11)]
    assert f"authorship of rejected paper {nfd!r}" in found[3][2]
    assert "authorship of rejected paper 'p3'" in found[4][2]
    assert "unknown paper 'p9'" in found[5][2] and "unknown paper 'p9'" in found[6][2]
    assert "authorship of rejected author 'a3'" in found[7][2]
    assert report.rows_rejected == 8 and report.skipped == {"rows referring to a rejected paper": 3}
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.rows_skipped
