"""What a source graph holds, subject by subject: one 64-bit digest of each subject's N-Quads lines.

A sync compares the ledger of the new input's mapping with the ledger of what the store holds and
rewrites only the subjects whose digest differs (kg.sync.delta). The digest of a subject is the sum,
modulo 2**64, of a keyed BLAKE2b digest of each of its lines: it does not depend on the order in
which the lines come (a paper's lines come from its paper row and from each of its authorship rows).

A ledger is kept in each generation a sync writes (`sync-ledger`, marshal: a cache, not data: one
that is missing, unreadable or of another Python is computed again from the store, `from_store`).
Two ledgers built from different texts of one triple (the mapper's and the store's) can only differ
in a digest, which makes that subject be rewritten with the same triples: never a wrong answer.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from hashlib import blake2b
from itertools import groupby, repeat
from multiprocessing.connection import Connection
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Literal

import pyoxigraph as ox

from kg.errors import KgError
from kg.nquads import iri, literal, typed
from kg.store import LEDGER
from kg.streaming import batched

_MASK = (1 << 64) - 1
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_FORMAT = 1


def line_digest(line: bytes) -> int:
    """The digest of one N-Quads line (without its newline)."""
    return int.from_bytes(blake2b(line, digest_size=8).digest(), "little")


_EMPTY = blake2b(digest_size=8)  # only ever copied
_copy, _update, _digest = type(_EMPTY).copy, type(_EMPTY).update, type(_EMPTY).digest
_LITTLE: Literal["little"] = "little"
_first, _second = itemgetter(0), itemgetter(1)


def _graph_of(line: bytes) -> bytes:
    """The graph IRI (without its brackets) of an N-Quads line `s p o <g> .` (without its newline)."""
    return line[line.rindex(b" ", 0, len(line) - 2) + 2 : -3]


@dataclass
class Ledger:
    """Per named graph: subject (its N-Quads form, `<iri>`) -> digest of its lines in that graph."""

    graphs: dict[str, dict[bytes, int]] = field(default_factory=dict)

    def graph(self, name: str) -> dict[bytes, int]:
        return self.graphs.setdefault(name, {})

    def add_chunk(self, chunk: bytes) -> None:
        """Adds the lines of one chunk of N-Quads (whole lines, each naming its graph)."""
        lines = chunk.split(b"\n")
        if b"" in lines:
            lines = [line for line in lines if line]
        if not lines:
            return
        first = lines[0]
        name = _graph_of(first)
        if not all(map(bytes.endswith, lines, repeat(b" <" + name + b"> ."))):
            self._add_lines(lines)  # lines of several graphs (a mapper's chunk has one)
            return
        # One graph (a mapper's chunk): the subjects and digests are taken by C loops (map), each
        # digest by a copy of an empty BLAKE2b (cheaper than a new one, whose parameters are parsed
        # each time), and only the sums are Python's (one per run of a subject's lines): the same
        # digests as `line_digest`.
        current = self.graph(name.decode("utf-8"))
        get = current.get
        subjects = map(_first, map(bytes.split, lines, repeat(b" "), repeat(1)))
        hashers = list(map(_copy, repeat(_EMPTY, len(lines))))
        deque(map(_update, hashers, lines), maxlen=0)
        digests = map(int.from_bytes, map(_digest, hashers), repeat(_LITTLE))
        for subject, run in groupby(zip(subjects, digests, strict=True), _first):  # a subject's lines come together
            current[subject] = (get(subject, 0) + sum(map(_second, run))) & _MASK

    def _add_lines(self, lines: Iterable[bytes]) -> None:
        current_name = b""
        current: dict[bytes, int] = {}
        for line in lines:
            name = _graph_of(line)
            if name != current_name:
                current_name, current = name, self.graph(name.decode("utf-8"))
            subject = line[: line.index(b" ")]
            current[subject] = (current.get(subject, 0) + line_digest(line)) & _MASK

    def subjects(self) -> int:
        return sum(len(g) for g in self.graphs.values())

    def save(self, generation: Path) -> None:
        """Writes the ledger into `generation` (atomically: a partial file is never read)."""
        tmp = generation / f".{LEDGER}.tmp"
        with open(tmp, "wb") as f:
            marshal.dump((_FORMAT, self.graphs), f)
        os.replace(tmp, generation / LEDGER)

    @classmethod
    def load(cls, generation: Path) -> Ledger | None:
        """The ledger kept in `generation`, or None when there is none that this Python can read."""
        try:
            with open(generation / LEDGER, "rb") as f:
                version, graphs = marshal.load(f)
        except (OSError, ValueError, EOFError, TypeError):
            return None
        if version != _FORMAT or not isinstance(graphs, dict):
            return None
        return cls(graphs)

    @classmethod
    def from_store(cls, store: ox.Store, graphs: Iterable[str]) -> Ledger:
        """The ledger of the named graphs `graphs` as `store` holds them."""
        ledger = cls()
        for name in graphs:
            ledger.graph(name)
            quads = store.quads_for_pattern(None, None, None, ox.NamedNode(name))
            for chunk in batched(quad_line(q) for q in quads):
                ledger.add_chunk(chunk)
        return ledger


def spooled(chunks: Iterable[bytes], spool: Spool) -> Ledger:
    """The ledger of the mapped `chunks`, each chunk also written to `spool` (to pick the changed
    subjects' lines from afterwards)."""
    ledger = Ledger()
    for chunk in chunks:
        ledger.add_chunk(chunk)
        spool.write(chunk)
    spool.close_writing()
    return ledger


def completed(kept: Ledger | None, graphs: list[str], read: Callable[[list[str]], Ledger],
              where: str) -> tuple[Ledger, str]:
    """The ledger of `graphs` to compare with: `kept` (the build's or last sync's), with the graphs it
    lacks (a new source, or no ledger kept) read by `read` from `where` (the store, the endpoint);
    and where it came from: "kept", `where`, or "kept+" `where`."""
    ledger = kept or Ledger()
    missing = [g for g in graphs if g not in ledger.graphs]
    if missing:
        ledger.graphs.update(read(missing).graphs)
    source = where if len(missing) == len(graphs) else f"kept+{where}" if missing else "kept"
    return ledger, source


class LedgerProcess:
    """Computes a ledger from the chunks a build loads (`passing`), so that the first sync after the
    build has one to compare with instead of reading the store, and writes it into the generation
    (`save`). It runs in a child process: a ledger is a dict entry per subject (about 1.3 GB at 1M
    papers), which a process of the build would otherwise keep through the load and every step after
    it, while the child's memory is returned when it ends. Start it before the store is opened (a
    fork then copies no store's threads)."""

    def __init__(self) -> None:
        fork = "fork" in multiprocessing.get_all_start_methods()
        ctx: Any = multiprocessing.get_context("fork" if fork else "spawn")
        self._conn, child = ctx.Pipe()
        # a forked child also gets this end: it closes it, and watches its parent, so that it ends
        # when the build dies (even by SIGKILL) although later children hold copies of this end
        args = (child, os.getpid(), self._conn if fork else None)
        self._proc = ctx.Process(target=_ledger_child, args=args, name="kg-ledger", daemon=True)
        self._proc.start()
        child.close()

    def passing(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """The chunks as they are, each also sent to the ledger's process."""
        for chunk in chunks:
            if chunk:  # an empty message ends the chunks
                self._send(chunk)
            yield chunk

    def _send(self, chunk: bytes) -> None:
        try:
            self._conn.send_bytes(chunk)
        except OSError:
            raise KgError("the ledger's process stopped before the load ended (killed?)") from None

    def save(self, generation: Path, over_kept: bool) -> None:
        """Ends the chunks and has the ledger written into `generation`: over the ledger found there
        when `over_kept` (an --add build: the other sources' graphs kept), else in its place."""
        self._send(b"")
        try:
            self._conn.send((str(generation), over_kept))
            failed = self._conn.recv()
        except (OSError, EOFError):
            raise KgError("the ledger's process stopped before it wrote the ledger (killed?)") from None
        if failed is not None:
            raise KgError(f"the ledger: {failed}")

    def close(self) -> None:
        """Ends the process (without a ledger, unless `save` was called)."""
        self._conn.close()
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join()

    def __enter__(self) -> LedgerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ledger_child(conn: Connection, parent: int, parent_end: Connection | None = None) -> None:
    if parent_end is not None:
        parent_end.close()
    ledger = Ledger()
    try:
        while chunk := _received(conn, parent).recv_bytes():
            ledger.add_chunk(chunk)
        where, over_kept = _received(conn, parent).recv()
    except (EOFError, OSError):
        return  # the build stopped: no ledger
    try:
        generation = Path(where)
        kept = Ledger.load(generation) if over_kept else None
        if kept is not None:
            kept.graphs.update(ledger.graphs)
            ledger = kept
        ledger.save(generation)
        conn.send(None)
    except Exception as e:  # told to the build, which fails with it
        conn.send(f"{type(e).__name__}: {e}")
    finally:
        conn.close()


def _received(conn: Connection, parent: int) -> Connection:
    """`conn` once a message waits on it; EOFError when the process `parent` is gone first (the
    pipe alone cannot say so: another child of the build may hold a copy of the build's end)."""
    while not conn.poll(1.0):
        if os.getppid() != parent:
            raise EOFError("the build is gone")
    return conn


def term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph) -> str:
    """A term as kg.mapping writes it (kg.nquads), so that the store's lines digest as the mapper's."""
    if isinstance(term, ox.NamedNode):
        return iri(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return literal(term.value) + "@" + term.language
        datatype = term.datatype.value
        return literal(term.value) if datatype == _XSD_STRING else typed(term.value, datatype)
    return str(term)


def quad_line(quad: ox.Quad) -> str:
    """The N-Quads line (with its newline) of a quad, in kg.mapping's text."""
    s, p, o, g = (term_text(t) for t in (quad.subject, quad.predicate, quad.object, quad.graph_name))
    return f"{s} {p} {o} {g} .\n"


class Spool:
    """The new input's N-Quads kept on disk while its ledger is computed, to pick the changed
    subjects' lines from afterwards (`lines_of`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = open(path, "wb")  # noqa: SIM115 (closed by close())

    @classmethod
    def beside(cls, directory: Path) -> Spool:
        """A new spool file in `directory`, named after this process; the spools of processes that
        are gone (a killed sync) are removed first."""
        for old in directory.glob(".sync-*.nq"):
            pid = old.name.split("-")[1]
            if pid.isdigit() and not _alive(int(pid)):
                old.unlink(missing_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".sync-{os.getpid()}-", suffix=".nq", dir=directory)
        os.close(fd)
        return cls(Path(name))

    def write(self, chunk: bytes) -> None:
        assert self._file is not None
        self._file.write(chunk)

    def close_writing(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def lines_of(self, subjects: set[bytes], size: int = 1 << 20) -> Iterator[bytes]:
        """The spooled lines (with their newlines) whose subject is in `subjects`, in chunks."""
        self.close_writing()
        if not subjects:
            return
        with open(self.path, "rb") as f:
            rest = b""
            while True:
                block = f.read(size)
                if not block:
                    break
                block = rest + block
                cut = block.rfind(b"\n") + 1
                rest = block[cut:]
                picked = [line for line in block[:cut].split(b"\n") if line and line[: line.index(b" ")] in subjects]
                if picked:
                    yield b"\n".join(picked) + b"\n"

    def remove(self) -> None:
        self.close_writing()
        self.path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
