"""Plain-text renderings of path and co-author results, for the command line."""

from __future__ import annotations

from kg.paths.model import MAX_VISITED, AmbiguousAuthor, CoauthorsResult, PathResult, ReachResult

_STOPPED = {"timeout": "time budget; raise --timeout", "too-large": f"visited {MAX_VISITED:,} nodes",
            "beyond-max-hops": "max hops", "not-connected": "not connected", "found": "found"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def render_text(r: PathResult) -> str:
    head = f"{r.source.name} → {r.target.name} (by {r.by})"
    if r.avoid:
        head += " avoiding " + ", ".join(n.name for n in r.avoid)
    if r.status == "not-connected":
        return f"{head}: no chain — they are not connected by co-authorship{' without those' * bool(r.avoid)}\n"
    if r.status == "beyond-max-hops":
        return f"{head}: no chain within {_plural(r.max_hops, 'hop')} (raise --max-hops to search further)\n"
    if r.status == "timeout":
        return f"{head}: search stopped at the time budget before finding a chain (raise --timeout)\n"
    if r.status == "too-large":
        return f"{head}: search stopped after visiting {MAX_VISITED:,} nodes before finding a chain\n"
    lines = [f"{head}: distance {r.distance}"]
    if r.alternatives is not None:
        lengths = ", ".join(str(len(p.links)) for p in r.paths)
        chains = _plural(len(r.paths), "shortest simple chain")
        lines.append(f"{chains} of the {r.alternatives} asked (links: {lengths})")
        if r.stopped is not None:
            lines.append(f"the search for more stopped ({_STOPPED[r.stopped]})")
    elif len(r.paths) > 1 or r.capped:
        more = f" (the first {len(r.paths)}; capped by --limit)" if r.capped else ""
        lines.append(f"{_plural(len(r.paths), 'shortest path')}{more}")
    for k, path in enumerate(r.paths):
        weakest = min((len(link.papers) for link in path.links), default=0)
        strong = r.strongest and k == 0
        strongest = f" — the strongest: weakest link {_plural(weakest, 'joint paper')}" if strong else ""
        if len(r.paths) > 1 or strongest:
            lines.append(f"\nPath {k + 1}{strongest}:")
        for i, n in enumerate(path.nodes):
            lines.append(f"  {n.name}  <{n.iri}>")
            if i < len(path.links):
                for p in path.links[i].papers:
                    where = ", ".join(x for x in (p.venue, str(p.year) if p.year else None) if x)
                    lines.append(f"      · {p.label()}" + (f" ({where})" if where else ""))
    return "\n".join(lines) + "\n"


def render_candidates(e: AmbiguousAuthor) -> str:
    lines = [str(e), "Candidates:"]
    for c in e.candidates:
        papers, first, last = e.activity.get(c.iri, (None, None, None))
        years = "" if first is None else f", {first}" if first == last else f", {first}–{last}"
        active = f"  {_plural(papers, 'paper')}{years}" if papers is not None else ""
        lines.append(f"  {c.name}{active}  <{c.iri}>")
    return "\n".join(lines) + "\n"


def render_coauthors(r: CoauthorsResult) -> str:
    lines = [f"{r.author.name}  <{r.author.iri}> — {_plural(len(r.coauthors), 'co-author')}"]
    lines += [f"  {c.papers:>4}  {c.name}  <{c.iri}>" for c in r.coauthors]
    return "\n".join(lines) + "\n"


def render_reach(r: ReachResult) -> str:
    what = "author" if r.by == "author" else "name cluster"
    lines = [f"{r.author.name}  <{r.author.iri}> (by {r.by}): {_plural(sum(r.counts), what)} within "
             f"{_plural(len(r.counts), 'hop')}"]
    lines += [f"  {d:>3}  {n:>9,}" for d, n in enumerate(r.counts, start=1)]
    if r.status == "beyond-max-hops":
        lines.append(f"more beyond {_plural(r.max_hops, 'hop')} (raise --max-hops)")
    elif r.status != "complete":
        lines.append(f"the counts are partial: the search stopped ({_STOPPED[r.status]})")
    if r.at is not None:
        total = r.counts[r.at - 1] if r.at <= len(r.counts) else 0
        shown = f"{r.offset + 1}–{r.offset + len(r.nodes)} of {total:,}" if r.nodes else f"none of {total:,} shown"
        lines.append(f"\nAt distance {r.at} ({shown}):")
        lines += [f"  {n.name}  <{n.iri}>" for n in r.nodes]
    return "\n".join(lines) + "\n"
