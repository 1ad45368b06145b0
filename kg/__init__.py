"""kg: scholarly metadata into a linked-data knowledge graph, served over SPARQL."""

from __future__ import annotations

from kg.backend import open_store
from kg.build import build, load
from kg.errors import BadRowError, InputError, KgError, QueryError, StoreError
from kg.names import loose_key, name_key
from kg.store import StoreDir
from kg.streaming import Report, etl
from kg.version import __version__

__all__ = [
    "BadRowError",
    "InputError",
    "KgError",
    "QueryError",
    "Report",
    "StoreDir",
    "StoreError",
    "__version__",
    "build",
    "etl",
    "load",
    "loose_key",
    "name_key",
    "open_store",
]
