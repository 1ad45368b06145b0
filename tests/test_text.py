"""kg.text.plain: titles and names from sources as a reader sees them (markup and entities gone, scripts kept)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from conftest import of, read_accepted, shared

from kg.records import Author, Paper, Venue
from kg.text import plain


@pytest.mark.parametrize(("raw", "text"), [
    ("Crystallography &amp; NMR", "Crystallography & NMR"),
    ("Molecular Confirmation of <i>Anopheles stephensi</i> Mosquitoes",
     "Molecular Confirmation of Anopheles stephensi Mosquitoes"),
    ("H<sub>2</sub>O and CO<sub>2</sub>", "H2O and CO2"),
    ("Looking Ahead to the 5 <sup>th</sup> World Water Forum", "Looking Ahead to the 5 th World Water Forum"),
    ('<mml:math display="inline"><mml:mi>x</mml:mi></mml:math>-rays', "x-rays"),
    ("a < b > c and x<y", "a < b > c and x<y"),
    ("trout (&lt;i&gt;Oncorhynchus mykiss&lt;/i&gt;)", "trout (Oncorhynchus mykiss)"),  # escaped twice, as recorded
    ("$\\alpha$-helix  bundles\n", "$\\alpha$-helix bundles"),
    ("Jürgen  Müller", "Jürgen Müller"),
    (unicodedata.normalize("NFD", "Jürgen Müller"), unicodedata.normalize("NFD", "Jürgen Müller")),
    ("Γιώργος Παπαδόπουλος &amp; Ιωάννα", "Γιώργος Παπαδόπουλος & Ιωάννα"),
    ("Пётр <b>Чайковский</b>", "Пётр Чайковский"),
    ("王 <i>小明</i>&nbsp;研究", "王 小明 研究"),
    ("محمد &quot;العلي&quot;", 'محمد "العلي"'),
    ("<i></i> &#32; ", None),
    # control characters (OpenAlex has names with a BEL): gone, where they printed raw in kg search
    ("Bell\x07 Person", "Bell Person"), ("Γιώργος\x00Π.", "Γιώργος Π."), ("Ли\x1b[1m Вэй", "Ли [1m Вэй"),
    ("王\x7f小明", "王 小明"), ("\x85\x9f", None),
    ("می\u200cخواهم", "می\u200cخواهم"),  # a zero-width non-joiner is a format character of Persian: kept
    (None, None),
    (42, None),
])
def test_plain(raw: object, text: str | None) -> None:
    assert plain(raw) == text


def _work(title: str, venue: str, author: str) -> dict[str, object]:
    return {"id": "https://openalex.org/W1", "title": title, "publication_year": 2020,
            "primary_location": {"source": {"id": "https://openalex.org/S1", "display_name": venue, "type": "journal"}},
            "authorships": [{"author": {"id": "https://openalex.org/A1", "display_name": author},
                             "raw_author_name": author}]}


def test_openalex_and_crossref_titles_venues_and_names_are_plain(tmp_path: Path) -> None:
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"results": [_work("CO<sub>2</sub> in <i>Ψ</i> &amp; Ω", "Crystallography &amp; NMR",
                                                  "Zoë &amp; 李")]}), encoding="utf-8")
    records, rejects = read_accepted("openalex", page)
    assert rejects == []
    assert [p.title for p in of(records, Paper)] == ["CO2 in Ψ & Ω"]
    assert [v.name for v in of(records, Venue)] == ["Crystallography & NMR"]
    assert [a.name for a in of(records, Author)] == ["Zoë & 李"]
    page.write_text(json.dumps({"results": [_work("Ω\u0007 rays", "V\u0000", "Bell\u0007 Ωmega")]}), encoding="utf-8")
    records, rejects = read_accepted("openalex", page)
    assert [a.name for a in of(records, Author)] == ["Bell Ωmega"]
    assert [p.title for p in of(records, Paper)] == ["Ω rays"]
    work = tmp_path / "work.json"
    work.write_text(json.dumps({"message-type": "work", "message": {
        "DOI": "10.1234/x", "title": ["<i>Салат</i> &amp; مرحبا"], "container-title": ["A &amp; B"],
        "author": [{"given": "Jos&eacute;", "family": "<b>García</b>"}]}}), encoding="utf-8")
    records, rejects = read_accepted("crossref", work)
    assert rejects == []
    assert [p.title for p in of(records, Paper)] == ["Салат & مرحبا"]
    assert [v.name for v in of(records, Venue)] == ["A & B"]
    assert [a.name for a in of(records, Author)] == ["José García"]


def test_recorded_openalex_titles_keep_no_markup() -> None:
    """The recorded OpenAlex pages have titles with <i> and <sup> in them: none survives the reader."""
    folder = shared("data", "openalex")
    records, _ = read_accepted("openalex", *sorted(folder.glob("*.json")))
    texts = [p.title or "" for p in of(records, Paper)] + [v.name for v in of(records, Venue)]
    raw = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.json"))
    assert "<i>" in raw and "<sup>" in raw  # what the test is about is in the data
    assert not [t for t in texts if "<i>" in t or "<sup>" in t or "&amp;" in t]
    assert any("Anopheles stephensi" in t for t in texts)
