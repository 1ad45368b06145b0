"""The remote backend: any SPARQL 1.1 endpoint (Oxigraph server, Virtuoso, QLever, ...) behind the
Backend protocol, so clusters, paths, pages and the API run on it unchanged.

The default graph must be the union of all graphs, as Virtuoso and QLever have it and
`oxigraph serve --union-default-graph` gives it (an engine whose default graph is empty answers
nothing: load kg's N-Quads into its default graph instead, or give it that option).

Named queries run as written, their parameters bound by a VALUES block (kg.backend.binding);
answers are normalised to what the embedded store gives (kg.backend.normalise). The co-authorship
index is a local directory built by `kg index --endpoint URL -o DIR` (or from the N-Quads), given as
`index`; the path search then runs on it and only the joint papers are fetched remotely.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import pyoxigraph as ox

from kg.adjacency import AdjacencyIndex
from kg.backend import binding, normalise
from kg.backend.base import Batch, Params, Query, Term
from kg.backend.sparql import EndpointError, SparqlClient, Table
from kg.errors import QueryError
from kg.queries import NamedQuery, NotPlain, json_row, to_term, value

ENV_AUTHORIZATION = "KG_ENDPOINT_AUTHORIZATION"
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_CHECK = ox.Store()  # empty: parses queries (and reports syntax errors) before they leave the machine


@dataclass(frozen=True)
class RemoteSpec:
    """What opens a RemoteBackend, picklable (kg serve's worker processes each open their own)."""

    url: str
    index: str | None = None
    timeout: float = 30.0
    data_version: str | None = None

    def open(self) -> RemoteBackend:
        return RemoteBackend(self.url, index=self.index, timeout=self.timeout, data_version=self.data_version)

    def version(self) -> str | None:
        """The data version as RemoteBackend.version derives it, without opening a connection."""
        return data_version(self.data_version, Path(self.index) if self.index else None)


def data_version(given: str | None, index: Path | None) -> str | None:
    """The version given (`kg serve --data-version`), else one derived from the index's index.json
    (rewritten by every `kg index`, which follows a reload), else None: nothing is cached then."""
    if given is not None:
        return given
    if index is None:
        return None
    for meta in (index / "index.json", index / "paths-index" / "index.json"):
        try:
            stat = meta.stat()
        except OSError:
            continue
        return hashlib.sha256(f"{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest()[:16]
    return None


class RemoteBackend:
    """A SPARQL 1.1 endpoint, read-only.

    `version` is the data version for caches and ETags: the one given (`kg serve --data-version`),
    else the index's (it changes whenever the index is rebuilt, which follows a reload), else None:
    then nothing is cached on the engine's behalf.
    """

    def __init__(
        self,
        url: str,
        *,
        index: Path | str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        authorization: str | None = None,
        data_version: str | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise QueryError(f"--endpoint {url}: not an http(s) URL")
        self.url = url
        self.client = SparqlClient(
            url, timeout=timeout, retries=retries,
            authorization=authorization if authorization is not None else os.environ.get(ENV_AUTHORIZATION),
        )
        self.index_path = Path(index) if index is not None else None
        self._index: AdjacencyIndex | None = None
        if self.index_path is not None:
            self._index = open_index(self.index_path)
        self._version = data_version

    # -- lifecycle
    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
        self.client.close()

    def __enter__(self) -> RemoteBackend:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def refresh(self) -> bool:
        return False

    # -- the Backend protocol
    @property
    def label(self) -> str:
        return f"--endpoint {self.url}"

    @property
    def version(self) -> str | None:
        return data_version(self._version, self.index_path)

    def text(self, query: Query, params: Params = None) -> str:
        """The query as sent: its parameters bound by a VALUES block, checked by Oxigraph's parser."""
        if isinstance(query, NamedQuery):
            values = query.bind(params or {})
            source, label = query.text, f"query {query.name!r}"
        else:
            source, label = query, "query"
            values = {
                ox.Variable(k): v if isinstance(v, ox.NamedNode | ox.Literal) else to_term(v, "literal", k)
                for k, v in (params or {}).items()
            }
        form(source, label)
        return binding.bind(source, {k.value: v for k, v in values.items()})

    def results(
        self, query: Query, params: Params = None
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """A query of any form, normalised (`kg query --endpoint`): solutions, a boolean or triples."""
        text = self.text(query, params)
        # the form decides what to ask for: an engine offered both (Virtuoso) may answer a
        # CONSTRUCT as a table of ?s ?p ?o, or a SELECT as RDF
        answer = self.client.graph(text) if form(text, "query") == "graph" else self.client.solutions(text)
        if isinstance(answer, ox.QuerySolutions):
            names = [v.value for v in answer.variables]
            return normalise.solutions(names, self.rows(text, answer))
        if isinstance(answer, ox.QueryBoolean):
            return answer
        return [ox.Triple(t.subject, t.predicate, normalise.term(t.object)) for t in answer]

    def select_terms(self, query: Query, params: Params = None) -> list[dict[str, Term]]:
        text = self.text(query, params)
        results = self.client.solutions(text)
        if not isinstance(results, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        # the order is the source's (a VALUES block adds none), whose analysis is cached
        return self.rows(query.text if isinstance(query, NamedQuery) else query, results)

    def rows(self, text: str, results: ox.QuerySolutions) -> list[dict[str, Term]]:
        """An engine's solutions to `text` (or to the query it was bound from) as normalised rows,
        in the order of its ORDER BY."""
        names = [v.value for v in results.variables]
        rows: list[dict[str, Term]]
        if self.client.last_booleans:  # the only terms to normalise; most answers have none
            term = normalise.term
            rows = [{n: term(t) for n, t in zip(names, solution, strict=True) if t is not None} for solution in results]
        else:
            rows = [{n: t for n, t in zip(names, solution, strict=True) if t is not None} for solution in results]
        keys = normalise.order_by(text)
        return normalise.sort(rows, keys) if keys else rows

    def select(self, query: Query, params: Params = None) -> list[dict[str, object]]:
        """The rows as values, read from the engine's JSON as it is (kg.queries.json_value) when
        it has only IRIs and literals, else through pyoxigraph's terms: the same values either way."""
        text = self.text(query, params)
        answer = self.client.table(text)
        source = query.text if isinstance(query, NamedQuery) else query
        if isinstance(answer, Table):
            try:
                keys = normalise.order_by(source)
                rows = normalise.sort_json(answer.bindings, keys) if keys else answer.bindings
                return [json_row(r) for r in rows]
            except NotPlain:
                answer = self.client.parse(answer)
        if not isinstance(answer, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        return [{k: value(v) for k, v in row.items()} for row in self.rows(source, answer)]

    def select_each(self, query: NamedQuery, param: str, values: list[str]) -> list[list[dict[str, object]]]:
        """`select(query, {param: v})` for every v, in one request (see select_batch)."""
        return self.select_batch([(query, param, values)])[0]

    def select_batch(self, parts: Sequence[Batch]) -> list[list[list[dict[str, object]]]]:
        """For each part (a named query, its parameter, values), `select(query, {param: v})` for every
        v, all in one request: a UNION of the parts as sub-queries, each with a VALUES block of its
        values (kg.backend.binding.union), the answer split by part and by `param`, which a part of
        several values must project. Each part's rows are in the order of its ORDER BY. A batch the
        engine refuses (a syntax it lacks, or an answer past its row cap) is asked part by part.
        Beyond the Protocol: kg.backend.base.select_batch uses it when a backend has it."""
        plan: list[tuple[NamedQuery, str, list[Term]]] = []
        for query, param, values in parts:
            form(query.text, f"query {query.name!r}")
            plan.append((query, param, [query.bind({param: v})[ox.Variable(param)] for v in values]))
        if not any(terms for _, _, terms in plan):
            return [[] for _ in plan]
        text = None
        if all(len(terms) == 1 or _projects(q.text, p) for q, p, terms in plan if terms):
            text = binding.union([(q.text, p, terms) for q, p, terms in plan if terms])
        if text is None:
            return [[self.select(q, {p: v}) for v in values] for (q, p, values) in parts]
        try:
            results = self.client.table(text)
        except EndpointError as e:
            if e.kind == "too-large" or (e.kind == "error" and e.status == 400):
                return [[self.select(q, {p: v}) for v in values] for (q, p, values) in parts]
            raise
        numbers = [i for i, (_, _, terms) in enumerate(plan) if terms]
        if isinstance(results, Table):
            try:
                return self._split_json(plan, numbers, results)
            except NotPlain:
                results = self.client.parse(results)
        if not isinstance(results, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        names = [v.value for v in results.variables]
        by_part: list[list[dict[str, Term]]] = [[] for _ in plan]
        term = normalise.term if self.client.last_booleans else None
        for solution in results:
            row = {n: t for n, t in zip(names, solution, strict=True) if t is not None}
            tag = row.pop(binding.PART, None)
            if not isinstance(tag, ox.Literal) or not tag.value.isdigit() or int(tag.value) >= len(numbers):
                raise EndpointError(f"endpoint {self.url}: a batch answer without its part", "garbage")
            by_part[numbers[int(tag.value)]].append({n: term(t) for n, t in row.items()} if term else row)
        return _by_value(plan, by_part, normalise.sort, _values, _key)

    def _split_json(self, plan: list[tuple[NamedQuery, str, list[Term]]], numbers: list[int],
                    table: Table) -> list[list[list[dict[str, object]]]]:
        """select_batch's split of a JSON answer, its terms converted only once each, to values
        (kg.queries.json_value); NotPlain for a term that needs pyoxigraph's parser."""
        by_part: list[list[normalise.JsonRow]] = [[] for _ in plan]
        for row in table.bindings:
            tag = row.pop(binding.PART, None)
            number = tag.get("value") if isinstance(tag, dict) else None
            if not isinstance(number, str) or not number.isdigit() or int(number) >= len(numbers):
                raise EndpointError(f"endpoint {self.url}: a batch answer without its part", "garbage")
            by_part[numbers[int(number)]].append(row)
        return _by_value(plan, by_part, normalise.sort_json, json_row, lambda bound: bound.get("value", ""))

    def construct(self, query: Query, params: Params = None) -> list[ox.Triple]:
        triples = self.client.graph(self.text(query, params))
        return [ox.Triple(t.subject, t.predicate, normalise.term(t.object)) for t in triples]

    def ask(self, query: Query, params: Params = None) -> bool:
        results = self.client.solutions(self.text(query, params))
        if not isinstance(results, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(results)

    def triples(
        self,
        subject: ox.NamedNode | ox.BlankNode | None = None,
        predicate: ox.NamedNode | None = None,
        object: Term | None = None,
    ) -> Iterator[ox.Triple]:
        """The matching triples, each once, fetched as one SELECT DISTINCT of the free positions."""
        if isinstance(subject, ox.BlankNode) or isinstance(object, ox.BlankNode | ox.Triple):
            return  # a blank node is local to one answer: a remote engine cannot be asked about it
        bound = {"s": subject, "p": predicate, "o": object}
        values = {k: v for k, v in bound.items() if v is not None}
        free = [k for k, v in bound.items() if v is None]
        projection = " ".join(f"?{k}" for k in free) if free else "*"
        query = f"SELECT DISTINCT {projection} WHERE {{ ?s ?p ?o }}"
        if not free:
            query = "ASK WHERE { ?s ?p ?o }"
            if self.client.solutions(binding.bind(query, values)):
                assert subject is not None and predicate is not None and object is not None
                yield ox.Triple(subject, predicate, object)
            return
        results = self.client.solutions(binding.bind(query, values))
        assert isinstance(results, ox.QuerySolutions)
        for solution in results:
            s, p, o = (bound[k] if bound[k] is not None else solution[k] for k in ("s", "p", "o"))
            if isinstance(s, ox.NamedNode | ox.BlankNode) and isinstance(p, ox.NamedNode) and o is not None:
                yield ox.Triple(s, p, normalise.term(o))

    def graphs(self) -> list[str]:
        """The named graphs of the loaded data (an engine's own bookkeeping graphs left out)."""
        return sorted(self._graph_sizes())

    def size(self) -> int:
        """The number of quads of the loaded data (named graphs; an engine's own left out)."""
        return sum(self._graph_sizes().values())

    def _graph_sizes(self) -> dict[str, int]:
        rows = self.select_terms("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        sizes: dict[str, int] = {}
        for r in rows:
            g, n = r.get("g"), value(r.get("n"))
            if isinstance(g, ox.NamedNode) and isinstance(n, int) and not normalise.internal_graph(g.value, self.url):
                sizes[g.value] = n
        return sizes

    def index(self) -> AdjacencyIndex | None:
        return self._index

    # -- beyond the protocol: the whole graph, for kg export / kg validate --endpoint
    def quads(self, page: int = 5_000) -> Iterator[ox.Quad]:
        """Every quad of the loaded data (an engine's own graphs left out), LIMIT/OFFSET page by page,
        checked against COUNT(*) at the end (see kg.indexing for why there is no ORDER BY)."""
        pattern = "GRAPH ?g { ?s ?p ?o }"
        counted = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        expected = counted[0].get("n") if counted else 0
        seen, offset = 0, 0
        while True:
            results = self.client.solutions(f"SELECT ?s ?p ?o ?g WHERE {{ {pattern} }} LIMIT {page} OFFSET {offset}")
            assert isinstance(results, ox.QuerySolutions)
            count = 0
            for solution in results:
                count += 1
                s, p, o, g = solution["s"], solution["p"], solution["o"], solution["g"]
                if not isinstance(g, ox.NamedNode) or normalise.internal_graph(g.value, self.url):
                    continue
                if isinstance(s, ox.NamedNode | ox.BlankNode) and isinstance(p, ox.NamedNode) and o is not None:
                    yield ox.Quad(s, p, normalise.term(o), g)
            seen += count
            if count < page:
                break
            offset += page
        if seen != expected:
            raise EndpointError(f"endpoint {self.url}: {seen} quads paged but COUNT(*) says {expected}", "garbage")

    def copy(self) -> ox.Store:
        """The whole graph in an in-memory store (kg export and kg validate over an endpoint)."""
        store = ox.Store()
        store.bulk_extend(self.quads())
        return store


@functools.lru_cache(maxsize=1024)
def form(text: str, label: str) -> str:
    """"solutions", "boolean" or "graph": the query's form; a syntax error is a QueryError naming the query.

    Oxigraph's parser checks the text on an empty store, which evaluates at least its first
    solution: an ASK is checked as the SELECT it would be, and every SERVICE as a GRAPH (the same
    grammar, SILENT dropped), since pyoxigraph would fetch it; `\\u` escapes are decoded first, as
    the parser does, so no keyword hides behind one. Only the engine sees the query itself.
    """
    check = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    parts: list[str] = []
    last = 0
    keyword: str | None = None
    dropping_silent = False
    for t in binding.tokens(check):
        if t.kind != "word":
            dropping_silent = False
            continue
        up = t.text.upper()
        replacement = None
        if keyword is None and up in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            keyword = up
            replacement = "SELECT *" if up == "ASK" else None
        elif up == "SERVICE":
            replacement, dropping_silent = "GRAPH", True
            parts.append(check[last:t.start] + replacement)
            last = t.end
            continue
        elif up == "SILENT" and dropping_silent:
            replacement = ""
        dropping_silent = False
        if replacement is not None:
            parts.append(check[last:t.start] + replacement)
            last = t.end
    parts.append(check[last:])
    if keyword is None:
        raise QueryError(f"{label}: not a query (SELECT, ASK, CONSTRUCT or DESCRIBE)")
    try:
        _CHECK.query("".join(parts))
    except (SyntaxError, ValueError) as e:
        raise QueryError(f"{label}: {e}") from None
    return "solutions" if keyword == "SELECT" else "boolean" if keyword == "ASK" else "graph"


def _projects(text: str, param: str) -> bool:
    """Whether a SELECT names ?param before its WHERE (so its rows say which value they answer)."""
    return f"?{param}" in text.split("WHERE", 1)[0]


def _key(t: Term) -> str:
    return str(t) if isinstance(t, ox.Triple) else t.value


_R = TypeVar("_R", dict[str, Term], normalise.JsonRow)


def _by_value(plan: list[tuple[NamedQuery, str, list[Term]]], by_part: list[list[_R]],
              sort: Callable[[list[_R], Sequence[tuple[str, bool]]], list[_R]],
              convert: Callable[[_R], dict[str, object]],
              key: Callable[[Any], str]) -> list[list[list[dict[str, object]]]]:
    """select_batch's answer from the rows of each part (pyoxigraph's terms or JSON terms, with the
    `sort`, `convert` to values and `key` of a bound term that fit them): each part's rows in the
    order of its ORDER BY, split by the value of its parameter when it was asked for several."""
    out: list[list[list[dict[str, object]]]] = []
    for (query, param, terms), rows in zip(plan, by_part, strict=True):
        keys = normalise.order_by(query.text)
        ordered = sort(rows, keys) if keys else rows
        if len(terms) == 1:
            out.append([[convert(r) for r in ordered]])
            continue
        split: dict[str, list[dict[str, object]]] = {}
        for r in ordered:
            bound = r.get(param)
            if bound is not None:
                split.setdefault(key(bound), []).append(convert(r))
        out.append([split.get(_key(t), []) for t in terms])
    return out


def _values(row: dict[str, Term]) -> dict[str, object]:
    return {k: value(v) for k, v in row.items()}


def open_index(path: Path) -> AdjacencyIndex:
    """The index directory written by `kg index -o DIR` (or a store generation's paths-index)."""
    for candidate in (path, path / "paths-index"):
        if (candidate / "index.json").is_file():
            try:
                return AdjacencyIndex(candidate)
            except (OSError, ValueError, KeyError) as e:
                raise QueryError(f"--index {path}: unreadable co-authorship index: {e}") from None
    raise QueryError(f"--index {path}: no co-authorship index there (build one with `kg index ... -o {path}`)")


__all__ = ["EndpointError", "RemoteBackend", "RemoteSpec", "open_index"]
