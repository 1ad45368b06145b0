"""`kg etl --shards N`: the N-Quads of the inputs as N gzipped shards, for a distributed engine's
bulk loader (QLever, Virtuoso, ...), with the compression in worker processes.

The main process reads, checks and maps (kg.streaming), and deals the N-Quads out chunk by
chunk, round robin, to the shards; a chunk is a run of whole records' lines, so each quad is in
exactly one shard and the shards together are exactly `kg etl`'s single file. The ontology graph
goes to shard 0. With `workers` > 1, shard i is compressed and written by worker i % workers (gzip
is most of the cost of writing). Shards are written as hidden `.part-*` files and renamed only when
all succeeded; a failure (or --strict on a bad row) leaves no shard behind.
"""

from __future__ import annotations

import contextlib
import gzip
import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

from kg.iris import DEFAULT_BASE_IRI
from kg.streaming import Report, Run

PATTERN = "part-{:05d}.nq.gz"


def shard_names(shards: int) -> list[str]:
    return [PATTERN.format(i) for i in range(shards)]


def _writer(conn: Connection, paths: list[Path], level: int) -> None:
    files = [gzip.open(p, "wb", compresslevel=level) for p in paths]  # noqa: SIM115 (closed below)
    try:
        while True:
            message = conn.recv_bytes()
            if not message:
                break
            files[message[0]].write(message[1:])
    finally:
        for f in files:
            f.close()
        conn.close()


class _Sinks:
    """Shard files written here (workers <= 1) or by worker processes."""

    def __init__(self, tmp_paths: list[Path], workers: int, level: int) -> None:
        self.n = len(tmp_paths)
        self.workers = max(1, min(workers, self.n))
        self._local: list[IO[bytes]] = []
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        if self.workers == 1:
            self._local = [gzip.open(p, "wb", compresslevel=level) for p in tmp_paths]  # type: ignore[misc]  # noqa: SIM115
            return
        ctx: Any = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        for w in range(self.workers):
            mine = tmp_paths[w :: self.workers]
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_writer, args=(recv, mine, level), name=f"kg-shard-{w}", daemon=True)
            proc.start()
            recv.close()
            self._conns.append(send)
            self._procs.append(proc)

    def write(self, shard: int, data: bytes) -> None:
        if self._local:
            self._local[shard].write(data)
        else:  # worker w holds shards w, w + workers, ...: its local index is shard // workers
            self._conns[shard % self.workers].send_bytes(bytes([shard // self.workers]) + data)

    def close(self) -> None:
        for f in self._local:
            f.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.send_bytes(b"")
            conn.close()
        failed = False
        for proc in self._procs:
            proc.join()
            failed |= proc.exitcode != 0
        if failed:
            raise OSError("a shard writer failed")


def etl_shards(
    inputs: list[Path],
    directory: Path,
    *,
    shards: int,
    workers: int = 1,
    kind: str = "auto",
    base_iri: str = DEFAULT_BASE_IRI,
    strict: bool = False,
    rejects: Path | None = None,
    progress: bool = False,
    dtd: Path | None = None,
    level: int = 6,
) -> Report:
    """Write the N-Quads of the inputs as `shards` files DIR/part-00000.nq.gz ..., atomically."""
    if not 1 <= shards <= 256:
        raise ValueError("shards: must be from 1 to 256")
    rejects = rejects if rejects is not None else directory / "rejects.jsonl"
    run = Run(rejects, base_iri=base_iri, strict=strict)  # checks the base IRI before touching the directory
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("part-*.nq.gz"):
        stale.unlink()
    finals = [directory / name for name in shard_names(shards)]
    tmps = [directory / f".{name}" for name in shard_names(shards)]
    sinks: _Sinks | None = None
    with run:
        try:
            sinks = _Sinks(tmps, workers, level)
            sinks.write(0, run.head())
            for i, chunk in enumerate(run.chunks(inputs, kind, progress=progress, dtd=dtd)):
                sinks.write(i % shards, chunk)
            done, sinks = sinks, None
            done.close()
            for tmp, final in zip(tmps, finals, strict=True):
                tmp.replace(final)
        except BaseException:
            if sinks is not None:
                with contextlib.suppress(OSError):
                    sinks.close()
            for tmp in tmps:
                tmp.unlink(missing_ok=True)
            raise
    return run.report
