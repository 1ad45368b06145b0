"""The streaming ETL: source files -> records -> checked -> N-Quads, with the rejects sink and the Report.

What every producer of kg's N-Quads shares: `kg.build` (into a store), the mapping worker
(`kg.pipeline`), `etl()` (one N-Quads file) and `kg.shards` (N gzipped shards). `Run` is their one
set-up and tear-down:

    with Run(rejects_path, base_iri=..., strict=...) as run:
        out.write(run.head())                      # the ontology graph
        for chunk in run.chunks(inputs, "auto"):   # the inputs' N-Quads, about 256 KB at a time
            out.write(chunk)
    run.report                                     # rows, triples, seconds, the rejects file

Nothing here opens a store on disk (kg.store does); nothing is held per record.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol

import pyoxigraph as ox

import kg.sources as sources
from kg.checks import Integrity
from kg.errors import BadRowError
from kg.files import open_binary
from kg.iris import DEFAULT_BASE_IRI, Minter, check_base_iri
from kg.mapping import Mapper
from kg.merges import Held, Merges
from kg.ontology import ONTOLOGY_GRAPH, ontology_path
from kg.records import Merge, Record, Refused, Reject, Skipped

CHUNK = 1 << 18  # characters per chunk of N-Quads: big enough to amortise a pipe message or a write


@dataclass
class Report:
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0  # left out on purpose (kg.records.Skipped), by reason in `skipped`
    triples: int = 0
    seconds: float = 0.0
    rejects_file: str | None = None
    graphs: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        skipped = f", {self.rows_skipped:,} skipped" if self.rows_skipped else ""
        text = (
            f"{self.rows_read:,} rows read, {self.rows_loaded:,} loaded, {self.rows_rejected:,} rejected{skipped}; "
            f"{self.triples:,} triples in {self.seconds:.1f} s"
        )
        if self.skipped:
            text += " (skipped: " + "; ".join(f"{n:,} {why}" for why, n in sorted(self.skipped.items())) + ")"
        if self.rows_rejected and self.rejects_file:
            text += f" (rejects: {self.rejects_file})"
        return text

    def add_rows(self, other: Report) -> None:
        """Adds the row counts and graphs of a report made elsewhere (the mapping worker's)."""
        self.rows_read += other.rows_read
        self.rows_loaded += other.rows_loaded
        self.rows_rejected += other.rows_rejected
        self.graphs.extend(other.graphs)
        for why, n in other.skipped.items():
            self.skip(why, n)

    def skip(self, why: str, n: int = 1) -> None:
        self.rows_skipped += n
        self.skipped[why] = self.skipped.get(why, 0) + n


class RecordCollector(Protocol):
    """Sees every accepted record (kg.adjacency.Collector builds the co-authorship index from them)."""

    def add(self, record: Record) -> None: ...


def refusal(reject: Reject) -> BadRowError:
    """The error --strict raises on the first rejected row."""
    return BadRowError(f"{reject} (--strict: nothing was changed)")


class RejectSink:
    """Writes rejected rows as JSON lines to `path`, opening the file only when there is one
    (and removing a stale one on close); with `strict`, the first reject raises instead."""

    def __init__(self, path: Path | None, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self._file: IO[str] | None = None

    def __call__(self, reject: Reject) -> None:
        if self.strict:
            raise refusal(reject)
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
    collector: RecordCollector | None = None,
) -> Iterator[str]:
    """The N-Quads lines of all inputs, each input kind in its own named graph.

    `collector` sees every accepted record (what the co-authorship index is built from). Merges are
    checked and mapped after every other record (kg.merges): their lines come last.
    """
    integrity = Integrity()
    merges: Merges[Mapper] = Merges()
    kinds = [(path, sources.detect(path) if kind == "auto" else kind) for path in inputs]
    # OpenAlex's merged ids are known before any work is read: a stale copy of a merged work is skipped
    ctx = sources.ReadContext(dtd=dtd, merged_works=sources.merged_works(kinds))
    mappers: dict[str, Mapper] = {}
    bar = _progress(progress)
    for path, source_kind in kinds:
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
            if isinstance(item, Skipped):
                report.skip(item.reason)
                continue
            if isinstance(item, Refused):
                integrity.refuse(item.kind, item.id)
            reason = item if isinstance(item, str) else integrity.reason(item)
            if isinstance(reason, Skipped):
                report.skip(reason.reason)
                continue
            if reason is None and isinstance(item, Merge):
                reason = merges.add(item, located.file, located.line, mapper)
                if reason is None:
                    continue  # checked and mapped at the end
            if reason is not None:
                report.rows_rejected += 1
                on_reject(Reject(located.file, located.line, reason))
                continue
            assert not isinstance(item, str)
            report.rows_loaded += 1
            if collector is not None:
                collector.add(item)
            yield from mapper.lines(item)
    for outcome in merges.resolved(integrity.describes):
        if isinstance(outcome, Reject):
            report.rows_rejected += 1
            on_reject(outcome)
            continue
        assert isinstance(outcome, Held)
        report.rows_loaded += 1
        if collector is not None:
            collector.add(outcome.merge)
        yield from outcome.tag.lines(outcome.merge)
    if bar is not None:
        bar.close()


def _progress(enabled: bool) -> Any:
    if not (enabled and sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(unit=" rows", unit_scale=True, file=sys.stderr, mininterval=0.5)


def batched(lines: Iterator[str], size: int = CHUNK) -> Iterator[bytes]:
    """Lines joined into UTF-8 chunks of about `size` characters (whole lines: whole records' lines
    when the lines come from `quads`)."""
    batch: list[str] = []
    n = 0
    for line in lines:
        batch.append(line)
        n += len(line)
        if n >= size:
            yield "".join(batch).encode("utf-8")
            batch, n = [], 0
    if batch:
        yield "".join(batch).encode("utf-8")


def load_ontology(store: ox.Store) -> None:
    """Loads ontology/kg.ttl into its own named graph of `store`."""
    store.bulk_load(path=str(ontology_path()), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ONTOLOGY_GRAPH))


def ontology_nquads() -> bytes:
    """The ontology graph as N-Quads, the first lines of every N-Quads output."""
    ontology = ox.Store()
    load_ontology(ontology)
    data = ontology.dump(format=ox.RdfFormat.N_QUADS)
    assert data is not None
    return data


class Run:
    """One ETL run's set-up and tear-down: the minter, the report, the rejects sink and the clock.

    On exit the rejects file is closed (removed when there was no reject), `report.seconds` is the
    time since the run began (unless `stop_clock()` fixed it earlier, as a build does before it
    writes its metadata) and `report.rejects_file` names the file when rows were rejected.
    """

    def __init__(self, rejects: Path | None, *, base_iri: str = DEFAULT_BASE_IRI, strict: bool = False) -> None:
        self.minter = Minter(check_base_iri(base_iri))
        self.report = Report()
        self.rejects = RejectSink(rejects, strict)
        self._started = time.perf_counter()
        self._stopped = False

    def quads(
        self,
        inputs: Iterable[Path],
        kind: str,
        *,
        progress: bool = False,
        dtd: Path | None = None,
        collector: RecordCollector | None = None,
    ) -> Iterator[str]:
        """`quads()` with this run's minter, report and rejects sink."""
        return quads(inputs, kind, self.minter, self.report, self.rejects, progress, dtd, collector)

    def head(self) -> bytes:
        """The ontology graph's N-Quads, counted into the report's triples."""
        data = ontology_nquads()
        self.report.triples += data.count(b"\n")
        return data

    def chunks(
        self, inputs: Iterable[Path], kind: str, *, progress: bool = False, dtd: Path | None = None
    ) -> Iterator[bytes]:
        """The inputs' N-Quads in chunks of whole records' lines, counted into the report's triples."""
        for chunk in batched(self.quads(inputs, kind, progress=progress, dtd=dtd)):
            self.report.triples += chunk.count(b"\n")
            yield chunk

    def stop_clock(self) -> None:
        self.report.seconds = time.perf_counter() - self._started
        self._stopped = True

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rejects.close()
        if not self._stopped:
            self.stop_clock()
        path = self.rejects.path
        self.report.rejects_file = str(path) if self.report.rows_rejected and path is not None else None


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
    rejects = rejects if rejects is not None else output.with_name(output.name + ".rejects.jsonl")
    tmp = output.with_name(f".part-{output.name}")
    with Run(rejects, base_iri=base_iri, strict=strict) as run:
        try:
            with open_binary(tmp, "wb") as out:
                out.write(run.head())
                for chunk in run.chunks(inputs, kind, progress=progress, dtd=dtd):
                    out.write(chunk)
            tmp.replace(output)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return run.report
