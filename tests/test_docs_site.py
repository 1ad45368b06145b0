"""The documentation site's hook (scripts/mkdocs_hooks.py): repository links become the site's pages.

`mkdocs build --strict` in .ci/run checks that every link of the built site resolves; this checks the
rewriting it relies on, and that mkdocs.yml lists every page of docs/ and the pages the hook adds.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "scripts" / "mkdocs_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_links_become_the_site_pages() -> None:
    rewrite = _hooks().rewrite
    text = ("[paths](docs/paths.md#avoid-strongest-alternatives-reach) ![x](docs/screenshots/cluster.png) "
            "[r](bench/RESULTS.md#co-authorship-paths) [b](bench/README.md) [o](https://oxigraph.org/x.md) "
            "[a](#quick-start)")
    assert rewrite(text, "README.md") == (
        "[paths](paths.md#avoid-strongest-alternatives-reach) ![x](screenshots/cluster.png) "
        "[r](results.md#co-authorship-paths) [b](bench.md) [o](https://oxigraph.org/x.md) [a](#quick-start)")


def test_a_docs_page_links_to_the_readme_and_results() -> None:
    rewrite = _hooks().rewrite
    text = "[home](../README.md) [r](../bench/RESULTS.md#remote) [p](paths.md) [s](./scaling.md#past-one-machine)"
    assert rewrite(text, "docs/testing.md") == (
        "[home](index.md) [r](results.md#remote) [p](paths.md) [s](scaling.md#past-one-machine)")


def test_other_files_are_left_for_strict_to_refuse() -> None:
    assert _hooks().rewrite("[code](../kg/cluster.py)", "docs/paths.md") == "[code](../kg/cluster.py)"


def test_the_nav_lists_every_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*([\w-]+\.md)\s*$", config, flags=re.M))
    pages = {p.name for p in (ROOT / "docs").glob("*.md")} | set(_hooks().PAGES.values())
    assert listed == pages


def test_every_relative_link_resolves_in_the_repository() -> None:
    """The files keep the links that work on a repository's web view (the hook turns them into the
    site's): each relative link of the README, docs/ and bench/ names a file of the repository
    (docs/sync.md linked `results.md`, a page only the built site has)."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "bench").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)", page.read_text(encoding="utf-8")):
            if "://" not in target and not target.startswith("mailto:") and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken
