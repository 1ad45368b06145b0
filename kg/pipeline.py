"""Mapping in a worker process: it reads, checks and maps the inputs and sends N-Quads bytes down a
pipe, while the calling process loads them (Oxigraph's bulk loader runs in Rust, mostly outside the
GIL). On two cores the mapping and the loading then overlap instead of taking turns.

Messages on the pipe are tagged byte strings: b"D" + N-Quads text, b"R" + a JSON reject, and a
final b"E" followed by the worker's outcome (its Report, or the exception it raised). The worker
applies --strict itself (the first reject fails it); the caller writes the rejects file, so a
build's rows read = loaded + rejected and its rejects are the same with or without a worker.

`Mapping` is what kg.build uses: the same chunks and the same collected index, mapped here or in
the worker.
"""

from __future__ import annotations

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
    """`workers` None means auto: a worker when there are two cores and enough input to pay for it."""
    if workers is None:
        return (os.cpu_count() or 1) >= 2 and input_bytes(inputs) >= AUTO_MIN_BYTES
    return workers > 1


def _work(conn: Connection, job: Job, parent_end: Connection | None = None) -> None:
    if parent_end is not None:
        # A forked worker inherits the pipe's read end: closed here, so that when the caller dies
        # (even by SIGKILL) the pipe has no reader left and the next send fails instead of blocking.
        parent_end.close()

    report = Report()
    collector = Collector(job.minter) if job.index_to is not None else None

    def on_reject(reject: Reject) -> None:
        if job.strict:
            raise refusal(reject)
        conn.send_bytes(b"R" + json.dumps(asdict(reject), ensure_ascii=False).encode("utf-8"))

    outcome: object
    try:
        lines = quads(job.inputs, job.kind, job.minter, report, on_reject, job.progress, job.dtd, collector)
        for chunk in batched(lines):
            conn.send_bytes(b"D" + chunk)
        if collector is not None and job.index_to is not None:
            collector.write(job.index_to)  # while the caller's loader finishes
        outcome = report
    except (BrokenPipeError, ConnectionResetError):
        return  # the caller stopped reading: it has failed already
    except BaseException as e:  # handed to the caller, which raises it
        outcome = e if _picklable(e) else KgError(f"{type(e).__name__}: {e}")
    try:
        conn.send_bytes(b"E")
        conn.send(outcome)
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass
    finally:
        conn.close()


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
        args = (child, job, self._conn) if fork else (child, job)
        self._proc = ctx.Process(target=_work, args=args, name="kg-mapping", daemon=True)
        self._proc.start()
        child.close()
        self.report: Report | None = None

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

    def close(self) -> None:
        self._conn.close()
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join()


class Mapping:
    """The inputs' N-Quads for a build, mapped in this process or in a worker (`use_worker`), with
    the co-authorship index collected meanwhile when `collect_index` (a fresh build: the index must
    see exactly the records of every source of the store, so --add reads it back from the store).

    The worker writes the index into a directory beside `scratch` (the store), moved into the
    generation by `write_index`; `close()` ends the worker and removes what is left of it.
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
    ) -> None:
        self._run = run
        self._inputs = list(inputs)
        self._kind, self._progress, self._dtd = kind, progress, dtd
        self._collector: Collector | None = None
        self._index_tmp: Path | None = None
        self._worker: Worker | None = None
        if not use_worker(workers, inputs):
            self._collector = Collector(run.minter) if collect_index else None
            return
        if collect_index:
            scratch.parent.mkdir(parents=True, exist_ok=True)
            self._index_tmp = Path(tempfile.mkdtemp(prefix=f".{scratch.name}.paths-index-", dir=scratch.parent))
        job = Job(self._inputs, kind, run.minter, run.rejects.strict, progress, dtd, self._index_tmp)
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

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
        if self._index_tmp is not None:
            shutil.rmtree(self._index_tmp, ignore_errors=True)

    def __enter__(self) -> Mapping:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
