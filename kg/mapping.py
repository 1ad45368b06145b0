"""Records -> N-Quads lines of one named graph. Deterministic: the same records give the same lines."""

from __future__ import annotations

from collections.abc import Iterator

from kg.iris import Minter, dblp_iri, doi_iri, openalex_iri, orcid_iri, ror_iri
from kg.names import loose_key, name_key, strip_homonym
from kg.nquads import iri, literal, typed
from kg.records import (
    Affiliation,
    Author,
    AuthorDetail,
    Authorship,
    Citation,
    Merge,
    Paper,
    Record,
    Venue,
    VenueDetail,
)
from kg.terms import KG, OWL_SAME_AS, RDF_TYPE, RDFS_LABEL, XSD_BOOLEAN, XSD_GYEAR, XSD_INTEGER

_TYPE = iri(RDF_TYPE)
_LABEL = iri(RDFS_LABEL)
_SAME_AS = iri(OWL_SAME_AS)
_P = {name: iri(value) for name, value in vars(KG).items() if isinstance(value, str) and "#" in value}
_AUTHORSHIP, _PAPER, _AUTHOR_ROW, _POSITION = _P["Authorship"], _P["paper"], _P["authorRow"], _P["position"]
_NAME_AS_PRINTED, _HAS_AUTHORSHIP, _AUTHOR = _P["nameAsPrinted"], _P["hasAuthorship"], _P["author"]
_INTEGER = iri(XSD_INTEGER)


class Mapper:
    """Turns records into N-Quads lines in the graph `graph`; remembers which clusters it has described."""

    def __init__(self, minter: Minter, graph: str) -> None:
        self.minter = minter
        self.graph = iri(graph)
        self._clusters: set[str] = set()
        self._institutions: set[str] = set()

    def lines(self, record: Record) -> Iterator[str]:
        if isinstance(record, Authorship):
            return self._authorship(record)
        if isinstance(record, Paper):
            return self._paper(record)
        if isinstance(record, Author):
            return self._author(record)
        if isinstance(record, AuthorDetail):
            return self._author_detail(record)
        if isinstance(record, Merge):
            return self._merge(record)
        if isinstance(record, Affiliation):
            return self._affiliation(record)
        if isinstance(record, VenueDetail):
            return iter((self._quad(iri(self.minter.venue(record.venue_id)), _P["issn"], literal(record.issn)),))
        if isinstance(record, Citation):
            return iter((self._quad(iri(self.minter.paper(record.paper_id)), _P["cites"],
                                    iri(self.minter.paper(record.cited_id))),))
        return self._venue(record)

    def _affiliation(self, a: Affiliation) -> Iterator[str]:
        ship = iri(self.minter.authorship(a.paper_id, a.position))
        if a.institution_id is None:  # only the text printed on the paper: no institution to name
            yield self._quad(ship, _P["affiliationText"], literal(a.name))
            return
        s = iri(self.minter.institution(a.institution_id))
        yield self._quad(ship, _P["affiliation"], s)
        if a.institution_id in self._institutions:
            return
        self._institutions.add(a.institution_id)
        yield self._quad(s, _TYPE, _P["Institution"])
        yield self._quad(s, _P["sourceId"], literal(a.institution_id))
        yield self._quad(s, _P["name"], literal(a.name))
        if a.ror:
            yield self._quad(s, _P["ror"], iri(ror_iri(a.ror)))
        if a.country:
            yield self._quad(s, _P["countryCode"], literal(a.country))

    def _merge(self, m: Merge) -> Iterator[str]:
        """The merged id's IRI `owl:sameAs` the survivor's, and nothing else: having no rdf:type of its
        own is what makes the server answer it with a redirect (kg.redirects)."""
        mint = {"paper": self.minter.paper, "author": self.minter.author, "venue": self.minter.venue}[m.kind]
        yield self._quad(iri(mint(m.old_id)), _SAME_AS, iri(mint(m.new_id)))

    def _author_detail(self, d: AuthorDetail) -> Iterator[str]:
        s = iri(self.minter.author(d.author_id))
        if d.name_variant:
            yield self._quad(s, _P["nameVariant"], literal(d.name_variant))
        if d.dblp_pid:
            yield self._quad(s, _P["dblpPerson"], iri(dblp_iri(d.dblp_pid)))
        if d.orcid:
            yield self._quad(s, _P["orcid"], iri(orcid_iri(d.orcid)))

    def _quad(self, s: str, p: str, o: str) -> str:
        return f"{s} {p} {o} {self.graph} .\n"

    def _venue(self, v: Venue) -> Iterator[str]:
        s = iri(self.minter.venue(v.id))
        q = self._quad
        yield q(s, _TYPE, _P["Venue"])
        yield q(s, _P["sourceId"], literal(v.id))
        yield q(s, _P["name"], literal(v.name))
        yield q(s, _P["venueKind"], literal(v.kind))
        if v.full_name:
            yield q(s, _P["fullName"], literal(v.full_name))
        for issn in v.issns:
            yield q(s, _P["issn"], literal(issn))

    def _author(self, a: Author) -> Iterator[str]:
        s = iri(self.minter.author(a.id))
        q = self._quad
        key = name_key(a.name)
        cluster = iri(self.minter.cluster(key))
        yield q(s, _TYPE, _P["AuthorRow"])
        yield q(s, _P["sourceId"], literal(a.id))
        yield q(s, _P["name"], literal(a.name))
        yield q(s, _P["nameKey"], literal(key))
        yield q(s, _P["looseNameKey"], literal(loose_key(a.name)))
        yield q(s, _P["inCluster"], cluster)
        if a.orcid:
            yield q(s, _P["orcid"], iri(orcid_iri(a.orcid)))
        if a.dblp_pid:
            yield q(s, _P["dblpPerson"], iri(dblp_iri(a.dblp_pid)))
        if a.openalex_id:
            yield q(s, _P["openalexAuthor"], iri(openalex_iri(a.openalex_id)))
        if key not in self._clusters:
            self._clusters.add(key)
            yield q(cluster, _TYPE, _P["NameCluster"])
            yield q(cluster, _LABEL, literal(strip_homonym(a.name)))
            yield q(cluster, _P["nameKey"], literal(key))
        yield q(cluster, _P["hasMember"], s)

    def _paper(self, p: Paper) -> Iterator[str]:
        s = iri(self.minter.paper(p.id))
        q = self._quad
        yield q(s, _TYPE, _P["Paper"])
        yield q(s, _P["sourceId"], literal(p.id))
        if p.title:
            yield q(s, _P["title"], literal(p.title))
        if p.year is not None:
            yield q(s, _P["year"], typed(f"{p.year:04d}", XSD_GYEAR))
        if p.venue_id:
            yield q(s, _P["publishedIn"], iri(self.minter.venue(p.venue_id)))
        if p.type:
            yield q(s, _P["publicationType"], literal(p.type))
        if p.abstract:
            yield q(s, _P["abstract"], literal(p.abstract))
        if p.doi:
            yield q(s, _P["doi"], iri(doi_iri(p.doi)))
        if p.url:
            yield q(s, _P["url"], iri(p.url))
        if p.authors_truncated:
            yield q(s, _P["authorsTruncated"], typed("true", XSD_BOOLEAN))

    def _authorship(self, a: Authorship) -> Iterator[str]:
        # The most frequent record: its lines are yielded as one string (one f-string, no per-line
        # calls), its IRIs from the paper's and the author row's (kg.iris.Minter remembers them).
        paper_iri = self.minter.paper(a.paper_id)
        s = f"<{paper_iri}/authorship/{a.position}>"
        paper = f"<{paper_iri}>"
        author = f"<{self.minter.author(a.author_id)}>"
        g = self.graph
        printed = f"{s} {_NAME_AS_PRINTED} {literal(a.name_as_printed)} {g} .\n" if a.name_as_printed else ""
        yield (
            f"{s} {_TYPE} {_AUTHORSHIP} {g} .\n"
            f"{s} {_PAPER} {paper} {g} .\n"
            f"{s} {_AUTHOR_ROW} {author} {g} .\n"
            f"{s} {_POSITION} \"{a.position}\"^^{_INTEGER} {g} .\n"
            f"{printed}"
            f"{paper} {_HAS_AUTHORSHIP} {s} {g} .\n"
            f"{paper} {_AUTHOR} {author} {g} .\n"
        )
