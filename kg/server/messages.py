"""The messages between the web side and the evaluator (an evaluation thread): a Job and its Result.

Both are plain data. The runner (kg.server.local) carries them without looking inside; the evaluator
(kg.server.evaluator) answers a Job with a Result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

JobKind = Literal["query", "update", "void", "call"]


class Family(Enum):
    """Which kind of answer a query has: SPARQL results (SELECT, ASK) or an RDF graph (CONSTRUCT, DESCRIBE)."""

    RESULTS = "results"
    BOOLEAN = "boolean"  # an ASK's answer
    GRAPH = "graph"


@dataclass
class Job:
    kind: JobKind  # a SPARQL query or update, the VoID data, or a library call (named by `text`)
    text: str = ""
    base_iri: str | None = None
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    union: bool = True
    results_format: str | None = None  # name (kg.formats) of the results format chosen, None: none acceptable
    graph_format: str | None = None  # name (kg.formats) of the graph format chosen, None: none acceptable
    max_rows: int | None = None
    args: dict[str, Any] = field(default_factory=dict)  # keyword arguments of a "call"


@dataclass
class Result:
    status: int
    content_type: str = "text/plain; charset=utf-8"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    data: Any = None
    rows: int | None = None
    unacceptable: Family | None = None  # a 406: the query's answer has no acceptable format of this family
    seconds: float | None = None  # how long the evaluation took (set by kg.server.local)


def failure(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> Result:
    """An error Result: the one-line message as the body and as `data["error"]` (with `extra` beside it)."""
    line = message.rstrip("\n")
    return Result(status, body=(line + "\n").encode(), headers=dict(headers or {}), data={"error": line, **extra})


Call = Callable[..., Result]  # a library call an evaluator runs: (backend, **args) -> Result
Calls = Mapping[str, Call]  # the call table, by name
