"""Co-authorship paths: the shortest chains of joint papers between two authors, and co-author lists.

One module per job: model (the result types), resolve (what the user typed to a node), search (the
bidirectional breadth-first search and path enumeration), steps (the neighbour steps: the adjacency
index or triple patterns), joint (the papers on a link), find (the two features), render (text),
and reference (neighbour steps kept for benchmarks and cross-checks only). Every feature takes a
kg.backend.Backend; ties are broken by IRI order: paths come in lexicographic order of their IRIs.
"""

from __future__ import annotations

from kg.paths.find import STEPS, Step, coauthors, shortest_paths
from kg.paths.joint import joint_papers
from kg.paths.model import (
    BYS,
    LIMIT,
    MAX_HOPS,
    MAX_VISITED,
    TIMEOUT,
    AmbiguousAuthor,
    By,
    Chain,
    Coauthor,
    CoauthorsResult,
    Link,
    Node,
    Paper,
    PathResult,
    Status,
    UnknownAuthor,
)
from kg.paths.render import render_candidates, render_coauthors, render_text
from kg.paths.resolve import node, resolve
from kg.paths.search import Graph, Search, bidirectional, enumerate_paths

__all__ = [
    "BYS",
    "LIMIT",
    "MAX_HOPS",
    "MAX_VISITED",
    "STEPS",
    "TIMEOUT",
    "AmbiguousAuthor",
    "By",
    "Chain",
    "Coauthor",
    "CoauthorsResult",
    "Graph",
    "Link",
    "Node",
    "Paper",
    "PathResult",
    "Search",
    "Status",
    "Step",
    "UnknownAuthor",
    "bidirectional",
    "coauthors",
    "enumerate_paths",
    "joint_papers",
    "node",
    "render_candidates",
    "render_coauthors",
    "render_text",
    "resolve",
    "shortest_paths",
]
