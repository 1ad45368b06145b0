"""Papers as a reader lists them: one entry per paper (title, year, venue, type in words, DOI, source
link, authors in author order), grouped by year, summed up for an author, and exported as BibTeX or CSV.

Everything is read with triple patterns (Backend.triples: index lookups), one paper at a time, so an
author page or a venue page costs a few lookups per paper listed. Venues that share a short name
(dblp's `conf/socc` and `conf/cloud` are both "SoCC") are told apart by `venue_names`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from kg.backend import Backend
from kg.terms import KG, RDF_TYPE

_TYPE = ox.NamedNode(RDF_TYPE)
_VENUE = ox.NamedNode(KG.Venue)
_PAPER = ox.NamedNode(KG.paper)
_AUTHOR_ROW = ox.NamedNode(KG.authorRow)
_HAS_AUTHORSHIP = ox.NamedNode(KG.hasAuthorship)
_NAME = ox.NamedNode(KG.name)

# A source's publication type in words. dblp's element names, OpenAlex's and Crossref's type names;
# dblp's "article" is a journal article, OpenAlex's "article" any article, so the source decides.
_DBLP_TYPES = {
    "article": "Journal Article", "inproceedings": "Conference Paper", "proceedings": "Proceedings",
    "book": "Book", "incollection": "Book Chapter", "phdthesis": "PhD Thesis",
    "mastersthesis": "Master's Thesis", "www": "Web Page", "data": "Dataset",
}
_TYPES = {
    "journal-article": "Journal Article", "proceedings-article": "Conference Paper", "article": "Article",
    "book-chapter": "Book Chapter", "book-section": "Book Chapter", "book-part": "Book Chapter",
    "book": "Book", "edited-book": "Book", "monograph": "Book", "reference-book": "Book",
    "dissertation": "Thesis", "preprint": "Preprint", "posted-content": "Preprint", "dataset": "Dataset",
    "report": "Report", "review": "Review", "editorial": "Editorial", "erratum": "Erratum", "letter": "Letter",
    "peer-review": "Peer Review", "standard": "Standard", "paratext": "Front or Back Matter",
    "reference-entry": "Reference Entry", "proceedings": "Proceedings", "component": "Component",
    "supplementary-materials": "Supplementary Material", "other": "Other",
}
# BibTeX entry types and the field that names the venue, by the type in words.
_BIBTEX = {
    "Conference Paper": ("inproceedings", "booktitle"), "Journal Article": ("article", "journal"),
    "Article": ("article", "journal"), "Book": ("book", "publisher"), "Book Chapter": ("incollection", "booktitle"),
    "PhD Thesis": ("phdthesis", "school"), "Master's Thesis": ("mastersthesis", "school"),
    "Proceedings": ("proceedings", "publisher"), "Report": ("techreport", "institution"),
}


def type_words(publication_type: str | None, source_id: str | None = None) -> str | None:
    """A source's publication type in words: "inproceedings" (dblp) -> "Conference Paper", "journal-article"
    (Crossref) -> "Journal Article"; a type already in words (a rows file's "Conference Paper") is kept."""
    if not publication_type:
        return None
    t = publication_type.strip()
    if source_id and source_id.startswith("dblp:") and t in _DBLP_TYPES:
        return _DBLP_TYPES[t]
    if t.lower() in _TYPES:
        return _TYPES[t.lower()]
    if t in _DBLP_TYPES and t != "article":
        return _DBLP_TYPES[t]
    if t.islower() and re.fullmatch(r"[a-z]+([-_][a-z]+)*", t):
        return " ".join(w.capitalize() for w in re.split(r"[-_]", t))
    return t


def _texts(data: Backend, node: ox.NamedNode, predicate: str) -> list[str]:
    return sorted(t.object.value for t in data.triples(node, ox.NamedNode(predicate), None)
                  if isinstance(t.object, ox.Literal))


def _iris(data: Backend, node: ox.NamedNode, predicate: str | ox.NamedNode) -> list[str]:
    p = predicate if isinstance(predicate, ox.NamedNode) else ox.NamedNode(predicate)
    return sorted(t.object.value for t in data.triples(node, p, None) if isinstance(t.object, ox.NamedNode))


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def venue_names(data: Backend, venues: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Each venue's short name, full name, source id and `shown`: the short name, and when another venue of
    the store has the same short name, the full name (or, without one, the source id) in brackets."""
    out: dict[str, dict[str, Any]] = {}
    for iri in dict.fromkeys(venues):
        node = ox.NamedNode(iri)
        name = _first(_texts(data, node, KG.name))
        full = _first(_texts(data, node, KG.fullName))
        sid = _first(_texts(data, node, KG.sourceId))
        shared = False
        if name is not None:
            shared = any(isinstance(t.subject, ox.NamedNode) and t.subject != node
                         and any(True for _ in data.triples(t.subject, _TYPE, _VENUE))
                         for t in data.triples(None, _NAME, ox.Literal(name)))
        shown = name or full or sid or iri
        if shared:
            shown = f"{name} ({full if full and full != name else sid or iri})"
        out[iri] = {"iri": iri, "name": name, "full_name": full, "source_id": sid, "shared": shared, "shown": shown}
    return out


def source_link(source_id: str | None, url: str | None, doi: str | None) -> str | None:
    """Where the record came from: its URL, else the source's page for its id, else its DOI (only http(s)
    links: a page never links a `javascript:` IRI a source gave)."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    if source_id and source_id.startswith("dblp:"):
        return "https://dblp.org/rec/" + quote(source_id[5:], safe="/")
    if source_id and source_id.startswith("openalex:"):
        return "https://openalex.org/" + quote(source_id[9:], safe="")
    return doi


def paper_entry(data: Backend, paper: str, venues: dict[str, dict[str, Any]] | None = None,
                max_authors: int = 50) -> dict[str, Any]:
    """One paper as a list shows it; authors in author order (at most `max_authors`, `more_authors` the rest)."""
    node = ox.NamedNode(paper)
    year = _first(_texts(data, node, KG.year))
    sid = _first(_texts(data, node, KG.sourceId))
    doi = _first(_iris(data, node, KG.doi))
    url = _first(_iris(data, node, KG.url))
    venue = _first(_iris(data, node, KG.publishedIn))
    raw_type = _first(_texts(data, node, KG.publicationType))
    authors = []
    for a in _iris(data, node, _HAS_AUTHORSHIP):
        a_node = ox.NamedNode(a)
        row = _first(_iris(data, a_node, _AUTHOR_ROW))
        position = _first(_texts(data, a_node, KG.position))
        printed = _first(_texts(data, a_node, KG.nameAsPrinted))
        name = _first(_texts(data, ox.NamedNode(row), KG.name)) if row else None
        authors.append({"iri": row, "name": name or printed or row or "", "printed": printed,
                        "position": int(position) if position and position.isdigit() else None})
    authors.sort(key=lambda x: (x["position"] is None, x["position"] or 0, x["name"]))
    v: dict[str, Any] | None = None
    if venue is not None:
        known = venues if venues is not None else {}
        if venue not in known:
            known.update(venue_names(data, [venue]))
        v = known[venue]
    return {
        "iri": paper, "title": _first(_texts(data, node, KG.title)), "source_id": sid,
        "year": int(year) if year and year.isdigit() else None, "venue": v,
        "type": raw_type, "type_words": type_words(raw_type, sid), "doi": doi,
        "doi_name": doi.split("doi.org/", 1)[1] if doi and "doi.org/" in doi else doi,
        "url": url if url and url.lower().startswith(("http://", "https://")) else None,
        "source": source_link(sid, url, doi), "abstract": _first(_texts(data, node, KG.abstract)),
        "authors": authors[:max_authors], "more_authors": max(0, len(authors) - max_authors),
    }


def by_year(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries grouped by year, newest first, papers without a year last; in a year, by title."""
    groups: dict[int | None, list[dict[str, Any]]] = {}
    for e in entries:
        groups.setdefault(e["year"], []).append(e)
    years = sorted((y for y in groups if y is not None), reverse=True)
    order = [*years, *([None] if None in groups else [])]
    return [{"year": y, "papers": sorted(groups[y], key=lambda e: ((e["title"] or "").casefold(), e["iri"]))}
            for y in order]


def author_papers(data: Backend, row: str, max_authors: int = 50) -> list[dict[str, Any]]:
    """Every paper of the author row `row`, newest first, each with its authors."""
    papers = sorted({t.object.value for a in data.triples(None, _AUTHOR_ROW, ox.NamedNode(row))
                     if isinstance(a.subject, ox.NamedNode)
                     for t in data.triples(a.subject, _PAPER, None) if isinstance(t.object, ox.NamedNode)})
    venues: dict[str, dict[str, Any]] = {}
    entries = [paper_entry(data, p, venues, max_authors) for p in papers]
    return [e for g in by_year(entries) for e in g["papers"]]


def summary(entries: list[dict[str, Any]], row: str, top: int = 3) -> dict[str, Any]:
    """Years active, the `top` venues by papers and the number of distinct co-authors of the row `row`."""
    years = [e["year"] for e in entries if e["year"] is not None]
    venues = Counter(e["venue"]["iri"] for e in entries if e["venue"])
    shown = {e["venue"]["iri"]: e["venue"] for e in entries if e["venue"]}
    top_venues = [{**shown[v], "papers": n} for v, n in sorted(venues.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    coauthors = {a["iri"] for e in entries for a in e["authors"] if a["iri"] and a["iri"] != row}
    return {"papers": len(entries), "first_year": min(years, default=None), "last_year": max(years, default=None),
            "top_venues": top_venues, "coauthors": len(coauthors)}


# -- export

_LATEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
          "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def bibtex_text(value: str) -> str:
    """A field value for BibTeX: LaTeX's special characters escaped, braces balanced, every other character
    kept as it is (UTF-8: biber and bibtex8 read it; names in every script stay readable)."""
    value = " ".join(unicodedata.normalize("NFC", value).split())
    return "".join(_LATEX.get(c, c) for c in value)


def _key_part(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", folded)


def bibtex_key(entry: dict[str, Any], taken: set[str]) -> str:
    """`familyYEARword` in ASCII (the first author's last name, the year, the title's first long word),
    `paper` where the name has no Latin letters; a, b, ... added when taken."""
    first = entry["authors"][0]["name"] if entry["authors"] else ""
    family = _key_part(first.split()[-1]) if first.split() else ""
    word = next((w for w in (_key_part(x) for x in (entry["title"] or "").split()) if len(w) > 3), "")
    base = (family.lower() or "paper") + (str(entry["year"]) if entry["year"] else "") + word.lower()
    key, n = base, 0
    while key in taken:
        key = base + _suffix(n)
        n += 1
    taken.add(key)
    return key


def _suffix(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(97 + r) + letters
    return letters


def _bibtex_name(name: str) -> str:
    """An author for `author = {A and B}`: a name holding a comma or the word "and" is braced whole."""
    text = bibtex_text(name)
    return "{" + text + "}" if "," in name or re.search(r"\band\b", name, re.IGNORECASE) else text


def bibtex(entries: list[dict[str, Any]]) -> str:
    """The entries as BibTeX (UTF-8 text), one per paper, in the order given."""
    taken: set[str] = set()
    out = []
    for e in entries:
        kind, venue_field = _BIBTEX.get(e["type_words"] or "", ("misc", "howpublished"))
        fields: list[tuple[str, str]] = []
        if e["authors"]:
            fields.append(("author", " and ".join(_bibtex_name(a["name"]) for a in e["authors"])
                           + (" and others" if e["more_authors"] else "")))
        if e["title"]:
            fields.append(("title", "{" + bibtex_text(e["title"]) + "}"))  # braced: BibTeX styles keep its case
        if e["venue"]:
            fields.append((venue_field, bibtex_text(e["venue"]["full_name"] or e["venue"]["name"] or "")))
        if e["year"]:
            fields.append(("year", str(e["year"])))
        if e["doi_name"]:
            fields.append(("doi", bibtex_text(e["doi_name"])))
        link = e["url"] or e["source"]
        if link:
            fields.append(("url", link.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")))
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
        out.append(f"@{kind}{{{bibtex_key(e, taken)},\n{body}\n}}\n")
    return "\n".join(out)


CSV_COLUMNS = ["year", "title", "venue", "venue_full_name", "type", "doi", "authors", "paper", "source"]


def csv_text(entries: list[dict[str, Any]]) -> str:
    """The entries as CSV (RFC 4180, UTF-8 text): one row per paper, authors joined by "; " in author order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        v = e["venue"] or {}
        writer.writerow([e["year"] or "", e["title"] or "", v.get("name") or "", v.get("full_name") or "",
                         e["type_words"] or "", e["doi_name"] or "", "; ".join(a["name"] for a in e["authors"]),
                         e["iri"], e["source"] or ""])
    return buffer.getvalue()
