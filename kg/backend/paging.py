"""Reading a whole relation from a SPARQL endpoint: LIMIT/OFFSET page by page, checked against its
COUNT(*) at the end.

No ORDER BY: sorting the whole relation for every page costs more than the transfer (and Virtuoso
refuses ORDER BY past 10,000 rows); engines scan a read-only graph in a stable order, and the count
check catches one that does not, or that caps its answers below the page size. Pages are counted in
solutions as the engine gave them, before a caller keeps or drops any: a page is the last one when
it holds fewer solutions than asked for.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox

from kg.backend.remote import RemoteBackend
from kg.errors import KgError


def pages(backend: RemoteBackend, projection: str, pattern: str, page: int, what: str,
          prefix: str = "") -> Iterator[list[ox.QuerySolution]]:
    """The solutions of `SELECT projection WHERE { pattern }`, a list of at most `page` a time; a
    KgError naming `what` when they do not add up to the pattern's COUNT(*)."""
    if page < 1:
        raise KgError(f"{backend.label}: {what}: the page size must be 1 or more, not {page}")
    total = backend.select(f"{prefix}SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    expected = int(str(total[0].get("n") or 0)) if total else 0
    seen, offset = 0, 0
    while True:
        query = f"{prefix}SELECT {projection} WHERE {{ {pattern} }} LIMIT {page} OFFSET {offset}"
        found = backend.client.solutions(query)
        assert isinstance(found, ox.QuerySolutions)
        batch = list(found)
        seen += len(batch)
        yield batch
        if len(batch) < page:
            break
        offset += page
    if seen != expected:
        raise KgError(
            f"{backend.label}: {what}: {seen} rows paged but COUNT(*) says {expected} (does the engine cap "
            f"answers below --page-size {page}, as Virtuoso's ResultSetMaxRows does?)"
        )
