"""Mapping in a worker process: it reads, checks and maps the inputs and sends N-Quads bytes down a
pipe, while the calling process loads them (Oxigraph's bulk loader runs in Rust, mostly outside the
GIL). On two cores the mapping and the loading then overlap instead of taking turns.

Messages on the pipe are tagged byte strings: b"D" + N-Quads text, b"R" + a JSON reject, and a
final b"E" followed by the worker's outcome (its Report, or the exception it raised). The worker
applies --strict itself (the first reject fails it); the caller writes the rejects file, so a
build's rows read = loaded + rejected and its rejects are the same with or without a worker.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kg.errors import BadRowError, KgError
from kg.iris import Minter
from kg.records import Reject

# Below this much input the worker's start-up costs more than the overlap saves.
AUTO_MIN_BYTES = 16 << 20
_CHUNK = 1 << 18


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
    """The size of the inputs on disk (files, or the files directly in a directory)."""
    total = 0
    for path in inputs:
        if path.is_dir():
            total += sum(p.stat().st_size for p in path.iterdir() if p.is_file())
        elif path.is_file():
            total += path.stat().st_size
    return total


def use_worker(workers: int | None, inputs: list[Path]) -> bool:
    """`workers` None means auto: a worker when there are two cores and enough input to pay for it."""
    if workers is None:
        return (os.cpu_count() or 1) >= 2 and input_bytes(inputs) >= AUTO_MIN_BYTES
    return workers > 1


def batched(lines: Iterator[str], size: int = _CHUNK) -> Iterator[bytes]:
    """Lines joined into UTF-8 chunks of about `size` characters."""
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


def _work(conn: Connection, job: Job, parent_end: Connection | None = None) -> None:
    from kg.adjacency import Collector
    from kg.build import Report, quads

    if parent_end is not None:
        # A forked worker inherits the pipe's read end: closed here, so that when the caller dies
        # (even by SIGKILL) the pipe has no reader left and the next send fails instead of blocking.
        parent_end.close()

    report = Report()
    collector = Collector(job.minter) if job.index_to is not None else None

    def on_reject(reject: Reject) -> None:
        if job.strict:
            raise BadRowError(f"{reject} (--strict: nothing was changed)")
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
        self.report: Any = None

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
