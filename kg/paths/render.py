"""Plain-text renderings of path and co-author results, for the command line."""

from __future__ import annotations

from kg.paths.model import MAX_VISITED, AmbiguousAuthor, CoauthorsResult, PathResult


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def render_text(r: PathResult) -> str:
    head = f"{r.source.name} → {r.target.name} (by {r.by})"
    if r.status == "not-connected":
        return f"{head}: no chain — they are not connected by co-authorship\n"
    if r.status == "beyond-max-hops":
        return f"{head}: no chain within {_plural(r.max_hops, 'hop')} (raise --max-hops to search further)\n"
    if r.status == "timeout":
        return f"{head}: search stopped at the time budget before finding a chain (raise --timeout)\n"
    if r.status == "too-large":
        return f"{head}: search stopped after visiting {MAX_VISITED:,} nodes before finding a chain\n"
    lines = [f"{head}: distance {r.distance}"]
    if len(r.paths) > 1 or r.capped:
        more = f" (the first {len(r.paths)}; capped by --limit)" if r.capped else ""
        lines.append(f"{_plural(len(r.paths), 'shortest path')}{more}")
    for k, path in enumerate(r.paths):
        if len(r.paths) > 1:
            lines.append(f"\nPath {k + 1}:")
        for i, n in enumerate(path.nodes):
            lines.append(f"  {n.name}  <{n.iri}>")
            if i < len(path.links):
                for p in path.links[i].papers:
                    where = ", ".join(x for x in (p.venue, str(p.year) if p.year else None) if x)
                    lines.append(f"      · {p.title}" + (f" ({where})" if where else ""))
    return "\n".join(lines) + "\n"


def render_candidates(e: AmbiguousAuthor) -> str:
    lines = [str(e), "Candidates:"]
    lines += [f"  {c.name}  <{c.iri}>" for c in e.candidates]
    return "\n".join(lines) + "\n"


def render_coauthors(r: CoauthorsResult) -> str:
    lines = [f"{r.author.name}  <{r.author.iri}> — {_plural(len(r.coauthors), 'co-author')}"]
    lines += [f"  {c.papers:>4}  {c.name}  <{c.iri}>" for c in r.coauthors]
    return "\n".join(lines) + "\n"
