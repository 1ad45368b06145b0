"""An OpenAlex snapshot on disk: the partitions and merged-id files since a date, its manifest, and
`kg build SNAPSHOT_ROOT`. Each test generates a small snapshot tree in tmp_path."""

from __future__ import annotations

import gzip
import json
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import DATA, of, read_accepted
from hypothesis import given, settings
from hypothesis import strategies as st

import kg
from kg import sources
from kg.cli import main
from kg.errors import InputError
from kg.records import Paper
from kg.sources.snapshot import is_snapshot, merged_ids, partitions
from kg.store import StoreDir

WORKS = json.loads((DATA / "openalex" / "page.json").read_bytes())["results"]
SCRIPTS = json.loads((DATA / "fetch" / "openalex_since_scripts.json").read_bytes())["results"]


def write_part(path: Path, works: list[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(b"".join(json.dumps(w, ensure_ascii=False).encode() + b"\n" for w in works)))
    return path.stat().st_size


def snapshot(root: Path, layout: str = "data/works", manifest: bool = True) -> dict[str, list[str]]:
    """Partitions of four days (two files on 2024-05-03), a manifest, merged_ids of works and authors.
    W100 changed twice: its copy of 2024-04-30 is stale (an `aws s3 sync` without --delete keeps it)."""
    works = root / layout
    stale = {**WORKS[0], "title": "An older title", "display_name": "An older title"}
    days = {
        "2024-04-30": {"part_000.gz": [stale], "part_001.gz": SCRIPTS[:1]},
        "2024-05-01": {"part_000.gz": SCRIPTS[1:2]},
        "2024-05-03": {"part_000.gz": SCRIPTS[2:4], "part_001.gz": SCRIPTS[4:5]},
        "2024-05-10": {"part_000.gz": [WORKS[0], WORKS[1], SCRIPTS[5]]},
    }
    entries = []
    for day, files in days.items():
        for name, content in files.items():
            size = write_part(works / f"updated_date={day}" / name, content)
            url = f"s3://openalex/data/works/updated_date={day}/{name}"
            entries.append({"url": url, "meta": {"content_length": size, "record_count": len(content)}})
    if manifest:
        (works / "manifest").write_text(json.dumps({"entries": entries}), encoding="utf-8")
    for entity, day in (("works", "2024-05-01"), ("authors", "2024-05-01"), ("works", "2024-05-10"),
                        ("authors", "2024-04-29")):
        (works.parent / "merged_ids" / entity).mkdir(parents=True, exist_ok=True)
        (works.parent / "merged_ids" / entity / f"{day}.csv.gz").write_bytes(gzip.compress(b"merge_date,id\n"))
    return {day: list(files) for day, files in days.items()}


def names(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name.removeprefix('updated_date=')}/{p.name}" for p in paths]


@pytest.mark.parametrize("manifest", [True, False])
def test_partitions_newer_than_since_in_date_order(tmp_path: Path, manifest: bool) -> None:
    snapshot(tmp_path, manifest=manifest)
    every = ["2024-04-30/part_000.gz", "2024-04-30/part_001.gz", "2024-05-01/part_000.gz",
             "2024-05-03/part_000.gz", "2024-05-03/part_001.gz", "2024-05-10/part_000.gz"]
    assert names(partitions(tmp_path)) == every
    assert names(partitions(tmp_path, date(2024, 5, 1))) == every[3:]  # strictly newer
    assert names(partitions(tmp_path, date(2024, 4, 29))) == every
    assert names(partitions(tmp_path, date(2024, 5, 10))) == []
    # A time of day keeps its own day's partition: it may hold changes after that time.
    assert names(partitions(tmp_path, datetime(2024, 5, 1, 10, tzinfo=UTC))) == every[2:]


@pytest.mark.parametrize("layout", ["data/works", "works", "data/jsonl/works"])
def test_the_layouts_of_a_snapshot_root(tmp_path: Path, layout: str) -> None:
    snapshot(tmp_path, layout)
    for root in (tmp_path, tmp_path / layout):  # the snapshot root, or its works directory
        assert is_snapshot(root) and len(partitions(root)) == 6
        assert sources.detect(root) == "openalex"


def test_the_manifest_is_what_the_snapshot_holds(tmp_path: Path) -> None:
    snapshot(tmp_path)
    works = tmp_path / "data" / "works"
    # A file the manifest does not list (another snapshot's, a leftover) is not read.
    write_part(works / "updated_date=2024-05-11" / "part_000.gz", SCRIPTS[:1])
    assert names(partitions(tmp_path))[-1] == "2024-05-10/part_000.gz"
    # A listed file that is short or missing: an incomplete download, named.
    short = works / "updated_date=2024-05-03" / "part_001.gz"
    short.write_bytes(short.read_bytes()[:-3])
    with pytest.raises(InputError, match=r"manifest: entries\[4\]: .*part_001.gz has \d+ bytes, the manifest says"):
        partitions(tmp_path)
    short.unlink()
    with pytest.raises(InputError, match=r"manifest: entries\[4\]: .*part_001.gz is missing"):
        partitions(tmp_path)
    (works / "manifest").write_text('{"entries": [{"url": "s3://openalex/data/works/part_000.gz"}]}')
    with pytest.raises(InputError, match=r"entries\[0\]: no updated_date=YYYY-MM-DD/FILE"):
        partitions(tmp_path)
    (works / "manifest").write_text("not json")
    with pytest.raises(InputError, match="not a readable JSON manifest"):
        partitions(tmp_path)


def test_merged_ids_files_are_listed_newer_than_since(tmp_path: Path) -> None:
    snapshot(tmp_path)
    base = tmp_path / "data" / "merged_ids"
    assert merged_ids(tmp_path) == [base / "authors" / "2024-04-29.csv.gz", base / "authors" / "2024-05-01.csv.gz",
                                    base / "works" / "2024-05-01.csv.gz", base / "works" / "2024-05-10.csv.gz"]
    assert merged_ids(tmp_path, date(2024, 5, 1)) == [base / "works" / "2024-05-10.csv.gz"]
    assert merged_ids(tmp_path, date(2024, 4, 30), entity="works") == [base / "works" / "2024-05-01.csv.gz",
                                                                       base / "works" / "2024-05-10.csv.gz"]
    (tmp_path / "other").mkdir()
    with pytest.raises(InputError, match="not an OpenAlex snapshot"):
        merged_ids(tmp_path / "other")
    with pytest.raises(InputError, match="not an OpenAlex snapshot"):
        partitions(tmp_path / "other")


def test_a_snapshot_without_merged_ids_has_none(tmp_path: Path) -> None:
    write_part(tmp_path / "works" / "updated_date=2024-05-01" / "part_000.gz", SCRIPTS)
    assert merged_ids(tmp_path) == [] and len(partitions(tmp_path)) == 1


def test_build_a_snapshot_root_reads_every_partition_and_the_current_copy_wins(tmp_path: Path) -> None:
    snapshot(tmp_path / "snap")
    records, rejects = read_accepted("openalex", tmp_path / "snap")
    assert rejects == []
    titles = {p.id: p.title for p in of(records, Paper)}
    assert titles["openalex:W100"] == WORKS[0]["title"]  # the 2024-05-10 copy, not the stale one
    expected = {f"openalex:{w['id'].rsplit('/', 1)[1]}" for w in WORKS[:2] + SCRIPTS}
    assert sorted(titles) == sorted(expected)
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["build", str(tmp_path / "snap"), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert StoreDir(store).meta()["counts"]["papers"] == len(expected)
    assert StoreDir(store).meta()["graphs"] == ["http://localhost:7878/graph/openalex"]


def test_inputs_that_are_not_snapshots_are_read_as_before(tmp_path: Path) -> None:
    fetched = tmp_path / "fetched"
    fetched.mkdir()
    (fetched / "page-00001.json").write_bytes((DATA / "openalex" / "page.json").read_bytes())
    assert not is_snapshot(fetched) and sources.detect(fetched) == "openalex"
    assert sources.files(fetched) == [fetched / "page-00001.json"]
    rows = Path(__file__).resolve().parents[1] / "examples" / "arrow-liyuan-liu"
    assert not is_snapshot(rows) and sources.detect(rows) == "rows"
    report = kg.build([fetched], tmp_path / "store")
    assert report.rows_rejected == 0


@settings(max_examples=40, deadline=None)
@given(st.sets(st.dates(date(2020, 1, 1), date(2020, 12, 31)), min_size=1, max_size=6),
       st.none() | st.dates(date(2019, 12, 30), date(2021, 1, 2)), st.booleans())
def test_the_listing_is_the_plain_filter_of_every_file(days: set[date], since: date | None, manifest: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        entries = []
        for day in days:
            for name in ("part_001.gz", "part_000.gz"):
                size = write_part(root / "works" / f"updated_date={day}" / name, SCRIPTS[:1])
                entries.append({"url": f"s3://x/works/updated_date={day}/{name}", "meta": {"content_length": size}})
        if manifest:
            (root / "works" / "manifest").write_text(json.dumps({"entries": entries[::-1]}))
        every = sorted((root / "works").glob("updated_date=*/*.gz"))
        plain = [p for p in every if since is None or date.fromisoformat(p.parent.name[-10:]) > since]
        assert partitions(root, since) == plain
