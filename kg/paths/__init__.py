"""Co-authorship paths: the shortest chains of joint papers between two authors, and co-author lists.

One module per job: model (the result types), resolve (what the user typed to a node), search (the
bidirectional breadth-first search and path enumeration), modes (avoiding nodes, the strongest
chain, the K shortest simple chains, reach by distance), steps (the neighbour steps: the adjacency
index or triple patterns), joint (the papers on a link), find (the features), render (text), and
reference (neighbour steps kept for benchmarks and cross-checks only). Every feature takes a
kg.backend.Backend; ties are broken by IRI order: paths come in lexicographic order of their IRIs.
"""

from __future__ import annotations

from kg.paths.find import STEPS, Step, coauthors, reach, shortest_paths
from kg.paths.joint import joint_papers
from kg.paths.model import (
    BYS,
    LIMIT,
    MAX_HOPS,
    MAX_VISITED,
    REACH_HOPS,
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
    ReachResult,
    ReachStatus,
    Status,
    UnknownAuthor,
)
from kg.paths.render import render_candidates, render_coauthors, render_reach, render_text
from kg.paths.resolve import node, resolve
from kg.paths.search import Graph, Search, bidirectional, enumerate_paths

__all__ = [
    "BYS",
    "LIMIT",
    "MAX_HOPS",
    "MAX_VISITED",
    "REACH_HOPS",
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
    "ReachResult",
    "ReachStatus",
    "Search",
    "Status",
    "Step",
    "UnknownAuthor",
    "bidirectional",
    "coauthors",
    "enumerate_paths",
    "joint_papers",
    "node",
    "reach",
    "render_candidates",
    "render_coauthors",
    "render_reach",
    "render_text",
    "resolve",
    "shortest_paths",
]
