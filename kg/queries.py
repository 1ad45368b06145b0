"""Named SPARQL queries from queries/*.rq, and running queries with bound parameters.

A query file starts with a comment header:

    # title: Papers of a name cluster
    # description: ...
    # param: key literal  The cluster's name key.

Parameters are bound with pyoxigraph substitutions (SEP-0007), never pasted into the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Literal as Kind

import pyoxigraph as ox

from kg.errors import ParameterError, QueryError
from kg.ontology import queries_dir

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
ParamKind = Kind["literal", "iri", "integer"]
_PARAM = re.compile(r"^#\s*param:\s*(\w+)\s+(literal|iri|integer)\s*(.*)$")
_HEADER = re.compile(r"^#\s*(title|description|audience):\s*(.*)$")
_EXAMPLE = re.compile(r"^#\s*example:\s*(\w+)\s+(.*\S)\s*$")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    text: str
    title: str = ""
    description: str = ""
    params: dict[str, tuple[ParamKind, str]] = field(default_factory=dict)
    internal: bool = False  # `# audience: internal`: a helper of the library, not shown on the query page
    examples: dict[str, str] = field(default_factory=dict)  # `# example: NAME VALUE` (IRIs may be relative)

    def bind(self, values: Mapping[str, object]) -> dict[ox.Variable, Term]:
        unknown = sorted(set(values) - set(self.params))
        if unknown:
            raise QueryError(
                f"query {self.name!r} has no parameter {unknown[0]!r} (it takes: {', '.join(self.params) or 'none'})"
            )
        missing = [p for p in self.params if p not in values]
        if missing:
            raise ParameterError(f"query {self.name!r} needs parameter {missing[0]!r}")
        return {ox.Variable(k): to_term(v, self.params[k][0], k) for k, v in values.items()}


def parse(name: str, text: str) -> NamedQuery:
    header: dict[str, str] = {}
    params: dict[str, tuple[ParamKind, str]] = {}
    examples: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        if m := _PARAM.match(line):
            kind: ParamKind = m.group(2)  # type: ignore[assignment]
            params[m.group(1)] = (kind, m.group(3).strip())
        elif m := _EXAMPLE.match(line):
            examples[m.group(1)] = m.group(2)
        elif m := _HEADER.match(line):
            header[m.group(1)] = m.group(2).strip()
    return NamedQuery(name, text, header.get("title", ""), header.get("description", ""), params,
                      header.get("audience", "").startswith("internal"), examples)


@cache
def named(name: str) -> NamedQuery:
    if not _NAME.match(name):
        raise QueryError(f"no named query {name!r}")
    path = queries_dir() / f"{name}.rq"
    if not path.is_file():
        raise QueryError(f"no named query {name!r} (see `kg query --list`)")
    return parse(name, path.read_text(encoding="utf-8"))


def all_named() -> list[NamedQuery]:
    return [named(p.stem) for p in sorted(queries_dir().glob("*.rq"))]


def to_term(value: object, kind: ParamKind, param: str) -> Term:
    if isinstance(value, ox.NamedNode | ox.Literal | ox.BlankNode | ox.Triple):
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ParameterError(f"parameter {param!r}: expected an integer, got {value!r}")
        try:
            return ox.Literal(str(int(value)), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        except ValueError:
            raise ParameterError(f"parameter {param!r}: expected an integer, got {value!r}") from None
    if not isinstance(value, str):
        raise ParameterError(f"parameter {param!r}: expected text, got {type(value).__name__}")
    if not _unicode(value):
        raise ParameterError(f"parameter {param!r}: not valid Unicode text (a lone surrogate)")
    if kind == "iri":
        try:
            return ox.NamedNode(value)
        except ValueError as e:
            raise ParameterError(f"parameter {param!r}: not an IRI: {e}") from None
    return ox.Literal(value)


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_cli_value(value: str, param: str) -> Term:
    """A --param value: <iri>, an N-Triples literal ("x", "x"@en, "x"^^<dt>), or plain text."""
    if value.startswith("<") and value.endswith(">"):
        return to_term(value[1:-1], "iri", param)
    if value.startswith('"'):
        try:
            parsed = list(ox.parse(f"<x:s> <x:p> {value} .", format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as e:
            raise ParameterError(f"parameter {param!r}: not an N-Triples literal: {e}") from None
        obj = parsed[0].object
        assert isinstance(obj, ox.Literal)
        return obj
    return ox.Literal(value)


def execute(
    store: ox.Store,
    query: NamedQuery | str,
    params: Mapping[str, object] | None = None,
    *,
    union: bool = True,
) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Run a query with bound parameters over the union of all graphs (by default)."""
    if isinstance(query, NamedQuery):
        text, subs, label = query.text, query.bind(params or {}), f"query {query.name!r}"
    else:
        text, label = query, "query"
        subs = {
            ox.Variable(k): v if isinstance(v, ox.NamedNode | ox.Literal) else ox.Literal(str(v))
            for k, v in (params or {}).items()
        }
    try:
        return store.query(text, substitutions=subs, use_default_graph_as_union=union)
    except SyntaxError as e:
        raise QueryError(f"{label}: {e}") from None


def _boolean(text: str) -> bool:
    return text in ("true", "1")


@cache  # by datatype IRI: value() runs on every term
def _converter(datatype: str) -> Callable[[str], object] | None:
    """How a literal of `datatype` becomes a Python value (None: its text as it is)."""
    if datatype.endswith(("#integer", "#int", "#long", "#positiveInteger", "#nonNegativeInteger", "#gYear")):
        return int
    if datatype.endswith(("#decimal", "#double", "#float")):
        return float
    if datatype.endswith("#boolean"):
        return _boolean
    return None


def value(term: object) -> object:
    """A Python value for a result term: numbers and booleans as such, other literals as text."""
    kind = type(term)
    if kind is ox.NamedNode or kind is ox.BlankNode:
        return term.value  # type: ignore[attr-defined]
    if kind is ox.Literal:
        literal: ox.Literal = term  # type: ignore[assignment]  # checked just above, without a call
        if literal.language:
            return literal.value
        convert = _converter(literal.datatype.value)
        return literal.value if convert is None else convert(literal.value)
    return None if term is None else str(term)


class NotPlain(ValueError):
    """A JSON result term json_value does not convert (a blank node, a triple, an unknown type):
    the reader takes pyoxigraph's terms of the answer instead."""


def json_value(term: dict[str, str]) -> object:
    """`value` of a term of a SPARQL JSON answer as orjson reads it ({"type": "uri", "value": ...},
    a literal with "datatype" or "xml:lang"; Virtuoso's "typed-literal" too), without making a
    pyoxigraph term: the same Python value as `value` of the term pyoxigraph parses from it."""
    if type(term) is not dict:
        raise NotPlain("a term that is not a JSON object")
    kind = term.get("type")
    text = term.get("value")
    if not isinstance(text, str):
        raise NotPlain("a term without a value")
    if kind == "uri":
        return text
    if kind != "literal" and kind != "typed-literal":
        raise NotPlain(f"a {kind} term")
    datatype = term.get("datatype")
    if datatype is None or "xml:lang" in term:
        return text
    if not isinstance(datatype, str):
        raise NotPlain("a datatype that is not an IRI")
    convert = _converter(datatype)
    return text if convert is None else convert(text)


_PLAIN = frozenset({"uri", "literal"})


def json_row(row: dict[str, dict[str, str]]) -> dict[str, object]:
    """`json_value` of every term of a row: an IRI or a literal without datatype or language (two
    keys, "type" and "value": most terms) is its value as it is, without a call."""
    out: dict[str, object] = {}
    for name, term in row.items():
        if type(term) is dict and len(term) == 2 and term.get("type") in _PLAIN:
            text = term["value"]
            if type(text) is str:
                out[name] = text
                continue
        out[name] = json_value(term)
    return out


def as_int(value: object) -> int | None:
    """An integer result value, or None when unbound or not an integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def select(
    store: ox.Store, query: NamedQuery | str, params: Mapping[str, object] | None = None
) -> list[dict[str, object]]:
    """A SELECT query's rows as dicts of Python values (unbound variables left out)."""
    results = execute(store, query, params)
    if not isinstance(results, ox.QuerySolutions):
        raise QueryError("expected a SELECT query")
    names = [v.value for v in results.variables]
    rows = []
    for solution in results:
        row = {}
        for n in names:
            term = solution[n]
            if term is not None:
                row[n] = value(term)
        rows.append(row)
    return rows
