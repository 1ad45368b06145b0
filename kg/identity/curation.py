"""Corrections by hand: a curator's word that two author rows are one person (`same`) or are not
(`distinct`), kept as data beside the store and applied by every build's identity step.

The corrections live in STORE/curations.json, outside the generations, so that a rebuild (which
replaces the generation) keeps them; the file is rewritten whole and atomically. Undoing or
superseding one keeps it, marked, so the file is also the curators' log.

A build applies them cluster by cluster (`Hand`): the rows joined by `same` corrections form a
group before any computed verdict is looked at, and within it no computed `distinct` splits them;
a `distinct` correction vetoes every group that would hold both rows, however they are joined.
When corrections contradict one another, the newer wins and the older is reported as a conflict;
a `same` between two rows on one paper is refused (one person is not two authors of one paper)
and reported as a conflict too. A correction whose rows are no longer in the store is reported
(`Outcome`), never dropped.

A correction about rows of two name clusters (a variant spelling, or a name that changed) never
merges the clusters: a name cluster stays the exact-name cluster its page promises. It is applied to
the variant suggestion between the two rows (kg.identity.variants): `same` writes it as confirmed by
hand, whatever the computed evidence says, and `distinct` removes it.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from kg.errors import KgError
from kg.identity.evidence import DISTINCT, RULE_SCORE, SAME, Pair
from kg.identity.facts import row_label
from kg.identity.grouping import Group, partition
from kg.store import CURATIONS as FILE

_LOCK = ".curations.lock"
VERDICTS = (SAME, DISTINCT)
MAX_TEXT = 2000  # characters of --why / --by

# what became of a correction in a build
APPLIED, CONFLICT, VANISHED, APART = "applied", "conflict", "vanished", "apart"
ACROSS = "across two name clusters: applied to the variant suggestion between the rows (the clusters stay apart)"


class CurationError(KgError):
    """Bad input to a correction; the message starts with the parameter it is about."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param


_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)


def is_time(value: object) -> bool:
    """Whether `value` is a time as corrections keep it: ISO 8601 in UTC, to the second (an
    xsd:dateTime in the RDF, kg.identity.curation_rdf)."""
    return isinstance(value, str) and _TIME.fullmatch(value) is not None


def unicode_text(value: str, param: str) -> str:
    """`value`, or a CurationError naming `param` when it holds a lone surrogate (JSON's "\\udcfc",
    a byte that is not UTF-8 in a command's argument): it could be neither looked up nor written."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CurationError(param, "not valid Unicode text (a lone surrogate)") from None
    return value


@dataclass(frozen=True)
class Labels:
    """How the caller names the parameters in errors (the CLI's A, B, --why; the API's fields)."""

    a: str = "A"
    b: str = "B"
    why: str = "--why"
    by: str = "--by"
    id: str = "ID"


CLI = Labels()
API = Labels("a", "b", "why", "by", "id")


@dataclass(frozen=True)
class Correction:
    id: int
    verdict: str  # same | distinct
    rows: tuple[str, str]  # row IRIs, sorted
    why: str
    by: str
    at: str  # when, ISO 8601 UTC
    undone: dict[str, Any] | None = None  # {"by", "at"} and "superseded_by" when a newer one replaced it

    @property
    def active(self) -> bool:
        return self.undone is None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["rows"] = list(self.rows)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Correction:
        """A correction as the file keeps it; a ValueError for one that is not (a hand-edited file:
        a verdict 'Distinct' or 'maybe' must not be applied as anything)."""
        ident = data["id"]
        if not isinstance(ident, int) or isinstance(ident, bool) or ident < 1:
            raise ValueError(f"id must be a positive whole number, not {ident!r}")
        verdict, rows = data["verdict"], data["rows"]
        if verdict not in VERDICTS:
            raise ValueError(f"correction #{ident}: verdict must be {' or '.join(VERDICTS)}, not {verdict!r}")
        if not (isinstance(rows, list) and len(rows) == 2 and all(isinstance(r, str) and r for r in rows)):
            raise ValueError(f"correction #{ident}: rows must be two row IRIs, not {rows!r}")
        for name in ("why", "by"):
            if not isinstance(data[name], str) or not data[name].strip():
                raise ValueError(f"correction #{ident}: {name} must be text, not {data[name]!r}")
        if not is_time(data["at"]):
            raise ValueError(f"correction #{ident}: at must be a time as YYYY-MM-DDTHH:MM:SSZ, not {data['at']!r}")
        undone = data.get("undone")
        if undone is not None and not (isinstance(undone, dict) and isinstance(undone.get("by"), str)
                                       and is_time(undone.get("at"))
                                       and isinstance(undone.get("superseded_by", 0), int)):
            raise ValueError(f"correction #{ident}: undone must be null or an object with by, at (and "
                             f"superseded_by), not {undone!r}")
        a, b = sorted(rows)
        return cls(ident, verdict, (a, b), data["why"], data["by"], data["at"], undone)

    def words(self) -> str:
        """The correction as the pages and reasons say it."""
        a, b = (row_label(r) for r in self.rows)
        what = "are one person" if self.verdict == SAME else "are two people"
        return f"corrected by hand: {a} and {b} {what} (#{self.id}, by {self.by}, {self.at[:10]}): {self.why}"


def _text(value: str | None, param: str, one_line: bool = False) -> str:
    """`value` checked and trimmed; a line break written \\r\\n (a Windows file, a browser's form) or
    \\r is a line break, \\n; `one_line` (a name) allows none."""
    if value is None or not value.strip():
        raise CurationError(param, "required and must not be empty")
    unicode_text(value, param)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if len(value) > MAX_TEXT:
        raise CurationError(param, f"longer than {MAX_TEXT} characters")
    if one_line and "\n" in value.strip():
        raise CurationError(param, "one line: a line break is not allowed")
    if any(ord(c) < 32 and c not in "\t\n" for c in value):
        raise CurationError(param, "control characters are not allowed")
    return value.strip()


def _curator(by: str | None, param: str) -> str:
    """Who makes or undoes a correction: one line, composed (NFC), so that a name typed composed or
    decomposed names one curator (one prov:Agent in the RDF, kg.identity.curation_rdf)."""
    return unicodedata.normalize("NFC", _text(by, param, one_line=True))


class CurationFile:
    """STORE/curations.json: every correction ever made, in order (undone ones marked)."""

    def __init__(self, store: Path) -> None:
        self.store = Path(store)
        self.path = self.store / FILE

    def read(self) -> list[Correction]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            found = [Correction.from_json(c) for c in data["corrections"]]
            twice = sorted(i for i, n in Counter(c.id for c in found).items() if n > 1)
            if twice:
                raise ValueError(f"correction #{twice[0]} given twice")
            return found
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise KgError(f"{self.path}: unreadable corrections file: {e}") from e

    def active(self) -> list[Correction]:
        return [c for c in self.read() if c.active]

    @contextmanager
    def _locked(self) -> Iterator[list[Correction]]:
        self.store.mkdir(parents=True, exist_ok=True)
        with open(self.store / _LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield self.read()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def add(self, verdict: str, rows: tuple[str, str], why: str, by: str, labels: Labels = CLI,
            now: str | None = None) -> Correction:
        """Records a correction (rows already resolved and checked); an active correction of the same
        pair is superseded by it. Its id is one more than any id ever given."""
        if verdict not in VERDICTS:
            raise CurationError("verdict", f"must be {' or '.join(VERDICTS)}, not {verdict!r}")
        why, by = _text(why, labels.why), _curator(by, labels.by)
        pair = (min(rows), max(rows))
        with self._locked() as known:
            at = now or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            new = Correction(max((c.id for c in known), default=0) + 1, verdict, pair, why, by, at)
            out = [replace(c, undone={"by": by, "at": at, "superseded_by": new.id})
                   if c.active and c.rows == pair else c for c in known]
            self._write([*out, new])
        return new

    def undo(self, ident: str | int, by: str, labels: Labels = CLI) -> Correction:
        try:
            number = int(str(ident).strip().lstrip("#"))
        except ValueError:
            raise CurationError(labels.id, f"must be a correction number (kg curate list), not {ident!r}") from None
        by = _curator(by, labels.by)
        with self._locked() as known:
            found = next((c for c in known if c.id == number), None)
            if found is None:
                raise CurationError(labels.id, f"no correction #{number} (the list of corrections gives their numbers)")
            if not found.active:
                raise CurationError(labels.id, f"correction #{number} was undone already")
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            done = replace(found, undone={"by": by, "at": at})
            self._write([done if c.id == number else c for c in known])
        return done

    def merge(self, found: list[Correction], source: str) -> list[Correction]:
        """Takes in corrections made elsewhere (read back from RDF by `kg load`:
        kg.identity.curation_rdf.read), as `taken_in` says; the corrections added or marked, as the
        file now holds them."""
        _checked(found, source)
        if not found:
            return []
        with self._locked() as known:
            every, changed = taken_in(known, found)
            if changed:
                self._write(every)
        return [c for c in every if c.id in changed]

    def merged(self, found: list[Correction], source: str) -> tuple[list[Correction], list[int]]:
        """What `merge` would make of the file, without writing it: every correction, and the ids of
        those added or marked (a load applies them before its generation is in place, and writes
        them only then: a load that fails changes nothing)."""
        _checked(found, source)
        return taken_in(self.read(), found)

    def _write(self, corrections: list[Correction]) -> None:
        """The whole file, atomically: a temporary file beside it, synced, renamed over it."""
        text = json.dumps({"format": 1, "corrections": [c.to_json() for c in corrections]}, indent=2,
                          ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(prefix=".curations-", dir=self.store)
        try:
            os.fchmod(fd, 0o644)  # as the store's other files (mkstemp makes it private)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.store, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _checked(found: list[Correction], source: str) -> None:
    """A KgError naming `source` and the correction for one whose why or who `add` would refuse."""
    for c in found:
        try:
            _text(c.why, "why"), _text(c.by, "by", one_line=True)
            for when in (c.at, *([c.undone["at"]] if c.undone else [])):
                if not is_time(when):
                    raise CurationError("at", f"a time as YYYY-MM-DDTHH:MM:SSZ, not {when!r}")
        except CurationError as e:
            raise KgError(f"{source}: correction #{c.id} ({c.verdict} {c.rows[0]} {c.rows[1]}): {e}") from None


def taken_in(known: list[Correction], found: list[Correction]) -> tuple[list[Correction], list[int]]:
    """`known` with the corrections `found` elsewhere taken in, by id, and the ids of those added or
    marked: each one not held already (the same verdict, rows, why, who and when) is added, under
    its own id when it is free, else under the next one (a superseded_by naming it follows); one
    active here and undone there is marked undone; of two active ones about one pair, the older is
    marked superseded by the newer (by when they were made)."""

    def key(c: Correction) -> tuple[str, tuple[str, str], str, str, str]:
        return c.verdict, c.rows, c.why, c.by, c.at

    held = {key(c): c for c in known}
    ours = {c.id for c in known}
    taken = set(ours)
    spare = max(taken | {c.id for c in found}, default=0) + 1
    ids: dict[int, int] = {}
    placed: list[tuple[Correction, int]] = []
    for c in found:
        same = held.get(key(c))
        if same is not None:
            ids[c.id] = same.id
            if same.active and not c.active:
                placed.append((c, same.id))
            continue
        number = c.id if c.id and c.id not in taken else spare
        spare += number == spare
        taken.add(number)
        ids.setdefault(c.id, number)
        placed.append((c, number))
    changed: dict[int, Correction] = {}
    for c, number in placed:
        undone = c.undone
        if undone is not None and undone.get("superseded_by") is not None:
            undone = {**undone, "superseded_by": ids.get(int(undone["superseded_by"]), undone["superseded_by"])}
        changed[number] = replace(c, id=number, undone=undone)
    every = sorted([changed.get(c.id, c) for c in known] + [c for n, c in changed.items() if n not in ours],
                   key=lambda c: c.id)
    # two active corrections of one pair (one made here, one there): the one made last stays, as
    # `add` keeps it (ids do not say which: one taken in may get the higher id yet be older)
    touched = {changed[n].rows for n in changed if changed[n].active}
    for rows in touched:
        active = sorted((c for c in every if c.active and c.rows == rows), key=lambda c: (c.at, c.id))
        for older in active[:-1]:
            newest = active[-1]
            changed[older.id] = replace(older, undone={"by": newest.by, "at": newest.at, "superseded_by": newest.id})
    every = [changed.get(c.id, c) for c in every]
    return every, sorted(changed)


@dataclass
class Outcome:
    """What a build did with one correction: applied, a conflict (not applied, `note` says why),
    vanished (a row is no longer in the store) or apart (its rows are in two name clusters)."""

    correction: Correction
    status: str
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {**self.correction.to_json(), "status": self.status, "note": self.note}


@dataclass
class Hand:
    """The active corrections as one build applies them. `row_of`: an author row's IRI -> its number
    in the build's index (None: not in the store); `cluster_of` and `papers_of` by that number."""

    corrections: list[Correction]
    row_of: Callable[[str], int | None]
    cluster_of: Callable[[int], int]
    papers_of: Callable[[int], set[int]]
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    variants: dict[tuple[str, str], Correction] = field(default_factory=dict)  # rows of two clusters
    _by_row: dict[str, list[Correction]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for c in self.corrections:
            numbers = [self.row_of(r) for r in c.rows]
            gone = [r for r, n in zip(c.rows, numbers, strict=True) if n is None]
            if gone:
                self.outcomes[c.id] = Outcome(c, VANISHED, "no longer in the store: " + ", ".join(gone))
                continue
            na, nb = (n for n in numbers if n is not None)
            if self.cluster_of(na) != self.cluster_of(nb):
                if c.verdict == SAME and self.papers_of(na) & self.papers_of(nb):
                    self._conflict(c, f"{row_label(c.rows[0])} and {row_label(c.rows[1])} are authors of one "
                                      "paper: one person cannot be both")
                    continue
                self.variants[c.rows] = c
                self.outcomes[c.id] = Outcome(c, APPLIED, ACROSS)
                continue
            for r in c.rows:
                self._by_row.setdefault(r, []).append(c)

    def partition(self, rows: list[str], pairs: list[Pair], verdict: Callable[[str, str], Pair],
                  label: Callable[[str], str]) -> list[Group]:
        """kg.identity.grouping.partition with this cluster's corrections winning (see the module)."""
        mine = sorted({c.id: c for r in rows for c in self._by_row.get(r, ())}.values(), key=lambda c: -c.id)
        if not mine:
            return partition(rows, pairs, verdict, label)
        joined, apart = self._resolve(mine)
        hand_pairs: list[Pair] = []
        for c in mine:
            if self.outcomes[c.id].status == APPLIED and c.verdict == SAME:
                hand_pairs.append(Pair(c.rows[0], c.rows[1], float("inf"), SAME, [c.words()]))

        def judged(a: str, b: str) -> Pair:
            x, y = min(a, b), max(a, b)
            hand = apart.get((x, y))
            if hand is not None:
                return Pair(x, y, -RULE_SCORE, DISTINCT, [hand.words()])
            if joined(x) == joined(y):
                return Pair(x, y, RULE_SCORE, SAME, ["joined by hand"])
            return verdict(a, b)

        groups = partition(rows, [*hand_pairs, *pairs], judged, label)
        applied = [c for c in mine if self.outcomes[c.id].status == APPLIED]
        words = [c.words() for c in applied]
        for g in groups:  # every group a correction touches says so once, whatever the computed evidence said
            members = set(g.rows)
            g.evidence = [e for e in g.evidence if not any(w in e for w in words)]
            g.evidence.extend(w for c, w in zip(applied, words, strict=True) if members & set(c.rows))
        return groups

    def _resolve(self, mine: list[Correction]) -> tuple[Callable[[str], str], dict[tuple[str, str], Correction]]:
        """The corrections of one cluster, newest first, each applied unless it contradicts a newer
        one or joins two rows on one paper: (the hand group of a row, the applied `distinct` pairs)."""
        parent: dict[str, str] = {}

        def find(r: str) -> str:
            while parent.get(r, r) != r:
                r = parent[r]
            return r

        members: dict[str, set[str]] = {}
        apart: dict[tuple[str, str], Correction] = {}
        for c in mine:
            a, b = c.rows
            ra, rb = find(a), find(b)
            ga, gb = members.get(ra, {a}), members.get(rb, {b})
            if c.verdict == DISTINCT:
                if ra == rb:
                    self._conflict(c, "a newer correction joins these rows")
                    continue
                apart[(a, b)] = c
                self.outcomes[c.id] = Outcome(c, APPLIED)
                continue
            if ra == rb:
                self.outcomes[c.id] = Outcome(c, APPLIED)
                continue
            veto = next((apart[(min(x, y), max(x, y))] for x in ga for y in gb
                         if (min(x, y), max(x, y)) in apart), None)
            if veto is not None:
                self._conflict(c, f"a newer correction (#{veto.id}) keeps {row_label(veto.rows[0])} and "
                                  f"{row_label(veto.rows[1])} apart")
                continue
            shared = next(((x, y) for x in ga for y in gb if self._one_paper(x, y)), None)
            if shared is not None:
                self._conflict(c, f"{row_label(shared[0])} and {row_label(shared[1])} are authors of one paper: "
                                  "one person cannot be both")
                continue
            parent[rb] = ra
            members[ra] = ga | gb
            members.pop(rb, None)
            self.outcomes[c.id] = Outcome(c, APPLIED)
        return find, apart

    def _one_paper(self, a: str, b: str) -> bool:
        na, nb = self.row_of(a), self.row_of(b)
        return na is not None and nb is not None and bool(self.papers_of(na) & self.papers_of(nb))

    def _conflict(self, c: Correction, why: str) -> None:
        self.outcomes[c.id] = Outcome(c, CONFLICT, why)

    def corrected_pairs(self, rows: list[str], pairs: list[Pair]) -> list[Pair]:
        """The cluster's compared pairs with each applied correction's verdict in place of the
        computed one (the computed one kept in the reasons), and a pair for each correction of a
        pair that was not compared."""
        hand = {c.rows: c for r in rows for c in self._by_row.get(r, ())
                if self.outcomes.get(c.id, Outcome(c, "")).status == APPLIED}
        if not hand:
            return pairs
        out: list[Pair] = []
        for p in pairs:
            c = hand.pop((min(p.a, p.b), max(p.a, p.b)), None)
            if c is None:
                out.append(p)
                continue
            score = RULE_SCORE if c.verdict == SAME else -RULE_SCORE
            computed = f"computed: {p.verdict}, {p.score:.2f}: {'; '.join(p.reasons)}"
            out.append(Pair(p.a, p.b, score, c.verdict, [c.words(), computed]))
        for c in hand.values():
            score = RULE_SCORE if c.verdict == SAME else -RULE_SCORE
            out.append(Pair(c.rows[0], c.rows[1], score, c.verdict, [c.words(), "computed: not compared"]))
        return out

    def report(self) -> list[Outcome]:
        """Every correction's outcome, by id (a correction of a cluster the step never reached, one
        with fewer than two rows cannot exist: both its rows are in it)."""
        return [self.outcomes.get(c.id, Outcome(c, APPLIED)) for c in sorted(self.corrections, key=lambda c: c.id)]


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """build.json's `curations`: counts by status, every correction not applied, with why, and the
    ids of all the build saw (one recorded after it, `--no-apply`, is not applied yet)."""
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in (APPLIED, CONFLICT, VANISHED, APART)}
    return {**counts, "not_applied": [o.to_json() for o in outcomes if o.status != APPLIED],
            "ids": sorted(o.correction.id for o in outcomes)}


def not_applied_lines(outcomes: list[Outcome]) -> list[str]:
    """One line per correction a build could not apply, for the build's output."""
    return [f"correction #{o.correction.id} ({o.correction.verdict} {row_label(o.correction.rows[0])} "
            f"{row_label(o.correction.rows[1])}) not applied: {o.status}: {o.note}" for o in outcomes
            if o.status != APPLIED]
