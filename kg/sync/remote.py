"""`kg sync --endpoint URL --update-endpoint URL --index DIR`: the same delta as an embedded sync
(kg.sync.embedded), sent to a remote SPARQL 1.1 engine as updates, and the local index (`kg index`)
made again from the engine.

The ledger and the watermarks are kept in DIR beside the index; without a ledger there, the old
side is read from the engine, graph by graph, in pages. The delta is sent graph by graph: first one
`DELETE { GRAPH g { ?s ?p ?o } } WHERE { GRAPH g { VALUES ?s { ... } ?s ?p ?o } }` per batch of
changed and removed subjects, then `INSERT DATA { GRAPH g { ... } }` per batch of new lines. The
subjects and lines are kg's own N-Quads (every IRI minted or checked by kg.iris, every literal
escaped by kg.nquads), written in the N-Triples forms that SPARQL reads as they are.

A remote engine has no atomic swap: a sync stopped halfway leaves some batches applied. The
ledger and watermark are written only after the last batch, so the next run computes the delta
again against the ledger of before and sends it whole: DELETE then INSERT of a subject is the same
whether it ran once or twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import requests

from kg.backend.paging import pages
from kg.backend.remote import RemoteBackend
from kg.backend.sparql import first_line
from kg.errors import KgError
from kg.indexing import build as build_index
from kg.iris import DEFAULT_BASE_IRI
from kg.pipeline import Mapping
from kg.streaming import Run
from kg.sync.delta import between
from kg.sync.embedded import SyncReport
from kg.sync.gate import DEFAULT_MAX_CHANGE, check
from kg.sync.laps import Laps
from kg.sync.ledger import Ledger, Spool, completed, quad_line, spooled
from kg.sync.watermark import SOURCES, kept, merged, up_to_date, watermarks

STATE = "sync.json"  # DIR/sync.json: the sources' watermarks of the last remote sync
SUBJECTS_PER_UPDATE = 200
LINES_PER_UPDATE = 2_000
PAGE = 5_000


class RemoteUpdateError(KgError):
    """The engine refused an update (the message names it and gives its first line)."""


def sync_remote(
    inputs: list[Path],
    endpoint: str,
    update_endpoint: str,
    index: Path,
    *,
    kind: str = "auto",
    base_iri: str = DEFAULT_BASE_IRI,
    strict: bool = False,
    rejects: Path | None = None,
    dtd: Path | None = None,
    max_change: float = DEFAULT_MAX_CHANGE,
    timeout: float = 300.0,
) -> SyncReport:
    """Brings the engine's source graphs of the inputs' kinds to what the inputs map to, sending
    only the subjects that differ; then rewrites the index in `index`."""
    lap = Laps()
    index.mkdir(parents=True, exist_ok=True)
    state = _read_state(index)
    run = Run(rejects if rejects is not None else index / "rejects.jsonl", base_iri=base_iri, strict=strict)
    marks = watermarks(inputs, kind, run.minter.graph)
    lap("fingerprint")
    if up_to_date(marks, kept(state)):
        run.rejects.close()
        return SyncReport(run.report, up_to_date=True, seconds=lap.seconds)
    graphs = sorted(marks)
    backend = RemoteBackend(endpoint, timeout=timeout)
    spool = Spool.beside(index)
    try:
        with run, Mapping(run, inputs, kind, dtd=dtd, workers=1, collect_index=False, scratch=index) as mapping:
            new = spooled(mapping.chunks(), spool)
        lap("map")
        old, ledger_from = completed(Ledger.load(index), graphs, lambda g: _from_endpoint(backend, g), "endpoint")
        lap("ledger")
        delta = between(old, new, graphs, run.minter.base)
        check(delta, max_change)
        lap("delta")
        with requests.Session() as session:
            for graph, d in delta.graphs.items():
                for text in _deletes(graph, sorted(d.cleared)):
                    _send(session, update_endpoint, text, timeout)
            for graph, d in delta.graphs.items():
                for text in _inserts(graph, spool.lines_of(d.written)):
                    _send(session, update_endpoint, text, timeout)
        lap("apply")
        build_index(index, backend=backend)
        lap("index")
        for graph in graphs:
            old.graphs[graph] = new.graphs.get(graph, {})
        old.save(index)
        _write_state(index, {**state, SOURCES: merged(state, marks), "synced": {
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "endpoint": endpoint,
            "inputs": [str(p) for p in inputs], "changes": delta.counts()}})
        lap("write")
    finally:
        spool.remove()
        backend.close()
    return SyncReport(run.report, delta, ledger_from=ledger_from, seconds=lap.seconds)


def _from_endpoint(backend: RemoteBackend, graphs: list[str], page: int = PAGE) -> Ledger:
    """The ledger of `graphs` as the engine holds them, read page by page (kg.backend.paging)."""
    ledger = Ledger()
    for graph in graphs:
        ledger.graph(graph)
        g = ox.NamedNode(graph)  # a graph IRI kg minted (kg.iris.Minter.graph), checked by NamedNode
        for solutions in pages(backend, "?s ?p ?o", f"GRAPH {g} {{ ?s ?p ?o }}", page, f"graph {graph}"):
            lines = []
            for row in solutions:
                s, p, o = row["s"], row["p"], row["o"]
                if isinstance(s, ox.NamedNode | ox.BlankNode) and isinstance(p, ox.NamedNode) and o is not None:
                    lines.append(quad_line(ox.Quad(s, p, o, g)))
            if lines:
                ledger.add_chunk("".join(lines).encode("utf-8"))
    return ledger


def _deletes(graph: str, subjects: list[bytes]) -> Iterator[str]:
    g = ox.NamedNode(graph)
    for start in range(0, len(subjects), SUBJECTS_PER_UPDATE):
        values = " ".join(s.decode("utf-8") for s in subjects[start : start + SUBJECTS_PER_UPDATE])
        yield f"DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {g} {{ VALUES ?s {{ {values} }} ?s ?p ?o }} }}"


def _inserts(graph: str, chunks: Iterator[bytes]) -> Iterator[str]:
    g = ox.NamedNode(graph)
    tail = f" {g} .".encode()
    batch: list[bytes] = []
    for chunk in chunks:
        for line in chunk.split(b"\n"):
            if not line:
                continue
            if not line.endswith(tail):
                raise KgError(f"a line of the delta is not in graph {graph}: {first_line(line.decode('utf-8'))}")
            batch.append(line[: -len(tail)] + b" .")
            if len(batch) >= LINES_PER_UPDATE:
                yield _insert_text(g, batch)
                batch = []
    if batch:
        yield _insert_text(g, batch)


def _insert_text(g: ox.NamedNode, lines: list[bytes]) -> str:
    return f"INSERT DATA {{ GRAPH {g} {{\n" + b"\n".join(lines).decode("utf-8") + "\n} }"


def _send(session: requests.Session, url: str, text: str, timeout: float) -> None:
    try:
        response = session.post(url, data={"update": text}, timeout=timeout)
    except requests.RequestException as e:
        raise RemoteUpdateError(f"--update-endpoint {url}: unreachable: {e}") from None
    if not 200 <= response.status_code < 300:
        raise RemoteUpdateError(
            f"--update-endpoint {url}: the update was refused ({response.status_code}): {first_line(response.text)}"
        )


def _read_state(index: Path) -> dict[str, Any]:
    try:
        data = json.loads((index / STATE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise KgError(f"--index {index}: unreadable {STATE}: {e}") from None
    return data if isinstance(data, dict) else {}


def _write_state(index: Path, state: dict[str, Any]) -> None:
    tmp = index / f".{STATE}.tmp"
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(index / STATE)
