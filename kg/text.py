"""Text from sources made plain: the markup and HTML entities some sources leave in titles and names.

OpenAlex and Crossref carry titles such as "Molecular Confirmation of <i>Anopheles stephensi</i>" and
"Crystallography &amp; NMR", and markup escaped once more ("(&lt;i&gt;Oncorhynchus mykiss&lt;/i&gt;)").
kg stores and shows the text a reader sees: entities are decoded once, then tags are removed with the text
inside kept ("H<sub>2</sub>O" becomes "H2O", "5 <sup>th</sup>" becomes "5 th"), control characters (a BEL
or a NUL some records carry, which no reader sees and a terminal or a page would act on) become spaces,
and runs of white space become one space. Only things shaped like a tag are removed (a name after
`<`, as `<i>`, `</sub>`, `<mml:math display="inline">`), so "a < b > c" keeps its signs. LaTeX
("$\\alpha$-helix") is kept as written: no rendering of it is safe for every source.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"</?[A-Za-z][\w.:-]*(?:\s[^<>]*)?/?>")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: category Cc


def plain(value: object) -> str | None:
    """`value` as plain text on one line, or None when it is not a string or nothing is left of it."""
    if not isinstance(value, str):
        return None
    text = " ".join(CONTROL.sub(" ", _TAG.sub("", html.unescape(value))).split())
    return text or None
