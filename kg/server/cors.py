"""CORS for kg serve --cors, on the answers kg's front writes itself (the SPARQL pipeline's): the fields
Starlette's CORSMiddleware gives the app's answers with the same settings (kg.server.config: any origin,
CORS_METHODS, CORS_HEADERS, CORS_EXPOSED), checked equal to its own on generated input by
tests/test_sparql_pipeline.py."""

from __future__ import annotations

from kg.server.config import CORS_EXPOSED, CORS_HEADERS, CORS_METHODS

Headers = list[tuple[bytes, bytes]]
TEXT = b"text/plain; charset=utf-8"
_SAFELISTED = ("Accept", "Accept-Language", "Content-Language", "Content-Type")  # CORSMiddleware adds these
_ALLOWED = sorted({*_SAFELISTED, *CORS_HEADERS})
_ALLOWED_LOWER = frozenset(h.lower() for h in _ALLOWED)
_PREFLIGHT: Headers = [
    (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
              b"Access-Control-Request-Private-Network"),
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", ", ".join(CORS_METHODS).encode()),
    (b"access-control-max-age", b"600"),
    (b"access-control-allow-headers", ", ".join(_ALLOWED).encode()),
    (b"content-type", TEXT),
]
_SIMPLE: Headers = [(b"access-control-allow-origin", b"*"),
                    (b"access-control-expose-headers", ", ".join(CORS_EXPOSED).encode())]


def preflight(method: bytes | None, headers: bytes | None, private_network: bytes | None) -> tuple[int, Headers, bytes]:
    """The answer (status, header fields, body) of a preflight asking for this Access-Control-Request-Method,
    -Headers and -Private-Network."""
    failures = []
    if method is None or method.decode("latin-1") not in CORS_METHODS:
        failures.append("method")
    asked = headers.decode("latin-1").lower().split(",") if headers is not None else []
    if any(h.strip() not in _ALLOWED_LOWER for h in asked):
        failures.append("headers")
    if private_network is not None:
        failures.append("private-network")
    if failures:
        return 400, list(_PREFLIGHT), ("Disallowed CORS " + ", ".join(failures)).encode()
    return 200, list(_PREFLIGHT), b"OK"


def with_cors(headers: Headers, origin: bool) -> Headers:
    """An answer's header fields with CORSMiddleware's: with an Origin, who may read it; always `Vary: Origin`."""
    fields: dict[bytes, bytes] = dict(_SIMPLE) if origin else {}
    fields[b"vary"] = b", ".join([*(v for k, v in headers if k == b"vary"), b"Origin"])
    out: Headers = []
    replaced = set()
    for k, v in headers:
        if k in fields:  # the first field of the name takes the value, the others go (MutableHeaders' rule)
            if k not in replaced:
                replaced.add(k)
                out.append((k, fields[k]))
            continue
        out.append((k, v))
    out += [(k, v) for k, v in fields.items() if k not in replaced]
    return out
