"""Links between sources: a paper two sources know by the same DOI is declared owl:sameAs.

Each source keeps its own IRIs in its own graph (so one graph can be replaced without touching
the others); the links live in a graph of their own, recomputed after every build.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.iris import Minter
from kg.ontology import ONTOLOGY_GRAPH
from kg.terms import KG, OWL_SAME_AS

LINKS = "links"
IDENTITY = "identity"  # the identity evidence (kg.identity.step), derived like the links


def source_graphs(store: ox.Store, minter: Minter) -> list[str]:
    """The named graphs holding source data (not the ontology, the links or the identity evidence)."""
    skip = {ONTOLOGY_GRAPH, minter.graph(LINKS), minter.graph(IDENTITY)}
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value not in skip)


def relink(store: ox.Store, minter: Minter) -> int:
    """Write the links graph: owl:sameAs (both ways) between papers of different graphs sharing a DOI.

    The store must not hold a links graph yet: kg.build removes the old one with the other graphs
    an --add build replaces, before the load, and flushes that removal while it is cheap. The links
    are bulk-loaded (an ingested file, like the rest of a build), not inserted, so a build leaves
    nothing in RocksDB's memtable and needs no flush, which on a freshly loaded store waits for a
    full compaction.
    """
    graph = ox.NamedNode(minter.graph(LINKS))
    graphs = source_graphs(store, minter)
    if len(graphs) < 2:
        return 0  # within one source a shared DOI is that source's business, and the join is costly
    # `graph` is a checked IRI (str() gives its N-Triples form); no user value is formatted in.
    pairs = store.query(
        f"""SELECT DISTINCT ?a ?b WHERE {{
          GRAPH ?ga {{ ?a <{KG.doi}> ?doi }}
          GRAPH ?gb {{ ?b <{KG.doi}> ?doi }}
          FILTER(?ga != ?gb && ?ga != {graph} && ?gb != {graph})
        }}"""
    )
    assert isinstance(pairs, ox.QuerySolutions)
    same_as = ox.NamedNode(OWL_SAME_AS)
    quads = [ox.Quad(row["a"], same_as, row["b"], graph) for row in pairs]
    if quads:
        store.bulk_extend(quads)
    return len(quads)
