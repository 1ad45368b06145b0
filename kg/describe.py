"""Describing one resource: what a linked-data client gets when it dereferences an IRI.

A description holds the resource's own triples, its authorships with their papers (for an author
row: each authorship and the paper's type, title, year and venue; for a paper: each authorship and
the author row's name), and the links in (triples whose object is the resource). Every many-valued
part is cut into pages of `per_page` (own triples per predicate, authorships, links in), so a huge
node (a venue with 100,000 papers, a cluster of 1,000 rows) gives a bounded answer; `more` says
that page + 1 has the rest. Everything is read with triple patterns (Backend.triples: index lookups
in the embedded store, each triple once over all graphs), never a scan.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox

from kg.backend import Backend
from kg.formats import TRIPLES, TURTLE, find
from kg.jsonld import PREFIXES, Compactor, load_context
from kg.terms import KG, RDF_TYPE, RDFS_LABEL

PER_PAGE = 200
RDFS_SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"
SD_GRAPH = "http://www.w3.org/ns/sparql-service-description#Graph"

_TYPE = ox.NamedNode(RDF_TYPE)
_AUTHOR_ROW = ox.NamedNode(KG.authorRow)
_HAS_AUTHORSHIP = ox.NamedNode(KG.hasAuthorship)
_PAPER = ox.NamedNode(KG.paper)
_LABELS = (ox.NamedNode(KG.name), ox.NamedNode(RDFS_LABEL), ox.NamedNode(KG.title))
_PAPER_SUMMARY = {RDF_TYPE, KG.title, KG.year, KG.publishedIn}
_KINDS = {KG.Paper: "paper", KG.AuthorRow: "author", KG.Venue: "venue", KG.NameCluster: "cluster",
          KG.Authorship: "authorship"}

Subject = ox.NamedNode | ox.BlankNode


@dataclass
class Description:
    iri: str
    triples: list[ox.Triple]
    types: list[str]
    page: int = 1
    per_page: int = PER_PAGE
    more: bool = False
    authorships: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str | None:
        for t in self.types:
            if t in _KINDS:
                return _KINDS[t]
        return "graph" if SD_GRAPH in self.types else None


def _page(items: Iterable[Any], page: int, per_page: int) -> tuple[list[Any], bool]:
    """Items [(page-1)*per_page, page*per_page) and whether any follow."""
    start = (page - 1) * per_page
    chunk = list(itertools.islice(items, start, start + per_page + 1))
    return chunk[:per_page], len(chunk) > per_page


def describe(data: Backend, iri: str, *, page: int = 1, per_page: int = PER_PAGE) -> Description | None:
    """The description of `iri` (page `page`), or None when the store knows nothing about it."""
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page must be at least 1")
    node = ox.NamedNode(iri)
    own_all = sorted(data.triples(node, None, None), key=str)
    if not own_all and not any(True for _ in data.triples(None, None, node)):
        if iri in data.graphs():
            return Description(iri, [ox.Triple(node, _TYPE, ox.NamedNode(SD_GRAPH))], [SD_GRAPH])
        return None
    types = sorted(t.object.value for t in own_all if t.predicate == _TYPE and isinstance(t.object, ox.NamedNode))
    more = False
    out: list[ox.Triple] = []
    for _, group in itertools.groupby(own_all, key=lambda t: t.predicate.value):
        chunk, cut = _page(group, page, per_page)
        out += chunk
        more |= cut
    seen = set(out)

    def add(triples: Iterable[ox.Triple]) -> None:
        for t in triples:
            if t not in seen:
                seen.add(t)
                out.append(t)

    # Authorships with their papers (author row) or their author rows (paper).
    subjects: Iterator[Any]
    if KG.AuthorRow in types:
        subjects = (t.subject for t in data.triples(None, _AUTHOR_ROW, node))
    elif KG.Paper in types:
        subjects = (t.object for t in own_all if t.predicate == _HAS_AUTHORSHIP)
    else:
        subjects = iter(())
    authorships, cut = _page(subjects, page, per_page)
    more |= cut
    for a in authorships:
        block = list(data.triples(a, None, None))
        add(block)
        for t in block:
            if t.predicate == _PAPER and KG.AuthorRow in types and isinstance(t.object, ox.NamedNode):
                add(x for x in data.triples(t.object, None, None) if x.predicate.value in _PAPER_SUMMARY)
            if t.predicate == _AUTHOR_ROW and KG.Paper in types and isinstance(t.object, ox.NamedNode):
                add(data.triples(t.object, _LABELS[0], None))
    # Links in: every triple pointing at the resource (papers citing an author row, a venue's papers, ...).
    incoming, cut = _page(data.triples(None, None, node), page, per_page)
    more |= cut
    add(incoming)
    return Description(iri, out, types, page, per_page, more, [a.value for a in authorships])


def with_next(desc: Description, next_url: str | None) -> list[ox.Triple]:
    """The description's triples, plus `<iri> rdfs:seeAlso <next page>` when there is more."""
    if not desc.more or next_url is None:
        return desc.triples
    return [*desc.triples, ox.Triple(ox.NamedNode(desc.iri), ox.NamedNode(RDFS_SEE_ALSO), ox.NamedNode(next_url))]


def serialize(triples: list[ox.Triple], fmt: str) -> bytes:
    """The triples in a triple format of kg.formats (`fmt` its name or alias), prefixed in Turtle."""
    found = find(fmt, TRIPLES)
    if found is None or found.rdf is None:
        raise ValueError(f"not a triple format: {fmt!r}")
    prefixes = PREFIXES if found is TURTLE else None
    return ox.serialize(triples, format=found.rdf, prefixes=prefixes) or b""


def jsonld_graph(triples: list[ox.Triple]) -> list[dict[str, Any]]:
    """Node objects compacted with ontology/context.jsonld, one per subject, in subject order."""
    compactor = Compactor(load_context())
    by_subject: dict[str, list[ox.Triple]] = {}
    subjects: dict[str, Subject] = {}
    for t in triples:
        key = str(t.subject)
        by_subject.setdefault(key, []).append(t)
        subjects[key] = t.subject  # type: ignore[assignment]
    return [compactor.node(subjects[k], by_subject[k]) for k in sorted(by_subject)]


def label(data: Backend, iri: str) -> str | None:
    """A display name: kg:name, rdfs:label or kg:title (the first found, smallest value)."""
    node = ox.NamedNode(iri)
    for p in _LABELS:
        values = sorted(t.object.value for t in data.triples(node, p, None) if isinstance(t.object, ox.Literal))
        if values:
            return values[0]
    return None


def curie(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def view(data: Backend, desc: Description) -> dict[str, Any]:
    """The description as plain data for an HTML page: values with display labels, authorships in order."""
    labels: dict[str, str | None] = {}

    def named(iri: str) -> dict[str, Any]:
        if iri not in labels:
            labels[iri] = label(data, iri)
        return {"iri": iri, "label": labels[iri]}

    def value(o: object) -> dict[str, Any]:
        if isinstance(o, ox.NamedNode):
            return named(o.value)
        if isinstance(o, ox.Literal):
            return {"text": o.value, "datatype": curie(o.datatype.value), "language": o.language}
        return {"text": str(o)}

    subject = ox.NamedNode(desc.iri)
    own: dict[str, list[dict[str, Any]]] = {}
    incoming: list[dict[str, Any]] = []
    index: dict[str, dict[str, Any]] = {}
    for t in desc.triples:
        if t.subject == subject:
            own.setdefault(t.predicate.value, []).append(value(t.object))
        if (t.object == subject and t.subject != subject and isinstance(t.subject, ox.NamedNode)
                and t.subject.value not in desc.authorships):
            incoming.append({"subject": named(t.subject.value), "predicate": curie(t.predicate.value)})
        index.setdefault(str(t.subject), {}).setdefault(t.predicate.value, []).append(t.object)
    authorships = []
    for a in desc.authorships:
        props = index.get(f"<{a}>", {})
        paper = _first_iri(props.get(KG.paper))
        row = _first_iri(props.get(KG.authorRow))
        position = _first_text(props.get(KG.position))
        item: dict[str, Any] = {
            "iri": a,
            "position": int(position) if position and position.isdigit() else None,
            "name_as_printed": _first_text(props.get(KG.nameAsPrinted)),
            "author": named(row) if row else None,
            "paper": None,
        }
        if paper:
            pp = index.get(f"<{paper}>", {})
            venue = _first_iri(pp.get(KG.publishedIn))
            year = _first_text(pp.get(KG.year))
            item["paper"] = {"iri": paper, "title": _first_text(pp.get(KG.title)), "id": source_id(paper),
                             "year": int(year) if year and year.isdigit() else None,
                             "venue": named(venue) if venue else None}
        authorships.append(item)
    # The papers listed with their authorships are not listed again as links in (`paper kg:author
    # row`); what is left is ordered (by property, then label), not in the store's order.
    listed = {a["paper"]["iri"] for a in authorships if a["paper"]}
    incoming = [i for i in incoming if not (i["predicate"] == curie(KG.author) and i["subject"]["iri"] in listed)]
    incoming.sort(key=lambda i: (i["predicate"], i["subject"]["label"] or "", i["subject"]["iri"]))
    if desc.kind == "author":
        authorships.sort(key=lambda x: (-((x["paper"] or {}).get("year") or 0), (x["paper"] or {}).get("title") or ""))
    else:
        authorships.sort(key=lambda x: (x["position"] or 0, x["iri"]))
    if KG.hasAuthorship in own:  # in author order, not in the order of the authorships' IRIs as strings
        def place(v: dict[str, Any]) -> tuple[int, str]:
            given = _first_text(index.get(f"<{v.get('iri')}>", {}).get(KG.position))
            return (int(given) if given and given.isdigit() else 1 << 30, str(v.get("iri")))
        own[KG.hasAuthorship].sort(key=place)
    ordered = sorted(own.items(), key=lambda kv: curie(kv[0]))
    properties = [{"iri": p, "curie": curie(p), "objects": vs} for p, vs in ordered]
    return {
        "iri": desc.iri,
        "kind": desc.kind,
        "label": label(data, desc.iri) or _untitled(desc, own) or _person(data, desc) or desc.iri,
        "types": [curie(t) for t in desc.types],
        "properties": properties,
        "authorships": authorships,
        "incoming": incoming,
        "page": desc.page,
        "more": desc.more,
    }


def source_id(iri: str) -> str:
    """The source's id of a minted resource, from its IRI's last segment (`BASE/paper/openalex%3AW1`
    -> `openalex:W1`): what a page shows for a paper without a title when its DOI is not at hand."""
    return unquote(iri.rstrip("/").rsplit("/", 1)[-1])


def _untitled(desc: Description, own: dict[str, list[dict[str, Any]]]) -> str | None:
    """The label of a paper without a title (records without one are real): its DOI, else its id."""
    if desc.kind != "paper":
        return None
    dois = sorted(str(v.get("iri")) for v in own.get(KG.doi, []) if v.get("iri"))
    return f"[no title] {dois[0] if dois else source_id(desc.iri)}"


def _person(data: Backend, desc: Description) -> str | None:
    """The title in words of a probable person (kg.identity), which has no name of its own: the
    name of its rows and its paper count ("Liyuan Liu, probable person of 19 papers")."""
    if KG.ProbablePerson not in desc.types:
        return None
    node = ox.NamedNode(desc.iri)
    rows = sorted(t.subject.value for t in data.triples(None, ox.NamedNode(KG.probablePerson), node)
                  if isinstance(t.subject, ox.NamedNode))
    names = sorted({n for n in (label(data, r) for r in rows) if n})
    counts = [t.object.value for t in data.triples(node, ox.NamedNode(KG.paperCount), None)
              if isinstance(t.object, ox.Literal)]
    papers = f" of {counts[0]} paper{'s' if counts[0] != '1' else ''}" if counts else ""
    return f"{' / '.join(names) or 'Unnamed'}, probable person{papers}"


def _first_iri(values: list[object] | None) -> str | None:
    found = sorted(v.value for v in values or [] if isinstance(v, ox.NamedNode))
    return found[0] if found else None


def _first_text(values: list[object] | None) -> str | None:
    found = sorted(v.value for v in values or [] if isinstance(v, ox.Literal))
    return found[0] if found else None
