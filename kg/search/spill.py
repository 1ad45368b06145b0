"""The papers' packed abstracts (kg.search.abstracts.pack) kept in a scratch file while the build
maps its inputs, not in the mapping's memory, and read back one by one as the search index is
written.

Each is appended as it is collected: its paper number and its length (uint32 each), then its bytes;
the first abstract of a paper is kept. What stays in memory is where each paper's record starts,
8 bytes a paper number (NONE: no abstract), against the 600 to 700 bytes an abstract takes packed.
The index writer asks for them in its own order (newest first, not the order mapped): one read at
the record's offset each, so its memory stays bounded whatever the order; the file's pages are the
page cache's, not the process's.

The file has no name (tempfile.TemporaryFile in the directory given, beside the store: /tmp may be
memory): it goes when it is closed or when its process ends, killed or not, so a failed or killed
build leaves nothing of it behind.
"""

from __future__ import annotations

import os
import struct
import tempfile
from array import array
from pathlib import Path
from typing import IO

NONE = 0xFFFFFFFFFFFFFFFF
_HEAD = struct.Struct("<II")  # paper number, length
_READ = 2048  # bytes read at once: the record's head and most abstracts whole (200 words packed)


class SpilledAbstracts:
    """Packed abstracts by paper number, on disk in `directory` (the system's temporary directory
    when None); the file is made with the first abstract."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._file: IO[bytes] | None = None
        self._at = array("Q")
        self._end = 0
        self._flushed = True
        self.count = 0  # abstracts kept

    def add(self, paper: int, packed: bytes) -> None:
        """Keeps `packed` as paper `paper`'s abstract unless it has one already."""
        at = self._at
        if paper < len(at) and at[paper] != NONE:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self.directory)  # noqa: SIM115 - closed by close()
        if len(at) <= paper:
            at.extend(array("Q", [NONE]) * (paper + 1 - len(at)))
        at[paper] = self._end
        self._file.write(_HEAD.pack(paper, len(packed)))
        self._file.write(packed)
        self._end += _HEAD.size + len(packed)
        self._flushed = False
        self.count += 1

    def __len__(self) -> int:
        """One more than the highest paper number seen with an abstract."""
        return len(self._at)

    def has(self, paper: int) -> bool:
        """Whether paper `paper` has an abstract here."""
        return 0 <= paper < len(self._at) and self._at[paper] != NONE

    def get(self, paper: int) -> bytes | None:
        """Paper `paper`'s packed abstract, None when it has none."""
        at = self._at[paper] if 0 <= paper < len(self._at) else NONE
        if at == NONE or self._file is None:
            return None
        if not self._flushed:
            self._file.flush()
            self._flushed = True
        fd = self._file.fileno()
        got = os.pread(fd, _READ, at)
        number, size = _HEAD.unpack_from(got)
        if number != paper:
            raise ValueError(f"the abstracts' scratch file holds paper {number} where paper {paper}'s was written")
        data = got[_HEAD.size: _HEAD.size + size]
        if len(data) < size:
            data += os.pread(fd, size - len(data), at + _HEAD.size + len(data))
        if len(data) != size:
            raise ValueError(f"the abstracts' scratch file ends inside paper {paper}'s abstract")
        return data

    def close(self) -> None:
        """Closes the file, which removes it: what it held is not read again."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._at = array("Q")
