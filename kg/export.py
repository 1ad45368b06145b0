"""Streaming export of a store in every RDF format."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.errors import KgError
from kg.files import open_binary
from kg.jsonld import PREFIXES, write_dataset
from kg.store import StoreDir

FORMATS: dict[str, ox.RdfFormat | None] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": None,
}
DATASET_FORMATS = ("nq", "trig", "jsonld")


def export(store: Path, fmt: str, output: Path | None, graph: str | None = None) -> None:
    """Write the store to `output` (stdout when None), atomically for a file.

    Dataset formats (nq, trig, jsonld) keep the named graphs; triple formats (ttl, nt, rdfxml)
    write the merge of all graphs, or only `graph` when given.
    """
    if fmt not in FORMATS:
        raise KgError(f"--format {fmt!r}: one of {', '.join(FORMATS)}")
    db = StoreDir(store).open()
    if graph is not None and not db.contains_named_graph(ox.NamedNode(graph)):
        raise KgError(f"--graph {graph!r}: no such graph in {store}")
    if output is None:
        import sys

        _write(db, fmt, sys.stdout.buffer, graph)
        sys.stdout.buffer.flush()
        return
    tmp = output.with_name(f".part-{output.name}")
    try:
        with open_binary(tmp, "wb") as out:
            _write(db, fmt, out, graph)
        tmp.replace(output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write(db: ox.Store, fmt: str, out: IO[bytes], graph: str | None) -> None:
    rdf_format = FORMATS[fmt]
    if rdf_format is None:
        write_dataset(db, out)
        return
    if graph is not None:
        quads = db.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        ox.serialize((q.triple for q in quads), out, rdf_format, prefixes=PREFIXES)
    elif fmt in DATASET_FORMATS:
        db.dump(out, rdf_format, prefixes=PREFIXES if rdf_format.supports_datasets and fmt == "trig" else None)
    else:
        ox.serialize((q.triple for q in db), out, rdf_format, prefixes=PREFIXES)
