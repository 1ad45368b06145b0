"""The backend seam: the one interface the read features reach the data through (see kg.backend.base)."""

from __future__ import annotations

from pathlib import Path

from kg.backend.base import Backend, Batch, Params, Query, Term, select_batch
from kg.backend.embedded import EmbeddedBackend


def open_store(path: Path | str, *, writable: bool = False) -> EmbeddedBackend:
    """The store directory at `path` (built by `kg build`), read-only unless `writable`."""
    return EmbeddedBackend.open(path, writable=writable)


__all__ = ["Backend", "Batch", "EmbeddedBackend", "Params", "Query", "Term", "open_store", "select_batch"]
