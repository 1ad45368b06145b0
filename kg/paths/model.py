"""What the path features answer with: nodes, papers, chains, the results and the two lookup errors."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

from kg.errors import KgError

By = Literal["author", "cluster"]
Status = Literal["found", "not-connected", "beyond-max-hops", "timeout", "too-large"]
BYS: tuple[By, ...] = ("author", "cluster")
MAX_HOPS = 6
LIMIT = 100
TIMEOUT = 30.0
MAX_VISITED = 5_000_000
REACH_HOPS = 4
ReachStatus = Literal["complete", "beyond-max-hops", "timeout", "too-large"]


@dataclass(frozen=True)
class Node:
    iri: str
    name: str


class UnknownAuthor(KgError):
    """No author row (or name cluster) answers to what was given."""


class AmbiguousAuthor(KgError):
    """A name that does not pick exactly one author row; `candidates` are the rows of its cluster."""

    def __init__(self, message: str, param: str, candidates: list[Node],
                 activity: dict[str, tuple[int, int | None, int | None]] | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.candidates = candidates
        self.activity = activity or {}  # row IRI -> (papers, first year, last year): to tell them apart

    def candidates_json(self) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for c in self.candidates:
            papers, first, last = self.activity.get(c.iri, (None, None, None))
            out.append({"iri": c.iri, "name": c.name, "papers": papers, "first_year": first, "last_year": last})
        return out


@dataclass
class Paper:
    iri: str
    title: str | None  # None (JSON null) for a paper whose source gives no title
    year: int | None
    venue: str | None
    venue_iri: str | None = None  # so that two venues of one short name can be told apart
    doi: str | None = None

    def label(self) -> str:
        """The title, or for a paper without one "[no title]" and its DOI, else its id (as its page's title)."""
        return paper_label(self.title, self.doi, self.iri)


def paper_label(title: str | None, doi: str | None, iri: str) -> str:
    """What a chain shows for a joint paper: its title, else "[no title]" and its DOI or source id."""
    if title is not None:
        return title
    return f"[no title] {doi or unquote(iri.rstrip('/').rsplit('/', 1)[-1])}"


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
    avoid: list[Node] = field(default_factory=list)
    strongest: bool = False
    alternatives: int | None = None
    stopped: Status | None = None

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
            "avoid": [asdict(n) for n in self.avoid],
            "strongest": self.strongest,
            "alternatives": self.alternatives,
            "stopped": self.stopped,
        }


@dataclass
class ReachResult:
    """How many authors (or clusters) are at each distance from one, and a page of those at `at`."""

    author: Node
    by: By
    max_hops: int
    status: ReachStatus
    counts: list[int]
    at: int | None = None
    nodes: list[Node] = field(default_factory=list)
    offset: int = 0
    limit: int = LIMIT
    seconds: float = 0.0

    @property
    def capped(self) -> bool:
        """Whether there is more than the counts say (farther than max_hops, or a budget stopped the search)."""
        return self.status != "complete"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "author": asdict(self.author),
            "by": self.by,
            "max_hops": self.max_hops,
            "status": self.status,
            "counts": {str(d): n for d, n in enumerate(self.counts, start=1)},
            "capped": self.capped,
        }
        if self.at is not None:
            total = self.counts[self.at - 1] if self.at <= len(self.counts) else 0
            out.update({"at": self.at, "total": total, "offset": self.offset, "limit": self.limit,
                        "authors": [asdict(n) for n in self.nodes]})
        return out


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
