"""What the path features answer with: nodes, papers, chains, the results and the two lookup errors."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from kg.errors import KgError

By = Literal["author", "cluster"]
Status = Literal["found", "not-connected", "beyond-max-hops", "timeout", "too-large"]
BYS: tuple[By, ...] = ("author", "cluster")
MAX_HOPS = 6
LIMIT = 100
TIMEOUT = 30.0
MAX_VISITED = 5_000_000


@dataclass(frozen=True)
class Node:
    iri: str
    name: str


class UnknownAuthor(KgError):
    """No author row (or name cluster) answers to what was given."""


class AmbiguousAuthor(KgError):
    """A name that does not pick exactly one author row; `candidates` are the rows of its cluster."""

    def __init__(self, message: str, param: str, candidates: list[Node]) -> None:
        super().__init__(message)
        self.param = param
        self.candidates = candidates


@dataclass
class Paper:
    iri: str
    title: str
    year: int | None
    venue: str | None


@dataclass
class Link:
    papers: list[Paper]


@dataclass
class Chain:
    nodes: list[Node]
    links: list[Link]


@dataclass
class PathResult:
    source: Node
    target: Node
    by: By
    max_hops: int
    status: Status
    distance: int | None
    paths: list[Chain] = field(default_factory=list)
    capped: bool = False
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "from": asdict(self.source),
            "to": asdict(self.target),
            "by": self.by,
            "max_hops": self.max_hops,
            "status": self.status,
            "distance": self.distance,
            "paths": [asdict(p) for p in self.paths],
            "capped": self.capped,
        }


@dataclass
class Coauthor:
    iri: str
    name: str
    papers: int


@dataclass
class CoauthorsResult:
    author: Node
    coauthors: list[Coauthor]

    def to_json(self) -> dict[str, Any]:
        return {"author": asdict(self.author), "coauthors": [asdict(c) for c in self.coauthors]}
