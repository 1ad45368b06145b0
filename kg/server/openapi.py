"""The OpenAPI 3.1 description of the web API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from kg.version import __version__


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


_NODE = {"type": "object", "required": ["iri", "name"],
         "properties": {"iri": {"type": "string"}, "name": {"type": "string"}}}
_COUNTED = {"type": "object", "properties": {"iri": {"type": "string"}, "name": {"type": "string"},
                                              "papers": {"type": "integer"}}}
_PAPER = {"type": "object", "properties": {"iri": {"type": "string"}, "title": _nullable("string"),
                                         "year": _nullable("integer"), "venue": _nullable("string"),
                                         "venue_iri": _nullable("string"), "doi": _nullable("string")}}
_LINK = {"type": "object", "properties": {"papers": {"type": "array", "items": _PAPER}}}
_CHAIN = {"type": "object", "properties": {"nodes": {"type": "array", "items": _ref("Node")},
                                         "links": {"type": "array", "items": _LINK}}}
_CANDIDATE = {"type": "object", "properties": {"iri": {"type": "string"}, "name": {"type": "string"},
                                               "papers": _nullable("integer"), "first_year": _nullable("integer"),
                                               "last_year": _nullable("integer")}}
_ROW = "An author row: its IRI, or its id as the pages show it (the IRI's last segment)."
_STATUS = ("applied; conflict (not applied: it contradicts a newer correction, or joins two rows of one paper); "
           "vanished (a row is no longer in the store); apart (its rows are in two name clusters); "
           "not applied yet; undone; superseded.")
SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"],
              "properties": {"error": {"type": "string"},
                             "candidates": {"type": "array", "items": _CANDIDATE,
                                            "description": "An ambiguous end's author rows, to choose from."},
                             "end": {"type": "string", "enum": ["A", "B"],
                                     "description": "Which end was ambiguous: A (from) or B (to)."}}},
    "Node": _NODE,
    "Cluster": {
        "type": "object",
        "required": ["name", "key", "loose", "papers", "rows", "paper_count", "page", "page_size", "pages", "next"],
        "properties": {
            "name": {"type": "string"}, "key": {"type": "string"}, "loose": {"type": "boolean"},
            "paper_count": {"type": "integer", "description": "Papers of the whole cluster (every page)."},
            "page": {"type": "integer"}, "page_size": {"type": "integer"}, "pages": {"type": "integer"},
            "next": {**_nullable("string"), "description": "The URL of the next page; null on the last one."},
            "years": {"type": "array", "description": "Papers per year of the whole cluster (year null: none).",
                      "items": {"type": "object", "properties": {"year": _nullable("integer"),
                                                                 "papers": {"type": "integer"}}}},
            "papers": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "iri": {"type": "string"}, "title": _nullable("string"), "year": _nullable("integer"),
                    "venue": _nullable("string"), "type": _nullable("string"), "abstract": _nullable("string"),
                    "authors_truncated": {"type": "boolean"},
                    "venue_iri": _nullable("string"), "doi": _nullable("string"),
                    "authors": {"type": "array", "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "iri": {"type": "string"}, "position": {"type": "integer"}}}},
                    "rows": {"type": "array", "items": {"type": "string"}},
                }}},
            "persons": {"type": "array", "description": "Probable persons (kg.identity): every row in exactly one.",
                        "items": {"type": "object", "properties": {
                            "rows": {"type": "array", "items": {"type": "string"}}, "papers": {"type": "integer"},
                            "evidence": {"type": "array", "items": {"type": "string"}}, "iri": _nullable("string")}}},
            "pairs": {"type": ["array", "null"], "description": "With pairs=true: every pair of rows (up to 50 rows).",
                      "items": {"type": "object", "properties": {
                          "rows": {"type": "array", "items": {"type": "string"}},
                          "verdict": {"enum": ["same", "distinct", "unsure"]}, "score": _nullable("number"),
                          "reasons": {"type": "array", "items": {"type": "string"}}}}},
            "suggestions": {"type": "array", "description": (
                "Rows of other name clusters that are probably one of this cluster's persons under another "
                "spelling (initials, diacritics, order, a middle name), best first: suggestions, never merged."),
                "items": {"type": "object", "properties": {
                    "row": {"type": "string"}, "name": {"type": "string"}, "like": {"type": "string"},
                    "verdict": {"enum": ["same", "distinct", "unsure"]}, "score": {"type": "number"},
                    "reasons": {"type": "array", "items": {"type": "string"}}}}},
            "rows": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "iri": {"type": "string"}, "name": {"type": "string"}, "paper_count": {"type": "integer"},
                    "first_year": _nullable("integer"), "last_year": _nullable("integer"),
                    "top_venues": {"type": "array", "items": _COUNTED},
                    "top_coauthors": {"type": "array", "items": _COUNTED},
                }}},
        },
    },
    "Paths": {
        "type": "object", "required": ["from", "to", "by", "max_hops", "status", "distance", "paths", "capped"],
        "properties": {
            "from": _ref("Node"), "to": _ref("Node"), "by": {"enum": ["author", "cluster"]},
            "max_hops": {"type": "integer"},
            "status": {"enum": ["found", "not-connected", "beyond-max-hops", "timeout", "too-large"]},
            "distance": _nullable("integer"), "capped": {"type": "boolean"},
            "paths": {"type": "array", "items": _CHAIN},
            "avoid": {"type": "array", "items": _ref("Node")}, "strongest": {"type": "boolean"},
            "alternatives": _nullable("integer"),
            "stopped": {"enum": [None, "timeout", "too-large"],
                        "description": "The budget that ended the search for more alternatives, if one did."},
        },
    },
    "Reach": {
        "type": "object", "required": ["author", "by", "max_hops", "status", "counts", "capped"],
        "properties": {
            "author": _ref("Node"), "by": {"enum": ["author", "cluster"]}, "max_hops": {"type": "integer"},
            "status": {"enum": ["complete", "beyond-max-hops", "timeout", "too-large"]},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"},
                       "description": "Distance (\"1\", \"2\", …) -> the number of authors at it."},
            "capped": {"type": "boolean"}, "at": {"type": "integer"}, "total": {"type": "integer"},
            "offset": {"type": "integer"}, "limit": {"type": "integer"},
            "authors": {"type": "array", "items": _ref("Node")},
        },
    },
    "Coauthors": {"type": "object", "required": ["author", "coauthors"],
                  "properties": {"author": _ref("Node"), "coauthors": {"type": "array", "items": _COUNTED}}},
    "Stats": {"type": "object", "properties": {k: {"type": "integer"} for k in
                                               ("papers", "authors", "venues", "authorships", "clusters", "triples")}},
    "Suggestion": {
        "type": "object", "required": ["kind", "iri", "label"],
        "description": "A name cluster (kind name: rows, papers, first, last, venue, persons) or a paper (kind "
                       "paper: year, venue, authors, author_count, matched, snippet). Facts not known are left out.",
        "properties": {
            "kind": {"enum": ["name", "paper"]}, "iri": {"type": "string"},
            "label": {"type": "string", "description": "The cluster's name, or the paper's title."},
            "rows": {"type": "integer"}, "papers": {"type": "integer"},
            "first": {"type": "integer"}, "last": {"type": "integer", "description": "Years of the cluster's papers."},
            "venue": {"type": "string", "description": "The cluster's top venue, or the paper's."},
            "persons": {"type": "integer", "description": "Probable persons in the cluster (kg.identity)."},
            "year": {"type": "integer"}, "authors": {"type": "array", "items": {"type": "string"},
                                                     "description": "The paper's first three authors."},
            "author_count": {"type": "integer"},
            "matched": {"enum": ["title", "abstract"],
                        "description": "A paper's: where the typed words are; `abstract` when its title lacks one "
                                       "(such papers come after every title match)."},
            "snippet": {"type": "string", "description": "Matched by its abstract: the abstract around the first "
                                                         "word matched (of its first 200 words, which are indexed)."}}},
    "Suggestions": {
        "type": "object", "required": ["q", "kind", "limit", "results"],
        "properties": {"q": {"type": "string"}, "kind": {"enum": ["name", "paper", "all"]},
                       "limit": {"type": "integer"}, "results": {"type": "array", "items": _ref("Suggestion")}}},
    "SearchPage": {
        "type": "object", "required": ["q", "kind", "limit", "page", "results", "next"],
        "properties": {"q": {"type": "string"}, "kind": {"enum": ["name", "paper", "all"]},
                       "limit": {"type": "integer"}, "page": {"type": "integer"},
                       "results": {"type": "array", "items": _ref("Suggestion")},
                       "next": {**_nullable("string"), "description": "The URL of the next page; null on the last."}}},
    "NewCuration": {
        "type": "object", "required": ["verdict", "a", "b", "why", "by"],
        "properties": {
            "verdict": {"enum": ["same", "distinct"], "description": "same: one person; distinct: two people."},
            "a": {"type": "string", "description": _ROW}, "b": {"type": "string", "description": _ROW},
            "why": {"type": "string", "maxLength": 2000, "description": "Why, in words: kept with the correction."},
            "by": {"type": "string", "maxLength": 2000, "description": "Who makes it."}}},
    "Curation": {
        "type": "object", "required": ["id", "verdict", "rows", "why", "by", "at", "status"],
        "properties": {
            "id": {"type": "integer"}, "verdict": {"enum": ["same", "distinct"]},
            "rows": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
            "why": {"type": "string"}, "by": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "undone": {"type": ["object", "null"], "description": "When undone: by, at (and superseded_by)."},
            "status": {"type": "string", "description": _STATUS},
            "note": {"type": "string", "description": "Why it was not applied, when it was not."}}},
}

_FORMAT = {"name": "format", "in": "query", "required": False, "schema": {"enum": ["json", "csv"]},
           "description": "json (default) or csv; overrides Accept (application/json, text/csv)."}


_SEARCH: list[dict[str, Any]] = [
    {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 1000},
     "description": "The text typed: a name or words of a title (no control characters). Only its letters and "
                    "digits are searched (no query syntax); a text with none has no results."},
    {"name": "kind", "in": "query", "schema": {"enum": ["name", "paper", "all"], "default": "all"}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}},
]


MOVED = {"description": "An author given by a merged id: the same request with its survivor (Location)",
         "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}}}


def _responses(schema: str, *, not_found: str | None = None, moved: bool = False) -> dict[str, Any]:
    error = {"application/json": {"schema": _ref("Error")}}
    out: dict[str, Any] = {
        "200": {"description": "OK (ETag and Last-Modified from the store's build; 304 on a match)",
                "content": {"application/json": {"schema": _ref(schema)}, "text/csv": {"schema": {"type": "string"}}}},
        "304": {"description": "Not modified since the build named by If-None-Match / If-Modified-Since"},
        "400": {"description": "A bad parameter; the message says which", "content": error},
        "503": {"description": "Past --timeout, or every worker busy (Retry-After)"},
    }
    if not_found:
        out["404"] = {"description": not_found, "content": error}
    if moved:
        out["301"] = MOVED
    return out


def spec() -> dict[str, Any]:
    author = "An author IRI, author id (kg:sourceId) or exact name."
    return {
        "openapi": "3.1.0",
        "info": {"title": "kg web API", "version": __version__,
                 "description": "Name clusters, co-authorship paths, co-authors and counts of a kg store. "
                                "The JSON has the same shape as the CLI's --format json."},
        "paths": {
            "/api/clusters/{name}": {"get": {
                "summary": "One page of the name cluster of NAME (kg cluster); an unknown name is an empty cluster. "
                           "`papers` holds the page's papers, newest first; `rows`, `paper_count` and `years` "
                           "describe the whole cluster",
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 1000}},
                    {"name": "loose", "in": "query", "schema": {"type": "boolean"},
                     "description": "Match the loose name key (diacritics and punctuation folded)."},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                    {"name": "page_size", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
                    {"name": "pairs", "in": "query", "schema": {"type": "boolean"},
                     "description": "Add the pairwise identity verdicts (clusters of up to 50 rows)."},
                    _FORMAT],
                "responses": _responses("Cluster", not_found="A page past the last one")}},
            "/api/paths": {"get": {
                "summary": "The shortest co-authorship chain between two authors (kg path)",
                "parameters": [
                    {"name": "from", "in": "query", "required": True, "schema": {"type": "string"},
                     "description": author},
                    {"name": "to", "in": "query", "required": True, "schema": {"type": "string"},
                     "description": author},
                    {"name": "by", "in": "query", "schema": {"enum": ["author", "cluster"], "default": "author"}},
                    {"name": "max_hops", "in": "query",
                     "schema": {"type": "integer", "minimum": 0, "maximum": 12, "default": 6}},
                    {"name": "all", "in": "query", "schema": {"type": "boolean", "default": False}},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
                    {"name": "avoid", "in": "query", "style": "form", "explode": True,
                     "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
                     "description": "Repeatable: a chain through none of these (given as the ends are)."},
                    {"name": "strongest", "in": "query", "schema": {"type": "boolean", "default": False},
                     "description": "Among the shortest chains, the one whose weakest link has most joint papers."},
                    {"name": "alternatives", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 20},
                     "description": "The K shortest simple chains, by length then IRI order (not with all)."},
                    _FORMAT],
                "responses": _responses("Paths", not_found="An end names no author row", moved=True)}},
            "/api/reach/{author}": {"get": {
                "summary": "How many authors are at each co-authorship distance from AUTHOR (kg reach)",
                "parameters": [
                    {"name": "author", "in": "path", "required": True, "schema": {"type": "string"},
                     "description": author},
                    {"name": "by", "in": "query", "schema": {"enum": ["author", "cluster"], "default": "author"}},
                    {"name": "max_hops", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 12},
                     "description": "Count up to this distance (default 4, or `at` if farther)."},
                    {"name": "at", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 12},
                     "description": "List the authors at this distance, in IRI order (paged)."},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
                    _FORMAT],
                "responses": _responses("Reach", not_found="No author row answers to AUTHOR", moved=True)}},
            "/api/coauthors/{author}": {"get": {
                "summary": "An author row's co-authors with their joint-paper counts (kg coauthors)",
                "parameters": [
                    {"name": "author", "in": "path", "required": True, "schema": {"type": "string"},
                     "description": author},
                    _FORMAT],
                "responses": _responses("Coauthors", not_found="No author row answers to AUTHOR", moved=True)}},
            "/api/stats": {"get": {
                "summary": "The store's counts (kg stats)", "parameters": [_FORMAT],
                "responses": _responses("Stats")}},
            "/api/suggest": {"get": {
                "summary": "Suggestions for what is typed so far: name clusters, then paper titles (kg search). "
                           "Any case, with or without diacritics (ü also as ue), any word order, initials, "
                           "prefixes of words; CJK by characters",
                "parameters": [*_SEARCH, _FORMAT],
                "responses": _responses("Suggestions")}},
            "/api/search": {"get": {
                "summary": "A page of the search results (kg search --page): as /api/suggest, paged, with `next` "
                           "and a Link header",
                "parameters": [*_SEARCH, {"name": "page", "in": "query",
                                          "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 1}},
                               _FORMAT],
                "responses": _responses("SearchPage")}},
            **_curations(),
        },
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "updateToken": {"type": "http", "scheme": "bearer",
                            "description": "kg serve --update-token TOKEN (as for SPARQL Update)"}}},
    }


def _curations() -> dict[str, Any]:
    """/api/curations: corrections by hand (kg curate); changing them needs the update token."""
    error = {"application/json": {"schema": _ref("Error")}}
    one = {"application/json": {"schema": _ref("Curation")}}
    token = {"401": {"description": "No bearer token (WWW-Authenticate: Bearer)", "content": error},
             "403": {"description": "A wrong token, or updates are off (kg serve --update-token)", "content": error},
             "409": {"description": "The store cannot be changed now", "content": error}}
    secured: list[dict[str, list[str]]] = [{"updateToken": []}]
    return {
        "/api/curations": {
            "get": {
                "summary": "The corrections by hand and what the store did with each (kg curate list); RDF "
                           "(who, when, why: PROV-O, DCTerms) by Accept or format=ttl|nt|jsonld|rdfxml",
                "parameters": [{"name": "all", "in": "query", "schema": {"type": "boolean"},
                                "description": "Undone and superseded corrections too."},
                               {"name": "format", "in": "query",
                                "schema": {"enum": ["json", "ttl", "nt", "jsonld", "rdfxml"]}}],
                "responses": {"200": {"description": "OK", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "curations": {"type": "array", "items": _ref("Curation")}}}},
                    "text/turtle": {"schema": {"type": "string"}}}}}},
            "post": {
                "summary": "Say that two rows are one person or two (kg curate same|distinct); applied at once",
                "security": secured,
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": _ref("NewCuration")}}},
                "responses": {"201": {"description": "Recorded (and applied: status)", "content": one},
                              "400": {"description": "A bad field; `param` names it", "content": error},
                              "415": {"description": "Not JSON", "content": error}, **token}}},
        "/api/curations/{id}": {
            "get": {
                "summary": "One correction (undone ones too) and what the store did with it, as listed",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "OK", "content": one},
                              "400": {"description": "Not a correction number", "content": error},
                              "404": {"description": "No such correction", "content": error}}},
            "delete": {
                "summary": "Undo a correction (kg curate undo); it stays in the log, marked undone",
                "security": secured,
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                               {"name": "by", "in": "query", "required": True, "schema": {"type": "string"},
                                "description": "Who undoes it."}],
                "responses": {"200": {"description": "Undone", "content": one},
                              "400": {"description": "A bad parameter", "content": error},
                              "404": {"description": "No such correction", "content": error}, **token}}},
    }
