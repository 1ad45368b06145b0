"""Bound parameters for engines without pyoxigraph substitutions: a VALUES block in the query.

`bind(text, values)` puts `VALUES (?a ?b) { (<iri> "literal") }` first in the query's WHERE group
(so the engine joins from the bound values, as Oxigraph does with substitutions), every term written
by `ntriples`, the one serialiser (pyoxigraph's N-Triples: quotes, backslashes and control
characters escaped, so no value can end the string it is in). The query text is only scanned, never
re-formatted: a small lexer skips comments, strings and IRIs to find the group's opening brace.
A variable bound this way keeps its value everywhere in the group, like a substitution; inside a
sub-query (its own scope) it is not bound, which no named query needs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from kg.errors import ParameterError

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

_IRI = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VAR = re.compile(r"[?$]([A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)")


def ntriples(term: Term, param: str = "") -> str:
    """The N-Triples form of an IRI or a literal, as a SPARQL term (the one serialiser for bound values)."""
    if isinstance(term, ox.NamedNode | ox.Literal):
        return str(term)
    raise ParameterError(f"parameter {param!r}: a {type(term).__name__} cannot be bound on a remote endpoint")


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "var", "{", "}", "(", ")", "string", "iri", "other"
    text: str
    start: int
    end: int


def tokens(text: str) -> Iterator[Token]:
    """The query's tokens, comments and white space left out (enough to find groups and clauses)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            j = min(n, j + len(quote))
            yield Token("string", text[i:j], i, j)
            i = j
        elif c == "<" and (m := _IRI.match(text, i)):
            yield Token("iri", m.group(), i, m.end())
            i = m.end()
        elif c in "?$" and (m := _VAR.match(text, i)):
            yield Token("var", m.group(1), i, m.end())
            i = m.end()
        elif c in "{}()":
            yield Token(c, c, i, i + 1)
            i += 1
        elif m := _WORD.match(text, i):
            yield Token("word", m.group(), i, m.end())
            i = m.end()
        else:
            yield Token("other", c, i, i + 1)
            i += 1


@functools.lru_cache(maxsize=1024)
def where_group(text: str) -> int | None:
    """The offset just inside the opening brace of the query's WHERE group; None if it has none
    (a DESCRIBE of constants) or it is also a CONSTRUCT template (`CONSTRUCT WHERE { ... }`)."""
    depth = 0
    previous: Token | None = None
    short_construct = False
    for t in tokens(text):
        after_construct = depth == 0 and previous is not None and previous.text.upper() == "CONSTRUCT"
        previous = t
        if after_construct and t.kind == "word" and t.text.upper() == "WHERE":
            short_construct = True
        if t.kind == "{":
            if depth == 0 and not after_construct:
                return None if short_construct else t.end
            depth += 1
        elif t.kind == "}":
            depth -= 1
    return None


def values_block(values: Mapping[str, Term]) -> str:
    names = list(values)
    row = " ".join(ntriples(values[k], k) for k in names)
    return f"VALUES ({' '.join('?' + k for k in names)}) {{ ({row}) }}"


def bind(text: str, values: Mapping[str, Term]) -> str:
    """The query with `values` bound by a VALUES block first in its WHERE group (or, for a query
    without one, a trailing VALUES clause, which SPARQL allows after any query)."""
    if not values:
        return text
    block = values_block(values)
    at = where_group(text)
    if at is None:
        return f"{text}\n{block}\n"
    return f"{text[:at]}\n  {block}\n{text[at:]}"


PART = "kg_batch_part"  # the variable that says which query of a union a solution answers


@functools.lru_cache(maxsize=1024)
def split_select(text: str) -> tuple[tuple[tuple[str, str], ...], str] | None:
    """A SELECT query as its PREFIX declarations ((name, IRI) pairs) and the query from SELECT on,
    its outer ORDER BY dropped (unless a LIMIT or OFFSET follows it, which it decides); None for a
    query that cannot be a sub-query this way (another form, a BASE, a trailing VALUES clause)."""
    prefixes: list[tuple[str, str]] = []
    found = list(tokens(text))
    i = 0
    while i < len(found) and found[i].kind == "word" and found[i].text.upper() == "PREFIX":
        name = ""
        j = i + 1
        if j < len(found) and found[j].kind == "word":
            name, j = found[j].text, j + 1
        if not (j + 1 < len(found) and found[j].text == ":" and found[j + 1].kind == "iri"):
            return None
        prefixes.append((name, found[j + 1].text[1:-1]))
        i = j + 2
    if i >= len(found) or found[i].kind != "word" or found[i].text.upper() != "SELECT":
        return None
    start = found[i].start
    depth, order = 0, None
    for t in found[i:]:
        if t.kind in ("{", "("):
            depth += 1
        elif t.kind in ("}", ")"):
            depth -= 1
        elif depth == 0 and t.kind == "word":
            up = t.text.upper()
            if up == "ORDER":
                order = t.start
            elif up in ("LIMIT", "OFFSET"):
                order = None
                break
            elif up == "VALUES":
                return None
    body = text[start:order] if order is not None else text[start:]
    return tuple(prefixes), body


def union(parts: list[tuple[str, str, list[Term]]]) -> str | None:
    """One SELECT answering several: each part (a SELECT's text, a variable, the values to bind it
    to) a sub-query with its VALUES block first in its WHERE group, tagged by ?kg_batch_part (its
    number), the parts joined by UNION under the union of their prefixes. None when a part cannot
    be a sub-query (kg.backend.remote then asks them one by one)."""
    prefixes: dict[str, str] = {}
    branches = []
    for number, (text, param, values) in enumerate(parts):
        split = split_select(text)
        if split is None:
            return None
        declared, body = split
        for name, iri in declared:
            if prefixes.setdefault(name, iri) != iri:
                return None
        at = where_group(body)
        if at is None:
            return None
        block = f"VALUES ?{param} {{ {' '.join(ntriples(v, param) for v in values)} }}"
        branches.append(f"{{ {{ {body[:at]}\n  {block}\n{body[at:]} }} BIND({number} AS ?{PART}) }}")
    prologue = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())
    return prologue + "SELECT * WHERE {\n" + "\nUNION\n".join(branches) + "\n}\n"
