"""The gate before a sync's swap: a delta that moves too much of the graph is refused, with a
one-line reason, before anything is written (a scrambled snapshot must not be swallowed)."""

from __future__ import annotations

from kg.errors import KgError
from kg.sync.delta import Delta

DEFAULT_MAX_CHANGE = 0.05
# Below this many resources of a kind, a change is never refused for its share (a small store's
# first papers would all be "more than 5 %").
MIN_GATED = 20


class SyncRefused(KgError):
    """The sync would move more than --max-change of a kind of resource, or break the shapes."""


def parse_share(text: str) -> float:
    """`5%`, `0.05` or `5 %` -> 0.05; a ValueError naming the value otherwise."""
    value = text.strip()
    try:
        share = float(value[:-1].strip()) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a share (write 5% or 0.05)") from None
    if not 0 <= share <= 1:
        raise ValueError(f"{text!r} is not between 0% and 100%")
    return share


# a kind of the delta -> its name among a store's counts (build.json "counts", kg stats)
_COUNTED = {"paper": "papers", "author": "authors", "venue": "venues", "authorship": "authorships",
            "cluster": "clusters"}


def check(delta: Delta, max_change: float, held: dict[str, int] | None = None) -> None:
    """Raises SyncRefused when, for a kind of resource that exists, the share changed or removed
    (added ones too, measured against what there was) exceeds `max_change`.

    What there was is counted in the synced graphs; where they hold fewer than MIN_GATED of a kind
    (a source the store does not have yet), in the whole store (`held`: its counts by kg stats'
    names), so that an input given by mistake, another source's dump, is not added unchecked to
    a store of others."""
    for kind, c in delta.counts().items():
        before = c["before"]
        moved = c.get("added", 0) + c.get("changed", 0) + c.get("removed", 0)
        if before < MIN_GATED and held is not None:
            before = max(before, held.get(_COUNTED.get(kind, ""), 0))
        if before < MIN_GATED or not moved:
            continue
        share = moved / before
        if share > max_change:
            raise SyncRefused(
                f"sync refused: {moved:,} of {before:,} {kind}s would change ({share:.1%}, more than "
                f"--max-change {max_change:.0%}: {delta.summary()}); the store is unchanged"
            )
