"""Merged ids as data (issue 28): kg.records.Merge read from a rows directory's merges.csv and from
OpenAlex's merged_ids tables, checked (a merged id still described, a merge onto itself, twice, a
cycle: rejects with file and line), chains resolved to the final survivor, mapped to owl:sameAs.
The server's redirects are tests/test_merges_server.py."""

from __future__ import annotations

import gzip
import json
import shutil
import unicodedata
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

import kg
import kg.sources as sources
from kg.errors import BadRowError
from kg.iris import DEFAULT_BASE_IRI, Minter
from kg.mapping import Mapper
from kg.merges import Held, Merges
from kg.records import Merge, Reject, Skipped
from kg.store import StoreDir
from kg.terms import OWL_SAME_AS

ROWS = DATA / "merges" / "rows"
OPENALEX = DATA / "merges" / "openalex"
MERGES_CSV = str(ROWS / "merges.csv")
WORKS_IDS = str(OPENALEX / "merged_ids" / "works" / "2024-01-01.csv")
AUTHORS_IDS = str(OPENALEX / "merged_ids" / "authors" / "2024-01-02.csv.gz")
M = Minter(DEFAULT_BASE_IRI)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def same_as(store_dir: Path) -> dict[str, str]:
    """old IRI -> survivor IRI, for every owl:sameAs of the store."""
    store = StoreDir(store_dir).open()
    return {q.subject.value: q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(OWL_SAME_AS), None)}


def rejects(path: Path) -> set[tuple[str, int, str]]:
    return {(r["file"], r["line"], r["reason"]) for r in map(json.loads, path.read_text().splitlines())}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, kg.Report]:
    """The rows and OpenAlex fixtures built together, as `kg build ROWS OPENALEX` does."""
    tmp = tmp_path_factory.mktemp("merges")
    report = kg.build([ROWS, OPENALEX], tmp / "store", rejects=tmp / "rejects.jsonl")
    return tmp / "store", tmp / "rejects.jsonl", report


def test_a_merge_is_the_old_iri_same_as_the_survivors_and_nothing_else() -> None:
    mapper = Mapper(M, M.graph("rows"))
    for kind, mint in (("paper", M.paper), ("author", M.author), ("venue", M.venue)):
        lines = "".join(mapper.lines(Merge(kind, "Zoë old", "王小明")))
        assert lines == f"<{mint('Zoë old')}> <{OWL_SAME_AS}> <{mint('王小明')}> <{M.graph('rows')}> .\n"


def test_the_build_maps_each_accepted_merge_to_its_final_survivor(built: tuple[Path, Path, kg.Report]) -> None:
    store, _, _ = built
    found = same_as(store)
    expected = {
        M.author("jürgen-alt"): M.author("jürgen"),
        M.author(nfd("zoë-alt")): M.author(nfd("zoë")),
        M.author("γιώργος-παλιός"): M.author("γιώργος"),
        M.author("сергей-старый"): M.author("сергей"),
        M.author("王小明-旧"): M.author("王小明"),
        M.author("محمد-قديم"): M.author("محمد"),
        M.paper("p-old"): M.paper("p1"),
        M.venue("v-old"): M.venue("v1"),
        # a chain resolves to its end: chain-a -> chain-b -> carol
        M.author("chain-a"): M.author("carol"),
        M.author("chain-b"): M.author("carol"),
        M.author("twice"): M.author("alice"),  # its first merge; the second is rejected
        # rows' via-openalex -> openalex:A50, OpenAlex's A50 -> A51: a chain across the sources of one build
        M.author("via-openalex"): M.author("openalex:A51"),
        M.author("openalex:A49"): M.author("openalex:A51"),
        M.author("openalex:A50"): M.author("openalex:A51"),
        M.paper("openalex:W299"): M.paper("openalex:W300"),
        M.paper("openalex:W298"): M.paper("openalex:W300"),  # W298 -> W299 -> W300
        M.venue("openalex:S9"): M.venue("openalex:S10"),
    }
    assert found == expected
    # the NFC and NFD spellings of an id are two ids, each minted as it is written
    assert M.author(nfd("zoë-alt")) != M.author("zoë-alt") and M.author("zoë-alt") not in found


def test_the_build_rejects_what_cannot_be_a_redirect_with_file_and_line(built: tuple[Path, Path, kg.Report]) -> None:
    _, rejects_file, report = built
    assert rejects(rejects_file) == {
        (MERGES_CSV, 12, "author 'loop-x': a cycle of merges ('loop-x' -> 'loop-y' -> 'loop-x'); "
                         "no survivor to redirect to"),
        (MERGES_CSV, 13, "author 'loop-y': a cycle of merges ('loop-y' -> 'loop-x' -> 'loop-y'); "
                         "no survivor to redirect to"),
        (MERGES_CSV, 14, "merged author 'alice' is still described by a record of this input"),
        (MERGES_CSV, 15, "author 'self' is merged into itself"),
        (MERGES_CSV, 16 + 1, f"author 'twice' is merged already (into 'alice', {MERGES_CSV}:16)"),
        # rows' A90 -> A91 and OpenAlex's A91 -> A90: a cycle across the inputs of one build
        (MERGES_CSV, 18, "author 'openalex:A90': a cycle of merges ('openalex:A90' -> 'openalex:A91' -> "
                         "'openalex:A90'); no survivor to redirect to"),
        (AUTHORS_IDS, 4, "author 'openalex:A91': a cycle of merges ('openalex:A91' -> 'openalex:A90' -> "
                         "'openalex:A91'); no survivor to redirect to"),
        (WORKS_IDS, 4, "merged paper 'openalex:W301' is still described by a record of this input"),
        (WORKS_IDS, 5, "W297 is merged into A51, an entity of another kind"),
        (WORKS_IDS, 6, "merge_into_id: not an OpenAlex id: 'not-an-id'"),
    }
    assert report.rows_rejected == 10
    # institutions are not in kg's graph: their merges are skipped and counted, not rejected
    assert report.rows_skipped == 2
    assert report.skipped == {"merged institution ids (kg's graph has works, authors and sources only)": 2}
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.rows_skipped
    assert "2 skipped" in report.summary() and "merged institution ids" in report.summary()
    assert StoreDir(built[0]).meta()["rows"]["skipped"] == 2


def test_a_merged_id_described_before_or_after_its_merge_is_rejected(tmp_path: Path) -> None:
    """The merge is the reject whichever comes first: the record (checked as the merge is read) or
    the merge (checked once every record is read)."""
    rows = tmp_path / "rows"
    shutil.copytree(ROWS, rows)
    (rows / "merges.csv").write_text("kind,old_id,new_id\nauthor,carol,alice\n", encoding="utf-8")
    before = kg.build([rows], tmp_path / "a", rejects=tmp_path / "a.jsonl")
    assert rejects(tmp_path / "a.jsonl") == {
        (str(rows / "merges.csv"), 2, "merged author 'carol' is still described by a record of this input")}
    # the merge first: an OpenAlex merged-ids file given before the works it contradicts
    merged = tmp_path / "merged.csv"
    merged.write_text("merge_date,id,merge_into_id\n2024-01-01,W301,W300\n")
    kg.build([merged, OPENALEX / "works.jsonl"], tmp_path / "b", rejects=tmp_path / "b.jsonl")
    assert rejects(tmp_path / "b.jsonl") == {
        (str(merged), 2, "merged paper 'openalex:W301' is still described by a record of this input")}
    assert before.rows_rejected == 1


def test_strict_refuses_the_first_bad_merge(tmp_path: Path) -> None:
    with pytest.raises(BadRowError, match="merges.csv:14: merged author 'alice' is still described"):
        kg.build([ROWS], tmp_path / "s", strict=True)


def test_rows_merges_table_is_optional_and_checked(tmp_path: Path) -> None:
    rows = tmp_path / "rows"
    shutil.copytree(ROWS, rows)
    (rows / "merges.csv").unlink()
    assert sources.detect(rows) == "rows"
    assert not any(isinstance(x.item, Merge) for x in sources.read(rows, "rows"))
    (rows / "merges.csv").write_text("kind,old_id,new_id\nperson,a,b\nauthor,,b\n", encoding="utf-8")
    items = [(x.line, x.item) for x in sources.read(rows, "rows") if x.file.endswith("merges.csv")]
    assert items == [(2, "column 'kind': 'person' is not one of paper, author, venue"),
                     (3, "missing required column 'old_id'")]
    (rows / "merges.csv").write_text("kind,old\n", encoding="utf-8")
    with pytest.raises(kg.InputError, match="merges.csv:1: missing required column"):
        list(sources.read(rows, "rows"))


def test_openalex_merged_ids_are_found_as_files_and_inside_an_openalex_directory(tmp_path: Path) -> None:
    assert sources.detect(Path(WORKS_IDS)) == "openalex"
    assert sources.detect(Path(AUTHORS_IDS)) == "openalex"  # gzipped
    found = [p.relative_to(OPENALEX).as_posix() for p in sources.files(OPENALEX)]
    assert found == ["works.jsonl", "merged_ids/authors/2024-01-02.csv.gz",
                     "merged_ids/institutions/2024-01-01.csv", "merged_ids/sources/2024-01-01.csv",
                     "merged_ids/works/2024-01-01.csv"]
    assert sources.detect(OPENALEX) == "openalex"
    items = [x.item for x in sources.read(Path(AUTHORS_IDS), "auto")]
    assert items == [Merge("author", "openalex:A49", "openalex:A51"), Merge("author", "openalex:A50", "openalex:A51"),
                     Merge("author", "openalex:A91", "openalex:A90")]
    skipped = [x.item for x in sources.read(OPENALEX / "merged_ids" / "institutions" / "2024-01-01.csv", "openalex")]
    assert all(isinstance(s, Skipped) for s in skipped) and len(skipped) == 2
    # a CSV beside the works that is not a merged-ids table is not a data file of the directory
    (tmp_path / "works.jsonl").write_bytes((OPENALEX / "works.jsonl").read_bytes())
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    with gzip.open(tmp_path / "m.csv.gz", "wt") as f:
        f.write("\ufeffmerge_date,id,merge_into_id\n2024-01-01,S9,https://openalex.org/S10\n")
    assert [p.name for p in sources.files(tmp_path)] == ["works.jsonl", "m.csv.gz"]
    assert [x.item for x in sources.read(tmp_path / "m.csv.gz", "openalex")] == [
        Merge("venue", "openalex:S9", "openalex:S10")]


def test_a_merged_ids_table_with_another_header_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "m.csv"
    bad.write_text("merge_date,id\n2024-01-01,W1\n")
    from kg.sources.openalex_merges import read_merged_ids

    with pytest.raises(kg.InputError, match="m.csv:1: not an OpenAlex merged-ids table"):
        list(read_merged_ids(bad))


# Chain resolution against a plain reference on generated merge tables: follow each merge, one hop at
# a time, until an id that is not merged (its survivor) or one seen already (a cycle: no survivor).

def _reference(table: dict[str, str], described: set[str]) -> dict[str, str | None]:
    live = {old: new for old, new in table.items() if old not in described}
    out: dict[str, str | None] = {}
    for old in live:
        seen, current = {old}, live[old]
        while current in live:
            if current in seen:
                break
            seen.add(current)
            current = live[current]
        out[old] = None if current in live else current
    return out


ids = st.sampled_from(["a", "b", "c", "d", "e", "f"])


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(ids, ids).filter(lambda p: p[0] != p[1]), max_size=8, unique_by=lambda p: p[0]),
       described=st.sets(ids, max_size=2))
def test_chains_resolve_as_following_each_merge_one_hop_at_a_time(
        pairs: list[tuple[str, str]], described: set[str]) -> None:
    merges: Merges[None] = Merges()
    for line, (old, new) in enumerate(pairs, start=2):
        assert merges.add(Merge("author", old, new), "m.csv", line, None) is None
    got: dict[str, str | None] = {}
    for outcome in merges.resolved(lambda kind, id: id in described):
        if isinstance(outcome, Reject):
            old = pairs[outcome.line - 2][0]
            got[old] = None
        else:
            assert isinstance(outcome, Held)
            got[outcome.merge.old_id] = outcome.merge.new_id
    expected = _reference(dict(pairs), described)
    assert {k: v for k, v in got.items() if k not in described} == expected
    assert all(got[k] is None for k in described if k in dict(pairs))


def test_survivor_follows_a_chain_and_refuses_a_cycle_or_a_fork() -> None:
    """kg.redirects on a store whose merges came from several builds (each checked its own only)."""
    from kg.backend.embedded import EmbeddedBackend
    from kg.redirects import BadMerge, survivor

    store = ox.Store()
    same, a_type = ox.NamedNode(OWL_SAME_AS), ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    row = ox.NamedNode("https://w3id.org/scholarly-kg/ontology#AuthorRow")
    a = {k: ox.NamedNode(M.author(k)) for k in ("x", "y", "z", "c1", "c2", "f", "g", "h", "kept")}
    for s, o in (("x", "y"), ("y", "z"), ("c1", "c2"), ("c2", "c1"), ("f", "g"), ("f", "h"), ("kept", "z")):
        store.add(ox.Quad(a[s], same, a[o]))
    for described in ("z", "g", "h", "kept"):
        store.add(ox.Quad(a[described], a_type, row))
    data = EmbeddedBackend(store)
    assert survivor(data, M.author("x")) == M.author("z")
    assert survivor(data, M.author("y")) == M.author("z")
    assert survivor(data, M.author("z")) is None  # a survivor is no merged id
    assert survivor(data, M.author("kept")) is None  # described: its owl:sameAs is data, not a redirect
    assert survivor(data, M.author("nobody")) is None
    assert survivor(data, "http://a b/not an IRI") is None
    with pytest.raises(BadMerge, match="is merged in a cycle"):
        survivor(data, M.author("c1"))
    with pytest.raises(BadMerge, match="was merged into 2 resources"):
        survivor(data, M.author("f"))


def test_a_build_in_a_worker_gives_the_same_merges_and_rejects(tmp_path: Path,
                                                               built: tuple[Path, Path, kg.Report]) -> None:
    report = kg.build([ROWS, OPENALEX], tmp_path / "w", rejects=tmp_path / "w.jsonl", workers=2)
    assert same_as(tmp_path / "w") == same_as(built[0])
    assert rejects(tmp_path / "w.jsonl") == rejects(built[1])
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.skipped) == (
        built[2].rows_read, built[2].rows_loaded, built[2].rows_rejected, built[2].skipped)
