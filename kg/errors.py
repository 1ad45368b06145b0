"""The errors the library raises; the CLI turns them into messages and exit codes."""

from __future__ import annotations


class KgError(Exception):
    """Any error the user can act on; the message names the file, line, parameter or query."""


class InputError(KgError):
    """An input that cannot be read at all (missing table, unreadable file, bad header)."""


class BadRowError(KgError):
    """A malformed row under --strict: the build fails and nothing is changed."""


class StoreError(KgError):
    """A store directory that is missing, locked or not a kg store."""


class StoreBusy(StoreError):
    """A store another build is writing (its lock is held)."""


class QueryError(KgError):
    """A SPARQL query that does not parse, or a parameter that cannot be bound."""


class ParameterError(QueryError):
    """A query parameter that is missing or cannot be bound: the caller's value, not the query (exit 2)."""


class PageNotFound(QueryError):
    """A page past the last one of a paged answer (HTTP 404, not 400)."""
