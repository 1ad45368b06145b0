"""Identity evidence inside name clusters: which author rows are probably one person, and why.

facts (what a row is known by, collected while mapping), evidence (a pair's score, verdict and
reasons), grouping (probable persons, never joining a distinct pair), compute (every cluster, from
the co-authorship index), curation (corrections by hand, applied over the verdicts; curation_rdf:
as RDF), step (the build step writing the identity graph), read and render (the read side, through
kg.backend.Backend). This package imports none of its modules, so that
kg.adjacency can import kg.identity.facts without a cycle.
"""
