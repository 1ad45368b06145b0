"""Source-neutral records: what every input kind is read into. No RDF here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

VENUE_KINDS = ("conference", "journal", "workshop", "repository", "other")


@dataclass(frozen=True, slots=True)
class Venue:
    id: str
    name: str
    kind: str = "other"
    full_name: str | None = None
    issns: tuple[str, ...] = ()  # a journal's ISSNs (print, electronic), as NNNN-NNNC


@dataclass(frozen=True, slots=True)
class VenueDetail:
    """One more ISSN of a venue already emitted (a later work of the journal lists one its first did not)."""

    venue_id: str
    issn: str


@dataclass(frozen=True, slots=True)
class Author:
    id: str
    name: str
    orcid: str | None = None
    dblp_pid: str | None = None
    openalex_id: str | None = None


@dataclass(frozen=True, slots=True)
class Paper:
    """A paper; `title` is None for the records that have none (OpenAlex `"title": null`, Crossref
    works without `title`): such a paper is still loaded with its authorships, DOI, year and venue."""

    id: str
    title: str | None
    year: int | None = None
    venue_id: str | None = None
    type: str | None = None
    abstract: str | None = None
    doi: str | None = None
    url: str | None = None
    authors_truncated: bool = False


@dataclass(frozen=True, slots=True)
class Authorship:
    paper_id: str
    author_id: str
    position: int
    name_as_printed: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorDetail:
    """More about an author row already emitted: another name it is known by, its dblp person id or
    ORCID (dblp person records, and ORCIDs on later signatures, may come after the row's first paper)."""

    author_id: str
    name_variant: str | None = None
    dblp_pid: str | None = None
    orcid: str | None = None


MERGE_KINDS = ("paper", "author", "venue")


@dataclass(frozen=True, slots=True)
class Merge:
    """A source merged `old_id` into `new_id` (ids of one `kind`: paper, author or venue): the old id
    describes nothing any more but keeps its IRI, as a redirect to the survivor's."""

    kind: str
    old_id: str
    new_id: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A row a reader leaves out on purpose (not an error, so not a reject): why, counted in the report."""

    reason: str


class Refused(str):
    """Why a row that names a paper or an author could not become its record (a str, so it is a
    reject reason), with the kind ("paper", "author") and id it would have had: the rows that refer
    to it then say so once (kg.checks), rather than each being an "unknown paper" reject of its own."""

    kind: str
    id: str

    def __new__(cls, reason: str, kind: str, id: str) -> Refused:
        refused = super().__new__(cls, reason)
        refused.kind, refused.id = kind, id
        return refused


@dataclass(frozen=True, slots=True)
class Affiliation:
    """One affiliation of the authorship (`paper_id`, `position`) as the source gives it: an institution
    (`institution_id`, the source's id or its ROR, with its name, ROR and country), or, without one,
    only the text printed on the paper (`name`). A record of its own, not fields on Authorship: an
    authorship has none, one or several, and most sources give none."""

    paper_id: str
    position: int
    name: str
    institution_id: str | None = None
    ror: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """The paper `paper_id` cites the paper `cited_id` (an id in the same source's scheme, whether or
    not that paper is read)."""

    paper_id: str
    cited_id: str


Record = Venue | VenueDetail | Author | Paper | Authorship | AuthorDetail | Merge | Affiliation | Citation


class Located(NamedTuple):
    """A record, the reason a row could not become one, or why it was skipped, with where it was read."""

    item: Record | Skipped | str
    file: str
    line: int


# Every character str.splitlines() breaks a line at (NEL and the Unicode separators included).
_LINE_BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` with its line breaks escaped (`\\n`, `\\x85`, `\\u2028`), so that a message about a value holding
    them stays one line for every reader, those that split on Unicode line breaks included."""
    return _LINE_BREAKS.sub(lambda m: repr(m.group(0))[1:-1], text)


@dataclass(frozen=True, slots=True)
class Reject:
    file: str
    line: int
    reason: str

    def __post_init__(self) -> None:
        # A reason may quote the value it rejects (or a parser's message quoting it): keep it one line.
        object.__setattr__(self, "reason", one_line(self.reason))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"
