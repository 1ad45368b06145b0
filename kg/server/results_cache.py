"""The results cache of a worker's SPARQL pipeline (kg serve --results-cache MB): a query's 200 answer
kept for the store generation it was evaluated on, and given again without evaluating the query.

A read-only store generation cannot change, so neither can a query's answer on it, unless its text
calls a function whose value changes between evaluations (NOW, RAND, UUID, STRUUID, BNODE: found by
kg.sparqltext's lexer, so that a string "now()" or a comment does not count). The runner's Result is
kept, keyed by what determines it: the text, the base IRI, the dataset (default and named graphs, or
the union), the chosen formats and the row cap. A GET and a POST of one query share an entry, and a
browser's page is made again from the kept Result (its links follow the request's parameters).

Nothing is kept with updates on (the store changes without a new generation), nor over a remote
engine (kg serve --endpoint: its data can change under the same data version); nor an error, a 503,
an answer that ran past the time limit, or one over LARGEST bytes. A Result is kept only when the
generation it was asked on (its tag, taken before the job was queued) is still the one served when
it comes back, so an answer of the old generation is never kept after the swap; the table is one of
the worker's registry (kg.server.tables), emptied with every other cache on a new generation.
"""

from __future__ import annotations

from collections.abc import Callable

from kg.server.config import ServerConfig
from kg.server.messages import Job, Result
from kg.server.tables import Caches, Table, cost
from kg.sparqltext import Analysis

LARGEST = 256 << 10  # bytes of one kept answer at most (as the other tables' 4 MB >> 4)
ENTRY = 1024  # bytes counted for each entry besides its texts and body (the Result, the key, the table's slots)
VOLATILE = frozenset(("NOW", "RAND", "UUID", "STRUUID", "BNODE"))  # a new value at every evaluation

# text, base IRI, union, default graphs, named graphs, results format, graph format, row cap
Key = tuple[str, str | None, bool, tuple[str, ...] | None, tuple[str, ...] | None, str | None, str | None, int | None]


def serves(config: ServerConfig) -> bool:
    """Whether this server keeps results at all: a size, a read-only store, no remote engine."""
    return config.results_cache > 0 and not config.updates and config.remote is None


def volatile(analysis: Analysis) -> bool:
    """Whether the text calls a function whose value changes between evaluations (its words, as lexed)."""
    return not VOLATILE.isdisjoint(analysis.words())


def key(job: Job) -> Key:
    """What determines a query's Result, apart from the store generation."""
    return (job.text, job.base_iri, job.union,
            None if job.default_graphs is None else tuple(job.default_graphs),
            None if job.named_graphs is None else tuple(job.named_graphs),
            job.results_format, job.graph_format, job.max_rows)


class ResultsCache:
    """The kept Results of one worker, for the generation `generation()` names (the Site's build tag)."""

    def __init__(self, config: ServerConfig, caches: Caches, generation: Callable[[], str]) -> None:
        size = config.results_cache << 20
        self.timeout = config.timeout
        self.generation = generation
        self.results: Table[Key, Result] = caches.table("query results", max(1, size // ENTRY), size,
                                                        largest=min(LARGEST, size >> 4), lru=True)

    def find(self, found: Key) -> tuple[str, Result | None]:
        """(the generation served now, its Result of the query `found`, or None)."""
        tag = self.generation()  # a new generation empties the table first (kg.server.web.Site.build)
        return tag, self.results.find(found)

    def keep(self, found: Key, tag: str, result: Result, late: bool) -> None:
        """Keeps a query's Result, asked on generation `tag`, when it may be given again."""
        if result.status != 200 or late or (result.seconds is not None and result.seconds >= self.timeout):
            return
        if self.generation() != tag:  # a swap while it ran: an answer of the old generation
            return
        text, base, _, default, named, results_format, graph_format, _ = found
        graphs = sum(len(g) for gs in (default or (), named or ()) for g in gs)
        size = cost(text, base, results_format, graph_format, result.content_type, result.body) + graphs + ENTRY
        self.results.put(found, result, size + sum(len(k) + len(v) for k, v in result.headers.items()))
