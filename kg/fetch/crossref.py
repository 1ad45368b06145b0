"""`kg fetch crossref`: works by DOI (one `work` message per file), or the works of a filter or query
by cursor paging (one `work-list` page per file), optionally only those indexed since a date."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kg.fetch.files import fetch_missing
from kg.fetch.http import Client, FetchError, shown
from kg.fetch.paging import Api, Fetched, Page, fetch_pages
from kg.fetch.since import Since, as_date
from kg.iris import normalize_doi

DEFAULT_BASE_URL = "https://api.crossref.org"
# DOIs asked for in one filter (doi:A,doi:B,… is an OR): about 40 bytes each keeps the URL short.
MAX_DOIS_PER_QUERY = 100


@dataclass
class FetchedDois:
    works: int = 0
    skipped: int = 0


# File names are at most 255 bytes on the usual file systems; a DOI percent-encoded can be longer
# (Crossref registers DOIs of a few hundred characters). Such a name keeps its start and ends with a
# digest of the whole DOI: still one file per DOI, found again by a rerun.
_MAX_NAME = 200


def file_for(out: Path, doi: str) -> Path:
    name = quote(doi, safe="")
    if len(name) > _MAX_NAME:
        name = name[: _MAX_NAME - 41] + "-" + hashlib.sha1(doi.encode("utf-8")).hexdigest()
    return out / (name + ".json")


def _dois(dois: list[str]) -> list[str]:
    try:
        return [normalize_doi(d) for d in dois]
    except ValueError as e:
        raise FetchError(f"--doi: {e}") from None


def fetch_dois(client: Client, out: Path, dois: list[str]) -> FetchedDois:
    """Fetch each DOI not already in `out` (so a rerun resumes); a 4xx stops with the DOI named."""
    wanted = _dois(dois)
    out.mkdir(parents=True, exist_ok=True)
    params = {"mailto": client.mailto} if client.mailto else None

    def get(doi: str) -> bytes:
        try:
            response = client.get("/works/" + quote(doi, safe="/()._-;:"), params)
            # Checked before it is written: a file in the directory counts as fetched, so an answer that
            # is not a work (a proxy's HTML page, a cut body) would be kept by every rerun and fail the build.
            _message(response.content, shown(response.url), "work")
        except FetchError as e:
            raise FetchError(f"crossref DOI {doi}: {e}") from e
        return response.content

    done = fetch_missing(wanted, lambda doi: file_for(out, doi), get, " works")
    return FetchedDois(works=len(done), skipped=len(wanted) - len(done))


def query_for(filter: str | None, query: str | None, dois: list[str], since: Since | None) -> dict[str, str]:
    """The query parameters of a list fetch. Crossref ANDs different filters and ORs a repeated one,
    so `doi:A,doi:B,from-index-date:D` is "A or B, indexed on or after D". Crossref's date filters take
    dates only (YYYY-MM-DD): a timestamp's day is sent, which asks for a little more, never less."""
    wanted = _dois(dois)
    if len(wanted) > MAX_DOIS_PER_QUERY:
        raise FetchError(f"--doi: {len(wanted)} DOIs with --since; give at most {MAX_DOIS_PER_QUERY} per fetch")
    for doi in wanted:
        if "," in doi:  # a comma ends a filter: the DOI would be read as two filters
            raise FetchError(f"--doi {doi}: a DOI with a comma cannot be asked in a Crossref filter; fetch it "
                             f"without --since")
    indexed = f"from-index-date:{as_date(since).isoformat()}" if since else ""
    parts = [filter or "", *(f"doi:{d}" for d in wanted), indexed]
    return {k: v for k, v in (("filter", ",".join(p for p in parts if p)), ("query", query or "")) if v}


def fetch_works(
    client: Client,
    out: Path,
    *,
    filter: str | None = None,
    query: str | None = None,
    dois: list[str] | None = None,
    since: Since | None = None,
    rows: int = 1000,
    max_pages: int | None = None,
) -> Fetched:
    """Fetch (or go on fetching) the works of a filter/query into `out`, one `work-list` page per file."""
    unrecorded: dict[str, Any] = {"rows": rows}
    if client.mailto:
        unrecorded["mailto"] = client.mailto
    api = Api("crossref", "/works", _page, _indexed)
    return fetch_pages(client, out, api, query_for(filter, query, dois or [], since), since=since,
                       unrecorded=unrecorded, max_pages=max_pages)


def _indexed(item: Any) -> object:
    indexed = item.get("indexed") if isinstance(item, dict) else None
    return indexed.get("date-time") if isinstance(indexed, dict) else None


def _page(body: bytes, url: str) -> Page:
    message = _message(body, url, "work-list")
    if not isinstance(message.get("items"), list):
        raise FetchError(f"GET {url}: the answer is not a Crossref work-list message (no 'items' list)")
    return Page(message["items"], message.get("next-cursor"), message.get("total-results"))


def _message(body: bytes, url: str, kind: str) -> dict[str, Any]:
    """The `message` of a Crossref answer of message-type `kind`; FetchError naming the URL otherwise."""
    try:
        data = json.loads(body)
    except ValueError as e:
        raise FetchError(f"GET {url}: the answer is not JSON: {e}") from e
    found = data.get("message-type") if isinstance(data, dict) else type(data).__name__
    message = data.get("message") if isinstance(data, dict) else None
    if found != kind or not isinstance(message, dict):
        raise FetchError(f"GET {url}: the answer is not a Crossref {kind} message (found {found!r})")
    return message
