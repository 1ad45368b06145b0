"""Referential integrity across records of any source: ids unique, references resolved."""

from __future__ import annotations

from kg.records import Author, Authorship, NameVariant, Paper, Record, Venue


class Integrity:
    """Accepts each record or says why not. Holds the id tables the checks really need."""

    def __init__(self) -> None:
        self.venues: set[str] = set()
        self.authors: set[str] = set()
        self.papers: set[str] = set()
        self._positions: set[str] = set()

    def reason(self, record: Record) -> str | None:
        """None when the record is accepted (and remembered), else why it is rejected."""
        if isinstance(record, Authorship):
            if record.paper_id not in self.papers:
                return f"authorship refers to unknown paper {record.paper_id!r}"
            if record.author_id not in self.authors:
                return f"authorship refers to unknown author {record.author_id!r}"
            slot = f"{record.position}\x00{record.paper_id}"
            if slot in self._positions:
                return f"duplicate position {record.position} for paper {record.paper_id!r}"
            self._positions.add(slot)
            return None
        if isinstance(record, Paper):
            if record.venue_id is not None and record.venue_id not in self.venues:
                return f"paper refers to unknown venue {record.venue_id!r}"
            return _once(self.papers, record.id, "paper")
        if isinstance(record, Author):
            return _once(self.authors, record.id, "author")
        if isinstance(record, NameVariant):
            if record.author_id not in self.authors:
                return f"name variant refers to unknown author {record.author_id!r}"
            return None
        assert isinstance(record, Venue)
        return _once(self.venues, record.id, "venue")


def _once(seen: set[str], id: str, kind: str) -> str | None:
    if id in seen:
        return f"duplicate {kind} id {id!r}"
    seen.add(id)
    return None
