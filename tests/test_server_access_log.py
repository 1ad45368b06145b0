"""the front's batched access log (kg.server.access_log): its lines are the ones logging's formatter writes."""

from __future__ import annotations

import io
import logging

from kg.server import access_log
from kg.server.config import LOG_FORMAT


def test_the_access_log_lines_are_what_logging_writes() -> None:
    """The lines formatted without records are, byte for byte, the ones logging's formatter writes."""
    log = logging.getLogger("kg.server.access")
    plain, filtered = io.StringIO(), io.StringIO()
    fast = logging.StreamHandler(plain)
    fast.setFormatter(logging.Formatter(LOG_FORMAT))
    slow = logging.StreamHandler(filtered)
    slow.setFormatter(logging.Formatter(LOG_FORMAT))
    slow.addFilter(lambda record: True)  # a filter: this handler gets records
    old = log.handlers[:], log.level, log.propagate
    log.handlers[:] = [fast, slow]
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        access = access_log.AccessLog()
        for i, created in enumerate([1_700_000_000.0, 1_700_000_000.999, 1_700_000_001.0005, 1_780_000_123.25]):
            access.lines.append((created, ("127.0.0.1", "POST", "/sparql?x=%0A", 200, 1.25 * i, f" query SELECT {i}")))
        access.flush()
    finally:
        log.handlers[:], log.propagate = old[0], old[2]
        log.setLevel(old[1])
    assert access_log._plain(fast) and not access_log._plain(slow)
    assert plain.getvalue() == filtered.getvalue()
    text = plain.getvalue()
    assert text.count("\n") == 4 and "kg.server.access 127.0.0.1 POST /sparql?x=%0A 200 1.2ms" in text
