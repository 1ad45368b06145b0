"""mkdocs hooks: the README as the site's home page, bench/README.md and bench/RESULTS.md as pages.

The Markdown files keep the links that work on a repository's web view (README: `docs/paths.md`;
a page of docs/: `../README.md`, `../bench/RESULTS.md#…`); here they become the site's own pages, so
`mkdocs build --strict` checks every one of them. A link to any other file outside docs/ is left as
it is, and --strict fails on it: link such files as code (`kg/cluster.py`), not as links.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# A file outside docs/ -> the page it becomes.
PAGES = {"README.md": "index.md", "bench/README.md": "bench.md", "bench/RESULTS.md": "results.md"}
LINK = re.compile(r"(\]\()([^)#\s]*)")


def _site_link(target: str, source: str) -> str:
    """A link as written in the repository file `source` (relative to the top) -> the site's."""
    if not target or "://" in target or target.startswith(("mailto:", "/")):
        return target
    path = (Path(source).parent / target).as_posix()
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    path = "/".join(parts)
    if path in PAGES:
        return PAGES[path]
    if path.startswith("docs/"):
        return path.removeprefix("docs/")
    if path == "bench" or path.startswith("bench/"):
        return PAGES["bench/README.md"] if path.rstrip("/") == "bench" else target
    return target


def rewrite(text: str, source: str) -> str:
    """Every Markdown link of `text`, a file at `source` in the repository, as the site's page sees it."""
    return LINK.sub(lambda m: m.group(1) + _site_link(m.group(2), source), text)


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    top = Path(config["config_file_path"]).parent
    for source, page in PAGES.items():
        text = (top / source).read_text(encoding="utf-8")
        files.append(File.generated(config, page, content=rewrite(text, source)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if page.file.generated_by:
        return markdown
    return rewrite(markdown, "docs/" + page.file.src_uri)
