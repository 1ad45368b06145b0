"""kg sync: only the changed records written, and the result equal to a full rebuild of the same inputs."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from kg import build, load
from kg.store import StoreDir
from kg.sync.embedded import sync
from kg.sync.gate import SyncRefused, parse_share
from kg.synthetic.generator import generate
from kg.validate import ValidationError, require_valid_subjects
from tests.conftest import shared
from tests.sync_checks import assert_same_as_rebuild, edit_table, read_table, write_table

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "arrow-liyuan-liu"

# Names in every script, the accented ones in NFC and in NFD.
NAMES = [
    "Jürgen Müller",
    unicodedata.normalize("NFD", "Jürgen Müller"),
    "Γιώργος Παπαδόπουλος",
    "Дмитрий Иванов",
    "王小明",
    "محمد العلي",
]


def _kg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


@pytest.fixture
def example(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the example's tables and a store built from them."""
    rows = tmp_path / "rows"
    shutil.copytree(EXAMPLE, rows)
    store = tmp_path / "store"
    build([rows], store)
    return rows, store


def test_a_second_sync_with_the_same_input_changes_nothing(example: tuple[Path, Path]) -> None:
    rows, store = example
    before = StoreDir(store).active()
    done = sync([rows], store)
    assert done.up_to_date and done.delta is None
    assert StoreDir(store).active() == before


def test_an_input_with_other_bytes_but_the_same_records_writes_no_subject(example: tuple[Path, Path]) -> None:
    rows, store = example
    edit_table(rows / "papers.csv", lambda r: list(reversed(r)))  # the same rows in another order
    done = sync([rows], store)
    assert done.delta is not None and done.delta.empty
    assert done.ledger_from == "kept"  # the build kept its ledger
    again = sync([rows], store)
    assert again.up_to_date


def test_add_change_delete_and_rename_in_every_script_equal_a_rebuild(
    example: tuple[Path, Path], tmp_path: Path
) -> None:
    rows, store = example
    _, papers = read_table(rows / "papers.csv")
    gone, retitled = papers[1]["id"], papers[0]["id"]

    def change_papers(rs: list[dict[str, str]]) -> list[dict[str, str]]:
        rs = [r for r in rs if r["id"] != gone]
        for r in rs:
            if r["id"] == retitled:
                r["title"] = "Décodeur — " + " · ".join(NAMES)
        return rs

    def change_authors(rs: list[dict[str, str]]) -> list[dict[str, str]]:
        rs[0]["name"] = NAMES[2]  # a rename: the row leaves its cluster for another
        return rs + [{"id": f"new-{i}", "name": n, "orcid": "", "dblp_pid": "", "openalex_id": ""}
                     for i, n in enumerate(NAMES)]

    def change_authorships(rs: list[dict[str, str]]) -> list[dict[str, str]]:
        rs = [r for r in rs if r["paper_id"] != gone]
        return rs + [{"paper_id": retitled, "author_id": f"new-{i}", "position": str(100 + i), "name_as_printed": n}
                     for i, n in enumerate(NAMES)]

    edit_table(rows / "papers.csv", change_papers)
    edit_table(rows / "authors.csv", change_authors)
    edit_table(rows / "authorships.csv", change_authorships)
    done = sync([rows], store, max_change=1.0)
    assert done.delta is not None
    counts = done.delta.counts()
    assert counts["paper"]["removed"] == 1 and counts["paper"]["changed"] >= 1
    assert counts["author"]["added"] == len(NAMES)
    assert_same_as_rebuild(store, [rows], tmp_path, NAMES)
    assert sync([rows], store).up_to_date


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_changes_to_a_generated_graph_equal_a_rebuild(seed: int, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeds 3 and 4 write the new lines with the bulk loader, as a large change does; seeds 2 and 4
    remove the old triples in batches of 3 subjects."""
    if seed > 2:
        monkeypatch.setattr("kg.sync.apply.BULK_SUBJECTS", 5)
    if seed % 2 == 0:
        monkeypatch.setattr("kg.sync.apply.REMOVE_BATCH", 3)
    rows, store = tmp_path / "rows", tmp_path / "store"
    generate(400, seed, rows)
    build([rows], store)
    rng = random.Random(seed)
    _, authors = read_table(rows / "authors.csv")
    _, papers = read_table(rows / "papers.csv")
    deleted_papers = {p["id"] for p in rng.sample(papers, 4)}
    deleted_authors = {a["id"] for a in rng.sample(authors, 3)}
    renamed = {a["id"]: rng.choice(NAMES + [b["name"] for b in authors]) for a in rng.sample(authors, 5)}
    retitled = {p["id"] for p in rng.sample(papers, 6)}

    def change_papers(rs: list[dict[str, str]]) -> list[dict[str, str]]:
        for r in rs:
            if r["id"] in retitled:
                r["title"] = (r["title"] + " " + rng.choice(NAMES)).strip()
                r["year"] = str(int(r["year"] or 2000) + 1)
        new = dict(rs[0], id=f"new-paper-{seed}", title=rng.choice(NAMES))
        return [r for r in rs if r["id"] not in deleted_papers] + [new]

    def change_authors(rs: list[dict[str, str]]) -> list[dict[str, str]]:
        for r in rs:
            r["name"] = renamed.get(r["id"], r["name"])
        return [r for r in rs if r["id"] not in deleted_authors]

    def change_authorships(rs: list[dict[str, str]]) -> list[dict[str, str]]:
        kept = [r for r in rs if r["paper_id"] not in deleted_papers and r["author_id"] not in deleted_authors]
        some = rng.choice([a["id"] for a in authors if a["id"] not in deleted_authors])
        return kept + [{**rs[0], "paper_id": f"new-paper-{seed}", "author_id": some, "position": "1"}]

    edit_table(rows / "papers.csv", change_papers)
    edit_table(rows / "authors.csv", change_authors)
    edit_table(rows / "authorships.csv", change_authorships)
    done = sync([rows], store, max_change=1.0)
    assert done.delta is not None and not done.delta.empty
    assert_same_as_rebuild(store, [rows], tmp_path, [*renamed.values()])


_RECORD = re.compile(
    rb"<(article|inproceedings|proceedings|book|incollection|phdthesis|mastersthesis|www)\s[^>]*>.*?</\1>\s*", re.S
)


def _dblp_variant(original: Path, out: Path, drop: int, retitle: int) -> Path:
    """`original` without its first `drop` records and with the title of record `retitle` changed."""
    text = original.read_bytes()
    records = list(_RECORD.finditer(text))
    start = records[0].start()
    kept = records[drop:]
    body = b"".join(m.group(0) for m in kept)
    target = kept[retitle].group(0)
    # as character references: the file may declare ISO-8859-1
    title = "<title>Überarbeitet: \\1 — Ελληνικά 中文</title>".encode("ascii", "xmlcharrefreplace")
    body = body.replace(target, re.sub(rb"<title>(.*?)</title>", title, target, count=1, flags=re.S), 1)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(original.parent / "dblp.dtd", out / "dblp.dtd") if (original.parent / "dblp.dtd").exists() else None
    path = out / original.name
    path.write_bytes(text[:start] + body + text[records[-1].end():])
    return path


@pytest.mark.parametrize("name", ["rgovaerts_dblp_excerpt.xml", "donnerdistel_dblp_test.xml"])
def test_recorded_dblp_records_added_changed_and_deleted_equal_a_rebuild(name: str, tmp_path: Path) -> None:
    original = shared("data", "dblp_xml", name)
    old = _dblp_variant(original, tmp_path / "old", drop=40, retitle=5)
    store = tmp_path / "store"
    build([old], store, dtd=original.parent / "dblp.dtd")
    new = tmp_path / "new" / name
    new.parent.mkdir()
    new.write_bytes(original.read_bytes())
    shutil.copy(original.parent / "dblp.dtd", new.parent / "dblp.dtd")
    done = sync([new], store, dtd=original.parent / "dblp.dtd", max_change=1.0)
    assert done.delta is not None and done.delta.counts()["paper"]["added"] >= 30
    assert_same_as_rebuild(store, [new], tmp_path, [])
    # and back: the 40 records deleted, the title changed again
    done = sync([old], store, dtd=original.parent / "dblp.dtd", max_change=1.0)
    assert done.delta is not None and done.delta.counts()["paper"]["removed"] >= 30
    shutil.copy(original.parent / "dblp.dtd", old.parent / "dblp.dtd")
    assert_same_as_rebuild(store, [old], tmp_path, [])


def test_the_bundled_dblp_fixture_syncs_to_a_rebuild(tmp_path: Path) -> None:
    fixture = ROOT / "tests" / "data" / "dblp" / "dblp_utf8.xml"
    old = _dblp_variant(fixture, tmp_path / "old", drop=1, retitle=0)
    store = tmp_path / "store"
    build([old], store)
    new = tmp_path / "new" / fixture.name
    new.parent.mkdir()
    shutil.copy(fixture, new)
    done = sync([new], store, max_change=1.0)
    assert done.delta is not None and not done.delta.empty
    assert_same_as_rebuild(store, [new], tmp_path, [])


def _json_variant(original: Path, out: Path, key: str, change: object) -> Path:
    data = json.loads(original.read_text(encoding="utf-8"))
    items = data[key] if isinstance(data, dict) else data
    assert callable(change)
    change(items)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out


def _drop_and_retitle(field: str, drop: int) -> object:
    def change(items: list[dict[str, object]]) -> None:
        del items[:drop]
        title = items[1].get(field)
        new = "Überarbeitet — Ελληνικά 中文"
        items[1][field] = [new] if isinstance(title, list) else new
    return change


@pytest.mark.parametrize(("source", "name", "key", "field", "drop"), [
    ("openalex", "openalexpro_page1_200works.json", "results", "title", 10),
    ("crossref", "fmuro_crossref_worklist.json", "items", "title", 1),
])
def test_recorded_openalex_and_crossref_records_equal_a_rebuild(
    source: str, name: str, key: str, field: str, drop: int, tmp_path: Path
) -> None:
    original = shared("data", source, name)
    data = json.loads(original.read_text(encoding="utf-8"))
    if key == "items":  # a Crossref work list: {"message": {"items": [...]}}
        data = data["message"]
    old = tmp_path / "old" / name
    items = data[key]
    _drop_and_retitle(field, drop)(items)  # type: ignore[operator]
    old.parent.mkdir()
    whole = json.loads(original.read_text(encoding="utf-8"))
    if key == "items":
        whole["message"] = data
    else:
        whole = data
    old.write_text(json.dumps(whole, ensure_ascii=False), encoding="utf-8")
    store = tmp_path / "store"
    build([old], store)
    new = tmp_path / "new" / name
    new.parent.mkdir()
    shutil.copy(original, new)
    done = sync([new], store, max_change=1.0)
    assert done.delta is not None and done.delta.counts()["paper"]["added"] == drop
    assert_same_as_rebuild(store, [new], tmp_path, [])
    done = sync([old], store, max_change=1.0)
    assert done.delta is not None and done.delta.counts()["paper"]["removed"] == drop
    assert_same_as_rebuild(store, [old], tmp_path, [])


def test_a_store_of_two_sources_keeps_the_other_one(example: tuple[Path, Path], tmp_path: Path) -> None:
    rows, _ = example
    fixture = ROOT / "tests" / "data" / "dblp" / "dblp_utf8.xml"
    old = _dblp_variant(fixture, tmp_path / "old", drop=1, retitle=0)
    store = tmp_path / "two"
    build([rows, old], store)
    new = tmp_path / "new" / fixture.name
    new.parent.mkdir()
    shutil.copy(fixture, new)
    done = sync([new], store, max_change=1.0)
    assert done.delta is not None
    assert list(done.delta.graphs) == ["http://localhost:7878/graph/dblp"]
    assert_same_as_rebuild(store, [rows, new], tmp_path, [])


def test_a_scrambled_snapshot_is_refused_and_the_store_is_unchanged(tmp_path: Path) -> None:
    original = shared("data", "openalex", "openalexpro_page1_200works.json")
    store = tmp_path / "store"
    build([original], store)
    before = StoreDir(store).active()
    works = json.loads(original.read_text(encoding="utf-8"))["results"]
    titles = [w.get("title") for w in works]
    random.Random(7).shuffle(titles)  # the fields of one record given to another
    for w, t in zip(works, titles, strict=True):
        w["title"] = w["display_name"] = t
    scrambled = tmp_path / "scrambled" / "works.jsonl"
    scrambled.parent.mkdir()
    scrambled.write_text("".join(json.dumps(w) + "\n" for w in works), encoding="utf-8")
    with pytest.raises(SyncRefused, match=r"sync refused: .* papers would change .* the store is unchanged"):
        sync([scrambled], store)
    assert StoreDir(store).active() == before
    result = _kg("sync", str(scrambled), "--store", str(store))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kg: error: sync refused:"), result.stderr
    assert StoreDir(store).active() == before
    done = sync([scrambled], store, max_change=1.0)
    assert done.delta is not None and done.delta.counts()["paper"]["changed"] > 0


def test_touched_resources_that_break_the_shapes_stop_the_sync(example: tuple[Path, Path], tmp_path: Path) -> None:
    rows, store = example
    _, papers = read_table(rows / "papers.csv")
    first = papers[0]["id"]
    extra = tmp_path / "second-title.nt"
    extra.write_text(f'<http://localhost:7878/paper/{first}> <https://w3id.org/scholarly-kg/ontology#title> '
                     '"A second title from elsewhere" .\n', encoding="utf-8")
    load([extra], store, add=True)  # another graph says the paper has a second title
    edit_table(rows / "papers.csv", lambda rs: [dict(r, year="2024") if r["id"] == first else r for r in rs])
    before = StoreDir(store).active()
    with pytest.raises(ValidationError, match="sync refused: .* break the shapes"):
        sync([rows], store, max_change=1.0, validate=require_valid_subjects)
    assert StoreDir(store).active() == before


def test_max_change_is_read_as_a_share() -> None:
    assert parse_share("5%") == 0.05 and parse_share("0.2") == 0.2 and parse_share("100 %") == 1.0
    for bad in ("five", "150%", "-1"):
        with pytest.raises(ValueError, match=re.escape(repr(bad))):
            parse_share(bad)


def test_the_command_line(example: tuple[Path, Path]) -> None:
    rows, store = example
    result = _kg("sync", str(rows), "--store", str(store))
    assert result.returncode == 0 and "up to date" in result.stderr
    bad = _kg("sync", str(rows), "--store", str(store), "--max-change", "lots")
    assert bad.returncode == 2 and "--max-change" in bad.stderr
    missing = _kg("sync", str(rows), "--store", str(store.parent / "nowhere"))
    assert missing.returncode != 0 and "no such store" in missing.stderr
    edit_table(rows / "authors.csv", lambda rs: rs + [{"id": "zh", "name": "王小明", "orcid": "", "dblp_pid": "",
                                                       "openalex_id": ""}])
    result = _kg("sync", str(rows), "--store", str(store), "--max-change", "100%")
    assert result.returncode == 0 and "authors: 1 added" in result.stderr, result.stderr
    stats = _kg("stats", "--store", str(store), "--format", "json")
    sources = json.loads(stats.stdout)["sources"]
    assert list(sources) == ["http://localhost:7878/graph/rows"]
    assert sources["http://localhost:7878/graph/rows"]["fingerprint"]
    text = _kg("stats", "--store", str(store)).stdout
    assert "source       http://localhost:7878/graph/rows: synced" in text


def test_the_watermark_gives_the_newest_record_date(tmp_path: Path) -> None:
    from kg.iris import Minter
    from kg.sync.watermark import watermarks

    dblp = ROOT / "tests" / "data" / "dblp" / "dblp_utf8.xml"
    dates = re.findall(r'mdate="(\d{4}-\d{2}-\d{2})"', dblp.read_text(encoding="utf-8"))
    marks = watermarks([dblp], "auto", Minter("http://localhost:7878/").graph)
    assert marks["http://localhost:7878/graph/dblp"].modified == max(dates)
    rows = watermarks([EXAMPLE], "auto", Minter("http://localhost:7878/").graph)
    assert rows["http://localhost:7878/graph/rows"].modified is None


def test_names_in_every_script_written_into_the_table_are_kept(example: tuple[Path, Path]) -> None:
    rows, store = example
    fields, authors = read_table(rows / "authors.csv")
    write_table(rows / "authors.csv", fields, authors + [
        {"id": f"s{i}", "name": n, "orcid": "", "dblp_pid": "", "openalex_id": ""} for i, n in enumerate(NAMES)])
    sync([rows], store, max_change=1.0)
    from kg import cluster, open_store

    with open_store(store) as g:
        for n in NAMES:
            found = cluster(g, n)
            assert found.rows, n


def test_a_kill_at_any_point_of_a_sync_leaves_the_previous_generation_served(tmp_path: Path) -> None:
    import signal
    import time
    import urllib.parse
    import urllib.request

    from tests.server_fixtures import running

    rows, store = tmp_path / "rows", tmp_path / "store"
    generate(3000, 11, rows)
    build([rows], store)
    _, authors = read_table(rows / "authors.csv")
    name = authors[0]["name"]
    url_path = "/api/clusters/" + urllib.parse.quote(name)
    edit_table(rows / "papers.csv", lambda rs: [dict(r, title=r["title"] + " (rev.)") if i % 100 == 0 else r
                                                for i, r in enumerate(rs)])
    before = StoreDir(store).active()
    with running(store, log=tmp_path / "serve.log") as server:
        with urllib.request.urlopen(server.url + url_path, timeout=30) as r:
            first = json.loads(r.read())
        for delay in (0.2, 0.5, 0.8, 1.1, 1.5, 2.5):
            proc = subprocess.Popen([sys.executable, "-m", "kg", "sync", str(rows), "--store", str(store)],
                                    cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            active = StoreDir(store).active()
            if active != before:
                # the kill came after the swap, the rename that is a sync's last step (or the sync had
                # ended): the generation it swapped in is whole, equal to a rebuild, before any repair
                assert active is not None and (active / "build.json").is_file()
                assert_same_as_rebuild(store, [rows], tmp_path, [name])
                break
            with urllib.request.urlopen(server.url + url_path, timeout=30) as r:
                assert r.status == 200 and json.loads(r.read()) == first
        done = sync([rows], store)
        assert done.up_to_date or (done.delta is not None and done.delta.counts()["paper"]["changed"] == 30)
    assert not list(store.glob(".sync-*")), "a killed sync's spool was left behind"
    assert_same_as_rebuild(store, [rows], tmp_path, [name])


def test_merges_synced_become_redirects_and_equal_a_rebuild(example: tuple[Path, Path], tmp_path: Path) -> None:
    """Two author rows (one named in Greek, NFD) and a paper merged into others between two syncs: the
    old records are deleted, their IRIs stay as owl:sameAs, and kg serve answers them with a 301."""
    import requests

    from tests.server_fixtures import running

    rows, store = example
    edit_table(rows / "authors.csv", lambda rs: rs + [
        {"id": "γιώργος-παλιός", "name": NAMES[2], "orcid": "", "dblp_pid": "", "openalex_id": ""},
        {"id": unicodedata.normalize("NFD", "jürgen-alt"), "name": NAMES[1], "orcid": "", "dblp_pid": "",
         "openalex_id": ""}])
    _, papers = read_table(rows / "papers.csv")
    old_paper, survivor = papers[2]["id"], papers[3]["id"]
    edit_table(rows / "authorships.csv", lambda rs: rs + [
        {"paper_id": survivor, "author_id": "γιώργος-παλιός", "position": "90", "name_as_printed": NAMES[2]}])
    sync([rows], store, max_change=1.0)
    # the merge: the old rows and the old paper gone from the input, merges.csv says where they went
    edit_table(rows / "authors.csv", lambda rs: [r for r in rs if not r["id"].endswith(("-παλιός", "-alt"))
                                                 and not r["id"].endswith(unicodedata.normalize("NFD", "-alt"))])
    edit_table(rows / "authorships.csv", lambda rs: [r for r in rs if r["author_id"] != "γιώργος-παλιός"
                                                     and r["paper_id"] != old_paper])
    edit_table(rows / "papers.csv", lambda rs: [r for r in rs if r["id"] != old_paper])
    write_table(rows / "merges.csv", ["kind", "old_id", "new_id"], [
        {"kind": "author", "old_id": "γιώργος-παλιός", "new_id": "liyuan-liu-a"},
        {"kind": "author", "old_id": unicodedata.normalize("NFD", "jürgen-alt"), "new_id": "liyuan-liu-b"},
        {"kind": "paper", "old_id": old_paper, "new_id": survivor}])
    done = sync([rows], store, max_change=1.0)
    assert done.delta is not None
    assert done.delta.counts()["author"]["changed"] >= 2  # the old rows' subjects are now a sameAs each
    assert_same_as_rebuild(store, [rows], tmp_path, [NAMES[2]])
    with running(store, log=tmp_path / "serve.log") as server:
        for old, new in ((f"/author/{urllib_quote('γιώργος-παλιός')}", "/author/liyuan-liu-a"),
                         (f"/paper/{urllib_quote(old_paper)}", f"/paper/{urllib_quote(survivor)}")):
            r = requests.get(server.url + old, allow_redirects=False, timeout=30)
            assert r.status_code == 301 and r.headers["Location"].endswith(new), (old, r.status_code)
        r = requests.get(server.url + "/api/coauthors/" + urllib_quote("γιώργος-παλιός"), allow_redirects=False,
                         timeout=30)
        assert r.status_code == 301


def urllib_quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def test_an_openalex_merged_ids_file_synced_turns_a_work_into_a_redirect(tmp_path: Path) -> None:
    """A recorded OpenAlex page, then the same page without one work and a merged_ids file saying it
    went into another: the gone work's triples are deleted, its IRI is owl:sameAs the survivor."""
    import pyoxigraph as ox

    from kg.iris import Minter

    page = json.loads(shared("data", "openalex", "openalexpro_page2_59works.json").read_text(encoding="utf-8"))
    works = tmp_path / "openalex"
    works.mkdir()
    (works / "page.json").write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    store = tmp_path / "store"
    build([works], store)
    gone, survivor = page["results"][0]["id"], page["results"][1]["id"]
    page["results"] = page["results"][1:]
    (works / "page.json").write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    merged = works / "merged_ids" / "works"
    merged.mkdir(parents=True)
    (merged / "2024-06-01.csv").write_text(f"merge_date,id,merge_into_id\n2024-06-01,{gone},{survivor}\n",
                                           encoding="utf-8")
    done = sync([works], store, max_change=1.0)
    assert done.delta is not None and done.delta.counts()["paper"]["changed"] >= 1
    db = StoreDir(store).open()
    minter = Minter("http://localhost:7878/")
    old = ox.NamedNode(minter.paper("openalex:" + gone.rsplit("/", 1)[1]))
    found = [(q.predicate.value, q.object) for q in db.quads_for_pattern(old, None, None)]
    assert found == [("http://www.w3.org/2002/07/owl#sameAs",
                      ox.NamedNode(minter.paper("openalex:" + survivor.rsplit("/", 1)[1])))]
    assert_same_as_rebuild(store, [works], tmp_path, [])


def test_a_stale_copy_of_a_merged_work_in_an_older_partition_is_a_redirect(tmp_path: Path) -> None:
    """A snapshot kept by `aws s3 sync` without --delete holds a merged work's last copy in its old
    partition. The merge was rejected ("still described by a record of this input") and the work
    stayed a paper, in the build and the sync alike. A copy whose updated_date is on or before the
    merge date is skipped (counted), and the merged id is owl:sameAs the survivor, a 301, synced as
    rebuilt; a copy updated after the merge still contradicts it (the merge is the reject)."""
    import gzip

    import requests

    from kg.iris import Minter
    from kg.sources.openalex import STALE
    from tests.server_fixtures import running

    page = json.loads(shared("data", "openalex", "openalexpro_page2_59works.json").read_text(encoding="utf-8"))
    works = page["results"][:4]
    gone, survivor = (w["id"].rsplit("/", 1)[1] for w in works[:2])
    assert works[0]["updated_date"].startswith("2024-09-23")
    root = tmp_path / "openalex"
    old = root / "data" / "works" / "updated_date=2024-09-23"
    old.mkdir(parents=True)
    (old / "part_000.gz").write_bytes(gzip.compress("".join(json.dumps(w) + "\n" for w in works).encode()))
    store = tmp_path / "store"
    build([root], store)
    merged = root / "data" / "merged_ids" / "works"
    merged.mkdir(parents=True)
    table = merged / "2024-10-01.csv.gz"
    table.write_bytes(gzip.compress(f"merge_date,id,merge_into_id\n2024-10-01,{gone},{survivor}\n".encode()))
    done = sync([root], store, max_change=1.0, rejects=tmp_path / "rejects.jsonl")
    assert done.report.rows_rejected == 0 and done.report.skipped == {STALE: 1}
    db = StoreDir(store).open()
    minter = Minter("http://localhost:7878/")
    import pyoxigraph as ox

    found = [(q.predicate.value, q.object.value) for q in db.quads_for_pattern(
        ox.NamedNode(minter.paper("openalex:" + gone)), None, None)]
    assert found == [("http://www.w3.org/2002/07/owl#sameAs", minter.paper("openalex:" + survivor))]
    del db
    assert_same_as_rebuild(store, [root], tmp_path, [])
    with running(store, log=tmp_path / "serve.log") as server:
        r = requests.get(f"{server.url}/paper/openalex%3A{gone}", allow_redirects=False, timeout=30)
        assert r.status_code == 301 and r.headers["Location"].endswith(f"/paper/openalex%3A{survivor}")
    # merged before the copy was last updated: the copy is current, the merge contradicted
    table.write_bytes(gzip.compress(f"merge_date,id,merge_into_id\n2024-09-01,{gone},{survivor}\n".encode()))
    report = build([root], tmp_path / "again", rejects=tmp_path / "again.jsonl")
    assert report.rows_skipped == 0 and report.rows_rejected == 1
    assert "is still described by a record" in (tmp_path / "again.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize(("source", "name", "key"), [
    ("openalex", "openalexpro_page1_200works.json", "results"),
    ("crossref", "fmuro_crossref_worklist.json", "items"),
])
def test_changes_fetched_since_a_date_synced_newest_first_win(source: str, name: str, key: str,
                                                              tmp_path: Path) -> None:
    """What `kg fetch ... --since` writes holds only the changed works: synced together with the
    earlier fetch, newest first, each changed work's new copy wins and the rest stay."""
    original = shared("data", source, name)
    whole = json.loads(original.read_text(encoding="utf-8"))
    items = whole["message"][key] if key == "items" else whole[key]
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    shutil.copy(original, earlier / name)
    store = tmp_path / "store"
    build([earlier], store)
    changed = json.loads(json.dumps(items[:2]))
    for work in changed:
        title = work.get("title")
        work["title"] = ["Überarbeitet — Ελληνικά 中文"] if isinstance(title, list) else "Überarbeitet — Ελληνικά 中文"
        work.pop("display_name", None)
    since = tmp_path / "since"
    since.mkdir()
    page = {**whole, "message": {**whole["message"], key: changed}} if key == "items" else {**whole, key: changed}
    (since / name).write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    done = sync([since, earlier], store, max_change=1.0)
    assert done.delta is not None
    # the two changed works, and (this first sync reads the ledger from the store, which holds a
    # triple once) the papers whose mapping gives a kg:author triple twice: rewritten as they were
    rewritten = {s for d in done.delta.graphs.values() for s in d.changed}
    ids = [str(w.get("id") or w.get("DOI")).rsplit("/", 1)[-1] for w in changed]
    assert all(any(i.encode() in s for s in rewritten) for i in ids)
    assert set(done.delta.counts()["paper"]) == {"before", "changed"}
    assert_same_as_rebuild(store, [since, earlier], tmp_path, [])


@pytest.mark.parametrize("seed", [5, 6])
def test_the_ledger_a_build_keeps_is_the_one_read_from_its_store(seed: int, tmp_path: Path) -> None:
    """The digests computed while loading equal those read back from the store, but for the subjects
    whose mapping gives a line twice (which the store holds once)."""
    from collections import Counter

    from kg.store import StoreDir as Dir
    from kg.streaming import Run
    from kg.sync.ledger import Ledger

    rows, store = tmp_path / "rows", tmp_path / "store"
    generate(600, seed, rows)
    edit_table(rows / "authorships.csv", lambda rs: rs + [dict(rs[0], position="99")])  # one line twice
    build([rows], store)
    active = Dir(store).require()
    kept = Ledger.load(active)
    assert kept is not None
    read = Ledger.from_store(Dir(store).open(), list(kept.graphs))
    with Run(None) as run:
        lines = Counter(line for chunk in run.chunks([rows], "auto") for line in chunk.split(b"\n") if line)
    twice = {line[: line.index(b" ")] for line, n in lines.items() if n > 1}
    assert twice
    for graph, digests in kept.graphs.items():
        assert set(digests) == set(read.graphs[graph])
        differ = {s for s, d in digests.items() if read.graphs[graph][s] != d}
        assert differ == twice


def test_a_ledger_process_that_dies_fails_the_build_and_keeps_the_store(
    example: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger is computed in a child process (kg.sync.ledger.LedgerProcess): when it is gone
    the build stops with a reason, and the active generation is left as it was."""
    import os

    import kg.sync.ledger
    from kg.errors import KgError

    rows, store = example
    before = StoreDir(store).require()
    monkeypatch.setattr(kg.sync.ledger, "_ledger_child", lambda conn: os._exit(1))
    with pytest.raises(KgError, match="the ledger's process stopped"):
        build([rows], store)
    assert StoreDir(store).require() == before


def test_no_ledger_kept_and_ledgers_over_add_and_load(example: tuple[Path, Path], tmp_path: Path) -> None:
    from kg.store import StoreDir as Dir
    from kg.sync.ledger import Ledger

    rows, _ = example
    bare = tmp_path / "bare"
    build([rows], bare, ledger=False)
    assert Ledger.load(Dir(bare).require()) is None
    edit_table(rows / "papers.csv", lambda rs: [dict(rs[0], title="Ünïcode — 中文")] + rs[1:])
    done = sync([rows], bare, max_change=1.0)
    assert done.ledger_from == "store"
    assert_same_as_rebuild(bare, [rows], tmp_path, [])
    # --add keeps the other source's digests beside the new one's
    fixture = ROOT / "tests" / "data" / "dblp" / "dblp_utf8.xml"
    two = tmp_path / "two"
    build([rows], two)
    build([fixture], two, add=True)
    kept = Ledger.load(Dir(two).require())
    assert kept is not None and sorted(kept.graphs) == ["http://localhost:7878/graph/dblp",
                                                        "http://localhost:7878/graph/rows"]
    edit_table(rows / "papers.csv", lambda rs: [dict(rs[0], title="Second — Ελληνικά")] + rs[1:])
    assert sync([fixture, rows], two, max_change=1.0).ledger_from == "kept"
    assert_same_as_rebuild(two, [fixture, rows], tmp_path, [])
    # RDF loaded from elsewhere may add to a source graph: the ledger goes
    extra = tmp_path / "extra.nt"
    extra.write_text('<http://localhost:7878/paper/x> <https://w3id.org/scholarly-kg/ontology#title> "x" .\n',
                     encoding="utf-8")
    load([extra], two, add=True)
    assert Ledger.load(Dir(two).require()) is None


def test_a_correction_by_hand_outlives_a_sync_and_one_whose_row_is_gone_is_reported(
    example: tuple[Path, Path], tmp_path: Path
) -> None:
    """Corrections are applied by every sync as by every build; a sync that deletes one of a
    correction's rows reports it (build.json and a warning line), never drops it silently."""
    from kg.curate import add
    from kg.identity.curation import VANISHED

    rows, store = example
    add(store, "same", "liyuan-liu-a", "liyuan-liu-b", why="one homepage lists both", by="tester")
    edit_table(rows / "papers.csv", lambda rs: [dict(rs[0], title="Ünïcode — 中文")] + rs[1:])
    sync([rows], store, max_change=1.0)
    found = json.loads((StoreDir(store).require() / "build.json").read_text())["curations"]
    assert found["applied"] == 1 and not found["not_applied"]
    edit_table(rows / "authors.csv", lambda rs: [r for r in rs if r["id"] != "liyuan-liu-b"])
    edit_table(rows / "authorships.csv", lambda rs: [r for r in rs if r["author_id"] != "liyuan-liu-b"])
    result = _kg("sync", str(rows), "--store", str(store), "--max-change", "100%")
    assert result.returncode == 0, result.stderr
    found = json.loads((StoreDir(store).require() / "build.json").read_text())["curations"]
    assert [o["status"] for o in found["not_applied"]] == [VANISHED]
    assert "kg: warning: correction #1" in result.stderr and VANISHED in result.stderr


def test_a_change_deep_in_an_input_directory_moves_its_fingerprint(tmp_path: Path) -> None:
    """An OpenAlex snapshot keeps its works in partition directories: a changed or added partition
    file changes the input's fingerprint (a sync is never wrongly "up to date"); a fetch's hidden
    state file does not."""
    from kg.iris import Minter
    from kg.sync.watermark import watermarks

    root = tmp_path / "snapshot"
    part = root / "data" / "works" / "updated_date=2024-01-01"
    part.mkdir(parents=True)
    import gzip

    (part / "part_000.gz").write_bytes(gzip.compress(b'{"id": "W1"}\n'))
    graph = Minter("http://localhost:7878/").graph

    def fingerprint() -> str:
        return watermarks([root], "openalex", graph)["http://localhost:7878/graph/openalex"].fingerprint

    first = fingerprint()
    (root / ".fetch-state.json").write_text("{}")
    assert fingerprint() == first
    (part / "part_000.gz").write_bytes(gzip.compress(b'{"id": "W2"}\n'))
    second = fingerprint()
    assert second != first
    newer = root / "data" / "works" / "updated_date=2024-02-01"
    newer.mkdir()
    (newer / "part_000.gz").write_bytes(gzip.compress(b'{"id": "W2"}\n'))
    assert fingerprint() not in (first, second)


def test_a_truncated_gzipped_dump_is_an_error_naming_it_and_the_store_is_unchanged(
    example: tuple[Path, Path], tmp_path: Path
) -> None:
    """The next dump cut short in transfer (a .gz without its end): `kg sync` and `kg build` stop
    with one line naming the file, never click's bare "Aborted!", and the store stays as it was."""
    import gzip

    _, store = example
    # past the first 64 KiB, which kg reads to tell the input's kind
    records = "".join(f'<article mdate="2026-12-07" key="journals/x/P{i}"><author>Αθηνά Νίκου {i % 50}</author>'
                      f"<title>Paper {i}.</title><year>2026</year><journal>X</journal></article>\n"
                      for i in range(2000))
    whole = gzip.compress(f"<dblp>\n{records}</dblp>\n".encode())
    cut = tmp_path / "next" / "dblp.xml.gz"
    cut.parent.mkdir()
    cut.write_bytes(whole[: len(whole) * 3 // 4])
    before = StoreDir(store).active()
    for command in (["sync", str(cut), "--store", str(store)], ["build", str(cut), "--store", str(tmp_path / "b")]):
        result = _kg(*command)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1 and len(lines) == 1, (command, result.stderr)
        assert lines[0].startswith(f"kg: error: {cut}: cannot be read: "), lines[0]
    assert StoreDir(store).active() == before


def test_the_triples_kg_stats_shows_after_a_correction_and_a_sync_are_the_stores(
    example: tuple[Path, Path], tmp_path: Path
) -> None:
    """A correction writes into the identity graph; the new generation's count of triples moves with
    it, and so does the one a later sync carries forward from it (it never counts the store again)."""
    from kg.curate import add, undo

    rows, store = example

    def shown() -> int:
        return int(json.loads((StoreDir(store).require() / "build.json").read_text())["counts"]["triples"])

    def held() -> int:
        return len(StoreDir(store).open())

    add(store, "distinct", "liyuan-liu-a", "liyuan-liu-b", why="two homepages", by="tester")
    assert shown() == held()
    edit_table(rows / "papers.csv", lambda rs: [dict(rs[0], title="Ünïcode — 中文")] + rs[1:])
    done = sync([rows], store, max_change=1.0)
    assert done.delta is not None and json.loads((StoreDir(store).require() / "build.json").read_text())[
        "synced"]["derived"] == "touched"  # the counts carried through the delta, not counted again
    assert shown() == held()
    undo(store, 1, by="tester")
    assert json.loads(_kg("stats", "--store", str(store), "--format", "json").stdout)["triples"] == held()


def test_a_record_whose_new_version_is_rejected_is_removed_and_the_sync_says_so(tmp_path: Path) -> None:
    """The next dump gives a record a year that is no year: the record is rejected, so (the input is
    whole, as a rebuild's) its paper is removed, and the sync's line says that a row was rejected and
    where, as a build's does."""
    fixture = ROOT / "tests" / "data" / "dblp" / "dblp_utf8.xml"
    store = tmp_path / "store"
    build([fixture], store)
    new = tmp_path / "next" / fixture.name
    new.parent.mkdir()
    new.write_text(fixture.read_text(encoding="utf-8").replace("<year>2016</year>", "<year>20l6</year>", 1),
                   encoding="utf-8")
    result = _kg("sync", str(new), "--store", str(store), "--max-change", "100%")
    assert result.returncode == 0, result.stderr
    assert "papers: 1 removed" in result.stderr
    assert f"1 rejected: {store / 'rejects.jsonl'}" in result.stderr, result.stderr
    assert "'20l6' is not a year" in (store / "rejects.jsonl").read_text(encoding="utf-8")
    assert_same_as_rebuild(store, [new], tmp_path, [])


def test_a_sync_that_another_writer_overtakes_changes_nothing_and_says_so(tmp_path: Path) -> None:
    """Two syncs of a store's two sources at once: the OpenAlex-like one (here: tables) stopped while
    it maps, the dblp one run to its end meanwhile. The first may not then swap in a generation made
    from the store it read: that undid the dblp sync's watermark, ledger and counts (its graph kept),
    and `kg sync` of the earlier dblp input answered "up to date" on a store holding the later one."""
    import os
    import signal
    import time

    rows, store = tmp_path / "rows", tmp_path / "store"
    generate(600, 3, rows)
    fixture = ROOT / "tests" / "data" / "dblp" / "dblp_utf8.xml"
    old = _dblp_variant(fixture, tmp_path / "old", drop=1, retitle=0)
    build([rows, old], store)
    edit_table(rows / "papers.csv", lambda rs: [dict(r, title=r["title"] + " — Ελληνικά") if i < 5 else r
                                                for i, r in enumerate(rs)])
    slow = subprocess.Popen([sys.executable, "-m", "kg", "sync", str(rows), "--store", str(store)], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(store.glob(".sync-*")) and slow.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        os.kill(slow.pid, signal.SIGSTOP)  # it has read the active generation, and is mapping
        assert slow.poll() is None and not list(store.glob(".build-*")), "the sync was not stopped while mapping"
        fast = _kg("sync", str(fixture), "--store", str(store), "--max-change", "100%")
        assert fast.returncode == 0, fast.stderr
    finally:
        os.kill(slow.pid, signal.SIGCONT)
    _, err = slow.communicate(timeout=300)
    assert slow.returncode == 1 and err.strip().startswith("kg: error: --store") and "run it again" in err, err
    again = _kg("sync", str(old), "--store", str(store), "--max-change", "100%")
    assert again.returncode == 0 and "up to date" not in again.stderr, again.stderr
    assert sync([rows], store).delta is not None
    assert sync([fixture], store, max_change=1.0).delta is not None
    assert json.loads((StoreDir(store).require() / "build.json").read_text())["counts"]["triples"] == \
        len(StoreDir(store).open())


def test_a_build_add_extends_the_watermarks_of_a_sync_that_swapped_in_meanwhile(
    example: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kg build --add` of a second source while `kg sync` of the first finishes: the sync (a real
    `kg sync` process) swaps in while the build fingerprints its inputs. The build's generation is a
    copy of the synced one, and keeps its watermark (it wrote back the one it read before)."""
    import importlib

    building = importlib.import_module("kg.build")  # the module (kg.build is also the function)
    rows, store = example
    edit_table(rows / "papers.csv", lambda rs: [dict(rs[0], title="Überarbeitet — Ελληνικά")] + rs[1:])
    fingerprint = building.watermarks

    def meanwhile(*args: object, **kwargs: object) -> object:
        done = _kg("sync", str(rows), "--store", str(store), "--max-change", "100%")
        assert done.returncode == 0 and "papers: 1 changed" in done.stderr, done.stderr
        return fingerprint(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(building, "watermarks", meanwhile)
    build([ROOT / "tests" / "data" / "dblp" / "dblp_utf8.xml"], store, add=True)
    monkeypatch.undo()
    assert _kg("sync", str(rows), "--store", str(store)).stderr.startswith("up to date")
    assert_same_as_rebuild(store, [rows, ROOT / "tests" / "data" / "dblp" / "dblp_utf8.xml"], tmp_path, [])


def test_a_correction_applied_while_a_sync_swaps_in_keeps_the_syncs_watermark(
    example: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kg curate` while a `kg sync` (a real process) swaps in: the correction's generation is a
    copy of the synced one, with its watermark, counts and index (it kept the build.json it read
    before, so the synced input then looked new again and kg stats showed the older one)."""
    import kg.curate
    from kg.identity.curation import CurationFile

    rows, store = example
    edit_table(rows / "papers.csv", lambda rs: [dict(rs[0], title="Überarbeitet — Ελληνικά")] + rs[1:])
    corrections = CurationFile.read
    reads: list[int] = []

    def meanwhile(self: CurationFile) -> object:
        reads.append(1)
        if len(reads) == 2:  # kg.curate.apply's read (the first: add's, recording it)
            done = _kg("sync", str(rows), "--store", str(store), "--max-change", "100%")
            assert done.returncode == 0 and "papers: 1 changed" in done.stderr, done.stderr
        return corrections(self)

    monkeypatch.setattr(CurationFile, "read", meanwhile)
    kg.curate.add(store, "distinct", "liyuan-liu-a", "liyuan-liu-b", why="two homepages", by="tester")
    monkeypatch.undo()
    assert len(reads) >= 2  # the sync ran meanwhile
    assert _kg("sync", str(rows), "--store", str(store)).stderr.startswith("up to date")
    meta = json.loads((StoreDir(store).require() / "build.json").read_text())
    assert meta["counts"]["triples"] == len(StoreDir(store).open())


def test_another_sources_input_given_by_mistake_is_refused_by_the_gate(example: tuple[Path, Path]) -> None:
    """A store of one source (the example's 21 papers) and `kg sync` given an OpenAlex page instead
    of its tables: the page's papers are all new to the store (its OpenAlex graph is empty), so
    they were added whatever --max-change said. They are measured against the store's papers."""
    _, store = example
    page = ROOT / "tests" / "data" / "fetch" / "openalex_since_scripts.json"
    before = StoreDir(store).active()
    result = _kg("sync", str(page), "--store", str(store))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith("kg: error: sync refused: 6 of 21 papers would change"), lines[0]
    assert StoreDir(store).active() == before
    result = _kg("sync", str(page), "--store", str(store), "--max-change", "100%")
    assert result.returncode == 0 and "papers: 6 added" in result.stderr, result.stderr


def test_a_snapshots_other_entities_do_not_move_its_watermark(tmp_path: Path) -> None:
    """A snapshot as `aws s3 sync s3://openalex ROOT` lays it out holds every entity: kg reads the
    works and the merged ids only. A new authors or institutions partition (every day, and most of
    the snapshot's bytes) left the store "up to date" no longer: it made the next sync hash them
    all and map every work again for no change."""
    import gzip

    root = tmp_path / "openalex"
    works = root / "data" / "works" / "updated_date=2024-01-01"
    works.mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "data" / "openalex" / "works.jsonl.gz", works / "part_000.gz")
    store = tmp_path / "store"
    build([root], store)
    for entity in ("authors", "institutions"):
        part = root / "data" / entity / "updated_date=2024-02-01"
        part.mkdir(parents=True)
        line = json.dumps({"id": "https://openalex.org/A1", "display_name": "Αθηνά"}, ensure_ascii=False)
        (part / "part_000.gz").write_bytes(gzip.compress(line.encode("utf-8") + b"\n"))
    result = _kg("sync", str(root), "--store", str(store))
    assert result.returncode == 0 and result.stderr.startswith("up to date"), result.stderr
    newer = root / "data" / "works" / "updated_date=2024-03-01"
    newer.mkdir()
    with gzip.open(ROOT / "tests" / "data" / "openalex" / "works.jsonl.gz", "rt", encoding="utf-8") as f:
        work = json.loads(f.readline())
    work["title"] = work["display_name"] = "Überarbeitet — Ελληνικά 中文"
    (newer / "part_000.gz").write_bytes(gzip.compress(json.dumps(work).encode("utf-8") + b"\n"))
    result = _kg("sync", str(root), "--store", str(store), "--max-change", "100%")
    assert result.returncode == 0 and "papers: 1 changed" in result.stderr, result.stderr
