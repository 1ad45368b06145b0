"""`kg identity NAME`: a cluster's probable persons and their evidence as text or JSON."""

from __future__ import annotations

from typing import Any

from kg.cluster import Cluster, pairs_text, persons_text, suggestions_text


def to_json(c: Cluster) -> dict[str, Any]:
    rows = {r.iri: r for r in c.rows}
    return {
        "name": c.name,
        "key": c.key,
        "loose": c.loose,
        "rows": [{"iri": r.iri, "name": r.name, "papers": r.paper_count} for r in c.rows],
        "persons": [p.to_json() for p in c.persons],
        "pairs": [v.to_json() for v in c.pairs] if c.pairs is not None else None,
        "suggestions": [v.to_json() for v in c.suggestions],
        "papers": sum(rows[r].paper_count for p in c.persons for r in p.rows if r in rows),
    }


def render_text(c: Cluster) -> str:
    n_rows, n_persons = len(c.rows), len(c.persons)
    lines = [f"{c.name} — {n_rows} author row{'s' * (n_rows != 1)}, "
             f"{n_persons} probable person{'s' * (n_persons != 1)}"]
    if not c.rows:
        lines.append(f"No author row is named {c.name!r}{' (loose match)' if c.loose else ''}.")
        return "\n".join(lines) + "\n"
    lines += persons_text(c) + pairs_text(c) + suggestions_text(c)
    return "\n".join(lines) + "\n"
