"""Mapping in a worker process: it reads, checks and maps the inputs and sends N-Quads bytes down a
pipe, while the calling process loads them (Oxigraph's bulk loader runs in Rust, mostly outside the
GIL). On two cores the mapping and the loading then overlap instead of taking turns.

Messages on the pipe are tagged byte strings: b"D" + N-Quads text, b"R" + a JSON reject, and a
final b"E" followed by the worker's outcome (its Report, or the exception it raised). The worker
applies --strict itself (the first reject fails it); the caller writes the rejects file, so a
build's rows read = loaded + rejected and its rejects are the same with or without a worker.

With `Job.search_to`, the worker writes the search index's documents (kg.search) there only after
its outcome and the caller's word that its load is over (b"G" on a second pipe, the other way), and
then sends b"S" followed by the writing's outcome (None, or the exception): the caller's steps
after the load (identity, compaction, cluster order) run meanwhile, and the build waits for it at
its search step (`Mapping.collected_search`). Without, they are written with the
co-authorship index, before the outcome, while the caller's loader finishes.

`Mapping` is what kg.build uses: the same chunks and the same collected index, mapped here or in
the worker.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kg.adjacency import INDEX, Collector
from kg.errors import KgError
from kg.iris import Minter
from kg.records import Reject
from kg.search.collect import Mapped, write_collected
from kg.search.spill import SpilledAbstracts
from kg.search.write import SEARCH
from kg.sources import snapshot
from kg.streaming import Report, Run, batched, quads, refusal

# Below this much input the worker's start-up costs more than the overlap saves.
AUTO_MIN_BYTES = 16 << 20


@dataclass(frozen=True)
class Job:
    inputs: list[Path]
    kind: str
    minter: Minter
    strict: bool
    progress: bool = False
    dtd: Path | None = None
    index_to: Path | None = None  # where to write the co-authorship index (None: the caller builds it)
    search_to: Path | None = None  # where to write the search documents after the outcome (None: with the index)


def input_bytes(inputs: list[Path]) -> int:
    """The size of the inputs on disk (files, the files directly in a directory, a snapshot's works files)."""
    total = 0
    for path in inputs:
        if snapshot.is_snapshot(path):
            total += sum(p.stat().st_size for p in snapshot.partitions(path))
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.iterdir() if p.is_file())
        elif path.is_file():
            total += path.stat().st_size
    return total


def use_worker(workers: int | None, inputs: list[Path]) -> bool:
    """`workers` None means auto: a worker when there are two cores and enough input to pay for it,
    and this process may start one (a daemonic process, such as a `kg serve` worker, may not)."""
    if workers is None:
        return (os.cpu_count() or 1) >= 2 and input_bytes(inputs) >= AUTO_MIN_BYTES and may_start_processes()
    return workers > 1


def may_start_processes() -> bool:
    """Whether this process may start child processes (multiprocessing forbids a daemonic one to)."""
    return not multiprocessing.current_process().daemon


def _work(conn: Connection, job: Job, go: Connection, parent_ends: tuple[Connection, ...] = ()) -> None:
    for end in parent_ends:
        # A forked worker inherits the caller's ends of the pipes: closed here, so that when the
        # caller dies (even by SIGKILL) the data pipe has no reader left and the next send fails
        # instead of blocking, and the go pipe no writer left and the wait for it ends.
        end.close()
    try:
        try:
            outcome, documents = _map(conn, job)
        except (BrokenPipeError, ConnectionResetError):
            return  # the caller stopped reading: it has failed already
        if _send(conn, b"E", outcome) and documents is not None and job.search_to is not None and _go(go):
            _send(conn, b"S", _write_search(documents, job.search_to))
    finally:
        conn.close()
        go.close()


def _go(go: Connection) -> bool:
    """Waits for the caller's word that its load is over (`Worker.start_search`); False when the
    caller closed the pipe first (it failed, or died)."""
    try:
        go.recv_bytes()
    except (EOFError, OSError):
        return False
    return True


def _map(conn: Connection, job: Job) -> tuple[object, Mapped | None]:
    """Maps the inputs down the pipe and writes the co-authorship index; the outcome (the Report, or
    the exception), and what the search documents are made of when they are written apart."""
    report = Report()
    collector = Collector(job.minter, job.index_to) if job.index_to is not None else None

    def on_reject(reject: Reject) -> None:
        if job.strict:
            raise refusal(reject)
        conn.send_bytes(b"R" + json.dumps(asdict(reject), ensure_ascii=False).encode("utf-8"))

    try:
        lines = quads(job.inputs, job.kind, job.minter, report, on_reject, job.progress, job.dtd, collector)
        for chunk in batched(lines):
            conn.send_bytes(b"D" + chunk)
        if collector is not None and job.index_to is not None:
            collector.write(job.index_to, search=job.search_to is None)  # while the caller's loader finishes
            if job.search_to is not None:
                return report, collector.search_documents()  # the rest of the collector is freed
        return report, None
    except (BrokenPipeError, ConnectionResetError):
        raise
    except BaseException as e:  # handed to the caller, which raises it
        if collector is not None:
            collector.close()
        return (e if _picklable(e) else KgError(f"{type(e).__name__}: {e}")), None


def _write_search(documents: Mapped, path: Path) -> BaseException | None:
    try:
        write_collected(documents, path)
    except BaseException as e:
        return e if _picklable(e) else KgError(f"writing the search index: {type(e).__name__}: {e}")
    finally:
        if isinstance(documents.abstracts, SpilledAbstracts):
            documents.abstracts.close()  # its scratch file goes
    return None


def _send(conn: Connection, tag: bytes, outcome: object) -> bool:
    """Sends a tag and an outcome; whether the caller was still there to take them."""
    try:
        conn.send_bytes(tag)
        conn.send(outcome)
    except (BrokenPipeError, ConnectionResetError, OSError):
        return False
    return True


def _picklable(value: object) -> bool:
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


class Worker:
    """A started mapping worker; `chunks()` yields its N-Quads and raises what it raised."""

    def __init__(self, job: Job) -> None:
        fork = "fork" in multiprocessing.get_all_start_methods()
        ctx: Any = multiprocessing.get_context("fork" if fork else "spawn")
        self._conn, child = ctx.Pipe(duplex=False)
        go, self._go = ctx.Pipe(duplex=False)
        args = (child, job, go, (self._conn, self._go)) if fork else (child, job, go)
        self._proc = ctx.Process(target=_work, args=args, name="kg-mapping", daemon=True)
        self._proc.start()
        child.close()
        go.close()
        self.report: Report | None = None
        self._writing = False  # the search documents asked for and not waited for yet

    def chunks(self, on_reject: Callable[[Reject], None]) -> Iterator[bytes]:
        while True:
            try:
                message = self._conn.recv_bytes()
            except EOFError:
                raise KgError("the mapping worker stopped without finishing (killed?)") from None
            tag = message[:1]
            if tag == b"D":
                yield message[1:]
            elif tag == b"R":
                on_reject(Reject(**json.loads(message[1:])))
            else:
                outcome = self._conn.recv()
                if isinstance(outcome, BaseException):
                    raise outcome
                self.report = outcome
                return

    def start_search(self) -> None:
        """Lets the worker write the search documents (`Job.search_to`): the caller's load is over,
        its steps after it leave the other core idle most of the time."""
        with contextlib.suppress(OSError):  # the worker is gone: search_written says so
            self._go.send_bytes(b"G")
            self._writing = True

    def search_written(self) -> None:
        """Waits for the search documents the worker writes after its outcome (`Job.search_to`);
        raises what writing them raised, or a KgError when the worker died first."""
        try:
            tag = self._conn.recv_bytes()
            outcome = self._conn.recv()
        except EOFError:
            raise KgError("the mapping worker stopped before it wrote the search index (killed?)") from None
        finally:
            self._writing = False
        if tag != b"S":
            raise KgError(f"the mapping worker sent {tag[:1]!r} where the search index's outcome was due")
        if isinstance(outcome, BaseException):
            raise outcome

    def close(self) -> None:
        self._conn.close()
        self._go.close()
        if self._writing:  # the build failed while the worker wrote the search documents: not wanted now
            self._proc.terminate()
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join()


class Mapping:
    """The inputs' N-Quads for a build, mapped in this process or in a worker (`use_worker`), with
    the co-authorship index collected meanwhile when `collect_index` (a fresh build: the index must
    see exactly the records of every source of the store, so --add reads it back from the store).

    The worker writes the index into a directory beside `scratch` (the store), moved into the
    generation by `write_index`; `close()` ends the worker and removes what is left of it. The
    papers' abstracts wait for the search index in a scratch file there, not in memory (without a
    worker, beside `scratch`): kg.search.spill.

    With `search_overlap` (and a worker collecting the index) the worker writes the search
    documents after its outcome, into that directory too, while the caller runs its steps after the
    load; `collected_search` waits for them. It moves work onto the other core, it does not remove
    any: the CPU seconds are the same, the wall seconds fewer when that core would be idle.
    """

    def __init__(
        self,
        run: Run,
        inputs: list[Path],
        kind: str,
        *,
        progress: bool = False,
        dtd: Path | None = None,
        workers: int | None = None,
        collect_index: bool = True,
        scratch: Path,
        search_overlap: bool = False,
    ) -> None:
        self._run = run
        self._inputs = list(inputs)
        self._kind, self._progress, self._dtd = kind, progress, dtd
        self._collector: Collector | None = None
        self._index_tmp: Path | None = None
        self._worker: Worker | None = None
        self._search_to: Path | None = None
        self._started = False  # the worker told to write the search documents (loaded)
        if not use_worker(workers, inputs):
            # its abstracts' file is made with the first abstract, when the store's directory exists
            self._collector = Collector(run.minter, scratch.parent) if collect_index else None
            return
        if collect_index:
            scratch.parent.mkdir(parents=True, exist_ok=True)
            self._index_tmp = Path(tempfile.mkdtemp(prefix=f".{scratch.name}.paths-index-", dir=scratch.parent))
            self._search_to = self._index_tmp / SEARCH if search_overlap else None
        job = Job(self._inputs, kind, run.minter, run.rejects.strict, progress, dtd, self._index_tmp, self._search_to)
        self._worker = Worker(job)

    def chunks(self) -> Iterator[bytes]:
        """The N-Quads in chunks; the run's report counts the rows and its sink gets the rejects."""
        if self._worker is None:
            lines = self._run.quads(
                self._inputs, self._kind, progress=self._progress, dtd=self._dtd, collector=self._collector
            )
            yield from batched(lines)
            return
        yield from self._worker.chunks(self._run.rejects)
        assert self._worker.report is not None
        self._run.report.add_rows(self._worker.report)

    def write_index(self, generation: Path) -> dict[str, int] | None:
        """Puts the collected index into `generation`; its counts, or None when none was collected."""
        if self._collector is not None:
            return self._collector.write(generation)
        if self._index_tmp is None:
            return None
        os.replace(self._index_tmp / INDEX, generation / INDEX)
        counts: dict[str, int] = json.loads((generation / INDEX / "index.json").read_text())["counts"]
        return counts

    def loaded(self) -> None:
        """Says that the load is over: with `search_overlap`, the worker starts writing the search
        documents now (not while the loader's threads still use both cores). Said once; later calls
        do nothing."""
        if self._search_to is not None and self._worker is not None and not self._started:
            self._started = True
            self._worker.start_search()

    def collected_search(self) -> Path | None:
        """The search documents written apart from the index (`search_overlap`), once the worker
        has written them; None when they were written with the index (or not collected)."""
        if self._search_to is None or self._worker is None:
            return None
        self._worker.search_written()
        return self._search_to

    def close(self) -> None:
        if self._collector is not None:
            self._collector.close()
        if self._worker is not None:
            self._worker.close()
        if self._index_tmp is not None:
            shutil.rmtree(self._index_tmp, ignore_errors=True)

    def __enter__(self) -> Mapping:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
