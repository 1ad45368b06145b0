"""`--since`: the date or timestamp a fetch asks for changes from, parsed once and written back in
one canonical form, so that nothing the user typed is pasted into an API's filter text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from kg.errors import KgError

Since = date | datetime  # a datetime is always timezone-aware, in UTC

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")


class SinceError(KgError):
    """A --since value that is not an ISO date or timestamp."""


def parse_since(text: str) -> Since:
    """An ISO date (2024-05-01) or timestamp (2024-05-01T10:00:00Z; no zone means UTC)."""
    value = text.strip()
    try:
        if _DATE.fullmatch(value):
            return date.fromisoformat(value)
        if _TIMESTAMP.fullmatch(value):
            moment = datetime.fromisoformat(value)
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError as e:
        raise SinceError(f"--since {text!r}: {e}") from None
    raise SinceError(f"--since {text!r}: expected an ISO date (2024-05-01) or timestamp (2024-05-01T10:00:00Z)")


def as_date(since: Since) -> date:
    return since.date() if isinstance(since, datetime) else since


def iso(since: Since) -> str:
    """2024-05-01, or 2024-05-01T10:00:00Z (UTC, whole seconds unless the value had a fraction)."""
    if isinstance(since, datetime):
        return since.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
    return since.isoformat()


def moment(text: object) -> datetime | None:
    """A source's own date-time field (OpenAlex `updated_date`, Crossref `indexed.date-time`) as a UTC
    datetime to compare; None when absent or not ISO. A value without a zone is taken as UTC."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
