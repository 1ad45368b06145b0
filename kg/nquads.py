"""N-Quads text for terms: the fast path from records to the store, with no per-triple objects."""

from __future__ import annotations

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def iri(value: str) -> str:
    return f"<{value}>"


def literal(value: str) -> str:
    """A plain xsd:string literal."""
    # Most values hold none of the four characters to escape: four substring scans (memchr) are
    # several times cheaper than translate(), which looks up every character in the table.
    if "\\" in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.translate(_ESCAPES) + '"'
    return f'"{value}"'


def typed(value: str, datatype: str) -> str:
    return literal(value) + "^^<" + datatype + ">"
