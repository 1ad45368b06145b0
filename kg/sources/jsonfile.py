"""JSON documents and JSON Lines, optionally gzipped, with errors that name the file and line."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.sources.context import open_binary


def load(path: Path) -> Any:
    """One JSON document (API responses are a few MB at most, so it is read whole)."""
    try:
        with open_binary(path) as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: invalid JSON: {e.msg} at column {e.colno}") from e
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: invalid UTF-8: {e}") from e
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"{path}: cannot be read: {e}") from e


def lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, value) per non-blank line; a line that is not JSON gives its reason as value."""
    try:
        with open_binary(path) as f:
            for number, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue
                try:
                    yield number, json.loads(raw)
                except json.JSONDecodeError as e:
                    yield number, InvalidLine(line_error(e))
                except UnicodeDecodeError:
                    yield number, InvalidLine("invalid UTF-8")
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"{path}: cannot be read: {e}") from e


def line_error(e: json.JSONDecodeError) -> str:
    """Why one JSON Lines line is not JSON, placed in that line: json's own message says "line 2
    column 1 (char 44)" for a record cut short (the line's newline counts as a line), which a reader
    of "FILE:5000: …" takes for another line of the file."""
    if e.lineno > 1 or e.pos >= len(e.doc.rstrip()):
        return f"invalid JSON: {e.msg} at the end of the line (a record cut short?)"
    return f"invalid JSON: {e.msg} at column {e.colno}"


def opens_object(start: bytes) -> bool:
    """Whether a file's first bytes open a JSON object, after white space and a UTF-8 byte order mark
    (which Windows tools write: PowerShell's `Out-File -Encoding utf8`, Notepad), as json reads it."""
    return start.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{")


def is_json_lines(path: Path, start: bytes) -> bool:
    """JSON Lines by name, or by content: a first line that is a complete JSON object."""
    name = path.name.removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson")):
        return True
    if name.endswith(".json"):
        return False
    first = start.split(b"\n", 1)[0].strip()
    if not opens_object(first):
        return False
    if b"\n" not in start:
        return True  # one line longer than the sniffed head: a snapshot line, not a pretty-printed page
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


class InvalidLine(str):
    """The reason a JSON Lines line could not be parsed (a str, so it can be a reject reason)."""
