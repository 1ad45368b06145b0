"""Opening files that may be gzip-compressed (by their .gz suffix)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO, Literal, cast


def open_binary(path: Path, mode: Literal["rb", "wb"]) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, mode))
    return cast(IO[bytes], open(path, mode))  # noqa: SIM115 (the caller closes it)
