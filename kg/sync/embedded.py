"""`kg sync` into a store directory: the new input's mapping compared, subject by subject, with
what the store holds, and only the difference written into a new generation.

In order: the inputs' watermarks (kg.sync.watermark; the same fingerprints as the store's: nothing
to do); the inputs mapped as a build maps them (kg.pipeline.Mapping: a worker process on big
inputs), their lines spooled to disk while their ledger is computed (kg.sync.ledger); the store's
ledger (kept by the last sync, else read from the store); the delta (kg.sync.delta) and the gate
(kg.sync.gate); then a new generation as a checkpoint of the active one (`Store.backup`: hard
links), the changed and removed subjects' triples removed, the changed and new subjects' lines
loaded, the derived data recomputed by the build's own steps (kg.build.AFTER_LOAD: the links, the
co-authorship index, the persons, the big clusters' order, the search index), the SHACL shapes
checked on the touched subjects, and the same atomic swap as a build (kg.store). A failure or a
kill at any point before the swap leaves the previous generation served and intact.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.adjacency import AdjacencyIndex
from kg.build import Loaded, after_load, build_meta, previous_meta, remove_graphs
from kg.errors import StoreBusy
from kg.iris import DEFAULT_BASE_IRI
from kg.links import IDENTITY, LINKS, source_graphs
from kg.pipeline import Mapping
from kg.store import StoreDir
from kg.streaming import Report, Run
from kg.sync.apply import apply
from kg.sync.counts import SyncedCounts
from kg.sync.delta import Delta, between
from kg.sync.derived import derived_steps, small
from kg.sync.gate import DEFAULT_MAX_CHANGE, check
from kg.sync.laps import Laps
from kg.sync.ledger import Ledger, Spool, completed, spooled
from kg.sync.touched import Touched
from kg.sync.watermark import SOURCES, Watermark, kept, merged, up_to_date, watermarks


@dataclass
class SyncReport:
    """What a sync did: nothing (`up_to_date`), or the delta it applied, and its timings."""

    report: Report
    delta: Delta | None = None
    up_to_date: bool = False
    ledger_from: str = ""  # "kept" (the build's or last sync's), "store" (read from it), or "kept+store"
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        if self.up_to_date:
            return "up to date: the inputs are the ones the store was last synced from; nothing changed"
        assert self.delta is not None
        took = sum(self.seconds.values())
        rows = f"{self.report.rows_read:,} rows read"
        if self.report.rows_rejected:
            # a record whose new version is rejected is not in the mapping: the sync removed it, as a
            # rebuild would leave it out; said here, as a build says it, never only in the file
            rows += f", {self.report.rows_rejected:,} rejected"
            if self.report.rejects_file:
                rows += f": {self.report.rejects_file}"
        return f"{self.delta.summary()} in {took:.1f} s ({rows})"


def sync(
    inputs: list[Path],
    store: Path,
    *,
    kind: str = "auto",
    base_iri: str = DEFAULT_BASE_IRI,
    strict: bool = False,
    rejects: Path | None = None,
    dtd: Path | None = None,
    workers: int | None = None,
    max_change: float = DEFAULT_MAX_CHANGE,
    validate: Callable[[ox.Store, set[str]], None] | None = None,
    progress: bool = False,
    whole_derived: bool = False,
) -> SyncReport:
    """Brings the source graphs of the inputs' kinds in `store` to what the inputs map to, writing
    only the subjects that differ; the other sources' graphs are kept. The inputs are whole: a
    record they no longer hold is deleted with every triple it gave.

    `validate` is called with the new store and the touched subjects' IRIs before the swap; an
    exception it raises (kg.validate.require_valid_subjects) stops the sync and changes nothing.

    The derived data is recomputed for the name keys the delta touches (kg.sync.derived) unless
    `whole_derived`, or the delta touches many: then for the whole graph, as a build does.
    """
    lap = Laps()
    target = StoreDir(store)
    active = target.require()
    run = Run(rejects if rejects is not None else store / "rejects.jsonl", base_iri=base_iri, strict=strict)
    minter = run.minter
    previous = previous_meta(target, minter)
    marks = watermarks(inputs, kind, minter.graph)
    lap("fingerprint")
    if up_to_date(marks, kept(previous)):
        run.rejects.close()
        return SyncReport(run.report, up_to_date=True, seconds=lap.seconds)
    graphs = sorted(marks)
    # the inputs are every source graph the store holds: the index is collected while mapping, as
    # a build collects it (else it is read back from the store, as kg build --add does)
    before = target.open()
    whole = set(source_graphs(before, minter)) <= set(graphs)
    spool = Spool.beside(store)
    try:
        with run, Mapping(run, inputs, kind, dtd=dtd, workers=workers, collect_index=whole, scratch=store,
                          progress=progress) as mapping:
            new = spooled(mapping.chunks(), spool)
            lap("map")
            read = partial(Ledger.from_store, before)  # the graphs a kept ledger lacks
            del before
            old, ledger_from = completed(Ledger.load(active), graphs, read, "store")
            del read
            lap("ledger")
            delta = between(old, new, graphs, minter.base)
            held = previous.get("counts")
            check(delta, max_change, held if isinstance(held, dict) else None)
            # the generation's ledger: the old one with the synced graphs' replaced by the input's. Made
            # now, so that the old graphs' digests are dropped before the delta is applied, not after
            for graph in graphs:
                old.graphs[graph] = new.graphs.get(graph, {})
            del new
            lap("delta")
            with target.generation(copy_active=True) as gen:
                _still_active(target, active)
                lap("checkpoint")
                derived_graphs = [minter.graph(LINKS), minter.graph(IDENTITY)]
                touching = not whole_derived and small(delta)  # else the whole-graph steps and counts
                touched = Touched() if touching else None
                counted = SyncedCounts.of(previous.get("counts"), delta, derived_graphs) if touching else None
                if touched is not None:  # the old values, before the delta
                    touched.read(gen.store, delta, minter.base)
                    lap("touched")
                if counted is not None:
                    counted.remove(gen.store)
                    lap("counts")
                remove_graphs(gen.store, derived_graphs)
                apply(gen.store, delta, spool)
                gen.store.flush()
                lap("apply")
                if touched is not None:  # and the new ones
                    touched.read(gen.store, delta, minter.base)
                    lap("touched")
                # kept now, and dropped before the derived steps, which do not need it (at 1M papers a
                # ledger is about half a GB of this process, on top of the steps' own peaks)
                old.save(gen.path)
                del old
                lap("ledger")
                steps, derived = derived_steps(touched, active, _clusters(active))
                loaded = Loaded(gen, minter, mapping.write_index if whole else lambda _g: None)
                counts = after_load(loaded, steps, optimize=False, check=None,
                                    stats=counted.add if counted is not None else None)
                lap("derived")
                if validate is not None:
                    subjects = {s.decode("utf-8")[1:-1] for d in delta.graphs.values() for s in d.written}
                    validate(gen.store, subjects)
                    lap("validate")
                run.report.triples = counts["triples"]
                run.stop_clock()
                gen.meta = _sync_meta(run, inputs, counts, loaded.meta, previous, marks, delta, kind)
                gen.meta["synced"]["seconds"] = dict(lap.seconds)
                gen.meta["synced"]["ledger_from"] = ledger_from
                gen.meta["synced"]["derived"] = derived
                if touched is not None:
                    gen.meta["synced"]["touched"] = {"rows": len(touched.rows), "strict_keys": len(touched.strict),
                                                     "loose_keys": len(touched.loose)}
                lap("write")
    finally:
        spool.remove()
    return SyncReport(run.report, delta, ledger_from=ledger_from, seconds=lap.seconds)


def _still_active(target: StoreDir, read: Path) -> None:
    """Under the store's lock: the generation the delta was computed against is still the active
    one. Another writer (a sync of another source, kg curate, kg build --add) that swapped in its
    own meanwhile would otherwise be undone in part: its graphs kept, but the ledger, the watermarks
    and the counts written from the generation this sync read (a later sync of its inputs then
    "up to date" on a store that does not hold them)."""
    now = target.active()
    if now != read:
        found = now.name if now is not None else "none"
        raise StoreBusy(f"--store {target.path}: another writer swapped in generation {found} while this sync "
                        f"read {read.name}; this sync changed nothing: run it again")


def _clusters(generation: Path) -> int:
    """The name clusters of a generation's co-authorship index (0 when it has none)."""
    index = AdjacencyIndex.open(generation)
    if index is None:
        return 0
    try:
        return len(index.clusters)
    finally:
        index.close()


def _sync_meta(
    run: Run, inputs: list[Path], counts: dict[str, int], found: dict[str, Any], previous: dict[str, Any],
    marks: dict[str, Watermark], delta: Delta, kind: str,
) -> dict[str, Any]:
    """build.json of the synced generation: the previous one's, with this run's statistics and
    findings, the sources' watermarks and what the sync changed."""
    meta = build_meta(run, [], counts, found, kind=kind, previous=previous)
    meta["inputs"] = previous.get("inputs", [])
    meta[SOURCES] = merged(previous, marks)
    meta["synced"] = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                      "inputs": [str(p) for p in inputs], "changes": delta.counts()}
    return meta
