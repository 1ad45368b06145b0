"""kg: scholarly metadata into a linked-data knowledge graph, served over SPARQL.

The features, each a plain function: `etl` (sources to N-Quads), `build` / `load` (a store), `open_store`
(a store opened behind the `Backend` protocol, the one interface every read feature takes), `cluster`
(a name cluster), `shortest_paths` and `coauthors` (co-authorship), `validate` (SHACL), `export`.
"""

from __future__ import annotations

from kg.backend import Backend, open_store
from kg.build import build, load
from kg.cluster import cluster
from kg.errors import BadRowError, InputError, KgError, QueryError, StoreError
from kg.export import export
from kg.names import loose_key, name_key
from kg.paths import coauthors, shortest_paths
from kg.store import StoreDir
from kg.streaming import Report, etl
from kg.validate import validate
from kg.version import __version__

__all__ = [
    "Backend",
    "BadRowError",
    "InputError",
    "KgError",
    "QueryError",
    "Report",
    "StoreDir",
    "StoreError",
    "__version__",
    "build",
    "cluster",
    "coauthors",
    "etl",
    "export",
    "load",
    "loose_key",
    "name_key",
    "open_store",
    "shortest_paths",
    "validate",
]
