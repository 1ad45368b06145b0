"""Referential integrity across records of any source: ids unique, references resolved, names and titles
of a length kg takes."""

from __future__ import annotations

from kg.records import (
    MERGE_KINDS,
    Affiliation,
    Author,
    AuthorDetail,
    Authorship,
    Citation,
    Merge,
    Paper,
    Record,
    Skipped,
    Venue,
    VenueDetail,
)

# The longest id, name or title kg takes, in characters. No real one comes near (the longest titles
# are about 1,500): a longer value is a whole author list or a full text in one field. Graph-wide steps
# read names, titles and IRIs back as CSV fields, whose reader stops at 131,072 characters (a build
# then failed after its load, with a traceback); a CSV rows table already rejected such a field.
LONGEST = 10_000


def _too_long(field: str, value: str | None) -> str | None:
    if value is None or len(value) <= LONGEST:
        return None
    return f"{field} of {len(value):,} characters: longer than the {LONGEST:,} kg takes"


class Integrity:
    """Accepts each record or says why not. Holds the id tables the checks really need."""

    def __init__(self) -> None:
        self.venues: set[str] = set()
        self.authors: set[str] = set()
        # paper id -> the positions its authorships took, as a bit set: one table for both checks
        # (a set of "position/paper" strings cost about 100 bytes per authorship at scale)
        self.papers: dict[str, int] = {}
        # ("paper" | "author", id) of records rejected (not as duplicates) -> whether a row referring
        # to it said so already: that row is a reject, the later ones are skipped (counted)
        self.refused: dict[tuple[str, str], bool] = {}

    def refuse(self, kind: str, id: str) -> None:
        """Remembers that the paper or author `id` was rejected (unless one of that id was accepted)."""
        if not self.describes(kind, id):
            self.refused.setdefault((kind, id), False)

    def reason(self, record: Record) -> str | Skipped | None:
        """None when the record is accepted (and remembered), else why it is rejected, or Skipped
        when it refers to a rejected paper or author another row already said so for."""
        reason = self._reason(record)
        if isinstance(reason, str) and not reason.startswith("duplicate "):
            if isinstance(record, Paper):
                self.refuse("paper", record.id)
            elif isinstance(record, Author):
                self.refuse("author", record.id)
        return reason

    def _dependent(self, kind: str, id: str, what: str) -> str | Skipped | None:
        """For a row referring to the `kind` `id` that is not known: None when it was not rejected
        either (the caller's "unknown" reason stands), else the one reject or a skip."""
        said = self.refused.get((kind, id))
        if said is None:
            return None
        if said:
            return Skipped(f"rows referring to a rejected {kind}")
        self.refused[(kind, id)] = True
        return (f"{what} of rejected {kind} {id!r} (see its reject); the other rows referring to it "
                f"are skipped, counted in the report")

    def _reason(self, record: Record) -> str | Skipped | None:
        if isinstance(record, Authorship):
            if record.name_as_printed is not None and len(record.name_as_printed) > LONGEST:
                return _too_long("name as printed", record.name_as_printed)
            taken = self.papers.get(record.paper_id)
            if taken is None:
                return self._dependent("paper", record.paper_id, "authorship") or \
                    f"authorship refers to unknown paper {record.paper_id!r}"
            if record.author_id not in self.authors:
                return self._dependent("author", record.author_id, "authorship") or \
                    f"authorship refers to unknown author {record.author_id!r}"
            bit = 1 << record.position
            if taken & bit:
                return f"duplicate position {record.position} for paper {record.paper_id!r}"
            self.papers[record.paper_id] = taken | bit
            return None
        if isinstance(record, Paper):
            if len(record.id) > LONGEST or (record.title is not None and len(record.title) > LONGEST):
                return _too_long("id", record.id) or _too_long("title", record.title)
            if record.venue_id is not None and record.venue_id not in self.venues:
                return f"paper refers to unknown venue {record.venue_id!r}"
            if record.id in self.papers:
                return f"duplicate paper id {record.id!r}"
            self.papers[record.id] = 0
            return None
        if isinstance(record, Author):
            return _too_long("id", record.id) or _too_long("name", record.name) or \
                _once(self.authors, record.id, "author")
        if isinstance(record, AuthorDetail):
            if (long := _too_long("name variant", record.name_variant)) is not None:
                return long
            if record.author_id not in self.authors:
                return f"author detail refers to unknown author {record.author_id!r}"
            return None
        if isinstance(record, Merge):
            return self._merge_reason(record)
        if isinstance(record, VenueDetail):
            if record.venue_id not in self.venues:
                return f"venue detail refers to unknown venue {record.venue_id!r}"
            return None
        if isinstance(record, Affiliation):
            if (long := _too_long("affiliation", record.name)) is not None:
                return long
            if not self.papers.get(record.paper_id, 0) >> record.position & 1:
                if record.paper_id not in self.papers and (said := self._dependent(
                        "paper", record.paper_id, "affiliation")) is not None:
                    return said
                return f"affiliation refers to unknown authorship {record.position} of paper {record.paper_id!r}"
            return None
        if isinstance(record, Citation):
            # the cited paper may be read later, or never: only the citing one must be known
            if record.paper_id not in self.papers:
                return self._dependent("paper", record.paper_id, "citation") or \
                    f"citation refers to unknown paper {record.paper_id!r}"
            return None
        assert isinstance(record, Venue)
        return _too_long("id", record.id) or _too_long("name", record.name) or \
            _too_long("full name", record.full_name) or \
            _once(self.venues, record.id, "venue")

    def describes(self, kind: str, id: str) -> bool:
        """Whether a record accepted so far describes the paper, author or venue `id`."""
        if kind == "paper":
            return id in self.papers
        return id in (self.authors if kind == "author" else self.venues)

    def _merge_reason(self, merge: Merge) -> str | None:
        """What one merge can be rejected for by itself (kg.merges checks what needs every record)."""
        if merge.kind not in MERGE_KINDS:
            return f"merge kind {merge.kind!r} is not one of {', '.join(MERGE_KINDS)}"
        if merge.old_id == merge.new_id:
            return f"{merge.kind} {merge.old_id!r} is merged into itself"
        if self.describes(merge.kind, merge.old_id):
            return f"merged {merge.kind} {merge.old_id!r} is still described by a record of this input"
        return None


def _once(seen: set[str], id: str, kind: str) -> str | None:
    if id in seen:
        return f"duplicate {kind} id {id!r}"
    seen.add(id)
    return None
