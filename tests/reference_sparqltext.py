"""The implementations that kg.sparqltext's regex lexer and kg.server.protocol's form decoder replaced,
kept verbatim as the reference that tests/test_sparqltext_equivalence.py and bench/lexer.py compare
them with: the character-by-character lexer, parse_qsl for every form body, and parse as it was
(the media type split at every ';', the URL's and the body's parameters always merged).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urljoin, urlsplit

import pyoxigraph as ox

from kg.server.protocol import FORM, QUERY, UPDATE, Operation, ProtocolError, _codec, _single, _text
from kg.sparqltext import Refused

# ---- the reference: kg/sparqltext.py's character loop, as it was before the regex scan ----

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_IRI = re.compile(r'<([^<>"{}|^`\\\x00-\x20]*)>')
_WORD = re.compile(r"(?:[A-Za-z_\u00B7\u00C0-\U000EFFFF0-9:.\-%]|\\[_~.\-!$&'()*+,;=/?#@%])+")
_PREFIX_DECL = re.compile(r"([A-Za-z_\u00C0-\U000EFFFF][\w.\-]*)?:$")


@dataclass
class OldToken:
    kind: str  # "iri", "word", "var", "string", "punct"
    text: str
    start: int
    depth: int


@dataclass
class OldAnalysis:
    text: str
    tokens: list[OldToken] = field(default_factory=list)

    def keywords(self) -> list[tuple[int, OldToken]]:
        return [(i, t) for i, t in enumerate(self.tokens) if t.kind == "word"]

    def form(self) -> str | None:
        for _, t in self.keywords():
            up = t.text.upper()
            if up in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                return up
        return None

    def has_dataset_clause(self) -> bool:
        return any(t.text.upper() == "FROM" for _, t in self.keywords())

    def has_using_or_with(self) -> bool:
        return any(t.depth == 0 and t.text.upper() in ("USING", "WITH") for _, t in self.keywords())


def old_unescape(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise Refused(f"invalid escape {m.group(0)}")
        return chr(code)

    return _ESCAPE.sub(sub, text)


def old_lex(text: str) -> OldAnalysis:
    src = old_unescape(text)
    out = OldAnalysis(src)
    i, n, depth = 0, len(src), 0
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
        elif c == "#":
            j = src.find("\n", i)
            i = n if j < 0 else j + 1
        elif c == "<":
            m = _IRI.match(src, i)
            if m:
                out.tokens.append(OldToken("iri", m.group(1), i, depth))
                i = m.end()
            else:
                out.tokens.append(OldToken("punct", c, i, depth))
                i += 1
        elif c in "\"'":
            quote = c * 3 if src.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not src.startswith(quote, j):
                j += 2 if src[j] == "\\" else 1
            out.tokens.append(OldToken("string", src[i : j + len(quote)], i, depth))
            i = j + len(quote)
        elif c in "?$":
            m = _WORD.match(src, i + 1)
            end = m.end() if m else i + 1
            out.tokens.append(OldToken("var", src[i:end], i, depth))
            i = end
        elif c == "{":
            out.tokens.append(OldToken("punct", c, i, depth))
            depth += 1
            i += 1
        elif c == "}":
            depth = max(0, depth - 1)
            out.tokens.append(OldToken("punct", c, i, depth))
            i += 1
        else:
            m = _WORD.match(src, i)
            if m:
                out.tokens.append(OldToken("word", m.group(0), i, depth))
                i = m.end()
            else:
                out.tokens.append(OldToken("punct", c, i, depth))
                i += 1
    return out


def old_prefixes(a: OldAnalysis) -> tuple[dict[str, str], str | None]:
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


def old_check_outbound(
    a: OldAnalysis, allowed_hosts: frozenset[str], base_iri: str | None, who: str = "this endpoint",
    option: str = "kg serve --allow-service",
) -> None:
    prefixes, declared_base = old_prefixes(a)
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


def old_add_using(a: OldAnalysis, default: list[ox.NamedNode], named: list[ox.NamedNode]) -> str:
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


# ---- the reference: kg/server/protocol.py's _pairs, as it was (parse_qsl for everything) ----

def old_pairs(raw: bytes | str, where: str, codec: str = "utf-8") -> dict[str, list[str]]:
    try:
        text = raw.decode("ascii" if codec == "latin-1" else "utf-8") if isinstance(raw, bytes) else raw
        pairs = parse_qsl(text, keep_blank_values=True, encoding=codec, errors="strict")
    except (UnicodeDecodeError, ValueError) as e:
        name = "ISO-8859-1" if codec == "latin-1" else "UTF-8"
        raise ProtocolError(400, f"{where} is not valid {name} URL-encoded data: {e}") from None
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


# ---- the reference: kg/server/protocol.py's _media and parse, as they were (on old_pairs) ----

def old_media(content_type: str | None) -> tuple[str, dict[str, str]]:
    if not content_type:
        return "", {}
    parts = [p.strip() for p in content_type.split(";")]
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip().strip('"').lower()
    return parts[0].lower(), params


def old_parse(method: str, query_string: bytes, content_type: str | None, body: bytes) -> Operation:
    url_params = old_pairs(query_string, "the query string")
    if method in ("GET", "HEAD"):
        if "update" in url_params:
            raise ProtocolError(405, "updates must be sent by POST", {"Allow": "POST"})
        if "query" not in url_params:
            return Operation("description", params=url_params)
        return _single(url_params)
    if method != "POST":
        raise ProtocolError(405, f"method {method} not allowed", {"Allow": "GET, POST"})
    media, mparams = old_media(content_type)
    if media == FORM:
        form = old_pairs(body, "the form body", _codec(mparams.get("charset")))
        for key in ("query", "update"):
            if key in url_params:
                raise ProtocolError(400, f"with a form POST, '{key}' goes in the body, not the URL")
        merged = dict(url_params)
        for k, v in form.items():
            merged[k] = merged.get(k, []) + v
        return _single(merged)
    if media in (QUERY, UPDATE):
        kind = "query" if media == QUERY else "update"
        if "query" in url_params or "update" in url_params:
            raise ProtocolError(400, f"with {media}, the operation is the body; no 'query'/'update' parameter")
        return Operation(kind, _text(body, mparams.get("charset")), url_params)
    if not media:
        raise ProtocolError(400, f"POST needs a Content-Type: {FORM}, {QUERY} or {UPDATE}")
    raise ProtocolError(415, f"unsupported Content-Type {media!r}: use {FORM}, {QUERY} or {UPDATE}")
