"""The access log of the requests kg's front answers itself (the SPARQL pipeline's, the answers
cache's): one line per request, as the app's access log writes it (logger kg.server.access, the
same format), written in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Protocol, cast

from kg.server.config import LOG_FORMAT
from kg.server.tables import Caches, Table, cost

access = logging.getLogger("kg.server.access")
FLUSH = 0.1  # seconds an access-log line waits at most before it is written
BATCH = 256  # lines written at once at most
LINE = "%s %s %s %d %.1fms%s"  # client, method, path, status, milliseconds, " note" (or nothing)


class AccessLog:
    """access-log lines written in batches: each line is the record the app's
    access log writes (same logger, kg.server.access, same format, its own time), kept for at most
    FLUSH s and then written with the others by one write per handler, instead of a LogRecord, a
    handler call and a write(2) per request. `flush` writes what is kept (on a timer, when BATCH
    lines are kept, and before the worker stops or kills itself). A stream handler with `kg serve`'s
    own format (LOG_FORMAT, no filters) gets the lines formatted here, as logging would format them,
    without a LogRecord each; any other handler gets records."""

    def __init__(self) -> None:
        self.lines: list[tuple[float, tuple[Any, ...]]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.second = -1
        self.stamp = ""

    def add(self, args: tuple[Any, ...]) -> None:
        lines = self.lines
        lines.append((time.time(), args))
        if len(lines) >= BATCH:
            self.flush()
        elif self.timer is None:
            with contextlib.suppress(RuntimeError):  # no running loop (a unit test): written at the next flush
                self.timer = asyncio.get_running_loop().call_later(FLUSH, self.flush)

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        lines, self.lines = self.lines, []
        if not lines or not access.isEnabledFor(logging.INFO):
            return
        records: list[logging.LogRecord] | None = None
        text: str | None = None
        logger: logging.Logger | None = access
        while logger is not None:
            for handler in logger.handlers:
                if handler.level > logging.INFO:
                    continue
                if access.filters or not _plain(handler):
                    if records is None:
                        records = self._records(lines)
                    _emit(handler, records)
                    continue
                if text is None:
                    text = self._text(lines)
                _write(handler, text)
            logger = logger.parent if logger.propagate else None

    def _records(self, lines: list[tuple[float, tuple[Any, ...]]]) -> list[logging.LogRecord]:
        records = []
        for created, args in lines:
            record = access.makeRecord(access.name, logging.INFO, __file__, 0, LINE, args, None)
            record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
            if access.filter(record):
                records.append(record)
        return records

    def _text(self, lines: list[tuple[float, tuple[Any, ...]]]) -> str:
        """The lines as LOG_FORMAT formats them: "2026-12-01 18:00:00,123 kg.server.access ..."."""
        out = []
        for created, args in lines:
            second = int(created)
            if second != self.second:
                self.second = second
                self.stamp = time.strftime(logging.Formatter.default_time_format, time.localtime(second))
            out.append(f"{self.stamp},{int((created - second) * 1000):03d} {access.name} {LINE % args}\n")
        return "".join(out)


def _plain(handler: logging.Handler) -> bool:
    """A stream handler, unfiltered, writing lines in LOG_FORMAT with logging's default time format."""
    formatter = handler.formatter
    return (type(handler) is logging.StreamHandler and not handler.filters and handler.terminator == "\n"
            and type(formatter) is logging.Formatter and formatter._fmt == LOG_FORMAT and formatter.datefmt is None
            and formatter.converter is time.localtime
            and formatter.default_msec_format == logging.Formatter.default_msec_format)


def _write(handler: logging.Handler, text: str, record: logging.LogRecord | None = None) -> None:
    """The text in one write to a stream handler; a failure goes to its handleError (with `record`)."""
    try:
        with handler.lock or contextlib.nullcontext():
            cast("logging.StreamHandler[Any]", handler).stream.write(text)
            handler.flush()
    except Exception:
        with contextlib.suppress(Exception):
            handler.handleError(record or logging.makeLogRecord({"msg": "the access log could not be written"}))


def _emit(handler: logging.Handler, records: list[logging.LogRecord]) -> None:
    """The records through one handler: a stream handler gets them in one write."""
    mine = [r for r in records if r.levelno >= handler.level and handler.filter(r)]
    if not mine:
        return
    if type(handler) is not logging.StreamHandler:  # files, sockets, queues: each as logging does it
        for record in mine:
            handler.handle(record)
        return
    try:
        text = "".join(handler.format(r) + handler.terminator for r in mine)
    except Exception:
        handler.handleError(mine[0])
        return
    _write(handler, text, mine[0])


def printable(raw: bytes) -> str:
    """A path as the client sent it (percent-encodings kept, so %0A cannot start a forged log line),
    any byte outside printable ASCII written as \\xNN."""
    text = str(raw, "latin-1")
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    return "".join(c if " " < c < "\x7f" else f"\\x{ord(c):02x}" for c in text)


class Asked(Protocol):
    """A request as kg's front hands it on (kg.server.wire.Request, or the ASGI adapter's): what its
    access-log line and its client's budget need."""

    method: str
    raw_path: bytes
    client: tuple[str, int]
    started: float  # time.monotonic() when it began to be answered


class AccessLines:
    """The access log of the answers kg's front writes itself, with the request paths as it writes them."""

    def __init__(self, caches: Caches) -> None:
        self.log = AccessLog()
        self.paths: Table[bytes, str] = caches.table("log paths")  # request paths as the access log writes them

    def add(self, request: Asked, status: int, note: str) -> None:
        path = self.paths.get(request.raw_path)
        if path is None:
            path = self.paths.put(request.raw_path, printable(request.raw_path), cost(request.raw_path) * 5)
        self.log.add((request.client[0], request.method, path, status, (time.monotonic() - request.started) * 1000,
                      f" {note}" if note else ""))

    def flush(self) -> None:
        self.log.flush()
