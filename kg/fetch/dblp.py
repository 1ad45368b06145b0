"""`kg fetch dblp --person PID | --search NAME`: dblp person pages (XML), one file per person.

A person page (dblp.org/pid/PID.xml) holds the person record and every publication in the dump's
record format, so `kg build --from dblp` reads it like the dump; papers shared by two fetched
people are loaded once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from kg.fetch.files import fetch_missing
from kg.fetch.http import Client, FetchError
from kg.iris import normalize_dblp_pid

DEFAULT_BASE_URL = "https://dblp.org"
_PID_URL = re.compile(r"/pid/([0-9a-z]+(?:/[0-9A-Za-z\-]+)+)$")
# Person pages are standalone XML (character references only): nothing external is loaded.
_PAGE_PARSER = etree.XMLParser(load_dtd=False, resolve_entities=False, no_network=True, huge_tree=True)


@dataclass
class Fetched:
    people: list[str] = field(default_factory=list)
    skipped: int = 0


def file_for(out: Path, pid: str) -> Path:
    return out / ("person-" + pid.replace("/", "_") + ".xml")


def search_people(client: Client, name: str, limit: int = 30) -> list[str]:
    """The pids of dblp's author search for `name`, best match first."""
    response = client.get("/search/author/api", {"q": name, "format": "json", "h": limit})
    try:
        hits: Any = response.json()["result"]["hits"].get("hit", [])
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise FetchError(f"GET {response.url}: not a dblp search answer: {e}") from e
    pids: list[str] = []
    for hit in hits if isinstance(hits, list) else [hits]:
        url = hit.get("info", {}).get("url", "") if isinstance(hit, dict) else ""
        match = _PID_URL.search(url)
        if match and match.group(1) not in pids:
            pids.append(match.group(1))
    return pids


def fetch_people(client: Client, out: Path, pids: list[str]) -> Fetched:
    """Fetch each person page not already in `out` (so a rerun resumes)."""
    try:
        wanted = [normalize_dblp_pid(p) for p in pids]
    except ValueError as e:
        raise FetchError(f"--person: {e}") from None
    out.mkdir(parents=True, exist_ok=True)

    def get(pid: str) -> bytes:
        response = client.get(f"/pid/{pid}.xml")
        if b"<dblpperson" not in response.content[:2048]:
            raise FetchError(f"GET {response.url}: not a dblp person page")
        # Parsed whole before it is written: a file in the directory counts as fetched, so a page cut
        # short would be kept by every rerun and fail the build.
        try:
            etree.fromstring(response.content, _PAGE_PARSER)
        except etree.XMLSyntaxError as e:
            raise FetchError(f"GET {response.url}: not a complete dblp person page: {e}") from e
        return response.content

    done = fetch_missing(wanted, lambda pid: file_for(out, pid), get, " people")
    return Fetched(people=done, skipped=len(wanted) - len(done))
