"""A sync's delta written into its new generation: the changed and removed subjects' triples removed
from their graphs, then the changed and added subjects' lines loaded from the spool.

The generation is a checkpoint nobody reads until the swap, so the writes need no isolation from
readers; what costs is the number of write transactions. The removals are one SPARQL update per
batch of subjects (one transaction each) instead of one `Store.remove` (one transaction) per quad;
the lines are loaded in transactions of a megabyte, or with the bulk loader above `BULK_SUBJECTS`,
where a transaction would hold a large change in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import pyoxigraph as ox

from kg.build import bulk_load_chunks
from kg.sync.delta import Delta
from kg.sync.ledger import Spool

BULK_SUBJECTS = 100_000  # above this many subjects written, the new lines are bulk-loaded
REMOVE_BATCH = 1_000  # subjects per DELETE


def apply(store: ox.Store, delta: Delta, spool: Spool) -> None:
    written: set[bytes] = set()
    for name, d in delta.graphs.items():
        remove_subjects(store, ox.NamedNode(name), d.cleared, REMOVE_BATCH)
        written |= d.written
    if len(written) > BULK_SUBJECTS:
        store.flush()
        bulk_load_chunks(store, spool.lines_of(written))
        return
    for chunk in spool.lines_of(written):
        store.load(input=chunk, format=ox.RdfFormat.N_QUADS)


def remove_subjects(store: ox.Store, graph: ox.NamedNode, subjects: set[bytes], batch: int) -> None:
    """Every triple of `subjects` (N-Triples IRIs, as the ledger keys them) in `graph`."""
    nodes = sorted((ox.NamedNode(s.decode("utf-8")[1:-1]) for s in subjects), key=lambda n: n.value)
    for part in _batches(nodes, batch):
        store.update(
            f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} "
            f"WHERE {{ GRAPH {graph} {{ VALUES ?s {{ {' '.join(str(n) for n in part)} }} ?s ?p ?o }} }}"
        )


def _batches(items: list[ox.NamedNode], size: int) -> Iterator[list[ox.NamedNode]]:
    it = iter(items)
    while part := list(islice(it, size)):
        yield part
