"""Writing fetched responses: atomically, so an interrupted fetch never leaves half a file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def read_state(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return state


def write_state(path: Path, state: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(state, indent=2, sort_keys=True).encode("utf-8"))


def progress(total: int | None, unit: str) -> Any:
    """A tqdm bar on a terminal, else a no-op stand-in."""
    import sys

    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, disable=not sys.stderr.isatty())


def fetch_missing(keys: list[str], target: Callable[[str], Path], get: Callable[[str], bytes], unit: str) -> list[str]:
    """For each key whose file `target(key)` is not there yet, write `get(key)` to it atomically, so a
    rerun resumes where a stopped one ended. Returns the keys fetched (the others were skipped)."""
    fetched: list[str] = []
    bar = progress(len(keys), unit)
    try:
        for key in keys:
            path = target(key)
            if not path.exists():
                write_atomic(path, get(key))
                fetched.append(key)
            bar.update()
    finally:
        bar.close()
    return fetched
