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
_PAPER = {"type": "object", "properties": {"iri": {"type": "string"}, "title": {"type": "string"},
                                         "year": _nullable("integer"), "venue": _nullable("string")}}
_LINK = {"type": "object", "properties": {"papers": {"type": "array", "items": _PAPER}}}
_CHAIN = {"type": "object", "properties": {"nodes": {"type": "array", "items": _ref("Node")},
                                         "links": {"type": "array", "items": _LINK}}}
SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"],
              "properties": {"error": {"type": "string"}, "candidates": {"type": "array", "items": _NODE}}},
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
}

_FORMAT = {"name": "format", "in": "query", "required": False, "schema": {"enum": ["json", "csv"]},
           "description": "json (default) or csv; overrides Accept (application/json, text/csv)."}


def _responses(schema: str, *, not_found: str | None = None) -> dict[str, Any]:
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
                "responses": _responses("Paths", not_found="An end names no author row")}},
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
                "responses": _responses("Reach", not_found="No author row answers to AUTHOR")}},
            "/api/coauthors/{author}": {"get": {
                "summary": "An author row's co-authors with their joint-paper counts (kg coauthors)",
                "parameters": [
                    {"name": "author", "in": "path", "required": True, "schema": {"type": "string"},
                     "description": author},
                    _FORMAT],
                "responses": _responses("Coauthors", not_found="No author row answers to AUTHOR")}},
            "/api/stats": {"get": {
                "summary": "The store's counts (kg stats)", "parameters": [_FORMAT],
                "responses": _responses("Stats")}},
        },
        "components": {"schemas": SCHEMAS},
    }
