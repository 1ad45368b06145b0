"""Streaming export of a store in every RDF format."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.errors import KgError
from kg.files import open_binary
from kg.formats import EXPORT, JSON_LD, TRIG, Format, find, names
from kg.jsonld import PREFIXES, write_dataset
from kg.store import StoreDir

DATASET_FORMATS = tuple(f.name for f in EXPORT if f.rdf is not None and f.rdf.supports_datasets)  # keep the graphs


def export(store: Path | None, fmt: str, output: Path | None, graph: str | None = None, *,
           db: ox.Store | None = None, label: str | None = None) -> None:
    """Write the store (or `db`, an opened one, named `label` in errors) to `output` (stdout when
    None), atomically for a file.

    `fmt` names a format of kg.formats.EXPORT (its name or an alias). Dataset formats (nq, trig,
    jsonld) keep the named graphs; triple formats (ttl, nt, rdfxml) write the merge of all graphs,
    or only `graph` when given.
    """
    chosen = find(fmt, EXPORT)
    if chosen is None:
        raise KgError(f"--format {fmt!r}: one of {names(EXPORT)}")
    if db is None:
        if store is None:
            raise KgError("export: give a store directory or an opened store")
        db = StoreDir(store).open()
    try:
        named = None if graph is None else ox.NamedNode(graph)
    except ValueError as e:
        raise KgError(f"--graph {graph!r}: not an IRI: {e}") from None
    if named is not None and not db.contains_named_graph(named):
        raise KgError(f"--graph {graph!r}: no such graph in {label or store}")
    if output is None:
        import sys

        _write(db, chosen, sys.stdout.buffer, graph)
        sys.stdout.buffer.flush()
        return
    tmp = output.with_name(f".part-{output.name}")
    try:
        with open_binary(tmp, "wb") as out:
            _write(db, chosen, out, graph)
        tmp.replace(output)
    except OSError as e:  # named after the file the user asked for, not the hidden one written first
        tmp.unlink(missing_ok=True)
        raise KgError(f"-o {output}: {e.strerror or e}") from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write(db: ox.Store, fmt: Format, out: IO[bytes], graph: str | None) -> None:
    rdf_format = fmt.rdf
    assert rdf_format is not None
    if fmt is JSON_LD:  # compacted with the ontology's context, inlined (not pyoxigraph's expanded form)
        write_dataset(db, out)
        return
    if graph is not None:
        quads = db.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        ox.serialize((q.triple for q in quads), out, rdf_format, prefixes=PREFIXES)
    elif rdf_format.supports_datasets:
        db.dump(out, rdf_format, prefixes=PREFIXES if fmt is TRIG else None)
    else:
        ox.serialize((q.triple for q in db), out, rdf_format, prefixes=PREFIXES)
