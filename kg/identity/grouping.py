"""Probable persons: the rows of a cluster partitioned into groups from the pairwise verdicts.

Agglomerative: `same` pairs are taken strongest first, and two groups are joined only when no
pair across them is `distinct` (every cross pair is checked, computed on demand when it was not
among the compared ones), so one shared co-author cannot chain two people together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kg.identity.evidence import DISTINCT, SAME, Pair


@dataclass
class Group:
    rows: list[str]
    evidence: list[str] = field(default_factory=list)


def partition(rows: list[str], pairs: list[Pair], verdict: Callable[[str, str], Pair],
              label: Callable[[str], str]) -> list[Group]:
    """Groups covering every row exactly once; `verdict(a, b)` gives (and may compute) any pair."""
    group_of = {r: i for i, r in enumerate(rows)}
    members: dict[int, list[str]] = {i: [r] for i, r in enumerate(rows)}
    evidence: dict[int, list[str]] = {i: [] for i in range(len(rows))}
    blocked: dict[str, Pair] = {}
    for pair in sorted((p for p in pairs if p.verdict == SAME), key=lambda p: (-p.score, p.a, p.b)):
        ga, gb = group_of[pair.a], group_of[pair.b]
        if ga == gb:
            continue
        veto = next((v for x in members[ga] for y in members[gb] if (v := verdict(x, y)).verdict == DISTINCT), None)
        if veto is not None:
            for r in (pair.a, pair.b):
                blocked.setdefault(r, veto)
            continue
        keep, gone = (ga, gb) if len(members[ga]) >= len(members[gb]) else (gb, ga)
        for r in members[gone]:
            group_of[r] = keep
        members[keep].extend(members.pop(gone))
        evidence[keep].extend(evidence.pop(gone))
        evidence[keep].append(f"{label(pair.a)} and {label(pair.b)}: {'; '.join(pair.reasons)}")
    mine: dict[str, list[Pair]] = {}
    for p in pairs:
        mine.setdefault(p.a, []).append(p)
        mine.setdefault(p.b, []).append(p)
    groups: list[Group] = []
    for g, rs in members.items():
        rs.sort()
        ev = evidence[g]
        if len(rs) == 1 and len(rows) > 1:
            ev = _apart(rs[0], mine.get(rs[0], []), blocked, label)
        groups.append(Group(rs, ev))
    groups.sort(key=lambda g: (-len(g.rows), g.rows[0]))
    return groups


def _apart(row: str, mine: list[Pair], blocked: dict[str, Pair], label: Callable[[str], str]) -> list[str]:
    """Why a row stands alone: what kept it from its nearest row (`mine`: its compared pairs)."""
    veto = blocked.get(row)
    if veto is not None:
        other = veto.b if veto.a == row else veto.a
        return [f"kept apart: with {label(other)}, {'; '.join(veto.reasons)}"]
    if not mine:
        return ["compared with no other row: nothing in common with them that could make it one person"]
    best = max(mine, key=lambda p: (p.score, p.a, p.b))
    other = best.b if best.a == row else best.a
    word = "distinct from" if best.verdict == DISTINCT else "not enough evidence to join"
    return [f"{word} {label(other)}: {'; '.join(best.reasons)}"]
