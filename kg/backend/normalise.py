"""Where engines differ in what they return for the same triples, normalised in this one place.

- Virtuoso writes xsd:boolean values as "1" / "0" (and `true` in a query as the integer 1): booleans
  get their canonical lexical form, so kg.queries.value and the JSON read them as Oxigraph gives them.
- Engines order ties, unbound values and strings differently (Virtuoso sorts by its collation,
  places unbound values where its SQL does). When a query's ORDER BY is a list of plain variables
  (every named query's is), its rows are re-sorted here by the SPARQL 1.1 order as Oxigraph applies
  it: unbound first, then blank nodes, IRIs, literals; numbers by value, strings by code point.
- Engines type plain strings as xsd:string or leave them untyped: pyoxigraph reads both as the same
  term already.
- A SELECT's SPARQL JSON answer is mostly read as orjson gives it (kg.backend.sparql.Table),
  without pyoxigraph terms: `sort_json` orders its rows as `sort` orders theirs, and
  kg.queries.json_value gives each term's value as `value(term(t))` would (Virtuoso's "1"/"0"
  booleans and its "typed-literal" terms included).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from kg.backend.binding import Token, tokens
from kg.queries import NotPlain

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = dict[str, Term]

XSD = "http://www.w3.org/2001/XMLSchema#"
_BOOLEAN = ox.NamedNode(XSD + "boolean")
_NUMERIC = frozenset(
    XSD + t
    for t in (
        "integer", "decimal", "float", "double", "int", "long", "short", "byte", "nonNegativeInteger",
        "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong",
        "unsignedShort", "unsignedByte", "gYear",
    )
)
_TRUE = ox.Literal("true", datatype=_BOOLEAN)
_BOOLEAN_FORMS = frozenset({"1", "0", "true", "false"})
_FALSE = ox.Literal("false", datatype=_BOOLEAN)


# Graphs an engine keeps for itself, not data: Virtuoso's schema, LDP and DAV graphs and its service
# description (named after the endpoint's own address, checked by `internal_graph`).
_ENGINE_GRAPHS = frozenset({"http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#"})


def internal_graph(iri: str, endpoint: str) -> bool:
    """Whether a named graph is the engine's own bookkeeping rather than loaded data."""
    if iri in _ENGINE_GRAPHS:
        return True
    origin = endpoint.split("/", 3)
    base = "/".join(origin[:3]) + "/" if len(origin) >= 3 else endpoint
    return iri.startswith(base) and iri.rstrip("/").rsplit("/", 1)[-1] in ("sparql", "DAV")


def term(t: Term | None) -> Term:
    """One result term in the form Oxigraph would give it (cheap for every other term: it runs on
    every term of every answer)."""
    if type(t) is ox.Literal and t.value in _BOOLEAN_FORMS and t.datatype == _BOOLEAN:
        return _TRUE if t.value in ("1", "true") else _FALSE
    assert t is not None
    return t


def row(r: Row) -> Row:
    return {k: term(v) for k, v in r.items()}


def _json_term(t: Term) -> dict[str, str]:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        if t.language:
            return {"type": "literal", "value": t.value, "xml:lang": t.language}
        return {"type": "literal", "value": t.value, "datatype": t.datatype.value}
    return {"type": "literal", "value": str(t)}


def solutions(variables: list[str], rows: list[Row]) -> ox.QuerySolutions:
    """Normalised rows as pyoxigraph query solutions (to serialise in any results format)."""
    body = {"head": {"vars": variables},
            "results": {"bindings": [{k: _json_term(v) for k, v in r.items()} for r in rows]}}
    parsed = ox.parse_query_results(json.dumps(body), ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions)
    return parsed


@functools.lru_cache(maxsize=1024)
def order_by(text: str) -> tuple[tuple[str, bool], ...] | None:
    """The outer query's ORDER BY as (variable, descending) pairs, or None when it has none or it
    orders by anything but plain variables (then the engine's own order is kept)."""
    found: list[Token] = []
    depth = 0
    seen_order = False
    for t in tokens(text):
        if t.kind in "{(" and len(t.kind) == 1:
            depth += 1
        elif t.kind in "})" and len(t.kind) == 1:
            depth -= 1
        if depth == 0 and t.kind == "word" and t.text.upper() == "ORDER":
            seen_order, found = True, []
            continue
        if seen_order:
            if t.kind == "word" and t.text.upper() in ("LIMIT", "OFFSET", "VALUES"):
                break
            found.append(t)
    if not seen_order:
        return None
    keys: list[tuple[str, bool]] = []
    i = 0
    if found and found[0].kind == "word" and found[0].text.upper() == "BY":
        i = 1
    while i < len(found):
        t = found[i]
        if t.kind == "var":
            keys.append((t.text, False))
            i += 1
        elif (
            t.kind == "word" and t.text.upper() in ("ASC", "DESC") and i + 3 < len(found)
            and found[i + 1].kind == "(" and found[i + 2].kind == "var" and found[i + 3].kind == ")"
        ):
            keys.append((found[i + 2].text, t.text.upper() == "DESC"))
            i += 4
        else:
            return None
    return tuple(keys) or None


def _rank(t: Term | None) -> tuple[int, object, object, object]:
    if t is None:
        return (0, 0, "", "")
    if isinstance(t, ox.BlankNode):
        return (1, 0, t.value, "")
    if isinstance(t, ox.NamedNode):
        return (2, 0, t.value, "")
    if isinstance(t, ox.Literal):
        if t.datatype.value in _NUMERIC:
            try:
                return (3, 0, Decimal(t.value), "")
            except InvalidOperation:
                pass
        if t.datatype == _BOOLEAN:
            return (3, 1, t.value == "true", "")
        return (3, 2, t.value, f"{t.language or ''}^{t.datatype.value}")
    return (4, 0, str(t), "")


_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_STRING = XSD + "string"
JsonRow = dict[str, dict[str, str]]


def _rank_json(t: dict[str, str] | None) -> tuple[int, object, object, object]:
    """`_rank` of the term pyoxigraph parses from a SPARQL JSON term (kg.backend.sparql.Table), with
    Virtuoso's "1"/"0" booleans ranked as `term` makes them; raises kg.queries.NotPlain for a blank
    node or a triple (the caller takes pyoxigraph's terms then)."""
    if t is None:
        return (0, 0, "", "")
    if type(t) is not dict:
        raise NotPlain("a term that is not a JSON object")
    kind, text = t.get("type"), t.get("value", "")
    if kind == "uri":
        return (2, 0, text, "")
    if kind != "literal" and kind != "typed-literal":
        raise NotPlain(f"a {kind} term")
    language = t.get("xml:lang")
    datatype = _LANG_STRING if language else t.get("datatype") or _STRING
    if datatype in _NUMERIC:
        try:
            return (3, 0, Decimal(text), "")
        except InvalidOperation:
            pass
    if datatype == _BOOLEAN.value:
        return (3, 1, text in ("true", "1"), "")
    return (3, 2, text, f"{language.lower() if language else ''}^{datatype}")


def sort_json(rows: list[JsonRow], keys: Sequence[tuple[str, bool]]) -> list[JsonRow]:
    """`sort` of rows of JSON terms, in the same order as `sort` puts the rows of their pyoxigraph terms."""
    out = list(rows)
    for name, descending in reversed(keys):
        out.sort(key=lambda r: _rank_json(r.get(name)), reverse=descending)
    return out


def sort(rows: list[Row], keys: Sequence[tuple[str, bool]]) -> list[Row]:
    """Rows in the SPARQL order of `keys`: one stable sort per key, the last key first (each key
    computed once per row; Python's reverse sort keeps equal rows in order), so ties keep the
    engine's order."""
    out = list(rows)
    for name, descending in reversed(keys):
        out.sort(key=lambda r: _rank(r.get(name)), reverse=descending)
    return out
