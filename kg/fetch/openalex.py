"""`kg fetch openalex`: works matching a filter, by cursor paging, one API page per file.

`--since` adds OpenAlex's `from_updated_date` filter, which OpenAlex serves only with an API key
(the `api_key` parameter); the directory's .fetch-state.json is then the watermark of the fetch
(see kg.fetch.paging).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kg.fetch.http import Client, FetchError
from kg.fetch.paging import STATE, Api, Fetched, Page, fetch_pages
from kg.fetch.since import Since, iso

DEFAULT_BASE_URL = "https://api.openalex.org"
API_KEY_ENV = "OPENALEX_API_KEY"

__all__ = ["API_KEY_ENV", "DEFAULT_BASE_URL", "STATE", "Fetched", "fetch_works", "query_for"]


def query_for(filter: str | None, search: str | None, since: Since | None) -> dict[str, str]:
    """The query parameters of a fetch: `since` joins the filter as from_updated_date (AND)."""
    parts = [p for p in (filter, f"from_updated_date:{iso(since)}" if since else None) if p]
    return {k: v for k, v in (("filter", ",".join(parts)), ("search", search)) if v}


def fetch_works(
    client: Client,
    out: Path,
    *,
    filter: str | None = None,
    search: str | None = None,
    since: Since | None = None,
    api_key: str | None = None,
    per_page: int = 200,
    max_pages: int | None = None,
) -> Fetched:
    """Fetch (or go on fetching) the works of a query into `out`; returns what this run added."""
    unrecorded: dict[str, Any] = {"per-page": per_page}
    if client.mailto:
        unrecorded["mailto"] = client.mailto  # the polite pool
    if api_key:
        unrecorded["api_key"] = api_key

    def explain(e: FetchError) -> FetchError:
        return _key_error(e, since, bool(api_key))

    api = Api("openalex", "/works", _page, lambda work: work.get("updated_date") if isinstance(work, dict) else None,
              fresh_cursors=True)
    return fetch_pages(client, out, api, query_for(filter, search, since), since=since, unrecorded=unrecorded,
                       max_pages=max_pages, on_error=explain)


def _key_error(e: FetchError, since: Since | None, keyed: bool) -> FetchError:
    """OpenAlex's refusal of a key, or of --since without one, said in the options' words."""
    text = e.body.lower()
    about_key = e.status == 401 or any(w in text for w in ("api key", "api_key", "plan upgrade", "premium"))
    if not about_key or e.status is None or not 400 <= e.status < 500:
        return e
    if keyed:
        return FetchError(f"OpenAlex refused the API key (--api-key or ${API_KEY_ENV}): {e}", e.status, e.body)
    need = "--since (the from_updated_date filter)" if since else "this query"
    return FetchError(f"OpenAlex needs an API key for {need}: give --api-key or set ${API_KEY_ENV} ({e})",
                      e.status, e.body)


def _page(body: bytes, url: str) -> Page:
    try:
        page = json.loads(body)
    except ValueError as e:
        raise FetchError(f"GET {url}: the answer is not JSON: {e}") from e
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        raise FetchError(f"GET {url}: the answer is not an OpenAlex page (no 'results' list)")
    meta = page.get("meta")
    if not isinstance(meta, dict):
        meta = {}
    return Page(page["results"], meta.get("next_cursor"), meta.get("count"))
