"""The only module that opens Oxigraph stores: generations, the atomic swap, read-only opening.

A store directory holds one generation directory per successful build and a symlink `active`
naming the current one. A build writes a new generation beside it and replaces the symlink in
one rename only once the generation is complete, so a failed, interrupted or killed build leaves
the previous store exactly as it was.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import StoreBusy, StoreError

ACTIVE = "active"
META = "build.json"
DATA = "oxigraph"
_BUILDING = ".build-"
_LOCK = ".lock"
CURATIONS = "curations.json"  # the corrections by hand (kg.identity.curation), kept across generations
LEDGER = "sync-ledger"  # what kg sync compares an input with (kg.sync.ledger), kept by a copied generation


@dataclass
class Generation:
    """A store being written; becomes the active one on commit."""

    path: Path
    store: ox.Store
    meta: dict[str, Any] = field(default_factory=dict)

    def compact(self) -> None:
        """Compacts the store fully, as `oxigraph optimize` does.

        The bulk loader ingests one file per batch and index, all overlapping (35 per index at 1M
        papers), and every range scan on such a store seeks in each of them: cluster queries are
        about 12 times slower on it (bench/RESULTS.md). RocksDB compacts with one thread here, so
        the caller can use the other core meanwhile (kg.build computes the statistics).
        """
        self.store.optimize()

    def reopen_read_only(self) -> None:
        """Closes the writable store and reopens it read-only for the steps after the load.

        Without `compact()` the store stays as the bulk loader left it: a writable RocksDB would
        start compacting at once in the background, work that a read-only open (all of kg's
        readers) never starts and that closing the store throws away.
        """
        location = str(self.path / DATA)
        del self.store
        gc.collect()
        self.store = ox.Store.read_only(location)


class StoreDir:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def active(self) -> Path | None:
        link = self.path / ACTIVE
        if not link.is_symlink():
            return None
        return self.path / os.readlink(link)

    def exists(self) -> bool:
        return self.active() is not None

    def require(self) -> Path:
        """The active generation; a StoreError naming the store when there is none."""
        return self._require()

    def _require(self) -> Path:
        active = self.active()
        if active is None:
            if not self.path.exists():
                raise StoreError(f"--store {self.path}: no such store (build one with `kg build`)")
            raise StoreError(f"--store {self.path}: not a kg store (no '{ACTIVE}' generation)")
        return active

    def open(self) -> ox.Store:
        """The active store, read-only."""
        active = self._require()
        try:
            return ox.Store.read_only(str(active / DATA))
        except OSError as e:
            raise StoreError(f"--store {self.path}: cannot open: {e}") from e

    def open_for_update(self) -> ox.Store:
        """The active store, writable in place (one process at a time: `kg serve --allow-update`)."""
        active = self._require()
        try:
            return ox.Store(str(active / DATA))
        except OSError as e:
            raise StoreError(f"--store {self.path}: cannot open for update: {e}") from e

    def meta(self) -> dict[str, Any]:
        active = self._require()
        try:
            data: dict[str, Any] = json.loads((active / META).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise StoreError(f"--store {self.path}: unreadable {META}: {e}") from e
        return data

    def _check_ours(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"--store {self.path}: exists and is not a directory")
        if self.path.is_dir() and self.active() is None:
            foreign = [p.name for p in self.path.iterdir() if not p.name.startswith((".", "gen-"))
                       and p.name != CURATIONS]
            if foreign:
                raise StoreError(
                    f"--store {self.path}: directory is not empty and is not a kg store; refusing to write into it"
                )

    @contextmanager
    def generation(self, copy_active: bool = False) -> Iterator[Generation]:
        """A new generation to write; swapped in when the block ends without an exception.

        An OSError of the store (a full disk, permissions, a read-only file system), here or in the
        block, becomes a StoreError naming the store and the cause. A failed build removes what it
        created: its generation, and the store directory itself when this build made it.
        """
        self._check_ours()
        created = _first_missing(self.path)
        try:
            with self._generation(copy_active) as gen:
                yield gen
        except BaseException as e:
            if created is not None:
                shutil.rmtree(created, ignore_errors=True)
            if isinstance(e, OSError):
                unchanged = "nothing was created" if created is not None else "the store is unchanged"
                raise StoreError(f"--store {self.path}: cannot write: {_cause(e)} ({unchanged})") from e
            raise

    @contextmanager
    def _generation(self, copy_active: bool) -> Iterator[Generation]:
        self.path.mkdir(parents=True, exist_ok=True)
        with _locked(self.path / _LOCK):
            for stale in self.path.glob(_BUILDING + "*"):
                shutil.rmtree(stale, ignore_errors=True)
            name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
            building = self.path / (_BUILDING + name)
            building.mkdir()
            try:
                previous = self.active()
                if copy_active:
                    if previous is None:
                        raise StoreError(f"--store {self.path}: nothing to add to (build one first)")
                    ox.Store.read_only(str(previous / DATA)).backup(str(building / DATA))
                    if (previous / LEDGER).is_file():  # a writer that changes a source graph rewrites it
                        shutil.copy2(previous / LEDGER, building / LEDGER)
                gen = Generation(building, ox.Store(str(building / DATA)))
                yield gen
                # No flush: what a build writes is bulk-loaded (ingested files, durable once
                # ingested), and a flush of a freshly loaded store waits for a full compaction.
                del gen.store
                gc.collect()
                (building / META).write_text(json.dumps(gen.meta, indent=2, sort_keys=True), encoding="utf-8")
                final = self.path / name
                building.rename(final)
                _fsync_dir(self.path)
                tmp_link = self.path / f".{ACTIVE}-{name}"
                os.symlink(name, tmp_link)
                os.replace(tmp_link, self.path / ACTIVE)
                _fsync_dir(self.path)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
            if previous is not None and previous.name != name:
                shutil.rmtree(previous, ignore_errors=True)


def _first_missing(path: Path) -> Path | None:
    """The outermost of `path` and its parents that does not exist yet (what mkdir -p would create)."""
    missing = None
    for p in (path.absolute(), *path.absolute().parents):
        if p.exists() or p.is_symlink():
            break
        missing = p
    return missing


def _cause(e: OSError) -> str:
    """The OS's words for an error (RocksDB's message holds them too), without a traceback."""
    text = str(e)
    if e.strerror and e.filename:
        text = f"{e.strerror}: {e.filename}"
    return text


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusy(f"--store {path.parent}: another build is writing this store") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
