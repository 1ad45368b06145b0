"""Cursor paging into a directory: one API page per file, and a state file that is both the resume
point and the watermark of the fetch.

The directory holds page-00001.json, … exactly as the API sent them (what `kg build` reads) and
.fetch-state.json: the source, the query sent, the next cursor, and what a later sync needs to ask
only for newer changes (`since`, when the fetch started and ended, the newest change time seen).
A rerun of the same query goes on from the saved cursor; a finished one asks nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kg.fetch.files import progress, read_state, write_atomic, write_state
from kg.fetch.http import Client, FetchError, shown
from kg.fetch.since import Since, iso, moment

STATE = ".fetch-state.json"


@dataclass
class Fetched:
    pages: int = 0
    works: int = 0
    done: bool = False


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None
    count: int | None


@dataclass(frozen=True)
class Api:
    """How one API pages: its list path, how to read a page, and each item's change time."""

    source: str
    path: str
    read: Callable[[bytes, str], Page]
    changed: Callable[[Any], object]  # the item's own change time (a string), or None
    # Whether every page's next cursor is a new one (OpenAlex's are): one seen before means the API
    # goes round, and paging on would write pages for ever. Crossref may answer every page with the
    # same cursor (it names the scroll, not the place), so it does not say so.
    fresh_cursors: bool = False


def fetch_pages(
    client: Client,
    out: Path,
    api: Api,
    query: Mapping[str, str],
    *,
    since: Since | None = None,
    unrecorded: Mapping[str, Any] | None = None,
    max_pages: int | None = None,
    on_error: Callable[[FetchError], FetchError] = lambda e: e,
) -> Fetched:
    """Fetch (or go on fetching) the pages of `query` into `out`. `unrecorded` parameters (page size,
    mailto, credentials) are sent but not part of the query a directory is kept for."""
    out.mkdir(parents=True, exist_ok=True)
    query = dict(query)
    state_path = out / STATE
    now = _now()
    fresh: dict[str, Any] = {
        "source": api.source, "query": query, "since": iso(since) if since else None,
        "cursor": "*", "pages": 0, "works": 0, "done": False, "started_at": now, "fetched_at": None, "newest": None,
    }
    state = read_state(state_path) or fresh
    if state.get("source") != api.source or state.get("query") != query:
        other = f"{state.get('source')} {state.get('query')}"
        raise FetchError(f"{out}: holds another fetch ({other}); use a new directory")
    fetched = Fetched(done=bool(state["done"]))
    bar = progress(state.get("count"), " works")
    sent: set[object] = set()
    try:
        while not state["done"] and (max_pages is None or fetched.pages < max_pages):
            params: dict[str, Any] = {**query, **(unrecorded or {}), "cursor": state["cursor"]}
            sent.add(state["cursor"])
            try:
                response = client.get(api.path, params)
            except FetchError as e:
                raise on_error(e) from e
            page = api.read(response.content, shown(response.url))
            if api.fresh_cursors and page.items and page.next_cursor in sent:
                raise FetchError(f"GET {shown(response.url)}: the next cursor is one already asked for "
                                 f"({str(page.next_cursor)[:40]!r}): the API goes round; stopped (pages kept: "
                                 f"{state['pages']})")
            if page.items:
                state["pages"] += 1
                write_atomic(out / f"page-{state['pages']:05d}.json", response.content)
                state["works"] = state.get("works", 0) + len(page.items)
                state["newest"] = _newest(state.get("newest"), (api.changed(item) for item in page.items))
                fetched.pages += 1
                fetched.works += len(page.items)
                bar.update(len(page.items))
            state["count"] = page.count
            if bar.total is None and page.count:
                bar.total = page.count
            state["cursor"] = page.next_cursor
            state["done"] = not page.items or not page.next_cursor
            state["fetched_at"] = _now()
            write_state(state_path, state)
    finally:
        bar.close()
    fetched.done = bool(state["done"])
    return fetched


def _newest(current: object, seen: Any) -> str | None:
    """The latest of `current` and the `seen` change times, kept as the source wrote it."""
    best = current if isinstance(current, str) else None
    best_when = moment(best)
    for value in seen:
        when = moment(value)
        if when is not None and (best_when is None or when > best_when):
            best, best_when = str(value), when
    return best


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
