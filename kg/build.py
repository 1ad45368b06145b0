"""The store build: a new generation of a store from source files (`build`) or from RDF files
(`load`), swapped in only on success. The records -> checked -> N-Quads stream is kg.streaming;
where the mapping runs (here or in a worker process) is kg.pipeline; generations are kg.store.

A build, in order: remove the graphs an --add replaces (the only flush), load the ontology and
the inputs' N-Quads with the bulk loader, run the writing steps of AFTER_LOAD, compact the store
while computing its statistics, reopen it read-only, run `check` and the other steps, write
build.json (`build_meta`, the one writer of it).

To add a step after the load, write a function `def _my_step(loaded: Loaded) -> None` and add
`Step(_my_step, ...)` to AFTER_LOAD, where its place in the tuple is its turn:

- `writes=True` for a step that adds triples: it runs on the writable store before the compaction
  and must bulk-load what it adds (`store.bulk_extend` / `bulk_load`, never `add` or an update,
  which would leave the memtable to flush; kg.links.relink shows how). Read-only steps run on the
  read-only reopen, after the statistics (which do not count what they find).
- `on_load=False` for a step that only makes sense on kg's own mapping (`kg build`), not on RDF
  from elsewhere (`kg load`).
- What a step finds goes into `loaded.meta` under a key of its own: it is written to build.json.

`kg sync` (kg.sync.embedded) writes its generation with the same parts, which are public for it:
`previous_meta`, `remove_graphs`, `bulk_load_chunks`, `after_load` with the steps of AFTER_LOAD
(`order_big_clusters` replaced by its touched-keys form) and `build_meta`.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.adjacency import AdjacencyIndex, build_index
from kg.backend.embedded import EmbeddedBackend
from kg.cluster_order import build_cluster_order
from kg.errors import KgError
from kg.files import open_binary
from kg.identity import curation_rdf
from kg.identity.curation import Correction, CurationFile, summary
from kg.identity.step import identity_graph, identity_step
from kg.iris import DEFAULT_BASE_IRI, Minter
from kg.links import IDENTITY, LINKS, relink
from kg.ontology import ONTOLOGY_GRAPH
from kg.peak_memory import peak_memory_mb
from kg.pipeline import Mapping, may_start_processes
from kg.search.step import search_step
from kg.sources import detect
from kg.stats import compute_stats
from kg.store import LEDGER, Generation, StoreDir
from kg.streaming import Report, Run, load_ontology
from kg.sync.ledger import LedgerProcess
from kg.sync.watermark import SOURCES, merged, watermarks
from kg.version import __version__


@dataclass
class Loaded:
    """What an after-load step is given: the new generation (its store writable for a writing
    step, read-only after), the minter of the build, and the findings recorded into build.json."""

    gen: Generation
    minter: Minter
    collected_index: Callable[[Path], dict[str, int] | None] = lambda _generation: None
    collected_search: Callable[[], Path | None] = lambda: None  # written apart from the index (search_overlap)
    start_search: Callable[[], None] = lambda: None  # lets the worker begin writing them (search_start="order")
    meta: dict[str, Any] = field(default_factory=dict)
    mapped: bool = True  # False for kg load: RDF from elsewhere, not kg's own mapping
    corrections: list[Correction] | None = None  # the corrections by hand to apply, when not the file's


@dataclass(frozen=True)
class Step:
    """One step after the load (see the module docstring)."""

    run: Callable[[Loaded], None]
    writes: bool = False
    on_load: bool = True


def _links(loaded: Loaded) -> None:
    relink(loaded.gen.store, loaded.minter)


def _paths_index(loaded: Loaded) -> None:
    """The co-authorship index, collected while mapping when it could be (kg.pipeline.Mapping),
    else read back from the store (--add, kg load)."""
    gen = loaded.gen
    counts = loaded.collected_index(gen.path)
    loaded.meta["paths_index"] = counts if counts is not None else build_index(gen.store, gen.path)


def _identity(loaded: Loaded) -> None:
    """The identity evidence of the name clusters (kg.identity.step): reads the index, so it comes
    after it; writes the identity graph and the rows' cross-source links, so before the compaction.
    For kg load (no minter of kg's own mapping) the base IRI is the store's. The corrections by hand
    kept beside the store (kg.identity.curation, the generation's parent directory; for a kg load
    of files holding some, those with them taken in: `Loaded.corrections`) win over the computed
    verdicts; what became of each goes to build.json's `curations`."""
    minter = loaded.minter if loaded.mapped else None
    corrections_file = CurationFile(loaded.gen.path.parent)
    corrections = corrections_file.read() if loaded.corrections is None else loaded.corrections
    counts = identity_step(loaded.gen.store, loaded.gen.path, minter, corrections=corrections)
    curations = counts.pop("curations", None)
    loaded.meta["identity"] = counts
    if curations is not None or corrections_file.path.exists() or loaded.corrections is not None:
        loaded.meta["curations"] = curations if curations is not None else summary([])


def order_big_clusters(loaded: Loaded) -> None:
    """The page order and row counts of the big name clusters (kg.cluster_order), beside the index
    (so after it), read from the compacted store."""
    loaded.start_search()  # a Python thread from here on: the other core is free for the search writer
    index = AdjacencyIndex.open(loaded.gen.path)
    if index is None:
        return
    started = time.perf_counter()
    try:
        counts = build_cluster_order(loaded.gen.store, index)
    finally:
        index.close()
    loaded.meta["cluster_order"] = {**counts, "seconds": round(time.perf_counter() - started, 3)}


def _search(loaded: Loaded) -> None:
    """The search index (kg.search): after the identity step, whose persons' counts it shows, on
    the compacted read-only store. With `search_overlap` its documents were written by the mapping
    worker meanwhile: waited for here."""
    loaded.start_search()  # when the cluster order did not run (kg load)
    started = time.perf_counter()
    collected = loaded.collected_search()
    waited = time.perf_counter() - started
    found = loaded.meta["search"] = search_step(loaded.gen.store, loaded.gen.path, collected)
    found["overlap"] = collected is not None  # written while the steps ran, waited for here
    if collected is not None:
        found["waited_seconds"] = round(waited, 3)


# When the mapping worker begins writing the search documents (build's `search_start`).
SEARCH_STARTS = ("order", "load")

# The index step runs before the compaction (`writes=True`) because the identity step needs it there.
AFTER_LOAD: tuple[Step, ...] = (
    Step(_paths_index, writes=True),
    Step(_identity, writes=True),
    Step(_links, writes=True, on_load=False),
    Step(order_big_clusters),
    Step(_search),
)


class _ChunkReader(io.RawIOBase):
    """A binary file over an iterator of byte chunks; keeps the iterator's exception."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = memoryview(b"")
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        if not self._buffer:
            try:
                self._buffer = memoryview(next(self._chunks))
            except StopIteration:
                return 0
            except BaseException as e:
                self.error = e
                raise
        view = memoryview(target)
        n = min(len(view), len(self._buffer))
        view[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def bulk_load_chunks(store: ox.Store, chunks: Iterator[bytes]) -> None:
    """Bulk-loads kg's own N-Quads. They are valid by construction (kg.nquads escapes every literal;
    every IRI is minted, pattern-checked or checked by kg.iris.safe_iri; tests/test_mapping_valid.py
    parses arbitrary rows' output strictly), so the parser skips re-validating them (`lenient`):
    about 5% of the loader's CPU time. Files from elsewhere (`kg load`) are parsed strictly."""
    reader = _ChunkReader(chunks)
    try:
        store.bulk_load(input=io.BufferedReader(reader, 1 << 20), format=ox.RdfFormat.N_QUADS, lenient=True)
    except BaseException:
        if reader.error is not None:
            raise reader.error from None
        raise


def build(
    inputs: list[Path],
    store: Path,
    *,
    kind: str = "auto",
    base_iri: str = DEFAULT_BASE_IRI,
    strict: bool = False,
    rejects: Path | None = None,
    progress: bool = False,
    add: bool = False,
    dtd: Path | None = None,
    workers: int | None = None,
    check: Callable[[ox.Store], None] | None = None,
    optimize: bool = True,
    ledger: bool = True,
    search_overlap: bool = True,
    search_start: str = "order",
) -> Report:
    """Map and load the inputs into a new generation of `store`, swapped in only on success.

    `check` is called with the new store before the swap; an exception it raises fails the build
    (`kg build --validate` passes kg.validate.require_valid).

    With `workers` > 1 (None: when the input is large and there are two cores) the inputs are read
    and mapped in a worker process while this one loads (kg.pipeline).

    With `add`, the new generation starts as a copy of the active one and only the graphs of the
    inputs' source kinds are replaced; the other sources' graphs are left as they were.

    With `optimize` (the default) the store is compacted before the swap, as `oxigraph optimize`
    does: without it, the store is left as `oxigraph load` leaves one (the bulk loader's files, which
    overlap, not compacted), and queries that scan ranges are several times slower on it
    (kg.store.Generation.compact).

    With `ledger` (the default) the digests of the new source graphs' subjects are computed in a
    child process while they load and kept in the generation (kg.sync.ledger), for the first `kg sync`;
    in a process that may start none (a daemonic one: `kg serve`'s workers build the ontology page's
    example) no ledger is kept, and the first sync reads the store instead.

    With `search_overlap` (the default) and a worker, the worker writes the search index's documents
    while this process runs the steps after the load, not before the load ends (kg.pipeline): on
    the other core, so the same CPU seconds in fewer wall seconds when that core would be idle.
    `search_start` says when it begins: "order" (the default) when the big clusters' order begins,
    a step of one Python thread after the identity step and the compaction; "load" as soon as the
    load is over, beside the identity step (one Python thread too) and the compaction.
    """
    if search_start not in SEARCH_STARTS:
        raise ValueError(f"search_start must be one of {', '.join(SEARCH_STARTS)}, not {search_start!r}")
    run = Run(rejects if rejects is not None else store / "rejects.jsonl", base_iri=base_iri, strict=strict)
    minter = run.minter
    target = StoreDir(store)
    previous = previous_meta(target, minter) if add else None
    replaced = {minter.graph(detect(p) if kind == "auto" else kind) for p in inputs} if add else set()
    marks = watermarks(inputs, kind, minter.graph)  # what `kg sync` compares its inputs with
    # the ledger's process first: forked before the mapping worker and the store, it copies neither
    keeps_ledger = ledger and may_start_processes()  # else the first sync reads the store instead
    with run, (LedgerProcess() if keeps_ledger else nullcontext()) as digests, \
            Mapping(run, inputs, kind, progress=progress, dtd=dtd, workers=workers, collect_index=not add,
                    scratch=store, search_overlap=search_overlap) as mapping, \
            target.generation(copy_active=add) as gen:
        if add:
            # read again under the store's lock: a sync or a correction may have swapped in a
            # generation while the inputs were fingerprinted; its watermarks are the ones to extend
            previous = previous_meta(target, minter)
            derived = [minter.graph(LINKS), minter.graph(IDENTITY)]
            remove_graphs(gen.store, [ONTOLOGY_GRAPH, *derived, *sorted(replaced)])
        load_ontology(gen.store)
        chunks = mapping.chunks()
        bulk_load_chunks(gen.store, digests.passing(chunks) if digests is not None else chunks)
        if search_start == "load":
            mapping.loaded()
        _keep_ledger(gen.path, digests, add)
        loaded = Loaded(gen, minter, mapping.write_index, mapping.collected_search, start_search=mapping.loaded)
        counts = after_load(loaded, AFTER_LOAD, optimize, check)
        if loaded.meta.get("search", {}).get("overlap"):
            loaded.meta["search"]["start"] = search_start
        run.report.triples = counts["triples"]
        run.stop_clock()
        gen.meta = build_meta(run, inputs, counts, loaded.meta, kind=kind, previous=previous)
        gen.meta[SOURCES] = merged(previous or {}, marks)
    return run.report


def _keep_ledger(generation: Path, digests: LedgerProcess | None, add: bool) -> None:
    """Has the build's ledger written into the generation: over the one an --add copied (its other
    sources' graphs kept), or removes that copy when no ledger was computed (it would be stale)."""
    if digests is None:
        (generation / LEDGER).unlink(missing_ok=True)
        return
    digests.save(generation, over_kept=add)


def load(files: list[Path], store: Path, *, add: bool = False, optimize: bool = True) -> Report:
    """Load RDF files (format from the extension, .gz allowed) into a new generation of `store`."""
    target = StoreDir(store)
    with Run(None) as run, target.generation(copy_active=add) as gen:
        previous = target.meta() if add else None
        if add:  # the identity evidence is recomputed over what the store will hold
            remove_graphs(gen.store, [g for g in [identity_graph(gen.store)] if g is not None])
        else:
            load_ontology(gen.store)
        # RDF from elsewhere may add to a source graph: a ledger copied from before would not know it
        (gen.path / LEDGER).unlink(missing_ok=True)
        for path in files:
            _load_file(gen.store, path)
        found, source = curation_rdf.read(gen.store), ", ".join(str(p) for p in files)
        corrections, taken = CurationFile(store).merged(found, source) if found else (None, [])
        _drop_identity_graph(gen.store)
        loaded = Loaded(gen, run.minter, mapped=False, corrections=corrections)
        counts = after_load(loaded, tuple(s for s in AFTER_LOAD if s.on_load), optimize)
        run.report.triples = counts["triples"]
        run.stop_clock()
        gen.meta = build_meta(run, files, counts, loaded.meta, kind=None, previous=previous)
        gen.meta["curations_taken_in"] = taken  # this load's (an --add's previous build.json had its own)
    if found:  # the generation is in place: the corrections it applied are kept beside it
        CurationFile(store).merge(found, source)
    return run.report


def _drop_identity_graph(db: ox.Store) -> None:
    """The identity graph loaded files hold (a `kg export` of a store) dropped: the identity step
    writes it anew from what the store holds now, with every correction (kept, it doubled persons
    and pairs). The corrections by hand in it were read first (kg.identity.curation_rdf.read) and
    are kept beside the store (STORE/curations.json), which every build applies. The removal is not
    flushed: the step's bulk load, whose keys overlap it, has RocksDB flush it first."""
    graph = identity_graph(db)
    if graph is not None and db.contains_named_graph(ox.NamedNode(graph)):
        db.remove_graph(ox.NamedNode(graph))


def after_load(
    loaded: Loaded, steps: tuple[Step, ...], optimize: bool, check: Callable[[ox.Store], None] | None = None,
    stats: Callable[[ox.Store], dict[str, int]] | None = None,
) -> dict[str, int]:
    """The writing steps, the compaction and statistics (kg.stats, or `stats`: a sync's, kept
    current through its delta), then `check` and the read-only steps; the statistics."""
    for step in steps:
        if step.writes:
            step.run(loaded)
    counts = _finish_writing(loaded.gen, optimize, stats)
    if check is not None:
        check(loaded.gen.store)
    for step in steps:
        if not step.writes:
            step.run(loaded)
    return counts


def _finish_writing(
    gen: Generation, optimize: bool, compute: Callable[[ox.Store], dict[str, int]] | None = None
) -> dict[str, int]:
    """Compacts the new store (with `optimize`) while computing its statistics on the other core,
    then reopens it read-only; returns the statistics."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-stats") as pool:
        if compute is None:
            stats = pool.submit(compute_stats, EmbeddedBackend(gen.store))
        else:
            stats = pool.submit(compute, gen.store)
        if optimize:
            gen.compact()
        counts = stats.result()
    gen.reopen_read_only()
    return counts


def remove_graphs(store: ox.Store, graphs: list[str]) -> None:
    """Removes the graphs an --add build replaces, and flushes the removals to disk now.

    Everything else a build writes is bulk-loaded (ingested files, durable once ingested), so this
    is the only flush a build needs. It must come before the load: a flush after it waits for
    RocksDB to compact all the freshly ingested files (86 s at 1M papers), which `oxigraph load`
    does not wait for either.
    """
    for graph in graphs:
        if store.contains_named_graph(ox.NamedNode(graph)):
            store.remove_graph(ox.NamedNode(graph))
    store.flush()


def previous_meta(target: StoreDir, minter: Minter) -> dict[str, Any]:
    """The active generation's build.json; --add must mint under the same base IRI."""
    meta = target.meta()
    if meta.get("base_iri", minter.base) != minter.base:
        raise KgError(f"--store {target.path}: built with --base-iri {meta['base_iri']}, not {minter.base}")
    return meta


def build_meta(
    run: Run,
    inputs: list[Path],
    counts: dict[str, int],
    found: dict[str, Any],
    *,
    kind: str | None,
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    """build.json: the version, when, from which inputs, the statistics, the seconds and what the
    after-load steps found; for kg's own mapping (`kind`: a build) the base IRI, the source kind,
    the graphs and the rows. With `previous` (an --add) it extends the active generation's: the
    inputs are appended, the graphs joined, the rest is this run's."""
    report = run.report
    meta: dict[str, Any] = {
        "kg_version": __version__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "inputs": [str(p) for p in inputs],
        "counts": counts,
        "seconds": round(report.seconds, 3),
        "peak_memory_mb": peak_memory_mb(),
        **found,
    }
    if kind is not None:
        meta["base_iri"] = run.minter.base
        meta["from"] = kind
        meta["graphs"] = report.graphs
        meta["rows"] = {"read": report.rows_read, "loaded": report.rows_loaded, "rejected": report.rows_rejected}
        if report.rows_skipped:
            meta["rows"]["skipped"] = report.rows_skipped
    if previous is None:
        return meta
    merged = {**previous, **meta, "inputs": [*previous.get("inputs", []), *meta["inputs"]]}
    if kind is not None:
        merged["graphs"] = sorted(set(previous.get("graphs", [])) | set(report.graphs))
    return merged


def _load_file(store: ox.Store, path: Path) -> None:
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    fmt = ox.RdfFormat.from_extension(name.rsplit(".", 1)[-1]) if "." in name else None
    if fmt is None:
        raise KgError(f"{path}: unknown RDF format (use .nq, .nt, .ttl, .trig, .jsonld or .rdf, optionally .gz)")
    if not path.is_file():
        raise KgError(f"{path}: no such file")
    try:
        with open_binary(path, "rb") as f:
            store.bulk_load(input=f, format=fmt)
    except SyntaxError as e:
        raise KgError(f"{path}: {e}") from e
