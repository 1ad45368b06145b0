"""ETL and build: sources -> checks -> N-Quads -> a new store generation, streaming."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from kg import __version__, sources
from kg.adjacency import INDEX, Collector, build_index
from kg.checks import Integrity
from kg.errors import BadRowError, KgError
from kg.files import open_binary
from kg.iris import DEFAULT_BASE_IRI, Minter, check_base_iri
from kg.links import LINKS, relink
from kg.mapping import Mapper
from kg.ontology import ONTOLOGY_GRAPH, ontology_path
from kg.pipeline import Job, Worker, batched, use_worker
from kg.records import Reject
from kg.stats import compute_stats
from kg.store import Generation, StoreDir


@dataclass
class Report:
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    triples: int = 0
    seconds: float = 0.0
    rejects_file: str | None = None
    graphs: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.rows_read:,} rows read, {self.rows_loaded:,} loaded, {self.rows_rejected:,} rejected; "
            f"{self.triples:,} triples in {self.seconds:.1f} s"
        )
        if self.rows_rejected and self.rejects_file:
            text += f" (rejects: {self.rejects_file})"
        return text


class _Rejects:
    """Writes rejected rows as JSON lines, opening the file only when there is one."""

    def __init__(self, path: Path | None, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self._file: IO[str] | None = None

    def __call__(self, reject: Reject) -> None:
        if self.strict:
            raise BadRowError(f"{reject} (--strict: nothing was changed)")
        if self.path is None:
            return
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 (closed by close())
        self._file.write(json.dumps(asdict(reject), ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        elif self.path is not None and self.path.exists():
            self.path.unlink()


def quads(
    inputs: Iterable[Path],
    kind: str,
    minter: Minter,
    report: Report,
    on_reject: Callable[[Reject], None],
    progress: bool = False,
    dtd: Path | None = None,
    collector: Collector | None = None,
) -> Iterator[str]:
    """The N-Quads lines of all inputs, each input kind in its own named graph.

    `collector` sees every accepted record (what the co-authorship index is built from).
    """
    integrity = Integrity()
    ctx = sources.ReadContext(dtd=dtd)
    mappers: dict[str, Mapper] = {}
    bar = _progress(progress)
    for path in inputs:
        source_kind = sources.detect(path) if kind == "auto" else kind
        mapper = mappers.get(source_kind)
        if mapper is None:
            graph = minter.graph(source_kind)
            mapper = mappers[source_kind] = Mapper(minter, graph)
            report.graphs.append(graph)
        for located in sources.read(path, source_kind, ctx):
            report.rows_read += 1
            if bar is not None:
                bar.update()
            item = located.item
            reason = item if isinstance(item, str) else integrity.reason(item)
            if reason is not None:
                report.rows_rejected += 1
                on_reject(Reject(located.file, located.line, reason))
                continue
            assert not isinstance(item, str)
            report.rows_loaded += 1
            if collector is not None:
                collector.add(item)
            yield from mapper.lines(item)
    if bar is not None:
        bar.close()


def _progress(enabled: bool) -> Any:
    if not (enabled and sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(unit=" rows", unit_scale=True, file=sys.stderr, mininterval=0.5)


def ontology_nquads() -> bytes:
    """The ontology graph as N-Quads, the first lines of every N-Quads output."""
    ontology = ox.Store()
    _load_ontology(ontology)
    data = ontology.dump(format=ox.RdfFormat.N_QUADS)
    assert data is not None
    return data


def _load_ontology(store: ox.Store) -> None:
    store.bulk_load(path=str(ontology_path()), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ONTOLOGY_GRAPH))


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


def _bulk_load_lines(store: ox.Store, lines: Iterator[str]) -> None:
    _bulk_load_chunks(store, batched(lines))


def _bulk_load_chunks(store: ox.Store, chunks: Iterator[bytes]) -> None:
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
    """
    minter = Minter(check_base_iri(base_iri))
    report = Report()
    started = time.perf_counter()
    target = StoreDir(store)
    previous = _previous_meta(target, minter) if add else {}
    replaced = {minter.graph(sources.detect(p) if kind == "auto" else kind) for p in inputs} if add else set()
    rejects = rejects if rejects is not None else store / "rejects.jsonl"
    sink = _Rejects(rejects, strict)
    # A fresh build collects the co-authorship index while mapping (in the worker when there is
    # one, into a directory beside the store, moved into the generation on success); --add reads
    # it back from the store, which holds the other sources too.
    index_tmp: Path | None = None
    worker = None
    if use_worker(workers, inputs):
        if not add:
            store.parent.mkdir(parents=True, exist_ok=True)
            index_tmp = Path(tempfile.mkdtemp(prefix=f".{store.name}.paths-index-", dir=store.parent))
        worker = Worker(Job(list(inputs), kind, minter, strict, progress, dtd, index_tmp))
    collector = Collector(minter) if worker is None and not add else None
    try:
        with target.generation(copy_active=add) as gen:
            if add:
                _remove_graphs(gen.store, [ONTOLOGY_GRAPH, minter.graph(LINKS), *sorted(replaced)])
            _load_ontology(gen.store)
            if worker is None:
                _bulk_load_lines(gen.store, quads(inputs, kind, minter, report, sink, progress, dtd, collector))
            else:
                _bulk_load_chunks(gen.store, worker.chunks(sink))
                _add_counts(report, worker.report)
            relink(gen.store, minter)
            counts = _finish_writing(gen, optimize)
            if check is not None:
                check(gen.store)
            if collector is not None:
                paths_index = collector.write(gen.path)
            elif index_tmp is not None:
                os.replace(index_tmp / INDEX, gen.path / INDEX)
                paths_index = json.loads((gen.path / INDEX / "index.json").read_text())["counts"]
            else:
                paths_index = build_index(gen.store, gen.path)
            report.triples = counts["triples"]
            report.seconds = time.perf_counter() - started
            gen.meta = _meta(inputs, kind, minter, report, counts)
            gen.meta["paths_index"] = paths_index
            if add:
                gen.meta["graphs"] = sorted(set(previous.get("graphs", [])) | set(report.graphs))
                gen.meta["inputs"] = [*previous.get("inputs", []), *gen.meta["inputs"]]
    finally:
        if worker is not None:
            worker.close()
        if index_tmp is not None:
            shutil.rmtree(index_tmp, ignore_errors=True)
        sink.close()
    report.rejects_file = str(rejects) if report.rows_rejected else None
    return report


def _finish_writing(gen: Generation, optimize: bool) -> dict[str, int]:
    """Compacts the new store (with `optimize`) while computing its statistics on the other core,
    then reopens it read-only; returns the statistics."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-stats") as pool:
        stats = pool.submit(compute_stats, gen.store)
        if optimize:
            gen.compact()
        counts = stats.result()
    gen.reopen_read_only()
    return counts


def _remove_graphs(store: ox.Store, graphs: list[str]) -> None:
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


def _add_counts(report: Report, worker: Report) -> None:
    report.rows_read += worker.rows_read
    report.rows_loaded += worker.rows_loaded
    report.rows_rejected += worker.rows_rejected
    report.graphs.extend(worker.graphs)


def _previous_meta(target: StoreDir, minter: Minter) -> dict[str, Any]:
    """The active generation's build.json; --add must mint under the same base IRI."""
    meta = target.meta()
    if meta.get("base_iri", minter.base) != minter.base:
        raise KgError(f"--store {target.path}: built with --base-iri {meta['base_iri']}, not {minter.base}")
    return meta


def _meta(inputs: list[Path], kind: str, minter: Minter, report: Report, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "kg_version": __version__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "base_iri": minter.base,
        "inputs": [str(p) for p in inputs],
        "from": kind,
        "graphs": report.graphs,
        "rows": {"read": report.rows_read, "loaded": report.rows_loaded, "rejected": report.rows_rejected},
        "counts": counts,
        "seconds": round(report.seconds, 3),
    }


def etl(
    inputs: list[Path],
    output: Path,
    *,
    kind: str = "auto",
    base_iri: str = DEFAULT_BASE_IRI,
    strict: bool = False,
    rejects: Path | None = None,
    progress: bool = False,
    dtd: Path | None = None,
) -> Report:
    """Write the N-Quads of the inputs (the ontology graph included) to `output`, atomically."""
    minter = Minter(check_base_iri(base_iri))
    report = Report()
    started = time.perf_counter()
    rejects = rejects if rejects is not None else output.with_name(output.name + ".rejects.jsonl")
    sink = _Rejects(rejects, strict)
    tmp = output.with_name(f".part-{output.name}")
    try:
        with open_binary(tmp, "wb") as out:
            head = ontology_nquads()
            out.write(head)
            report.triples += head.count(b"\n")
            for chunk in batched(quads(inputs, kind, minter, report, sink, progress, dtd)):
                report.triples += chunk.count(b"\n")
                out.write(chunk)
        tmp.replace(output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        sink.close()
    report.seconds = time.perf_counter() - started
    report.rejects_file = str(rejects) if report.rows_rejected else None
    return report


def load(files: list[Path], store: Path, *, add: bool = False, optimize: bool = True) -> Report:
    """Load RDF files (format from the extension, .gz allowed) into a new generation of `store`."""
    report = Report()
    started = time.perf_counter()
    target = StoreDir(store)
    with target.generation(copy_active=add) as gen:
        if not add:
            _load_ontology(gen.store)
        for path in files:
            _load_file(gen.store, path)
        counts = _finish_writing(gen, optimize)
        build_index(gen.store, gen.path)
        report.triples = counts["triples"]
        report.seconds = time.perf_counter() - started
        gen.meta = {
            "kg_version": __version__,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "inputs": [str(p) for p in files],
            "counts": counts,
            "seconds": round(report.seconds, 3),
        }
    return report


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
