"""Crossref's public data file: a directory (or several) of `*.json.gz` files, each one JSON
object `{"items": [work, ...]}` without the REST API's `message-type`/`message` envelope.

The items are read one at a time from a stream (a file holds thousands of works; the dump tens of
thousands of files), so memory holds one work, not the file."""

from __future__ import annotations

import codecs
import gzip
import json
import re
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.sources.context import open_binary

_ITEMS = r'\s*\{\s*"items"\s*:\s*\['  # what a file of the dump opens with
_OPENING = re.compile(rb"(?:\xef\xbb\xbf)?" + _ITEMS.encode())  # its first bytes (a BOM allowed)
_OPENING_TEXT = re.compile(_ITEMS)  # the same in the decoded text (the decoder takes the BOM)
_CHUNK = 1 << 16
_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"


def is_dump_file(start: bytes) -> bool:
    """Whether a file's first bytes open a public data file's `{"items": [`."""
    return _OPENING.match(start) is not None


class BadItem(str):
    """Why the item at a position could not be read (a str, so it can be a reject reason)."""


TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")


def is_tar(path: Path) -> bool:
    """The dump as Crossref distributes it: one tar of `*.json.gz` files (read without unpacking)."""
    return path.is_file() and path.name.endswith(TAR_SUFFIXES) and tarfile.is_tarfile(path)


def tar_items(path: Path) -> Iterator[tuple[str, int, int, Any]]:
    """(member's name as PATH/MEMBER, position, line, work) for the works of each `.json` and
    `.json.gz` member of a tar, in the tar's order, streamed: neither the tar nor a member is unpacked
    to disk or held whole. A member that does not open a public data file is one BadItem."""
    try:
        with tarfile.open(path, mode="r|*") as tar:
            for member in tar:
                if not (member.isfile() and member.name.endswith((".json", ".json.gz"))):
                    continue
                label = f"{path}/{member.name}"
                raw = tar.extractfile(member)
                if raw is None:
                    continue
                f = gzip.GzipFile(fileobj=raw) if member.name.endswith(".gz") else raw
                try:
                    for index, line, item in _items(f.read, Path(label)):
                        yield label, index, line, item
                except InputError as e:
                    yield label, 0, 1, BadItem(str(e).removeprefix(f"{label}:1: "))
                except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as e:
                    yield label, 0, 1, BadItem(f"cannot be read: {e}")
    except (OSError, tarfile.TarError) as e:
        raise InputError(f"{path}: cannot be read as a tar: {e}") from e


def items(path: Path) -> Iterator[tuple[int, int, Any]]:
    """(position in `items`, line of its start, the work) per item; a JSON error gives a BadItem
    for the item it is in and ends the file (nothing after it can be placed)."""
    try:
        with open_binary(path) as f:
            yield from _items(f.read, path)
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: invalid UTF-8: {e}") from e
    except (OSError, EOFError) as e:
        raise InputError(f"{path}: cannot be read: {e}") from e


def _items(read: Any, path: Path) -> Iterator[tuple[int, int, Any]]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    buffer, line, ended = "", 1, False
    broken: str | None = None  # why the file could not be read on (its works before are kept)
    at_start = True

    def more() -> bool:
        nonlocal buffer, ended, broken, at_start
        if ended:
            return False
        try:
            chunk = read(_CHUNK)
            ended = not chunk
            buffer += decoder.decode(chunk, final=ended)
        except UnicodeDecodeError as e:  # the text before the bad byte is read: its works are kept
            before = bytes(e.object[:e.start]).decode("utf-8", errors="replace")
            buffer += before.removeprefix("\ufeff") if at_start else before
            ended, broken = True, f"invalid UTF-8 ({e.reason}) in this work or one after it"
        except (OSError, EOFError, zlib.error) as e:  # gzip's errors: a download cut short
            ended, broken = True, f"cannot be read on from this work: {e}"
        at_start = False
        return not ended

    while "[" not in buffer and more():
        pass
    start = _OPENING_TEXT.match(buffer)
    if start is None:
        why = broken or 'not a Crossref public data file (expected {"items": [ ...)'
        raise InputError(f"{path}:1: {why}")
    line += buffer.count("\n", 0, start.end())
    buffer = buffer[start.end():]
    position = 0
    while True:
        skipped = len(buffer) - len(buffer.lstrip(_SPACE + ","))
        line += buffer.count("\n", 0, skipped)
        buffer = buffer[skipped:]
        if not buffer:
            if not more():
                yield position, line, BadItem(broken or "the file ends inside `items` (a file cut short?)")
                return
            continue
        if buffer[0] == "]":
            return
        try:
            value, end = _DECODER.raw_decode(buffer)
        except json.JSONDecodeError as e:
            if more():
                continue  # the item goes on in the next chunk
            yield position, line, BadItem(broken or f"invalid JSON: {e.msg} at line {line + e.lineno - 1}")
            return
        yield position, line, value
        line += buffer.count("\n", 0, end)
        buffer = buffer[end:]
        position += 1
