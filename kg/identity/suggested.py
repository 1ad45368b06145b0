"""The read side of the variant suggestions (kg.identity.variants): for a name cluster, the rows of
other clusters that are probably one of its persons under another spelling, best first, from the
identity graph through kg.backend.Backend (one indexed query; nothing computed per request).

A suggestion is never a merge: the cluster keeps its own rows, and a suggested row already among
them (a loose cluster folds what a suggestion found) is left out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from kg.backend.base import Backend
from kg.queries import NamedQuery, named

SHOWN = 10  # the best suggestions of a cluster shown


@dataclass
class VariantView:
    row: str            # the row of another cluster
    name: str           # its name as written
    like: str           # the row of this cluster it was compared with
    verdict: str
    score: float
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def suggestions_query(loose: bool = False) -> NamedQuery:
    """The query `suggestions` asks (with ?key bound), for a caller that asks it with others."""
    query = named("identity-variants")
    if not loose:
        return query
    return NamedQuery(query.name, query.text.replace("kg:nameKey", "kg:looseNameKey"), query.title,
                      query.description, query.params)


def suggestions(data: Backend, key: str, rows: set[str], *, loose: bool = False,
                answer: list[dict[str, object]] | None = None) -> list[VariantView]:
    """The best SHOWN suggestions for the cluster with name key `key` and rows `rows`: each other
    row once, with the row of this cluster it scored best with; highest score first."""
    if answer is None:
        answer = data.select(suggestions_query(loose), {"key": key})
    found: dict[tuple[str, str], VariantView] = {}
    for r in answer:
        row, other = str(r["row"]), str(r["other"])
        if other in rows:
            continue
        view = found.get((row, other))
        if view is None:
            view = found[(row, other)] = VariantView(other, str(r["name"]), row, str(r["verdict"]),
                                                      float(str(r["score"])))
        reason = r.get("reason")
        if reason is not None and str(reason) not in view.reasons:
            view.reasons.append(str(reason))
    for view in found.values():
        # a curator's word first, then how the names relate, then the evidence
        view.reasons.sort(key=lambda reason: (not reason.startswith("corrected by hand"),
                                              not reason.startswith("name: "), reason))
    best: dict[str, VariantView] = {}
    for view in sorted(found.values(), key=lambda v: (-v.score, v.row, v.like)):
        best.setdefault(view.row, view)
    return list(best.values())[:SHOWN]
