"""`kg fetch crossref --doi …`: one Crossref `work` message per DOI, written as DIR/<doi>.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from kg import iris
from kg.fetch.files import progress, write_atomic
from kg.fetch.http import Client, FetchError

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
        wanted = [iris.normalize_doi(d) for d in dois]
    except ValueError as e:
        raise FetchError(f"--doi: {e}") from None
    out.mkdir(parents=True, exist_ok=True)
    fetched = Fetched()
    bar = progress(len(wanted), " works")
    try:
        for doi in wanted:
            target = file_for(out, doi)
            if target.exists():
                fetched.skipped += 1
            else:
                params = {"mailto": client.mailto} if client.mailto else None
                try:
                    response = client.get("/works/" + quote(doi, safe="/()._-;:"), params)
                except FetchError as e:
                    raise FetchError(f"crossref DOI {doi}: {e}") from e
                write_atomic(target, response.content)
                fetched.works += 1
            bar.update()
    finally:
        bar.close()
    return fetched
