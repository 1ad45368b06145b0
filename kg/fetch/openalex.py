"""`kg fetch openalex`: works matching a filter, by cursor paging, one API page per file.

The directory holds page-00001.json, … exactly as the API sent them (what `kg build` reads) and
.fetch-state.json with the query and the next cursor, so a rerun resumes where the last one stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.fetch.files import progress, read_state, write_atomic, write_state
from kg.fetch.http import Client, FetchError

DEFAULT_BASE_URL = "https://api.openalex.org"
STATE = ".fetch-state.json"


@dataclass
class Fetched:
    pages: int = 0
    works: int = 0
    done: bool = False


def fetch_works(
    client: Client,
    out: Path,
    *,
    filter: str | None = None,
    search: str | None = None,
    per_page: int = 200,
    max_pages: int | None = None,
) -> Fetched:
    """Fetch (or go on fetching) the works of a query into `out`; returns what this run added."""
    out.mkdir(parents=True, exist_ok=True)
    query = {k: v for k, v in (("filter", filter), ("search", search)) if v}
    state_path = out / STATE
    fresh: dict[str, Any] = {"source": "openalex", "query": query, "cursor": "*", "pages": 0, "done": False}
    state = read_state(state_path) or fresh
    if state.get("source") != "openalex" or state.get("query") != query:
        other = f"{state.get('source')} {state.get('query')}"
        raise FetchError(f"{out}: holds another fetch ({other}); use a new directory")
    fetched = Fetched(done=bool(state["done"]))
    bar = progress(state.get("count"), " works")
    try:
        while not state["done"] and (max_pages is None or fetched.pages < max_pages):
            params: dict[str, Any] = {**query, "per-page": per_page, "cursor": state["cursor"]}
            if client.mailto:
                params["mailto"] = client.mailto  # the polite pool
            response = client.get("/works", params)
            page = _page(response.content, response.url)
            results = page["results"]
            if results:
                state["pages"] += 1
                write_atomic(out / f"page-{state['pages']:05d}.json", response.content)
                fetched.pages += 1
                fetched.works += len(results)
                bar.update(len(results))
            cursor = page.get("meta", {}).get("next_cursor")
            state["count"] = page.get("meta", {}).get("count")
            if bar.total is None and state["count"]:
                bar.total = state["count"]
            state["cursor"] = cursor
            state["done"] = not results or not cursor
            write_state(state_path, state)
    finally:
        bar.close()
    fetched.done = bool(state["done"])
    return fetched


def _page(body: bytes, url: str) -> dict[str, Any]:
    try:
        page = json.loads(body)
    except ValueError as e:
        raise FetchError(f"GET {url}: the answer is not JSON: {e}") from e
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        raise FetchError(f"GET {url}: the answer is not an OpenAlex page (no 'results' list)")
    return page
