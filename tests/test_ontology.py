"""The ontology file, the closed term list, the JSON-LD context and the queries agree."""

from __future__ import annotations

import json
import re

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from kg.jsonld import build_context
from kg.ontology import context_path, ontology_path, queries_dir
from kg.terms import KG, NS, ONTOLOGY_IRI, all_terms


def _graph() -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(ontology_path(), format="turtle")
    return g


def test_every_term_in_the_code_is_defined_with_label_and_comment() -> None:
    g = _graph()
    for local, iri in all_terms().items():
        term = rdflib.URIRef(iri)
        assert (term, RDF.type, None) in g, f"kg:{local} is used by the code but not defined in kg.ttl"
        assert g.value(term, RDFS.label), f"kg:{local} has no rdfs:label"
        assert g.value(term, RDFS.comment), f"kg:{local} has no rdfs:comment"


def test_every_term_of_the_ontology_is_known_to_the_code() -> None:
    g = _graph()
    defined = {str(s) for s in g.subjects(RDF.type, None) if str(s).startswith(NS)}
    assert defined == set(all_terms().values())


def test_ontology_is_versioned() -> None:
    g = _graph()
    onto = rdflib.URIRef(ONTOLOGY_IRI)
    assert (onto, RDF.type, OWL.Ontology) in g
    assert g.value(onto, OWL.versionInfo) and g.value(onto, OWL.versionIRI)


def test_misspelled_term_raises() -> None:
    with pytest.raises(AttributeError, match="titel"):
        KG.titel  # noqa: B018


def test_every_term_used_by_the_queries_exists() -> None:
    known = set(all_terms())
    for path in queries_dir().glob("*.rq"):
        used = set(re.findall(r"\bkg:([A-Za-z]+)", path.read_text(encoding="utf-8")))
        assert used <= known, f"{path.name} uses unknown terms {used - known}"


def test_context_file_is_generated_from_the_ontology() -> None:
    assert json.loads(context_path().read_text(encoding="utf-8")) == build_context(), (
        "ontology/context.jsonld is stale: regenerate it with kg.jsonld.build_context()"
    )


def test_alignment_claims_no_identity_and_no_skos_concepts() -> None:
    """0.2.0: no kg term makes an author row the same as its source's person, or a SKOS concept;
    kg:Paper (books and theses too) is a schema:CreativeWork, not a schema:ScholarlyArticle."""
    g = _graph()
    schema, skos = rdflib.Namespace("https://schema.org/"), rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    claimed = {o for s in g.subjects() if str(s).startswith(NS) for o in g.objects(s, RDFS.subPropertyOf)}
    assert not claimed & {schema.sameAs, OWL.sameAs, skos.member, skos.exactMatch}
    paper = rdflib.URIRef(KG.Paper)
    assert (paper, RDFS.subClassOf, schema.CreativeWork) in g
    assert (paper, RDFS.subClassOf, schema.ScholarlyArticle) not in g
    notes = [str(n) for n in g.objects(rdflib.URIRef(ONTOLOGY_IRI), skos.changeNote)]
    assert any(n.startswith(str(g.value(rdflib.URIRef(ONTOLOGY_IRI), OWL.versionInfo)) + ":") for n in notes)
