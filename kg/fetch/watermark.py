"""What a fetched directory was fetched with, read back for the next sync of that source."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.fetch.paging import STATE
from kg.fetch.since import Since, SinceError, as_date, parse_since


@dataclass(frozen=True)
class Watermark:
    source: str
    query: dict[str, str]
    since: str | None  # as sent (ISO date or UTC timestamp), None for a full fetch
    started_at: str | None  # UTC, when the first page of this fetch was asked for
    fetched_at: str | None  # UTC, when the last page was written
    newest: str | None  # the newest change time among the fetched works, as the source wrote it
    complete: bool

    @property
    def next_since(self) -> Since | None:
        """What the next fetch's --since should be: the day of the newest change seen (the source's
        own clock, never this machine's), else this fetch's since; None while incomplete, because
        changes older than the newest seen may still be unread. The whole day is asked again, so a
        change the API indexed late is not lost; a re-fetched unchanged work is a no-op for a sync."""
        if not self.complete:
            return None
        value = self.newest or self.since
        if value is None:
            return None
        try:
            return as_date(parse_since(value[:10]))
        except SinceError:
            return None


def read_watermark(directory: Path) -> Watermark | None:
    """The watermark of a directory written by a paged `kg fetch`, or None when it has none."""
    path = directory / STATE
    if not path.exists():
        return None
    try:
        state: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot be read: {e}") from e
    if not isinstance(state, dict) or not isinstance(state.get("source"), str):
        raise InputError(f"{path}: not a kg fetch state (no 'source')")
    return Watermark(
        source=state["source"], query=dict(state.get("query") or {}), since=state.get("since"),
        started_at=state.get("started_at"), fetched_at=state.get("fetched_at"), newest=state.get("newest"),
        complete=bool(state.get("done")),
    )
