"""N-Quads text for terms: the fast path from records to the store, with no per-triple objects."""

from __future__ import annotations

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def iri(value: str) -> str:
    return f"<{value}>"


def literal(value: str) -> str:
    """A plain xsd:string literal."""
    return '"' + value.translate(_ESCAPES) + '"'


def typed(value: str, datatype: str) -> str:
    return '"' + value.translate(_ESCAPES) + '"^^<' + datatype + ">"
