"""Benchmark: variant suggestions (kg.identity.variants) on rows split off real dblp profiles under
another spelling.

The recorded dblp samples (../shared/data/dblp_xml/, KG_SHARED overrides) give the persons: every
dblp name is one person (its homonym number kept, as dblp writes it). A share (`--share`) of the
persons with two or more papers and a name of two or more words in a script with capital letters
have their papers split at random into two rows: the first keeps the name, the second is renamed
(`folded`: diacritics removed, "José González" -> "Jose Gonzalez", for the names that have them;
`initials` otherwise, "Liyuan Liu" -> "L. Liu"). Every other person is one row under its name. `kg
build` maps and loads the rows tables and runs the identity step; the suggestions are then read as
the cluster page and the JSON read them (kg.identity.suggested, through the store).

- found in top 3: the renamed row is among the first three suggestions of the cluster of its
  person's name (the page a curator looks at); and the other way round, a row of its person is
  among the first three of the renamed row's own cluster;
- precision: of all suggestions shown (at most kg.identity.suggested.SHOWN a cluster), and of the
  first three, the share that pairs two rows of one person. A pair of two dblp names that may be
  one person's two names in dblp itself ("N. Karcanias" / "Nicos Karcanias": the samples hold few
  of dblp's person records) is left out and counted as `unknown`.

The persons are split into two halves by a hash of their family name folded (a person's two
spellings, and most wrong suggestions, fall in one half): every figure is also given per half, and
with --tune the suggestions' own weights (kg.identity.evidence.Weights.suggest_*) are chosen on the
`tune` half of the persons with >= 2 papers (`TUNE_GRID`: the most renamed rows found in the top 3
at precision >= `TUNE_PRECISION`), scored in-process from the index (`tuned`), which the shipped
weights' figures through the store must equal; the `test` half is what to report.

    .venv/bin/python bench/variants.py [--seeds 1,2,3] [--share 0.3] [--tune] [-o bench/results/variants.json]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import os
import random
import sys
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from kg.adjacency import AdjacencyIndex
from kg.backend.embedded import EmbeddedBackend
from kg.build import build
from kg.identity import variants
from kg.identity.evidence import Weights
from kg.identity.facts import Facts
from kg.identity.spelling import cased, compatible, words
from kg.identity.suggested import SHOWN, VariantView, suggestions
from kg.names import name_key, strip_homonym
from kg.queries import named
from kg.records import Author, Authorship, Paper, Venue
from kg.sources import ReadContext, read

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KG_SHARED", ROOT.parent / "shared"))
RESULTS = Path(__file__).resolve().parent / "results" / "variants.json"
TOP = 3
_ROWS = named("cluster-rows")
TUNE_GRID = {  # the shipped values first in each list (they win a tie); the first --tune chose 0, 0, -1
    "suggest_alone": [0.5, 0.0, 1.0, 2.0],  # 0: no rows alone at a venue (before it was built)
    "suggest_title_free": [2.0, 0.0, 4.0, 8.0, 12.0],
    "suggest_title_venue": [0.0, 2.0, 6.0],
    "suggest_min": [-1.0, 0.0, -2.0],
}
TUNE_PRECISION = 0.97  # the issue asks 0.95 of the suggestions; a margin, precision first


def samples() -> list[Path]:
    folder = SHARED / "data" / "dblp_xml"
    found = sorted(folder.glob("*.xml"))
    if not found:
        sys.exit(f"bench/variants.py: no dblp samples in {folder} (set KG_SHARED)")
    return found


def folded(name: str) -> str:
    text = unicodedata.normalize("NFD", name)
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


def initials(name: str) -> str:
    parts = strip_homonym(name).split()
    return f"{parts[0][0]}. {' '.join(parts[1:])}"


class Data:
    """The samples' venues, papers, and each person's (paper, position) signatures."""

    def __init__(self) -> None:
        self.venues: dict[str, Venue] = {}
        self.papers: dict[str, Paper] = {}
        self.signatures: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self.names: dict[str, str] = {}
        ctx = ReadContext(dtd=SHARED / "data" / "dblp_xml" / "dblp.dtd")
        for path in samples():
            for located in read(path, "dblp", ctx):
                item = located.item
                if isinstance(item, Venue):
                    self.venues[item.id] = item
                elif isinstance(item, Paper):
                    self.papers[item.id] = item
                elif isinstance(item, Author):
                    self.names[item.id] = item.name
                elif isinstance(item, Authorship) and item.paper_id in self.papers:
                    self.signatures[item.author_id].append((item.paper_id, item.position))


def ground_truth(data: Data, seed: int, share: float, folder: Path,
                 min_papers: int = 2) -> tuple[dict[str, str], dict[str, str]]:
    """Writes the rows tables; (row id -> person, renamed row id -> how: folded or initials)."""
    rng = random.Random(seed)
    truth: dict[str, str] = {}
    renamed: dict[str, str] = {}
    shown: dict[str, str] = {}
    owner: dict[tuple[str, int], str] = {}
    for n, (person, sigs) in enumerate(sorted(data.signatures.items())):
        sigs = sorted(set(sigs))
        name = data.names[person]
        plain = strip_homonym(name)
        eligible = len(sigs) >= min_papers and len(plain.split()) >= 2 and cased(words(name_key(plain)))
        eligible = eligible and name_key(_shown_name("", name, _how(plain))) != name_key(name)  # renamed indeed
        parts = [sigs]
        if eligible and rng.random() < share:
            rng.shuffle(sigs)
            cut = rng.randint(1, len(sigs) - 1)
            parts = [sigs[:cut], sigs[cut:]]
        for k, part in enumerate(parts):
            row = f"r{n}-{k}"
            truth[row] = person
            shown[row] = name
            if k == 1:
                renamed[row] = _how(plain)
                shown[row] = _shown_name(row, name, renamed[row])
            for sig in part:
                owner[sig] = row
    folder.mkdir(parents=True, exist_ok=True)
    _csv(folder / "venues.csv", ["id", "name", "kind"], [[v.id, v.name, v.kind] for v in data.venues.values()])
    _csv(folder / "papers.csv", ["id", "title", "year", "venue_id", "type"],
         [[p.id, p.title, p.year or "", p.venue_id or "", p.type or ""] for p in data.papers.values()])
    _csv(folder / "authors.csv", ["id", "name"], [[row, shown[row]] for row in truth])
    _csv(folder / "authorships.csv", ["paper_id", "author_id", "position", "name_as_printed"],
         [[paper, row, pos, shown[row]] for (paper, pos), row in sorted(owner.items())])
    return truth, renamed


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def unknowable(a: str, b: str) -> bool:
    """Two dblp names that may be one person's names in dblp itself (see the module docstring): names
    kg.identity.spelling calls compatible, or (as bench/identity.py leaves them out) one family name
    and given names of which one starts the other or that share their first three letters ("Tadeus
    Uhl" / "Tadeusz Uhl", "Tai C. Yang" / "Taicheng Yang")."""
    if a == b:
        return False
    if compatible(name_key(a), name_key(b)):
        return True
    pa, pb = strip_homonym(a).split(), strip_homonym(b).split()
    if len(pa) < 2 or len(pb) < 2 or pa[-1] != pb[-1]:
        return False
    fa, fb = pa[0].rstrip(".").casefold(), pb[0].rstrip(".").casefold()
    return fa.startswith(fb) or fb.startswith(fa) or fa[:3] == fb[:3]


def half(name: str) -> str:
    """A person's half: by a hash of its family name (the last word of its name, folded), which
    its two spellings share."""
    ws = words(name_key(strip_homonym(name)))
    key = ws[-1] if ws else name
    return "tune" if hashlib.sha256(key.encode("utf-8")).digest()[0] % 2 == 0 else "test"


Halves = dict[str, list[int]]  # half -> [renamed rows in the top 3, renamed rows, right, wrong, unknown]


def _halves() -> Halves:
    return {"tune": [0] * 5, "test": [0] * 5}


def _count_pair(c: Halves, data: Data, truth: dict[str, str], a: str, b: str) -> None:
    """A suggested pair of rows, counted in the half of its first row's person."""
    got = c[half(data.names[truth[a]])]
    if truth[a] == truth[b]:
        got[2] += 1
    elif unknowable(data.names[truth[a]], data.names[truth[b]]):
        got[4] += 1
    else:
        got[3] += 1


def scored(index: AdjacencyIndex, facts: Facts, data: Data, truth: dict[str, str], renamed: dict[str, str],
           weights: Weights) -> Halves:
    """The figures per half of `weights`' suggestions, scored in-process from the index and ranked
    as kg.identity.suggested ranks them (each other row once at its best, the first SHOWN): the
    tuning's path, which equals `measure`'s through the store for the weights the store was built with."""
    base = "http://localhost:7878/author/"
    by_cluster: dict[int, list[tuple[float, str, str]]] = defaultdict(list)
    for s in variants.suggestions(index, facts, weights):
        a, b = s.a.removeprefix(base), s.b.removeprefix(base)
        ra, rb = index.authors.find(s.a), index.authors.find(s.b)
        assert ra is not None and rb is not None
        by_cluster[int(index.a2c[ra])].append((s.score, b, a))
        by_cluster[int(index.a2c[rb])].append((s.score, a, b))
    shown: dict[int, list[tuple[str, str]]] = {}
    for c, found in by_cluster.items():
        best: dict[str, tuple[str, str]] = {}
        for _, other, like in sorted(found, key=lambda t: (-t[0], t[1], t[2])):
            best.setdefault(other, (other, like))
        shown[c] = list(best.values())[:SHOWN]
    out = _halves()
    for row in renamed:
        home = index.authors.find(base + row[:-1] + "0")
        assert home is not None
        got = out[half(data.names[truth[row]])]
        got[0] += row in [other for other, _ in shown.get(int(index.a2c[home]), [])[:TOP]]
        got[1] += 1
    for pair in sorted({tuple(sorted(p)) for views in shown.values() for p in views}):
        _count_pair(out, data, truth, pair[0], pair[1])
    return out


def _figures(c: Halves) -> dict[str, dict[str, float]]:
    return {h: {"renamed_rows": n, "in_top3": round(hit / max(n, 1), 4),
                "precision": round(right / max(right + wrong, 1), 4), "right": right, "wrong": wrong,
                "unknown": unknown} for h, (hit, n, right, wrong, unknown) in c.items()}


def _add(total: Halves, c: Halves) -> None:
    for h, got in c.items():
        total[h] = [x + y for x, y in zip(total[h], got, strict=True)]


def tune(runs: list[tuple[AdjacencyIndex, Facts, dict[str, str], dict[str, str]]], data: Data,
         trials: list[dict[str, object]]) -> Weights:
    """The TUNE_GRID point with the most renamed rows in the top 3 on the tune half at precision >=
    TUNE_PRECISION there (seeds pooled); ties: the higher precision, then the first in the grid."""
    best: tuple[float, float] | None = None
    chosen = Weights()
    for values in itertools.product(*TUNE_GRID.values()):
        point = dict(zip(TUNE_GRID, values, strict=True))
        w = replace(Weights(), **point)  # type: ignore[arg-type]
        total = _halves()
        for index, facts, truth, renamed in runs:
            _add(total, scored(index, facts, data, truth, renamed, w))
        figures = _figures(total)
        trials.append({"weights": point, **figures})
        tuned = figures["tune"]
        key = (tuned["in_top3"] if tuned["precision"] >= TUNE_PRECISION else -1.0, tuned["precision"])
        if best is None or key > best:
            best, chosen = key, w
    return chosen


def measure(store: Path, data: Data, truth: dict[str, str], renamed: dict[str, str]) -> dict[str, object]:
    db = EmbeddedBackend.open(store)
    base = "http://localhost:7878/author/"
    names = {row: data.names[person] for row, person in truth.items()}
    index = db.index()
    assert index is not None

    def coauthors(row: str) -> set[int]:
        number = index.authors.find(base + row)
        return set() if number is None else {int(index.a2c[x]) for x in index.a2a.row(number)}

    findable: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # how -> [shares a co-author, in top 3 of those]

    def shown_for(name: str) -> list[VariantView]:
        key = name_key(name)
        rows = {str(r["row"]) for r in db.select(_ROWS, {"key": key})}
        return suggestions(db, key, rows)

    by_cluster: dict[str, list[VariantView]] = {}
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # how -> [in top 3, all]
    reverse: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    halves = _halves()
    for row, how in sorted(renamed.items()):
        person = truth[row]
        home = name_key(names[row])
        if home not in by_cluster:
            by_cluster[home] = shown_for(names[row])
        top = [v.row.removeprefix(base) for v in by_cluster[home][:TOP]]
        found[how][0] += row in top
        found[how][1] += 1
        halves[half(data.names[person])][0] += row in top
        halves[half(data.names[person])][1] += 1
        if coauthors(row) & coauthors(row[:-1] + "0"):  # with the rest of its person
            findable[how][0] += 1
            findable[how][1] += row in top
        own_key = name_key(_shown_name(row, names[row], how))
        if own_key not in by_cluster:
            by_cluster[own_key] = shown_for(_shown_name(row, names[row], how))
        back = [v.row.removeprefix(base) for v in by_cluster[own_key][:TOP]]
        reverse[how][0] += any(truth.get(r) == person for r in back)
        reverse[how][1] += 1
    # precision: every cluster's suggestions, each pair once
    for key in {name_key(_shown_name(r, names[r], renamed.get(r))) for r in truth}:
        if key not in by_cluster:
            by_cluster[key] = suggestions(db, key, {str(r["row"]) for r in db.select(_ROWS, {"key": key})})
    counted = {"all": [0, 0, 0], "top3": [0, 0, 0]}  # right, wrong, unknown
    seen: set[tuple[str, str, str]] = set()
    for views in by_cluster.values():
        for rank, v in enumerate(views):
            a, b = sorted((v.like.removeprefix(base), v.row.removeprefix(base)))
            for part in ("all", "top3") if rank < TOP else ("all",):
                if (part, a, b) in seen:
                    continue
                seen.add((part, a, b))
                if part == "all":
                    _count_pair(halves, data, truth, a, b)
                c = counted[part]
                if truth[a] == truth[b]:
                    c[0] += 1
                elif unknowable(data.names[truth[a]], data.names[truth[b]]):
                    c[2] += 1
                else:
                    c[1] += 1
    db.close()
    out: dict[str, object] = {}
    for how in sorted(found):
        hit, n = found[how]
        back_hit, _ = reverse[how]
        out[how] = {"renamed_rows": n, "in_top3": round(hit / max(n, 1), 4),
                    "in_top3_reverse": round(back_hit / max(n, 1), 4), "hits": hit, "hits_reverse": back_hit,
                    "sharing_a_coauthor": findable[how][0], "hits_sharing_a_coauthor": findable[how][1]}
    for part, (right, wrong, unknown) in counted.items():
        out[f"precision_{part}"] = {"precision": round(right / max(right + wrong, 1), 4), "right": right,
                                    "wrong": wrong, "unknown": unknown}
    out["halves"] = halves
    return out


def _how(plain: str) -> str:
    return "folded" if folded(plain) != plain else "initials"


def _shown_name(row: str, name: str, how: str | None) -> str:
    if how is None:
        return name
    return folded(strip_homonym(name)) if how == "folded" else initials(name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1,2,3", help="random choices of the persons split, pooled")
    ap.add_argument("--share", type=float, default=0.3, help="share of the eligible persons split off")
    ap.add_argument("--min-papers", default="2,5", help="the persons eligible: at least this many papers (each)")
    ap.add_argument("--tune", action="store_true", help="also search TUNE_GRID on the tune half (>= 2 papers)")
    ap.add_argument("-o", "--output", type=Path, default=RESULTS)
    args = ap.parse_args()
    data = Data()
    report: dict[str, object] = {"samples": [p.name for p in samples()], "seeds": args.seeds, "share": args.share,
                                 "weights": {k: getattr(Weights(), k) for k in TUNE_GRID}}
    with tempfile.TemporaryDirectory(prefix="kg-variants-bench-") as tmp:
        for least in (int(m) for m in args.min_papers.split(",")):
            runs: list[dict[str, Any]] = []
            built: list[tuple[AdjacencyIndex, Facts, dict[str, str], dict[str, str]]] = []
            for seed in (int(s) for s in args.seeds.split(",")):
                folder = Path(tmp) / f"rows-{least}-{seed}"
                truth, renamed = ground_truth(data, seed, args.share, folder, least)
                store = Path(tmp) / f"store-{least}-{seed}"
                build([folder], store, kind="rows", optimize=False)
                runs.append({"seed": seed, **measure(store, data, truth, renamed)})
                if args.tune and least == 2:
                    index = AdjacencyIndex.open((store / "active").resolve())
                    assert index is not None
                    facts = Facts.read(index.path)
                    assert facts is not None
                    built.append((index, facts, truth, renamed))
            report[f"min_papers_{least}"] = {"runs": runs, "pooled": _pooled(runs)}
            if built:
                trials: list[dict[str, object]] = []
                w = tune(built, data, trials)
                shipped = _halves()
                for index, facts, truth, renamed in built:
                    _add(shipped, scored(index, facts, data, truth, renamed, Weights()))
                report["tuned"] = {"weights": {k: getattr(w, k) for k in TUNE_GRID}, "grid": trials,
                                   "shipped_in_process": _figures(shipped)}
                for index, *_ in built:
                    index.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def _pooled(runs: list[dict[str, Any]]) -> dict[str, object]:
    out: dict[str, object] = {}
    total = {"renamed_rows": 0, "hits": 0, "hits_reverse": 0, "sharing_a_coauthor": 0, "hits_sharing_a_coauthor": 0}
    for how in ("folded", "initials", "all_renamed"):
        if how == "all_renamed":
            c = total
        else:
            c = {k: sum(int(r[how][k]) for r in runs if how in r) for k in total}
            for k in total:
                total[k] += c[k]
        n, sharing = c["renamed_rows"], c["sharing_a_coauthor"]
        out[how] = {"renamed_rows": n, "in_top3": round(c["hits"] / max(n, 1), 4),
                    "in_top3_reverse": round(c["hits_reverse"] / max(n, 1), 4),
                    "sharing_a_coauthor": round(sharing / max(n, 1), 4),
                    "in_top3_of_those": round(c["hits_sharing_a_coauthor"] / max(sharing, 1), 4)}
    for part in ("precision_all", "precision_top3"):
        right, wrong, unknown = (sum(int(r[part][k]) for r in runs) for k in ("right", "wrong", "unknown"))
        out[part] = {"precision": round(right / max(right + wrong, 1), 4), "right": right, "wrong": wrong,
                     "unknown": unknown}
    halves = _halves()
    for r in runs:
        _add(halves, r["halves"])
    out["halves"] = _figures(halves)
    return out


if __name__ == "__main__":
    main()
