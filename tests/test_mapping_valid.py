"""kg's N-Quads are valid by construction, whatever the rows hold.

kg.build loads its own N-Quads with Oxigraph's lenient parser (it skips re-validating IRIs), which is
only sound if every line the mapping writes is valid N-Quads. Here arbitrary field values (control
characters, quotes, backslashes, lone surrogates, spaces and brackets in URLs, '.' and '..' as ids)
go through the rows reader and the mapping, and the output must parse with the strict parser; a
value that cannot be written must be rejected with its file and line instead.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kg.build import build
from kg.store import StoreDir
from kg.streaming import etl

# Every code point, the surrogates included (they reach kg through JSON's \ud800 escapes).
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12)
TRICKY = st.sampled_from(
    [".", "..", "a b", "<x>", '"', "\\", "\n", "\r\n", "%", "%zz", "é", "\x00", "\ud800", "x/y?z#w", " "]
)
TEXT = st.one_of(ANY_TEXT, TRICKY)
URL = st.one_of(
    TEXT,
    st.builds(lambda s, r: s + r, st.sampled_from(["http://", "https://", "mailto:", "urn:x:", "http://h:"]), TEXT),
    st.sampled_from(["http://host:abc/x", "http://[bad/x", "http://a/%zz", "http://a/b c", "https://a/é?q=<1>#f"]),
)
DOI = st.one_of(TEXT, st.builds(lambda rest: "10.1234/" + rest, TEXT))

ROW = st.fixed_dictionaries(
    {
        "venue_id": TEXT,
        "venue_name": TEXT,
        "venue_full": TEXT,
        "author_id": TEXT,
        "author_name": TEXT,
        "paper_id": TEXT,
        "title": TEXT,
        "abstract": TEXT,
        "type": TEXT,
        "url": URL,
        "doi": DOI,
        "printed": TEXT,
    }
)


def _write(directory: Path, v: dict[str, Any]) -> None:
    tables = {
        "venues": {"id": v["venue_id"], "name": v["venue_name"], "kind": "journal", "full_name": v["venue_full"]},
        "authors": {"id": v["author_id"], "name": v["author_name"]},
        "papers": {
            "id": v["paper_id"], "title": v["title"], "year": 2020, "venue_id": v["venue_id"], "type": v["type"],
            "abstract": v["abstract"], "doi": v["doi"], "url": v["url"],
        },
        "authorships": {"paper_id": v["paper_id"], "author_id": v["author_id"], "position": 1,
                        "name_as_printed": v["printed"]},
    }
    for table, row in tables.items():
        # ensure_ascii: lone surrogates travel as \udXXX escapes, as JSON allows
        (directory / f"{table}.jsonl").write_text(json.dumps(row, ensure_ascii=True) + "\n", encoding="ascii")


_PLAIN = {
    "venue_id": "v", "venue_name": "V", "venue_full": "F", "author_id": "a", "author_name": "A", "paper_id": "p",
    "title": "T", "abstract": "", "type": "", "url": "https://example.org/", "doi": "10.1234/x", "printed": "",
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROW)
@example(_PLAIN | {"url": "A:\x850"})  # NEL (U+0085) in a rejected value: str.splitlines() breaks there
@example(_PLAIN | {"url": "http://a/\u2028", "title": "\x1c\x85\u2029"})
def test_any_rows_map_to_strictly_valid_nquads(values: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = Path(tmp) / "rows"
        rows.mkdir()
        _write(rows, values)
        out = Path(tmp) / "out.nq"
        report = etl([rows], out, rejects=Path(tmp) / "rejects.jsonl")
        assert report.rows_read == 4
        assert report.rows_read == report.rows_loaded + report.rows_rejected
        quads = list(ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS))  # strict: raises on any bad line
        assert len(quads) == report.triples
        if report.rows_rejected:
            text = (Path(tmp) / "rejects.jsonl").read_text(encoding="utf-8")
            # one reject per line for every reader, those that split on Unicode line breaks too
            assert len(text.splitlines()) == text.count("\n") == report.rows_rejected
            rejects = [json.loads(line) for line in text.splitlines()]
            assert all(r["file"].endswith(".jsonl") and r["line"] == 1 and r["reason"] for r in rejects)


def test_lenient_build_equals_strict_parse(tmp_path: Path) -> None:
    """The store the (lenient) build makes holds exactly the quads that a strict parse of kg etl's output gives."""
    values = {
        "venue_id": "v/1 .", "venue_name": 'N "quoted"\\', "venue_full": "Full\nname", "author_id": "..",
        "author_name": "Zoë Ångström", "paper_id": "p#1?x", "title": "T\r\u2028", "abstract": "<b>bold</b>",
        "type": "Article", "url": "https://example.org/a b/é?q=<1>", "doi": "10.1234/ABC<>%", "printed": "Z. Å.",
    }
    rows = tmp_path / "rows"
    rows.mkdir()
    _write(rows, values)
    etl([rows], tmp_path / "out.nq")
    expected = set(ox.parse(path=str(tmp_path / "out.nq"), format=ox.RdfFormat.N_QUADS))
    report = build([rows], tmp_path / "store", workers=1)
    assert report.rows_rejected == 0
    assert set(StoreDir(tmp_path / "store").open()) == expected
