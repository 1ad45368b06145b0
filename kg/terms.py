"""Ontology terms as IRI strings. The namespace is closed: a misspelled term raises."""

from __future__ import annotations

from typing import Final

ONTOLOGY_IRI: Final = "https://w3id.org/scholarly-kg/ontology"
NS: Final = ONTOLOGY_IRI + "#"

RDF_TYPE: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL: Final = "http://www.w3.org/2000/01/rdf-schema#label"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING: Final = XSD + "string"
XSD_GYEAR: Final = XSD + "gYear"
XSD_BOOLEAN: Final = XSD + "boolean"
XSD_INTEGER: Final = XSD + "integer"
OWL_SAME_AS: Final = "http://www.w3.org/2002/07/owl#sameAs"


class _Closed(type):
    def __getattr__(cls, name: str) -> str:
        raise AttributeError(f"kg ontology has no term {name!r}")


class KG(metaclass=_Closed):
    """Every term of ontology/kg.ttl; tests check this list against the file."""

    Paper: Final = NS + "Paper"
    AuthorRow: Final = NS + "AuthorRow"
    Venue: Final = NS + "Venue"
    Authorship: Final = NS + "Authorship"
    NameCluster: Final = NS + "NameCluster"
    Institution: Final = NS + "Institution"

    title: Final = NS + "title"
    year: Final = NS + "year"
    publishedIn: Final = NS + "publishedIn"
    publicationType: Final = NS + "publicationType"
    abstract: Final = NS + "abstract"
    doi: Final = NS + "doi"
    url: Final = NS + "url"
    authorsTruncated: Final = NS + "authorsTruncated"
    author: Final = NS + "author"
    hasAuthorship: Final = NS + "hasAuthorship"

    paper: Final = NS + "paper"
    authorRow: Final = NS + "authorRow"
    position: Final = NS + "position"
    nameAsPrinted: Final = NS + "nameAsPrinted"
    affiliation: Final = NS + "affiliation"
    affiliationText: Final = NS + "affiliationText"
    ror: Final = NS + "ror"
    countryCode: Final = NS + "countryCode"
    cites: Final = NS + "cites"

    name: Final = NS + "name"
    nameVariant: Final = NS + "nameVariant"
    orcid: Final = NS + "orcid"
    dblpPerson: Final = NS + "dblpPerson"
    openalexAuthor: Final = NS + "openalexAuthor"
    nameKey: Final = NS + "nameKey"
    looseNameKey: Final = NS + "looseNameKey"
    inCluster: Final = NS + "inCluster"
    hasMember: Final = NS + "hasMember"

    ProbablePerson: Final = NS + "ProbablePerson"
    IdentityVerdict: Final = NS + "IdentityVerdict"
    VariantSuggestion: Final = NS + "VariantSuggestion"
    probablePerson: Final = NS + "probablePerson"
    paperCount: Final = NS + "paperCount"
    personCount: Final = NS + "personCount"
    evidence: Final = NS + "evidence"
    comparedRow: Final = NS + "comparedRow"
    verdict: Final = NS + "verdict"
    score: Final = NS + "score"
    reason: Final = NS + "reason"
    Curation: Final = NS + "Curation"
    curationStatus: Final = NS + "curationStatus"

    venueKind: Final = NS + "venueKind"
    fullName: Final = NS + "fullName"
    issn: Final = NS + "issn"

    sourceId: Final = NS + "sourceId"


def all_terms() -> dict[str, str]:
    """Local name -> IRI for every term of the namespace."""
    return {k: v for k, v in vars(KG).items() if isinstance(v, str) and v.startswith(NS)}
