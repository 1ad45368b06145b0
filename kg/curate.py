"""`kg curate` and the API's /api/curations: corrections by hand of a store (kg.identity.curation).

A correction names its rows as the pages and the JSON show them: the full IRI, its path
(`author/ID`, `/author/ID`) or the short label (`ID`, the IRI's last segment decoded, any Unicode
normalisation). It is checked against the active generation (both rows exist, are two rows, and
are in one name cluster), recorded in STORE/curations.json, and applied at once by `apply`: a new
generation, copied from the active one, whose identity graph (and the precomputed big clusters,
which show the probable persons) is recomputed with every correction; it is swapped in as a
build is, so a server following the store shows it with its next request.
"""

from __future__ import annotations

import os
import shutil
import time
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox

from kg.adjacency import INDEX, AdjacencyIndex
from kg.cluster_order import DIRECTORY, build_cluster_order
from kg.errors import KgError, StoreBusy, StoreError
from kg.identity.curation import (
    ACROSS,
    APPLIED,
    CLI,
    VANISHED,
    Correction,
    CurationError,
    CurationFile,
    Labels,
    Outcome,
    summary,
    unicode_text,
)
from kg.identity.curation_rdf import export as rdf_export
from kg.identity.facts import row_label
from kg.identity.step import base_of, identity_step
from kg.iris import DEFAULT_BASE_IRI, Minter, segment
from kg.links import IDENTITY, LINKS
from kg.row_ids import close_ids, labelled
from kg.store import StoreDir
from kg.sync.counts import graph_size

WAIT = 30.0  # seconds a correction waits for the store held by another build or correction


@dataclass
class Applied:
    """A correction recorded, and what the new generation did with every correction (None: not
    applied now, `note` says why: the next build will)."""

    correction: Correction
    outcomes: list[Outcome] | None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        mine = next((o for o in self.outcomes or [] if o.correction.id == self.correction.id), None)
        status = mine.status if mine else "recorded" if self.correction.active else "undone"
        return {**self.correction.to_json(), "status": status, "note": mine.note if mine else self.note}


def resolve(index: AdjacencyIndex, base: str, value: str, param: str, served: tuple[str, ...] = ()) -> str:
    """The row IRI that `value` names (see the module), or a CurationError naming `param`. `served`:
    the addresses a server answers the store's rows at (its own URL, its --base-iri), whose pages'
    addresses name the rows too."""
    given = unicode_text(value, param).strip() if isinstance(value, str) else ""
    if given.startswith("<") and given.endswith(">"):  # as `kg identity` prints a row: <IRI>
        given = given[1:-1].strip()
    if not given:
        raise CurationError(param, "required: an author row's IRI or its id as the pages show it")
    if "://" in given:
        shown = given
        alias = next((a for a in served if a != base and given.startswith(a + "author/")), None)
        if alias is not None and index.authors.find(given) is None:  # a row's page, as the browser shows it
            given = base + given[len(alias):]
        prefix, sep, rest = given.rpartition("/author/")
        # as given, or as a browser's address bar shows it (the id decoded), in either normal form
        decoded = [unicodedata.normalize(form, unquote(rest)) for form in ("NFC", "NFD")] if sep else []
        tried = [given] + [prefix + sep + segment(d) for d in decoded]
        for iri in tried:
            if index.authors.find(iri) is not None:
                return iri
        near = tried[1] if len(tried) > 1 else given  # as kg writes it: the rows next to it in order
        raise CurationError(param, f"no author row <{_cut(shown)}> in this store"
                                   f"{close_ids(index, near, row_label(given))}")
    short = given.lstrip("/").removeprefix("author/")
    # as given, then as the pages' links and a browser's address bar write it (percent-encoded)
    for text in dict.fromkeys((short, unquote(short))):
        for candidate in (text, unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)):
            iri = f"{base}author/{segment(candidate)}"
            if index.authors.find(iri) is not None:
                return iri
    found = labelled(index, short)
    if len(found) == 1:
        return found[0]
    if found:
        raise CurationError(param, f"{_cut(given)!r} names {len(found)} rows; give the full IRI: "
                                   + ", ".join(f"<{f}>" for f in found[:5]))
    hint = close_ids(index, f"{base}author/{segment(unicodedata.normalize('NFC', short))}", short)
    raise CurationError(param, f"no author row {_cut(given)!r} in this store (give its IRI or its id, as the pages "
                               f"show){hint}")


def _cut(value: str, most: int = 200) -> str:
    """`value` as an error repeats it: its first `most` characters and how many more (a 60 KB id
    sent to the API was answered whole)."""
    return value if len(value) <= most else f"{value[:most]}… ({len(value) - most:,} more characters)"


def _corrected(store: Path) -> None:
    """StoreError unless `store` is a kg store or a directory holding corrections already (a store whose
    first build failed keeps them): a mistyped --store lists no corrections and creates nothing."""
    if not StoreDir(store).exists() and not CurationFile(store).path.is_file():
        StoreDir(store).require()


def _opened(store: Path) -> tuple[StoreDir, AdjacencyIndex, str]:
    target = StoreDir(store)
    active = target.require()
    index = AdjacencyIndex.open(active)
    if index is None:
        raise StoreError(f"--store {store}: no co-authorship index (rebuild it with `kg build`)")
    base = target.meta().get("base_iri")
    if base is None:
        base = base_of(target.open()) or DEFAULT_BASE_IRI
    return target, index, str(base)


def check(store: Path, verdict: str, a: str, b: str, labels: Labels = CLI,
          served: tuple[str, ...] = ()) -> tuple[str, str]:
    """The two rows' IRIs, checked: both in the store, two rows. Rows of two name clusters are a
    correction of the variant suggestion between them (kg.identity.curation: never a merge)."""
    _, index, base = _opened(store)
    try:
        ra, rb = resolve(index, base, a, labels.a, served), resolve(index, base, b, labels.b, served)
        if ra == rb:
            raise CurationError(labels.b, f"names the same row as {labels.a} ({row_label(ra)}): give two rows")
    finally:
        index.close()
    return ra, rb


def add(store: Path, verdict: str, a: str, b: str, why: str, by: str, labels: Labels = CLI,
        apply_now: bool = True, wait: float = WAIT, served: tuple[str, ...] = ()) -> Applied:
    """Records that rows `a` and `b` are one person (`same`) or two (`distinct`), and applies it
    (waiting up to `wait` seconds for a store another build holds)."""
    rows = check(store, verdict, a, b, labels, served)
    correction = CurationFile(store).add(verdict, rows, why, by, labels)
    if not apply_now:
        return Applied(correction, None, "applied by the next build or `kg curate apply`")
    return _applied(store, correction, wait)


def undo(store: Path, ident: str | int, by: str, labels: Labels = CLI, apply_now: bool = True) -> Applied:
    _corrected(store)
    correction = CurationFile(store).undo(ident, by, labels)
    if not apply_now:
        return Applied(correction, None, "undone; the next build or `kg curate apply` applies it")
    return _applied(store, correction)


def _applied(store: Path, correction: Correction, wait: float = WAIT) -> Applied:
    """`correction` (recorded) applied by a new generation; while another build or correction holds
    the store, tried again for up to `wait` seconds (corrections made at once by several curators
    each get their turn), then left to the next build."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return Applied(correction, apply(store))
        except StoreBusy as e:
            if time.monotonic() >= deadline:
                return Applied(correction, None, f"not applied now ({e}); the next build applies it")
            time.sleep(0.2)


def apply(store: Path) -> list[Outcome]:
    """A new generation of `store` with every active correction applied (see the module); the
    outcome of each."""
    target = StoreDir(store)
    target.require()
    every = CurationFile(store).read()  # undone ones too: the identity graph keeps the whole log
    corrections = [c for c in every if c.active]
    with target.generation(copy_active=True) as gen:
        # under the store's lock: the generation just copied (a sync may have swapped one in since
        # this began), whose build.json (watermarks, counts) the new one extends
        active, meta = target.require(), target.meta()
        _link_tree(active / INDEX, gen.path / INDEX, skip=DIRECTORY)
        minter = Minter(meta["base_iri"]) if "base_iri" in meta else None
        graphs = minter or Minter(base_of(gen.store) or DEFAULT_BASE_IRI)
        graph = graphs.graph(IDENTITY)
        # the step rewrites the identity graph and adds to the links graph: the triples build.json
        # counts move by what those two hold after it less what they held before
        written = [ox.NamedNode(graph), ox.NamedNode(graphs.graph(LINKS))]
        held = sum(graph_size(gen.store, g) for g in written)
        if gen.store.contains_named_graph(ox.NamedNode(graph)):
            gen.store.remove_graph(ox.NamedNode(graph))
        gen.store.flush()
        counts = identity_step(gen.store, gen.path, minter, corrections=every)
        moved = sum(graph_size(gen.store, g) for g in written) - held
        outcomes = counts.pop("curations", None)
        gen.reopen_read_only()
        index = AdjacencyIndex.open(gen.path)
        order: dict[str, Any] = {}
        across: set[int] = set()
        if index is not None:
            try:
                order = build_cluster_order(gen.store, index)
                across = {c.id for c in corrections if _apart(index, c)}
            finally:
                index.close()
        if isinstance(meta.get("counts"), dict) and isinstance(meta["counts"].get("triples"), int):
            meta = {**meta, "counts": {**meta["counts"], "triples": meta["counts"]["triples"] + moved}}
        gen.meta = {**meta, "identity": counts, "cluster_order": order,
                    "curations": outcomes if outcomes is not None else summary([]),
                    "curated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return _outcomes(corrections, gen.meta["curations"], across)


def _outcomes(corrections: list[Correction], found: dict[str, Any], across: Collection[int] = ()) -> list[Outcome]:
    """Each correction's outcome from build.json's `curations` (applied unless listed there; `across`:
    the ids of those whose rows are in two name clusters, applied to their variant suggestion)."""
    not_applied = {int(o["id"]): o for o in found.get("not_applied", [])}
    out = []
    for c in corrections:
        o = not_applied.get(c.id)
        out.append(Outcome(c, str(o["status"]), str(o.get("note", ""))) if o
                   else Outcome(c, APPLIED, ACROSS if c.id in across else ""))
    return out


def _link_tree(source: Path, target: Path, skip: str) -> None:
    """`source`'s files into `target`, hard-linked (copied across file systems); not `skip`. The index
    files are never written again once built, so the two generations may share them."""
    for path in source.rglob("*"):
        rel = path.relative_to(source)
        if rel.parts[0] == skip:
            continue
        dest = target / rel
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, dest)
        except OSError:
            shutil.copy2(path, dest)


@dataclass
class Listed:
    correction: Correction
    status: str  # applied, conflict, vanished, apart; "not applied yet" before a build; "undone"
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {**self.correction.to_json(), "status": self.status, "note": self.note}


def listing(store: Path, every: bool = False) -> list[Listed]:
    """The corrections (with `every`, undone ones too) and what the active generation did with
    each; a row no longer in the store is marked vanished whatever the last build said."""
    _corrected(store)
    known = CurationFile(store).read()
    target = StoreDir(store)
    found: dict[str, Any] = {}
    index = None
    if target.exists():
        found = target.meta().get("curations") or {}
        index = AdjacencyIndex.open(target.require())
    # the corrections the active generation's build saw (a build.json from before `ids`: every active one)
    seen = set(found["ids"]) if "ids" in found else {c.id for c in known if c.active} if found else set()
    built = {o.correction.id: o for o in _outcomes([c for c in known if c.id in seen], found)}
    out: list[Listed] = []
    try:
        for c in known:
            if not c.active:
                if every:
                    extra = f" by #{c.undone['superseded_by']}" if c.undone and c.undone.get("superseded_by") else ""
                    when = (c.undone or {}).get("at", "")
                    still = "; still applied until the next build or `kg curate apply`" if c.id in seen else ""
                    out.append(Listed(c, "superseded" if extra else "undone", f"{when}{extra}{still}"))
                continue
            gone = [r for r in c.rows if index is None or index.authors.find(r) is None]
            if gone:
                out.append(Listed(c, VANISHED, "no longer in the store: " + ", ".join(gone)))
            elif c.id in built:
                note = built[c.id].note
                if not note and built[c.id].status == APPLIED and index is not None and _apart(index, c):
                    note = ACROSS
                out.append(Listed(c, built[c.id].status, note))
            else:
                out.append(Listed(c, "not applied yet", "the next build or `kg curate apply` applies it"))
    finally:
        if index is not None:
            index.close()
    return out


def _apart(index: AdjacencyIndex, c: Correction) -> bool:
    """Whether the correction's rows are in two name clusters (then it is applied to their variant
    suggestion, kg.identity.curation)."""
    a, b = (index.authors.find(r) for r in c.rows)
    return a is not None and b is not None and int(index.a2c[a]) != int(index.a2c[b])


def export(store: Path, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> bytes:
    """Every correction of `store` (undone ones too) as RDF."""
    _corrected(store)
    target = StoreDir(store)
    base = target.meta().get("base_iri", DEFAULT_BASE_IRI) if target.exists() else DEFAULT_BASE_IRI
    try:
        return rdf_export(CurationFile(store).read(), Minter(str(base)), fmt)
    except (ValueError, SyntaxError) as e:
        raise KgError(f"--store {store}: corrections not writable as RDF: {e}") from e
