"""`kg identity NAME`: a cluster's probable persons and their evidence as text or JSON."""

from __future__ import annotations

from typing import Any

from kg.cluster import Cluster
from kg.identity.facts import row_label


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
    rows = {r.iri: r for r in c.rows}
    for i, p in enumerate(c.persons, 1):
        lines += ["", f"Person {i}: {len(p.rows)} row{'s' * (len(p.rows) != 1)}, "
                      f"{p.papers} paper{'s' * (p.papers != 1)}"]
        for r in p.rows:
            row = rows.get(r)
            count = row.paper_count if row is not None else 0
            years = f", {row.first_year}–{row.last_year}" if row is not None and row.first_year else ""
            lines.append(f"  {row_label(r)}  {count} paper{'s' * (count != 1)}{years}  <{r}>")
        lines += [f"  - {e}" for e in p.evidence]
    if c.pairs is not None:
        lines += ["", "Pairs:"]
        for v in c.pairs:
            score = f"{v.score:6.2f}" if v.score is not None else "     -"
            a, b = (row_label(r) for r in v.rows)
            lines.append(f"  {v.verdict:8} {score}  {a} / {b}: {'; '.join(v.reasons)}")
    elif n_rows > 1:
        lines += ["", "(no pairwise table: more than 50 rows)"]
    if c.suggestions:
        lines += ["", "Perhaps the same person under another spelling (suggestions, not merged):"]
        for s in c.suggestions:
            lines.append(f"  {s.verdict:8} {s.score:6.2f}  {s.name} ({row_label(s.row)}) ~ {row_label(s.like)}: "
                         f"{'; '.join(s.reasons)}  <{s.row}>")
    return "\n".join(lines) + "\n"
