"""Benchmark: `kg sync` of a 1 % change against a full `kg build` of the changed input, in one run.

ROWS is a `kg generate` directory. The script builds a store from it, writes a changed copy (1 % of
the papers retitled and moved a year, 0.1 % of the papers deleted with their authorships, 0.1 % of
the authors renamed), then, per round: a full build of the changed copy into a fresh store (the
reference), the sync of the changed copy into a copy of the first store (the first sync after a
build reads the ledger from the store), a second sync of the same input (a no-op), and a sync back to
the original input (the ledger kept by the previous sync). Each is a `python -m kg` process, timed
on the wall clock; the sync's own timings per phase come from build.json.

    .venv/bin/python bench/sync.py ROWS [--rounds 2] [--share 0.01] [--merges 100] [--whole-derived] [-o FILE]

--merges N also merges N ids of the changed copy into others (half papers, half authors), listed in
its merges.csv: a merged paper is gone with its authorships, a merged author's authorships go to the
author it was merged into. The sync must then keep each merged IRI as a redirect (owl:sameAs).

With --whole-derived every sync recomputes the derived data for the whole graph (`kg sync
--whole-derived`), the reference for the touched-keys path (the default).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def kg(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kg", *args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 2)


def _table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(rows)


def changed_copy(rows: Path, out: Path, share: float, seed: int = 1, merges: int = 0) -> dict[str, int]:
    """`rows` with `share` of its papers changed, share/10 deleted and share/10 of its authors renamed;
    and `merges` ids merged into others (half papers, half authors), listed in merges.csv as a site's
    tables list them: a merged paper is gone with its authorships, a merged author's authorships go to
    the author it was merged into (dropped where that author is on the paper already)."""
    rng = random.Random(seed)
    shutil.copytree(rows, out)
    fields, papers = _table(rows / "papers.csv")
    n = len(papers)
    changed = set(rng.sample(range(n), int(n * share)))
    deleted = {papers[i]["id"] for i in rng.sample(sorted(set(range(n)) - changed), max(1, int(n * share / 10)))}
    for i in changed:
        papers[i]["title"] = papers[i]["title"] + " (revised)"
        if papers[i]["year"]:
            papers[i]["year"] = str(int(papers[i]["year"]) + 1)
    fields_a, authors = _table(rows / "authors.csv")
    renamed = rng.sample(range(len(authors)), max(1, int(len(authors) * share / 10)))
    for i in renamed:
        authors[i]["name"] = authors[i]["name"] + " Jr."
    merged_rows: list[dict[str, str]] = []
    into: dict[str, str] = {}  # a merged author's id -> the author it was merged into
    if merges:
        untouched = sorted(i for i in range(n) if i not in changed and papers[i]["id"] not in deleted)
        picked = rng.sample(untouched, 2 * (merges // 2))
        for old, new in zip(picked[::2], picked[1::2], strict=True):
            merged_rows.append({"kind": "paper", "old_id": papers[old]["id"], "new_id": papers[new]["id"]})
        others = sorted(set(range(len(authors))) - set(renamed))
        picked = rng.sample(others, 2 * (merges - merges // 2))
        for old, new in zip(picked[::2], picked[1::2], strict=True):
            into[authors[old]["id"]] = authors[new]["id"]
            merged_rows.append({"kind": "author", "old_id": authors[old]["id"], "new_id": authors[new]["id"]})
    gone = deleted | {m["old_id"] for m in merged_rows if m["kind"] == "paper"}
    _write(out / "papers.csv", fields, [p for p in papers if p["id"] not in gone])
    _write(out / "authors.csv", fields_a, [a for a in authors if a["id"] not in into])
    fields, authorships = _table(rows / "authorships.csv")
    kept = [a for a in authorships if a["paper_id"] not in gone]
    if into:
        on = {(a["paper_id"], a["author_id"]) for a in kept}
        moved = []
        for a in kept:
            survivor = into.get(a["author_id"])
            if survivor is None:
                moved.append(a)
            elif (a["paper_id"], survivor) not in on:
                moved.append({**a, "author_id": survivor})
                on.add((a["paper_id"], survivor))
        kept = moved
    _write(out / "authorships.csv", fields, kept)
    if merged_rows:
        _write(out / "merges.csv", ["kind", "old_id", "new_id"], merged_rows)
    return {"papers": n, "changed": len(changed), "deleted": len(deleted), "renamed": len(renamed),
            "merged": len(merged_rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--merges", type=int, default=0,
                        help="Ids of the changed copy merged into others (half papers, half authors), in merges.csv.")
    parser.add_argument("--no-back", action="store_true", help="Skip the sync back to the original input.")
    parser.add_argument("--whole-derived", action="store_true",
                        help="The syncs recompute the derived data for the whole graph (kg sync --whole-derived).")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    rounds = []
    derived = ["--whole-derived"] if args.whole_derived else []
    with tempfile.TemporaryDirectory(prefix="kg-bench-sync-") as tmp:
        work = Path(tmp)
        changes = changed_copy(args.rows, work / "changed", args.share, merges=args.merges)
        base = work / "base"
        kg("build", str(args.rows), "--store", str(base))
        for _ in range(args.rounds):
            shutil.rmtree(work / "full", ignore_errors=True)
            full = kg("build", str(work / "changed"), "--store", str(work / "full"))
            built = json.loads((work / "full" / "active" / "build.json").read_text())
            # the largest resident set of the build's processes, as its build.json gives it (getrusage's
            # largest child is no measure here: a child's peak survives execve, and this process holds
            # the tables of the changed copy when it forks each kg)
            peak = built.get("peak_memory_mb") or {}
            peak_mb = max(peak.values(), default=None)
            synced = work / "synced"
            shutil.rmtree(synced, ignore_errors=True)
            # hard links: a sync never writes the active generation's files (RocksDB's are immutable),
            # it writes a new generation and removes the old directory (its links only)
            shutil.copytree(base, synced, symlinks=True, copy_function=os.link)
            first = kg("sync", str(work / "changed"), "--store", str(synced), "--max-change", "100%", *derived)
            phases = json.loads((synced / "active" / "build.json").read_text())
            again = kg("sync", str(work / "changed"), "--store", str(synced), *derived)
            back = None if args.no_back else kg("sync", str(args.rows), "--store", str(synced), "--max-change", "100%",
                                                 *derived)
            kept = json.loads((synced / "active" / "build.json").read_text())
            rounds.append({"build": full, "first_sync": first, "second_sync": again, "sync_kept_ledger": back,
                           "first_ratio": round(first / full, 3), "second_ratio": round(again / full, 3),
                           "kept_ratio": round(back / full, 3) if back else None,
                           "first_phases": phases.get("synced", {}).get("seconds"),
                           "first_derived": {"how": phases.get("synced", {}).get("derived"),
                                             **{step: phases.get(step, {}).get("seconds")
                                                for step in ("cluster_order", "identity", "search")}},
                           "changes": phases.get("synced", {}).get("changes"),
                           "build_steps": {"seconds": built.get("seconds"),
                                           **{step: built.get(step, {}).get("seconds")
                                              for step in ("cluster_order", "identity", "search")},
                                           "suggestions": built.get("identity", {}).get("suggestion_seconds"),
                                           "search_collected": built.get("search", {}).get("collected_seconds")},
                           "largest_process_mb": peak_mb,
                           "build_peak_memory_mb": built.get("peak_memory_mb"),
                           "sync_peak_memory_mb": phases.get("peak_memory_mb"),
                           "back_changes": kept.get("synced", {}).get("changes")})
            print(json.dumps(rounds[-1]), flush=True)
    result = {"rows": args.rows.name, "share": args.share, "whole_derived": args.whole_derived,
              "changed_input": changes, "rounds": rounds}
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
