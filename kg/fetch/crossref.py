"""`kg fetch crossref --doi …`: one Crossref `work` message per DOI, written as DIR/<doi>.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from kg.fetch.files import fetch_missing
from kg.fetch.http import Client, FetchError
from kg.iris import normalize_doi

DEFAULT_BASE_URL = "https://api.crossref.org"


@dataclass
class Fetched:
    works: int = 0
    skipped: int = 0


def file_for(out: Path, doi: str) -> Path:
    return out / (quote(doi, safe="") + ".json")


def fetch_dois(client: Client, out: Path, dois: list[str]) -> Fetched:
    """Fetch each DOI not already in `out` (so a rerun resumes); a 4xx stops with the DOI named."""
    try:
        wanted = [normalize_doi(d) for d in dois]
    except ValueError as e:
        raise FetchError(f"--doi: {e}") from None
    out.mkdir(parents=True, exist_ok=True)
    params = {"mailto": client.mailto} if client.mailto else None

    def get(doi: str) -> bytes:
        try:
            return client.get("/works/" + quote(doi, safe="/()._-;:"), params).content
        except FetchError as e:
            raise FetchError(f"crossref DOI {doi}: {e}") from e

    done = fetch_missing(wanted, lambda doi: file_for(out, doi), get, " works")
    return Fetched(works=len(done), skipped=len(wanted) - len(done))
