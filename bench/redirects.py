"""Benchmark: what the merged-id check (kg.redirects) adds to a resource description.

Every linked-data request now asks first whether its IRI is a merged id: two index lookups (an
rdf:type, an owl:sameAs) for a described resource or an unknown IRI, the named query merged-into only
for an IRI with an owl:sameAs and no type. On a built store, times the worker's `describe` call
(kg.server.calls.describe, Turtle) with the check and without it, alternating, for described
resources and for unknown IRIs (a 404, and the linked-data route tries up to three spellings of the
path). Reports the ratio with / without and the microseconds added per call, median and range.

    .venv/bin/python bench/redirects.py --store STORE [--rounds 9] [--calls 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pyoxigraph as ox

import kg.server.calls as calls
from kg.backend.embedded import EmbeddedBackend
from kg.server.messages import Result
from kg.store import StoreDir
from kg.terms import KG, RDF_TYPE


def _sample(backend: EmbeddedBackend, kind: str, n: int) -> list[str]:
    found = backend.triples(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(kind))
    return [t.subject.value for _, t in zip(range(n), found, strict=False)]


def _per_call(backend: EmbeddedBackend, iris: list[str], calls_n: int) -> float:
    started = time.perf_counter()
    for i in range(calls_n):
        calls.describe(backend, iris[i % len(iris)], "ttl")
    return (time.perf_counter() - started) / calls_n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()
    backend = EmbeddedBackend(StoreDir(args.store).open())
    base = iri_base(backend)
    sets = {
        "described (author rows and papers)": _sample(backend, KG.AuthorRow, 10) + _sample(backend, KG.Paper, 10),
        "unknown IRIs (404)": [f"{base}author/no-such-row-{i}" for i in range(20)],
    }
    real = calls._merged

    def without(backend: object, iri: str) -> Result | None:
        return None

    for name, iris in sets.items():
        ratios: list[float] = []
        added: list[float] = []
        for _ in range(args.rounds):
            calls._merged = real
            on = _per_call(backend, iris, args.calls)
            calls._merged = without
            off = _per_call(backend, iris, args.calls)
            ratios.append(on / off)
            added.append((on - off) * 1e6)
        calls._merged = real
        print(f"{name}: with / without {statistics.median(ratios):.3f} (range {min(ratios):.3f}-{max(ratios):.3f}); "
              f"added per call {statistics.median(added):+.0f} us (range {min(added):+.0f} to {max(added):+.0f})")


def iri_base(backend: EmbeddedBackend) -> str:
    """The base IRI the store's author rows were minted under."""
    row = _sample(backend, KG.AuthorRow, 1)[0]
    return row[: row.index("author/")]


if __name__ == "__main__":
    main()
