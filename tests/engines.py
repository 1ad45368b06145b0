"""Real SPARQL engines on 127.0.0.1 for the remote-backend tests: `oxigraph serve-read-only` (PyPI
package `oxigraph`, the `test` extra) and Virtuoso 7.2 (Debian's `virtuoso-opensource`, which .ci/run
installs), each started on free ports in a temporary folder, loaded with N-Quads by the engine's own
loader (the recipes of docs/scaling.md), and stopped by process id. A missing engine skips with the reason.
"""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from server_fixtures import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
ASK = {"query": "ASK {}"}


@dataclass
class Engine:
    """A running engine: its SPARQL endpoint, process and log."""

    name: str
    endpoint: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def oxigraph_binary() -> str:
    """The `oxigraph` command beside this Python (the venv's), or on PATH; skip when absent."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if found is None:
        pytest.skip("oxigraph server not installed (pip install -e '.[test]' installs the PyPI package oxigraph)")
    return found


def _wait(engine: Engine, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if engine.process.poll() is not None:
            raise RuntimeError(f"{engine.name} exited with {engine.process.returncode}:\n{engine.log_text()}")
        try:
            if requests.get(engine.endpoint, params=ASK, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            engine.stop()
            raise RuntimeError(f"{engine.name} did not answer within {seconds:.0f} s:\n{engine.log_text()}")
        time.sleep(0.2)


def start_oxigraph(nquads: list[Path], folder: Path, port: int | None = None) -> Engine:
    """`oxigraph load` the files into a new database in `folder`, then `serve-read-only` it with the
    union of all graphs as the default graph (as kg's embedded store queries)."""
    binary = oxigraph_binary()
    folder.mkdir(parents=True, exist_ok=True)
    db, log = folder / "db", folder / "oxigraph.log"
    if not db.exists():  # loaded once; a restart (the recovery tests) serves the same database
        with open(log, "wb") as out:
            subprocess.run(
                [binary, "load", "--location", str(db), *(a for f in nquads for a in ("--file", str(f)))],
                stdout=out, stderr=subprocess.STDOUT, check=True,
            )
    port = port or free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [binary, "serve-read-only", "--location", str(db), "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    engine = Engine("oxigraph server", f"http://127.0.0.1:{port}/query", proc, log)
    _wait(engine, 30)
    return engine


def virtuoso_missing() -> str | None:
    for tool in ("virtuoso-t", "isql-vt"):
        if shutil.which(tool) is None:
            return f"Virtuoso not installed ({tool} missing; .ci/run installs Debian's virtuoso-opensource)"
    if not VIRTUOSO_INI.is_file():
        return f"Virtuoso not installed ({VIRTUOSO_INI} missing)"
    return None


def virtuoso_ini(folder: Path, sql_port: int, http_port: int, extra: dict[str, dict[str, str]] | None = None) -> Path:
    """A copy of Debian's virtuoso.ini with the database, DirsAllowed and both ports in `folder`."""
    config = configparser.ConfigParser(interpolation=None, strict=False, inline_comment_prefixes=(";",))
    config.optionxform = str  # type: ignore[assignment,method-assign]
    config.read(VIRTUOSO_INI)
    for section, name in (("Database", "virtuoso"), ("TempDatabase", "virtuoso-temp")):
        config[section]["DatabaseFile"] = str(folder / f"{name}.db")
        config[section]["TransactionFile"] = str(folder / f"{name}.trx")
    config["Database"]["ErrorLogFile"] = str(folder / "virtuoso.log")
    config["Database"]["LockFile"] = str(folder / "virtuoso.lck")
    config["Database"]["xa_persistent_file"] = str(folder / "virtuoso.pxa")
    config["Parameters"]["ServerPort"] = str(sql_port)
    config["Parameters"]["DirsAllowed"] = f"., {folder}, /usr/share/virtuoso-opensource-7/vad"
    config["HTTPServer"]["ServerPort"] = str(http_port)
    config["URIQA"]["DefaultHost"] = f"127.0.0.1:{http_port}"
    for section, values in (extra or {}).items():
        for key, value in values.items():
            config[section][key] = value
    ini = folder / "virtuoso.ini"
    with open(ini, "w") as f:
        config.write(f)
    return ini


def isql(port: int, statements: str, timeout: float = 600) -> str:
    """Run SQL statements through `isql-vt` (dba/dba, as a fresh database has it); the output."""
    done = subprocess.run(
        ["isql-vt", str(port), "dba", "dba", f"exec={statements}"],
        capture_output=True, text=True, timeout=timeout,
    )
    if done.returncode != 0 or "*** Error" in done.stdout:
        raise RuntimeError(f"isql-vt {statements!r} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def start_virtuoso(data: Path, folder: Path, graph: str = "urn:kg:default") -> Engine:
    """A fresh Virtuoso database in `folder`, bulk-loaded with `data`/*.nq and *.nq.gz:
    ld_dir + rdf_loader_run + checkpoint (N-Quads carry their graph; `graph` is the default)."""
    reason = virtuoso_missing()
    if reason:
        pytest.skip(reason)
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = virtuoso_ini(folder, sql_port, http_port)
    log = folder / "virtuoso.out"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["virtuoso-t", "+foreground", "+configfile", str(ini)], cwd=folder, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ},
        )
    engine = Engine("Virtuoso", f"http://127.0.0.1:{http_port}/sparql", proc, log)
    _wait(engine, 90)
    for pattern in ("*.nq", "*.nq.gz"):
        isql(sql_port, f"ld_dir('{data}', '{pattern}', '{graph}');")
    isql(sql_port, "rdf_loader_run(); checkpoint;")
    failed = isql(sql_port, "select ll_file, ll_error from DB.DBA.load_list where ll_error is not null;")
    if "0 Rows" not in failed:
        engine.stop()
        raise RuntimeError(f"Virtuoso's bulk loader failed on some files:\n{failed}")
    return engine


# -- session fixtures (registered by tests/conftest.py): one engine per dataset and kind, started on first use

ENGINES = ("oxigraph", "virtuoso")
BACKENDS = ("embedded", *ENGINES)
EXAMPLE_INPUTS = (ROOT / "examples" / "arrow-liyuan-liu", ROOT / "tests" / "data" / "hostile")


class Dataset:
    """A graph built once as an embedded store, dumped as N-Quads, and served by each engine on demand."""

    def __init__(self, folder: Path, inputs: list[Path], **build: Any) -> None:
        import pyoxigraph as ox

        import kg
        from kg.store import StoreDir

        self.folder = folder
        self.store = folder / "store"
        kg.build(inputs, self.store, **build)
        self.nquads = folder / "nquads"
        self.nquads.mkdir()
        StoreDir(self.store).open().dump(str(self.nquads / "data.nq"), format=ox.RdfFormat.N_QUADS)
        self.engines: dict[str, Engine] = {}
        self.failed: dict[str, str] = {}

    def endpoint(self, kind: str) -> str:
        """The SPARQL endpoint of `kind` ("oxigraph" or "virtuoso") serving this graph; skip if not installed."""
        if kind in self.failed:
            pytest.skip(self.failed[kind])
        if kind not in self.engines:
            try:
                if kind == "oxigraph":
                    self.engines[kind] = start_oxigraph([self.nquads / "data.nq"], self.folder / kind)
                else:
                    self.engines[kind] = start_virtuoso(self.nquads, self.folder / kind)
            except pytest.skip.Exception as e:
                self.failed[kind] = str(e)
                raise
        return self.engines[kind].endpoint

    def stop(self) -> None:
        for engine in self.engines.values():
            engine.stop()


@pytest.fixture(scope="session")
def example_dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    """The example graph plus tests/data/hostile (names that would break pasted SPARQL)."""
    data = Dataset(tmp_path_factory.mktemp("remote-example"), list(EXAMPLE_INPUTS))
    yield data
    data.stop()


@pytest.fixture(scope="session")
def dblp_dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    """A recorded dblp sample (../shared/data/dblp_xml), skipped when absent."""
    from conftest import shared

    xml = shared("data", "dblp_xml", "xcurator_dblp_sample.xml")
    data = Dataset(tmp_path_factory.mktemp("remote-dblp"), [xml], kind="dblp")
    yield data
    data.stop()


def open_backend(dataset: Dataset, kind: str, **options: object) -> Any:
    """The Backend of `kind` over `dataset`: the embedded store, or a RemoteBackend on an engine."""
    from kg.backend import open_store
    from kg.backend.remote import RemoteBackend

    if kind == "embedded":
        return open_store(dataset.store)
    return RemoteBackend(dataset.endpoint(kind), **options)  # type: ignore[arg-type]


@contextmanager
def kg_serve(*args: str, log: Path) -> Iterator[str]:
    """`kg serve ARGS` on a free port; its base URL (ready once /api/openapi.json answers), then stopped."""
    port = free_port()
    cmd = [sys.executable, "-m", "kg", "serve", "--port", str(port), *args]
    env = {k: v for k, v in os.environ.items() if k not in ("KG_STORE", "KG_ENDPOINT")}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env={**env, "PYTHONUNBUFFERED": "1"}
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"kg serve exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if requests.get(url + "/api/openapi.json", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"kg serve did not answer within 30 s:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        stop(proc)
