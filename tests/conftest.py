from __future__ import annotations

import csv
import gc
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

import kg
from kg import sources
from kg.backend import EmbeddedBackend, open_store
from kg.checks import Integrity
from kg.records import Record, Skipped
from kg.search.abstracts import unpack
from kg.store import StoreDir

# Real SPARQL engines (oxigraph server, Virtuoso) for the remote-backend tests: tests/engines.py.
pytest_plugins = ["engines"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "arrow-liyuan-liu"
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(os.environ.get("KG_SHARED", ROOT.parent / "shared"))
RAM_TMP = Path("/dev/shm")


def _temporary_files_in_memory() -> None:
    """Temporary files (tmp_path, the stores and engines' databases the tests build, and those of the
    processes they start) on the RAM file system when there is one with room and TMPDIR is not set:
    every build syncs its generation to disk, which on a virtual machine's disk makes a small build
    several times slower. A real file system all the same (tmpfs); set TMPDIR to choose another."""
    if "TMPDIR" in os.environ:
        return
    try:
        room = os.statvfs(RAM_TMP)
    except OSError:
        return
    if room.f_bavail * room.f_frsize < 4 << 30 or not os.access(RAM_TMP, os.W_OK | os.X_OK):
        return  # absent, or a container's small /dev/shm
    os.environ["TMPDIR"] = str(RAM_TMP)
    tempfile.tempdir = str(RAM_TMP)


_temporary_files_in_memory()


def shared(*parts: str) -> Path:
    """A file of the recorded real data in ../shared/, or skip with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"recorded data not present: {path} (../shared/ is beside the clone in CI; set KG_SHARED)")
    return path


def write_csv_tables(folder: Path, tables: Mapping[str, tuple[Sequence[str], Iterable[Sequence[object]]]]) -> Path:
    """Each table of `tables` (its file name -> its header and rows) written as a UTF-8 CSV file in
    `folder`, which must exist; `folder`."""
    for name, (header, rows) in tables.items():
        with open(folder / name, "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(header)
            out.writerows(rows)
    return folder


def read_back(store: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The active generation of `store` (its search index collected while mapping) and that of a store
    loaded from its export (`kg load`: the index read back from the store), the plain path's."""
    generation = StoreDir(store).require()
    assert json.loads((generation / "build.json").read_text())["search"]["from"] == "collected"
    dump = tmp_path / "graph.nq"
    subprocess.run([sys.executable, "-m", "kg", "export", "--store", str(store), "--format", "nq", "-o", str(dump)],
                   check=True)
    kg.load([dump], tmp_path / "loaded")
    again = StoreDir(tmp_path / "loaded").require()
    assert json.loads((again / "build.json").read_text())["search"]["from"] == "store"
    return generation, again


def abstracts_of(index: Path) -> set[tuple[str, str]]:
    """A search index's (paper IRI, abstract text kept) pairs."""
    conn = sqlite3.connect(index)
    try:
        return {(iri, unpack(text)) for iri, text in
                conn.execute("SELECT p.iri, a.text FROM abstracts a JOIN papers p ON p.id = a.id")}
    finally:
        conn.close()


def read_accepted(kind: str, *paths: Path, dtd: Path | None = None) -> tuple[list[Record], list[str]]:
    """The records a build would load from `paths` of one source kind, and "file:line: reason" for
    those it would reject (the reader and the integrity check, as kg.streaming.quads runs them)."""
    integrity = Integrity()
    ctx = sources.ReadContext(dtd=dtd)
    records: list[Record] = []
    reasons: list[str] = []
    for path in paths:
        for located in sources.read(path, kind, ctx):
            item = located.item
            if isinstance(item, Skipped):
                continue
            reason = item if isinstance(item, str) else integrity.reason(item)
            if reason is None:
                assert not isinstance(item, str)
                records.append(item)
            else:
                reasons.append(f"{located.file}:{located.line}: {reason}")
    return records, reasons


def of(records: list[Record], kind: type) -> list:  # type: ignore[type-arg]
    """The records of one record class."""
    return [r for r in records if isinstance(r, kind)]


@pytest.fixture(scope="session")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example graph, built once per session; tests must not write to it."""
    store = tmp_path_factory.mktemp("example") / "store"
    kg.build([EXAMPLE], store)
    yield store


@pytest.fixture(scope="session")
def example_backend(example_store: Path) -> Iterator[EmbeddedBackend]:
    """The example graph behind the Backend protocol (read-only)."""
    with open_store(example_store) as backend:
        yield backend


@pytest.fixture(scope="session")
def example_db(example_store: Path):  # type: ignore[no-untyped-def]
    return StoreDir(example_store).open()


@pytest.fixture(scope="session")
def example_front(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real `kg serve --max-rows 50` on the example graph for the whole session: the HTTP behaviour
    tests (negotiation, errors, caps, CORS) go through the front that runs, its SPARQL pipeline included."""
    from server_fixtures import running

    with running(example_store, "--max-rows", "50", log=tmp_path_factory.mktemp("front") / "serve.log") as server:
        yield server


@pytest.fixture(scope="session")
def cors_front(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The same with --cors (which adds `Vary: Origin` to every answer)."""
    from server_fixtures import running

    with running(example_store, "--cors", "--workers", "1", log=tmp_path_factory.mktemp("cors") / "serve.log") as s:
        yield s


@pytest.fixture(scope="session")
def example_server(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real `kg serve` on the example graph for the whole session: for clients that open URLs
    themselves (SPARQLWrapper, rdflib, pyld, Comunica) and the browser."""
    from server_fixtures import running

    with running(example_store, log=tmp_path_factory.mktemp("serve") / "serve.log") as server:
        yield server


def pytest_collection_finish(session: pytest.Session) -> None:
    """The objects of the imported modules and collected tests are moved out of the collector's reach
    (they live for the whole session anyway): kg's store calls gc.collect() at every build and reopen
    to close RocksDB at once, and in this process a full collection would otherwise walk them each time."""
    gc.freeze()


# The modules that use the engines' session fixtures (tests/engines.py): one xdist worker runs them all,
# so that each engine is started and loaded once.
ENGINE_MODULES = ("test_remote_backend", "test_remote_cli", "test_remote_index", "test_remote_server")
# The longest groups (seconds alone: `pytest --durations`), handed out first so that no worker is left
# running one of them while the other has nothing to do; the others follow in collection order.
LONG_GROUPS = ("engines", "test_readme_commands", "test_server_names", "test_validate", "test_cluster_order",
               "test_paths", "test_server_front", "test_server_differential", "test_paths_modes", "test_server_safety",
               "test_etl_shards")


def _group(item: pytest.Item) -> str:
    module = item.path.stem
    return "engines" if module in ENGINE_MODULES else module


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist's `--dist loadgroup` (.ci/run: `pytest -n 2 --dist loadgroup
    --no-loadscope-reorder`): each module's tests run in one worker, one after the other, so that a
    module's fixtures (its servers, its stores) are set up once, as without xdist; the engine modules
    all in the same worker; the longest groups first. Without it, nothing changes."""
    if getattr(config.option, "dist", "no") != "loadgroup":
        return
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(_group(item)))
    rank = {name: i for i, name in enumerate(LONG_GROUPS)}
    items.sort(key=lambda item: rank.get(_group(item), len(rank)))  # stable: each module's own order kept
