"""The difference between two ledgers (kg.sync.ledger): which subjects of which graph are new,
changed or gone, and how many of each kind of resource that is."""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.sync.ledger import Ledger

KINDS = ("paper", "authorship", "author", "venue", "cluster", "other")


def kind_of(subject: bytes, base: bytes) -> str:
    """The kind of resource a subject (`<iri>`) minted under `base` is: paper, authorship, ..."""
    if not subject.startswith(b"<" + base):
        return "other"
    rest = subject[len(base) + 1 : -1]
    head, _, tail = rest.partition(b"/")
    if head == b"paper":
        return "authorship" if b"/authorship/" in tail else "paper"
    name = head.decode("ascii", "replace")
    return name if name in KINDS else "other"


@dataclass
class GraphDelta:
    """One graph's difference: subjects to add, to rewrite and to remove."""

    added: set[bytes] = field(default_factory=set)
    changed: set[bytes] = field(default_factory=set)
    removed: set[bytes] = field(default_factory=set)

    @property
    def written(self) -> set[bytes]:
        """The subjects whose new lines are loaded."""
        return self.added | self.changed

    @property
    def cleared(self) -> set[bytes]:
        """The subjects whose lines in the store are removed first."""
        return self.changed | self.removed


@dataclass
class Delta:
    graphs: dict[str, GraphDelta] = field(default_factory=dict)
    before: dict[str, int] = field(default_factory=dict)  # resources of each kind before, in these graphs
    moved: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> {added, changed, removed}

    @property
    def empty(self) -> bool:
        return not any(g.added or g.changed or g.removed for g in self.graphs.values())

    def counts(self) -> dict[str, dict[str, int]]:
        """Per kind of resource: before, added, changed, removed (kinds that moved or exist)."""
        return {kind: {"before": self.before.get(kind, 0), **self.moved.get(kind, {})}
                for kind in KINDS if self.before.get(kind) or self.moved.get(kind)}

    def summary(self) -> str:
        parts = []
        for kind, c in self.counts().items():
            moved = [f"{c[k]:,} {k}" for k in ("added", "changed", "removed") if c.get(k)]
            if moved:
                parts.append(f"{kind}s: {', '.join(moved)}")
        return "; ".join(parts) if parts else "no change"


def between(old: Ledger, new: Ledger, graphs: list[str], base: str) -> Delta:
    """What turns `old` into `new` in `graphs` (a graph missing from `new` is emptied)."""
    delta = Delta()
    raw_base = base.encode("utf-8")
    for name in graphs:
        before = old.graphs.get(name, {})
        after = new.graphs.get(name, {})
        d = delta.graphs[name] = GraphDelta()
        for subject, digest in after.items():
            was = before.get(subject)
            if was is None:
                d.added.add(subject)
            elif was != digest:
                d.changed.add(subject)
        d.removed = {s for s in before if s not in after}
        for subject in before:
            kind = kind_of(subject, raw_base)
            delta.before[kind] = delta.before.get(kind, 0) + 1
        for how, subjects in (("added", d.added), ("changed", d.changed), ("removed", d.removed)):
            for subject in subjects:
                moved = delta.moved.setdefault(kind_of(subject, raw_base), {})
                moved[how] = moved.get(how, 0) + 1
    return delta
