"""The read side of the identity evidence: a cluster's probable persons and pairwise verdicts, from
the identity graph the build wrote, through kg.backend.Backend (two indexed queries, no evidence
computed per request).

`persons` always covers every row of the cluster (the whole cluster, whatever page of papers is
shown): a row in no kg:ProbablePerson is a person of its own, because nothing in common could join
it to another row (the cluster carries kg:personCount: the step judged it), or because the
cluster has one row, or because the store was built without the identity step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import combinations

from kg.backend.base import Backend
from kg.identity.evidence import SAME, UNSURE
from kg.identity.facts import row_label
from kg.queries import NamedQuery, as_int, named

PAIRS_MAX = 50  # the pairwise table is given for clusters of at most this many rows
NO_GRAPH = "no identity evidence in this store (built without the identity step)"
NOT_COMPARED = "not compared: nothing in common that could make them one person"
ALONE = "compared with no other row: nothing in common with them that could make it one person"


@dataclass
class Person:
    rows: list[str]
    papers: int
    evidence: list[str] = field(default_factory=list)
    iri: str | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class PairView:
    rows: list[str]
    verdict: str
    score: float | None
    reasons: list[str]

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def _query(name: str, loose: bool) -> NamedQuery:
    query = named(name)
    if not loose:
        return query
    return NamedQuery(query.name, query.text.replace("kg:nameKey", "kg:looseNameKey"), query.title,
                      query.description, query.params)


def persons_query(loose: bool = False) -> NamedQuery:
    """The query `persons` asks (with ?key bound), for a caller that asks it with others (kg.cluster)."""
    return _query("identity-persons", loose)


def persons(data: Backend, key: str, rows: dict[str, int], *, loose: bool = False,
            answer: list[dict[str, object]] | None = None) -> list[Person]:
    """The probable persons of the cluster with name key `key`; `rows` maps every row of the
    cluster to its paper count. Largest person first. `answer`: the rows of persons_query for
    `key`, when the caller asked it already."""
    found: dict[str, Person] = {}
    covered: set[str] = set()
    checked = False  # the identity step judged this cluster
    if answer is None:
        answer = data.select(persons_query(loose), {"key": key})
    for r in answer:
        if r.get("person") is None:
            checked = checked or r.get("persons") is not None
            continue
        iri, row = str(r["person"]), str(r["row"])
        person = found.get(iri)
        if person is None:
            person = found[iri] = Person([], as_int(r.get("papers")) or 0, [], iri)
        if row not in person.rows:
            person.rows.append(row)
            covered.add(row)
        evidence = r.get("evidence")
        if evidence is not None and str(evidence) not in person.evidence:
            person.evidence.append(str(evidence))
    return completed(list(found.values()), covered, rows, checked)


def completed(found: list[Person], covered: set[str], rows: dict[str, int], checked: bool) -> list[Person]:
    """The probable persons `found` (covering the rows `covered`) with each other row of the cluster
    (`rows`: row -> its paper count) a person of its own, saying why (`checked`: whether the identity
    step judged the cluster); rows and evidence sorted, largest person first."""
    out = list(found)
    for row in sorted(set(rows) - covered):
        out.append(Person([row], rows[row], [] if len(rows) < 2 else [ALONE] if checked or covered else [NO_GRAPH]))
    for p in out:
        p.rows.sort()
        p.evidence.sort()
    out.sort(key=lambda p: (-p.papers, p.rows[0]))
    return out


def pairs(data: Backend, key: str, rows: list[str], *, loose: bool = False) -> list[PairView] | None:
    """Every pair of rows of the cluster with its verdict (None above PAIRS_MAX rows): the compared
    ones as the build judged them, the others `unsure`, not compared."""
    if len(rows) > PAIRS_MAX:
        return None
    stored: dict[tuple[str, str], PairView] = {}
    for r in data.select(_query("identity-pairs", loose), {"key": key}):
        a, b = str(r["a"]), str(r["b"])
        view = stored.get((a, b))
        if view is None:
            score = r.get("score")
            value = float(str(score)) if score is not None else None
            view = stored[(a, b)] = PairView([a, b], str(r["verdict"]), value, [])
        reason = r.get("reason")
        if reason is not None and str(reason) not in view.reasons:
            view.reasons.append(str(reason))
    out: list[PairView] = []
    for a, b in combinations(sorted(rows), 2):
        view = stored.get((a, b)) or PairView([a, b], UNSURE, None, [NOT_COMPARED])
        view.reasons.sort(key=_reason_order)
        out.append(view)
    out.sort(key=lambda v: (v.verdict != SAME, -(v.score if v.score is not None else -1e9), v.rows))
    return out


def _reason_order(reason: str) -> tuple[int, str]:
    if reason.startswith("corrected by hand"):  # a curator's verdict (kg.identity.curation) comes first
        return -1, reason
    for rank, word in enumerate(("ORCID", "dblp", "OpenAlex", "paper", "co-author", "venue")):
        if word in reason:
            return rank, reason
    return 9, reason


def label(iri: str) -> str:
    return row_label(iri)
