"""kg: scholarly metadata into a linked-data knowledge graph, served over SPARQL."""

from __future__ import annotations

__version__ = "0.1.0"

from kg.backend import open_store  # noqa: E402
from kg.build import Report, build, etl, load  # noqa: E402
from kg.errors import BadRowError, InputError, KgError, QueryError, StoreError  # noqa: E402
from kg.names import loose_key, name_key  # noqa: E402
from kg.store import StoreDir  # noqa: E402

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
