from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import kg
from kg.store import StoreDir

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "arrow-liyuan-liu"
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(os.environ.get("KG_SHARED", ROOT.parent / "shared"))


def shared(*parts: str) -> Path:
    """A file of the recorded real data in ../shared/, or skip with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"recorded data not present: {path} (../shared/ is beside the clone in CI; set KG_SHARED)")
    return path


@pytest.fixture(scope="session")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example graph, built once per session; tests must not write to it."""
    store = tmp_path_factory.mktemp("example") / "store"
    kg.build([EXAMPLE], store)
    yield store


@pytest.fixture(scope="session")
def example_db(example_store: Path):  # type: ignore[no-untyped-def]
    return StoreDir(example_store).open()
