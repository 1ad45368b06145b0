"""docs/architecture.md names only files and folders that exist, and every module of kg/ is named."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
NAMED = re.compile(r"(?<![\w/.])((?:kg|ontology|queries|bench|tests|docs)/[\w./<>*-]*)")
ROOTS = {"kg/", "ontology/", "queries/", "bench/", "tests/", "docs/"}


def named_paths() -> set[str]:
    found = set()
    for m in NAMED.finditer(DOC.read_text(encoding="utf-8")):
        path = m.group(1).rstrip(".,:;)")
        if "<" in path:  # a pattern such as kg/sources/<kind>.py names its folder
            path = path.split("<", 1)[0]
        if path not in ROOTS:
            found.add(path)
    return found


def test_every_path_the_page_names_exists() -> None:
    paths = named_paths()
    assert len(paths) > 40
    missing = sorted(p for p in paths if not ((ROOT / p).exists() or ("*" in p and any(ROOT.glob(p)))))
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_module_is_named_or_in_a_named_package() -> None:
    paths = named_paths()
    modules = [p.relative_to(ROOT).as_posix() for p in (ROOT / "kg").rglob("*.py")]
    skip = {"kg/__init__.py", "kg/__main__.py", "kg/version.py"}

    folders = [p for p in paths if p.endswith("/")]
    missing = sorted(
        m for m in modules if m not in paths and m not in skip and not any(m.startswith(f) for f in folders)
    )
    assert not missing, f"docs/architecture.md does not say where these modules fit: {missing}"
