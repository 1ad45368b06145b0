"""Documentation of the ontology, generated from ontology/kg.ttl: Markdown for docs/, HTML to serve.

Both come from one model (`terms()`), so the page and the file never disagree.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.jsonld import PREFIXES
from kg.ontology import examples_dir, ontology_path
from kg.terms import NS, ONTOLOGY_IRI

ALIGNMENTS = {
    RDFS.subClassOf: "subclass of",
    RDFS.subPropertyOf: "subproperty of",
    OWL.inverseOf: "inverse of",
    SKOS.closeMatch: "close match",
}


@dataclass
class Term:
    local: str
    iri: str
    kind: str
    label: str
    comment: str
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    aligned: list[tuple[str, str]] = field(default_factory=list)
    example: str | None = None
    deprecated: bool = False


def curie(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return f"<{iri}>"


@cache
def _graph() -> rdflib.Graph:
    return rdflib.Graph().parse(ontology_path(), format="turtle")


def version() -> str:
    return str(_graph().value(rdflib.URIRef(ONTOLOGY_IRI), OWL.versionInfo))


def notes() -> list[str]:
    """The ontology's version notes (skos:changeNote), newest first."""
    return sorted((str(o) for o in _graph().objects(rdflib.URIRef(ONTOLOGY_IRI), SKOS.changeNote)), reverse=True)


def terms() -> list[Term]:
    """Every class, then every property, of the ontology, with an example from the example graph."""
    g = _graph()
    examples = _examples()
    out: list[Term] = []
    kinds = ((OWL.Class, "class"), (OWL.ObjectProperty, "object property"), (OWL.DatatypeProperty, "datatype property"))
    for rdf_kind, kind in kinds:
        for s in sorted({s for s in g.subjects(RDF.type, rdf_kind) if str(s).startswith(NS)}, key=str):
            iri = str(s)
            out.append(
                Term(
                    local=iri[len(NS) :],
                    iri=iri,
                    kind=kind,
                    label=str(g.value(s, RDFS.label)),
                    comment=str(g.value(s, RDFS.comment)),
                    domain=sorted(curie(str(o)) for o in g.objects(s, RDFS.domain)),
                    range=sorted(curie(str(o)) for o in g.objects(s, RDFS.range)),
                    aligned=sorted((name, curie(str(o))) for p, name in ALIGNMENTS.items() for o in g.objects(s, p)),
                    example=examples.get(iri),
                    deprecated=bool(g.value(s, OWL.deprecated)),
                )
            )
    return out


@cache
def _examples() -> dict[str, str]:
    """Term IRI -> one triple of the example graph that uses it, in Turtle with prefixes (the
    example built as `kg build` builds it, so the identity graph's terms have examples too)."""
    import tempfile

    from kg.build import build
    from kg.store import StoreDir

    with tempfile.TemporaryDirectory(prefix="kg-ontodoc-") as tmp:
        build([examples_dir() / "arrow-liyuan-liu"], Path(tmp) / "store", kind="rows", strict=True, optimize=False)
        store = StoreDir(Path(tmp) / "store").open()
        found: dict[str, str] = {}
        for q in sorted(store, key=lambda q: (q.predicate.value, q.subject.value, str(q.object))):
            key = q.object.value if q.predicate.value.endswith("#type") else q.predicate.value
            if key.startswith(NS) and key not in found and q.graph_name != ox.NamedNode(ONTOLOGY_IRI):
                found[key] = f"{_short(q.subject)} {_short(q.predicate)} {_short(q.object)} ."
        del store
    return found


def _short(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        if term.value == str(RDF.type):
            return "a"
        short = curie(term.value)
        return short if not short.startswith("<") else f"<{term.value}>"
    return str(term)


def _mermaid(items: list[Term]) -> list[str]:
    classes = [t for t in items if t.kind == "class"]
    lines = ["```mermaid", "classDiagram"]
    for c in classes:
        lines.append(f"  class {c.local}")
    for t in items:
        if t.kind == "object property" and t.domain and t.range:
            for d in t.domain:
                for r in t.range:
                    if d.startswith("kg:") and r.startswith("kg:"):
                        lines.append(f"  {d[3:]} --> {r[3:]} : {t.local}")
    lines.append("```")
    return lines


def markdown() -> str:
    items = terms()
    out = [
        f"# The kg ontology, version {version()}",
        "",
        "<!-- Generated from ontology/kg.ttl by `kg docs`; do not edit by hand. -->",
        "",
        f"Namespace `{NS}` (prefix `kg:`), ontology IRI `{ONTOLOGY_IRI}`. Alignments use",
        "`rdfs:subClassOf`/`rdfs:subPropertyOf` where every kg statement is also true in the other",
        "vocabulary and `skos:closeMatch` where the meaning is only near. Examples come from the",
        "example graph (`examples/arrow-liyuan-liu`, base IRI `http://localhost:7878/`).",
        "",
        "## Version notes",
        "",
        *(f"- {n}" for n in notes()),
        "",
        "## Classes",
        "",
        *_mermaid(items),
        "",
    ]
    for kind, heading in (
        ("class", None),
        ("object property", "## Object properties"),
        ("datatype property", "## Datatype properties"),
    ):
        if heading:
            out += [heading, ""]
        for t in (t for t in items if t.kind == kind):
            out += [
                f"### kg:{t.local}" + (" (deprecated)" if t.deprecated else ""),
                "",
                f"**{t.label}**: {t.comment}",
                "",
            ]
            if t.domain:
                out.append(f"- domain: {', '.join(f'`{d}`' for d in t.domain)}")
            if t.range:
                out.append(f"- range: {', '.join(f'`{r}`' for r in t.range)}")
            for name, other in t.aligned:
                out.append(f"- {name} `{other}`")
            out.append(f"- example: `{t.example}`" if t.example else "- example: none in the example graph")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _svg(items: list[Term]) -> str:
    classes = [t.local for t in items if t.kind == "class"]
    width, box, gap = 150, 34, 60
    pos = {c: (20 + i * (width + gap), 40) for i, c in enumerate(classes)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{20 + len(classes) * (width + gap)}" height="330"'
        ' role="img" aria-label="classes of the kg ontology" font-family="sans-serif" font-size="12">'
    ]
    edges = [
        (d[3:], r[3:], t.local)
        for t in items
        if t.kind == "object property"
        for d in t.domain
        for r in t.range
        if d.startswith("kg:") and r.startswith("kg:")
    ]
    for i, (src, dst, label) in enumerate(edges):
        x1 = pos[src][0] + width // 2
        x2 = pos[dst][0] + width // 2
        y = 100 + i * 16
        parts.append(f'<path d="M{x1},{40 + box} V{y} H{x2} V{40 + box}" fill="none" stroke="#888"/>')
        parts.append(f'<text x="{min(x1, x2) + 4}" y="{y - 3}" fill="#555">{html.escape(label)}</text>')
    for c, (x, y) in pos.items():
        parts.append(f'<rect x="{x}" y="{y}" width="{width}" height="{box}" rx="4" fill="#eef" stroke="#336"/>')
        parts.append(f'<text x="{x + width // 2}" y="{y + 21}" text-anchor="middle">kg:{html.escape(c)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def page() -> str:
    """The ontology as one HTML page, every value escaped."""
    items = terms()
    e = html.escape
    body = [
        f"<h1>The kg ontology <small>version {e(version())}</small></h1>",
        f"<p>Namespace <code>{e(NS)}</code> (prefix <code>kg:</code>). Also as "
        '<a href="?format=ttl">Turtle</a> and <a href="?format=jsonld">JSON-LD</a>.</p>',
        "<h2>Version notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in notes()) + "</ul>",
        _svg(items),
    ]
    for t in items:
        rows = [f"<dt>kind</dt><dd>{e(t.kind)}</dd>"]
        rows += [f"<dt>domain</dt><dd><code>{e(d)}</code></dd>" for d in t.domain]
        rows += [f"<dt>range</dt><dd><code>{e(r)}</code></dd>" for r in t.range]
        rows += [f"<dt>{e(name)}</dt><dd><code>{e(o)}</code></dd>" for name, o in t.aligned]
        rows.append(f"<dt>example</dt><dd><code>{e(t.example)}</code></dd>" if t.example else "")
        body.append(
            f'<section id="{e(t.local)}"><h2>kg:{e(t.local)}</h2><p><strong>{e(t.label)}</strong>: {e(t.comment)}</p>'
            f"<dl>{''.join(rows)}</dl></section>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>kg ontology</title>'
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}dt{font-weight:bold}"
        "section{border-top:1px solid #ddd}</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )


def write_markdown(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(), encoding="utf-8")
