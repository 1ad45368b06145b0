"""The SPARQL 1.1 Protocol: which operation a request carries, or why it is invalid.

https://www.w3.org/TR/sparql11-protocol/ section 2: query by GET, by POST form, by POST direct;
update by POST form or POST direct. Parameters the protocol does not define are ignored.
"""

from __future__ import annotations

import hmac
import re
from codecs import escape_decode
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pyoxigraph as ox

from kg.server.config import ServerConfig

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"


class ProtocolError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Operation:
    kind: str  # "query", "update" or "description" (GET without a query)
    text: str = ""
    params: dict[str, list[str]] = field(default_factory=dict)

    def one(self, name: str) -> str | None:
        values = self.params.get(name) or []
        return values[0] if values else None

    def graphs(self, name: str) -> list[str] | None:
        """IRIs given for a dataset parameter (validated), or None if the parameter is absent."""
        values = self.params.get(name)
        if values is None:
            return None
        out = []
        for v in values:
            try:
                out.append(ox.NamedNode(v).value)
            except ValueError as e:
                raise ProtocolError(400, f"{name}: not an absolute IRI: {v!r} ({e})") from None
        return out


_ESCAPE = re.compile(b"%([0-9A-Fa-f]{2})")
_HEX = "0123456789ABCDEFabcdef"
_BYTE = {(a + b).encode(): bytes.fromhex(a + b) for a in _HEX for b in _HEX}  # as urllib.parse's own table


def _unquote(part: bytes, codec: str) -> str:
    """`part` ('+' already a space) with its %XX escapes decoded, strictly, as `codec`; a '%' that
    begins no escape is kept, as parse_qsl keeps it."""
    if b"%" not in part:
        return part.decode("ascii")
    try:  # in C: each %XX made the \xXX escape of a bytes literal, every backslash escaped itself
        raw = escape_decode(part.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
    except ValueError:  # a '%' without two hex digits after it
        pieces = _ESCAPE.split(part)  # text, hex digits, text, ...
        pieces[1::2] = map(_BYTE.__getitem__, pieces[1::2])
        raw = b"".join(pieces)
    return raw.decode(codec)


def _pairs(raw: bytes | str, where: str, codec: str = "utf-8") -> dict[str, list[str]]:
    """The name/value pairs of URL-encoded data, as parse_qsl(keep_blank_values=True, errors="strict")
    reads them; a 400 ProtocolError if the data or an escape is not valid in `codec`.

    ASCII data (what clients send) is decoded here by C-level splits and joins: the same pairs and
    the same decoding errors as parse_qsl's, which reads any other data."""
    if not raw:
        return {}
    out: dict[str, list[str]] = {}
    if raw.isascii():
        data = raw if isinstance(raw, bytes) else raw.encode("ascii")
        try:
            for field in data.split(b"&"):
                if field:
                    name, _, value = field.partition(b"=")
                    key = _unquote(name.replace(b"+", b" "), codec)
                    out.setdefault(key, []).append(_unquote(value.replace(b"+", b" "), codec))
        except UnicodeDecodeError as e:
            raise _invalid(where, codec, e) from None
        return out
    try:
        text = raw.decode("ascii" if codec == "latin-1" else "utf-8") if isinstance(raw, bytes) else raw
        pairs = parse_qsl(text, keep_blank_values=True, encoding=codec, errors="strict")
    except (UnicodeDecodeError, ValueError) as e:
        raise _invalid(where, codec, e) from None
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def _invalid(where: str, codec: str, e: ValueError) -> ProtocolError:
    name = "ISO-8859-1" if codec == "latin-1" else "UTF-8"
    return ProtocolError(400, f"{where} is not valid {name} URL-encoded data: {e}")


def _media(content_type: str | None) -> tuple[str, dict[str, str]]:
    if not content_type:
        return "", {}
    if ";" not in content_type:  # no parameter: what most clients send
        return content_type.strip().lower(), {}
    parts = [p.strip() for p in content_type.split(";")]
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip().strip('"').lower()
    return parts[0].lower(), params


CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "iso-8859-1": "latin-1", "latin1": "latin-1",
            "latin-1": "latin-1", "us-ascii": "utf-8"}  # what a body may declare; anything else is 415


def _codec(charset: str | None) -> str:
    codec = CHARSETS.get(charset or "utf-8")
    if codec is None:
        raise ProtocolError(415, f"charset {charset!r} not supported: send UTF-8 (or ISO-8859-1)")
    return codec


def _text(body: bytes, charset: str | None) -> str:
    codec = _codec(charset)
    try:
        return body.decode(codec)
    except UnicodeDecodeError as e:
        raise ProtocolError(400, f"the request body is not valid {charset or 'UTF-8'}: {e}") from None


def _single(params: dict[str, list[str]]) -> Operation:
    queries, updates = params.get("query", []), params.get("update", [])
    if queries and updates:
        raise ProtocolError(400, "a request carries either 'query' or 'update', not both")
    if len(queries) > 1 or len(updates) > 1:
        raise ProtocolError(400, f"more than one '{'query' if queries else 'update'}' parameter")
    if queries:
        return Operation("query", queries[0], params)
    if updates:
        return Operation("update", updates[0], params)
    raise ProtocolError(400, "no 'query' or 'update' parameter")


def parse(method: str, query_string: bytes, content_type: str | None, body: bytes) -> Operation:
    url_params = _pairs(query_string, "the query string")
    if method in ("GET", "HEAD"):
        if "update" in url_params:
            raise ProtocolError(405, "updates must be sent by POST", {"Allow": "POST"})
        if "query" not in url_params:
            return Operation("description", params=url_params)
        return _single(url_params)
    if method != "POST":
        raise ProtocolError(405, f"method {method} not allowed", {"Allow": "GET, POST"})
    media, mparams = _media(content_type)
    if media == FORM:
        form = _pairs(body, "the form body", _codec(mparams.get("charset")))
        for key in ("query", "update"):
            if key in url_params:
                raise ProtocolError(400, f"with a form POST, '{key}' goes in the body, not the URL")
        if not url_params:
            return _single(form)
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


def authorize_update(config: ServerConfig, authorization: str | None) -> None:
    """Returns when a request with this Authorization header may change the store (--allow-update, or
    --update-token's bearer token); raises a ProtocolError (401, 403) otherwise."""
    if config.allow_update:
        return
    if not config.update_token:
        raise ProtocolError(403, "updates are disabled on this endpoint (kg serve --allow-update or --update-token)")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ProtocolError(401, "updates need a bearer token", {"WWW-Authenticate": 'Bearer realm="kg"'})
    if not hmac.compare_digest(token.strip().encode(), config.update_token.encode()):
        raise ProtocolError(403, "wrong update token")
