"""A small, safe lexer over SPARQL text: what the endpoint and `kg query` must know before evaluation.

It never evaluates anything and never builds SPARQL from user values. It finds:
- `SERVICE` and `LOAD` targets, so requests that would make pyoxigraph fetch a URL are refused;
- the query form (SELECT, ASK, CONSTRUCT, DESCRIBE) and whether the text names its own dataset (FROM);
- `USING`/`WITH` in updates (a conflict with the protocol's using-graph-uri parameters), and the
  positions of the top-level `WHERE` keywords where protocol USING clauses are added.

Like SPARQL parsers (pyoxigraph's included), `\\uXXXX` and `\\UXXXXXXXX` escapes are decoded first,
so a keyword cannot hide behind an escape.

The text is scanned by compiled regexes (in C): whitespace and `#` comments to the end of the line
are skipped; an IRI `<...>`, else a lone `<`, is a token; a string runs to its closing quote (a
backslash takes the next character with it) or to the end of the text; `?`/`$` and the name after
it, if any, are a variable; braces give the nesting depth (never below 0). `lex` reads the words
alone at first (one match a word, the other tokens skipped inside it), which is all that the form,
FROM and SERVICE/LOAD checks of a query need; the tokens (kind, text, start, depth: one match a
token) are made when first read, as by an update's USING clauses or a SERVICE's target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PREFIX_DECL = re.compile(r"([A-Za-z_\u00C0-\U000EFFFF][\w.\-]*)?:$")

# The token rules as regex fragments (possessive: a token never gives back what it took).
# A word (keyword, prefixed name, number) is made of these characters and backslash escapes.
_LETTER = r"A-Za-z_\u00B7\u00C0-\U000EFFFF0-9:.\-%"
_ESCAPABLE = r"[_~.\-!$&'()*+,;=/?#@%]"
_ESCAPED = rf"\\{_ESCAPABLE}"
_NAME = f"[{_LETTER}]*+(?:{_ESCAPED}[{_LETTER}]*+)*+"  # any run of both, maybe empty
_WORD = f"(?:[{_LETTER}]|{_ESCAPED}){_NAME}"
_VAR = f"[?$]{_NAME}"  # `?` or `$` alone is a variable too
_IRI_BODY = r"[^<>\"{}|^`\\\x00-\x20]*"  # `<` starts an IRI if one follows, else it is punct
_SPACE = r"\s++|#[^\n]*+"  # a comment runs to the end of its line


def _string(q: str) -> str:
    """A string opened by the quote `q` (tripled first): to its closing quote, or to the end of the text;
    a backslash takes the character after it (if any) with it."""
    triple = f"{q}{q}{q}(?:[^{q}\\\\]++|\\\\.?|{q}(?!{q}{q}))*+(?:{q}{q}{q}|\\Z)"
    return f"{triple}|{q}(?:[^{q}\\\\]++|\\\\.?)*+(?:{q}|\\Z)"


_STRING = f"{_string(chr(34))}|{_string(chr(39))}"
# One match a token, whitespace and comments before it skipped; after them, the alternatives are
# tried in this order and any character that starts none is a one-character punct token. `\Z`
# takes trailing whitespace in one match (without it, each of its characters would be retried).
_TOKEN = re.compile(
    f"(?:{_SPACE})*+(?:<({_IRI_BODY})>|(\\{{)|(\\}})|({_WORD})|({_VAR})|({_STRING})|(.)|\\Z)", re.DOTALL
)
_IRI, _OPEN, _CLOSE = 1, 2, 3
_KINDS = ("", "iri", "punct", "punct", "word", "var", "string", "punct")  # by group number
# The same tokens, but every token that is not a word is skipped inside the match: findall gives
# the words alone (and "" at the end), one match a word.
_PUNCT = f"[^{_LETTER}\\\\]|\\\\(?!{_ESCAPABLE})"  # what starts no token but punct
_WORDS = re.compile(
    f"(?:{_SPACE}|<{_IRI_BODY}>|{_VAR}|{_STRING}|{_PUNCT})*+(?:({_WORD})|\\Z)", re.DOTALL
)
_FORMS = frozenset(("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"))


class Refused(ValueError):
    """The text asks for something this endpoint does not do (an outbound request, a dataset conflict)."""


@dataclass(slots=True)
class Token:
    kind: str  # "iri", "word", "var", "string", "punct"
    text: str
    start: int
    depth: int


def _scan(src: str) -> list[Token]:
    tokens: list[Token] = []
    append = tokens.append
    depth = 0
    for m in _TOKEN.finditer(src):
        g = m.lastindex
        if g is None:  # the end, after whitespace or a comment
            continue
        if g > _CLOSE:
            append(Token(_KINDS[g], m[g], m.start(g), depth))
        elif g == _IRI:
            append(Token("iri", m[g], m.start(g) - 1, depth))
        elif g == _OPEN:
            append(Token("punct", "{", m.start(g), depth))
            depth += 1
        else:
            if depth:
                depth -= 1
            append(Token("punct", "}", m.start(g), depth))
    return tokens


class Analysis:
    """SPARQL text (escapes decoded) and its tokens, scanned from it by `lex` when first read.

    `Analysis(text)` alone has no tokens. The methods read the upper-cased words once and keep them:
    the tokens are not to be changed in place (assigning `tokens` is fine)."""

    __slots__ = ("text", "_tokens", "_words")
    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value (as the dataclass it was)

    def __init__(self, text: str, tokens: list[Token] | None = None) -> None:
        self.text = text
        self._tokens: list[Token] | None = [] if tokens is None else tokens
        self._words: list[str] | None = None

    @classmethod
    def scanned(cls, src: str) -> Analysis:
        """The analysis of `src` (escapes already decoded), its tokens scanned when first read."""
        a = cls(src)
        a._tokens = None
        return a

    @property
    def tokens(self) -> list[Token]:
        if self._tokens is None:
            self._tokens = _scan(self.text)
        return self._tokens

    @tokens.setter
    def tokens(self, tokens: list[Token]) -> None:
        self._tokens, self._words = tokens, None

    def __repr__(self) -> str:
        return f"Analysis(text={self.text!r}, tokens={self.tokens!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Analysis):
            return NotImplemented
        return (self.text, self.tokens) == (other.text, other.tokens)

    def words(self) -> list[str]:
        """The word tokens' texts upper-cased, in order (before the tokens are made, by the regex alone)."""
        if self._words is None:
            if self._tokens is None:
                self._words = list(map(str.upper, filter(None, _WORDS.findall(self.text))))
            else:
                self._words = [t.text.upper() for t in self._tokens if t.kind == "word"]
        return self._words

    def keywords(self) -> list[tuple[int, Token]]:
        return [(i, t) for i, t in enumerate(self.tokens) if t.kind == "word"]

    def form(self) -> str | None:
        for up in self.words():
            if up in _FORMS:
                return up
        return None

    def has_dataset_clause(self) -> bool:
        return "FROM" in self.words()

    def has_using_or_with(self) -> bool:
        words = self.words()
        if "USING" not in words and "WITH" not in words:
            return False
        return any(t.kind == "word" and t.depth == 0 and t.text.upper() in ("USING", "WITH") for t in self.tokens)


def _decoded(m: re.Match[str]) -> str:
    code = int(m.group(1) or m.group(2), 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise Refused(f"invalid escape {m.group(0)}")
    return chr(code)


def unescape(text: str) -> str:
    return _ESCAPE.sub(_decoded, text) if "\\" in text else text


def lex(text: str) -> Analysis:
    """Tokens of SPARQL text (escapes decoded); strings, IRIs and comments are opaque."""
    return Analysis.scanned(unescape(text))


def _prefixes(a: Analysis) -> tuple[dict[str, str], str | None]:
    prefixes: dict[str, str] = {}
    base: str | None = None
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.kind != "word":
            continue
        up = t.text.upper()
        if up == "PREFIX" and i + 2 < len(toks) and toks[i + 1].kind == "word" and toks[i + 2].kind == "iri":
            m = _PREFIX_DECL.match(toks[i + 1].text)
            if m:
                prefixes[m.group(1) or ""] = toks[i + 2].text
        elif up == "BASE" and i + 1 < len(toks) and toks[i + 1].kind == "iri":
            base = toks[i + 1].text
    return prefixes, base


def check_outbound(
    a: Analysis, allowed_hosts: frozenset[str], base_iri: str | None, who: str = "this endpoint",
    option: str = "kg serve --allow-service",
) -> None:
    """Refuse SERVICE and LOAD unless their target is an http(s) IRI on an allowed host.

    `who` and `option` name, in the message, what refuses and the option that allows a host."""
    words = a.words()
    if "SERVICE" not in words and "LOAD" not in words:
        return
    prefixes, declared_base = _prefixes(a)
    base = declared_base if declared_base is not None else base_iri
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.kind != "word" or t.text.upper() not in ("SERVICE", "LOAD"):
            continue
        keyword = t.text.upper()
        j = i + 1
        if j < len(toks) and toks[j].kind == "word" and toks[j].text.upper() == "SILENT":
            j += 1
        target = toks[j] if j < len(toks) else None
        iri: str | None = None
        if target is not None and target.kind == "iri":
            iri = urljoin(base, target.text) if base else target.text
        elif target is not None and target.kind == "word" and ":" in target.text:
            pfx, _, local = target.text.partition(":")
            if pfx in prefixes and "\\" not in local:
                iri = prefixes[pfx] + local
        if iri is None:
            raise Refused(f"{keyword} is refused: its target must be an IRI naming an allowed host ({option})")
        parts = urlsplit(iri)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host or host not in allowed_hosts:
            what = "federated queries (SERVICE)" if keyword == "SERVICE" else "LOAD"
            raise Refused(
                f"{what} to {iri!r} refused: {who} makes no outbound requests"
                + (f" except to {', '.join(sorted(allowed_hosts))}" if allowed_hosts else "")
                + f" (see {option})"
            )


def add_using(a: Analysis, default: list[ox.NamedNode], named: list[ox.NamedNode]) -> str:
    """The update text with protocol USING / USING NAMED clauses before each top-level WHERE.

    The graphs are pyoxigraph NamedNodes, already validated as IRIs (no space, '>' or '{' can be in
    them), written in their N-Triples form: an IRI token, never text spliced from the request.
    """
    if a.has_using_or_with():
        raise Refused("using-graph-uri / using-named-graph-uri cannot be combined with USING or WITH in the update")
    clause = " ".join([f"USING {g}" for g in default] + [f"USING NAMED {g}" for g in named])
    text = a.text
    inserts = []
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.kind == "word" and t.depth == 0 and t.text.upper() == "WHERE":
            prev = toks[i - 1] if i > 0 else None
            if prev is not None and prev.kind == "word" and prev.text.upper() == "DELETE":
                continue  # DELETE WHERE takes no USING
            inserts.append(t.start)
    for pos in reversed(inserts):
        text = f"{text[:pos]}{clause} {text[pos:]}"
    return text


# How deep pyoxigraph's parser, optimizer and evaluator may recurse on one text. They recurse once a
# level of nesting ({, (, [) and once an element of a chain (a group's OPTIONAL, MINUS, BIND, ...
# elements join left-deep; so do UNION, operators and path steps), and a text past what the thread's
# stack holds kills the whole process (SIGSEGV: the engine's Rust code has no depth limit; measured on
# an 8 MB stack: 2,100 nested braces, 2,500 BINDs or OPTIONALs in one group, 850 nested FILTER EXISTS).
# The endpoint's evaluation threads have EVAL_STACK bytes of stack (kg.server.local), so a text within
# both limits below (each link costs at most ~10 KB of stack) runs; a text past them is refused.
MAX_NESTING = 1000
MAX_LINKS = 10_000
EVAL_STACK = 256 << 20
# A text this short cannot exceed EVAL_STACK however it is written (at most ~10 KB of stack a character).
_SHAPE_FREE = 16_384
_LINK_WORDS = frozenset(
    ("OPTIONAL", "MINUS", "UNION", "BIND", "GRAPH", "SERVICE", "FILTER", "EXISTS", "VALUES", "SELECT", "LATERAL")
)
# Opaque runs (whitespace, comments, IRIs, variables, strings) skipped; then an opening or closing
# bracket, an operator or path symbol, or a word.
_SHAPE = re.compile(
    f"(?:{_SPACE}|<{_IRI_BODY}>|{_VAR}|{_STRING})*+"
    f"(?:([{{(\\[])|([}})\\]])|(\\|\\||&&|!=|<=|>=|[|/^*+\\-=<>!])|({_WORD})|.|\\Z)",
    re.DOTALL,
)


def check_shape(text: str, who: str = "this endpoint") -> None:
    """Refuse a text nested or chained past what evaluation can take (MAX_NESTING, MAX_LINKS): the
    engine would overflow its thread's stack and kill the process, not fail the query."""
    if len(text) < _SHAPE_FREE:
        return
    depth = deepest = links = 0
    for m in _SHAPE.finditer(unescape(text)):
        g = m.lastindex
        if g == 1:
            depth += 1
            links += m[1] == "{"
            if depth > deepest:
                deepest = depth
        elif g == 2:
            if depth:
                depth -= 1
        elif g == 3 or (g == 4 and m[4].upper() in _LINK_WORDS):
            links += 1
    if deepest > MAX_NESTING:
        raise Refused(f"the text nests {deepest} levels of brackets, more than {who} evaluates "
                      f"({MAX_NESTING})")
    if links > MAX_LINKS:
        raise Refused(f"the text has {links} nested groups, group elements, operators and path steps, more "
                      f"than {who} evaluates ({MAX_LINKS}); split the query, or use VALUES or IN for "
                      "long lists")
