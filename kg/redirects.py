"""Merged ids as redirects: the survivor a merged id's IRI now stands for.

A merged id (kg.records.Merge) keeps its IRI with one triple, `<old> owl:sameAs <survivor>`, and no
rdf:type: that is what tells it from a described resource, whose owl:sameAs links (kg.links, the
identity step) are data, not a redirect. The chain is followed to its end here, so that a client is
sent to the final survivor in one hop, even when the merges came from different sources or builds
(one build already resolves its own chains: kg.merges).
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.backend import Backend
from kg.errors import KgError
from kg.queries import named
from kg.terms import OWL_SAME_AS, RDF_TYPE

MAX_HOPS = 32
_TYPE = ox.NamedNode(RDF_TYPE)
_SAME_AS = ox.NamedNode(OWL_SAME_AS)


class BadMerge(KgError):
    """A merged id with no one survivor: its merges run in a cycle or fork."""


def survivor(data: Backend, iri: str) -> str | None:
    """The IRI the merged id `iri` redirects to, or None when `iri` is no merged id (it has a
    description of its own, or no owl:sameAs). BadMerge when the merges cycle or fork."""
    try:
        ox.NamedNode(iri)
    except ValueError:
        return None  # no IRI at all (what a user typed where an IRI or an id goes): not a merged id
    trail = [iri]
    current = iri
    while True:
        if _described(data, current) or not _has(data, current, _SAME_AS):
            break  # the common cases, two index lookups: a described resource, an unknown IRI
        targets = sorted(str(r["survivor"]) for r in data.select(named("merged-into"), {"old": current}))
        if not targets:
            break
        if len(targets) > 1:
            listed = ", ".join(f"<{t}>" for t in targets)
            raise BadMerge(f"<{current}> was merged into {len(targets)} resources ({listed}): no one survivor")
        following = targets[0]
        if following in trail:
            shown = " -> ".join(f"<{t}>" for t in [*trail[trail.index(following):], following])
            raise BadMerge(f"<{iri}> is merged in a cycle ({shown}): no survivor to redirect to")
        trail.append(following)
        if len(trail) > MAX_HOPS:
            raise BadMerge(f"<{iri}> is merged through more than {MAX_HOPS} ids: no survivor redirected to")
        current = following
    return None if current == iri else current


def _described(data: Backend, iri: str) -> bool:
    return _has(data, iri, _TYPE)


def _has(data: Backend, iri: str, predicate: ox.NamedNode) -> bool:
    return any(True for _ in data.triples(ox.NamedNode(iri), predicate, None))
