"""Build benchmarks: generate, kg build against oxigraph load on the same N-Quads, disk, shards."""

from __future__ import annotations

import json
import shutil
import sys
from typing import Any

from harness import BIN, ROOT, Context, benchmark, du, run_timed

PY = sys.executable


def ensure_rows(ctx: Context) -> dict[str, Any]:
    """Generate the rows once per size and seed (kept in bench/work/ between runs)."""
    done = ctx.rows / "authorships.csv"
    if done.exists():
        return {"cached": True}
    seed = str(ctx.seed)
    t = run_timed([PY, "-m", "kg", "generate", "--papers", str(ctx.papers), "--seed", seed, "-o", str(ctx.rows)])
    return {"seconds": round(t.seconds, 2), "maxrss_mb": round(t.maxrss_mb, 1)}


@benchmark(
    "build",
    title="Build: `kg build` against `oxigraph load` (+ `oxigraph optimize`) of the same triples",
    columns=[
        "rows", "triples", "kg build s (compacted)", "of which compaction / stats (beside it) s",
        "kg build --no-optimize s", "oxigraph load s", "oxigraph optimize s",
        "**ratio: kg build / (load + optimize)**", "**ratio: --no-optimize / load**", "ratio: kg build / load",
        "triples/s", "peak RSS build / mapping worker MB", "peak RSS oxigraph load MB",
        "MB per M triples: kg (compacted / not) / oxigraph (compacted / not)",
    ],
)
def build(ctx: Context) -> dict[str, Any]:
    """`kg build` twice (compacted, the default, and --no-optimize), then `kg etl` and `oxigraph load`
    + `oxigraph optimize` of its N-Quads, back to back."""
    shutil.rmtree(ctx.store, ignore_errors=True)
    once = [PY, str(ROOT / "bench" / "_build_once.py"), str(ctx.rows)]
    extra = ["--workers", str(ctx.workers)] if ctx.workers is not None else []
    t = run_timed([*once, str(ctx.store), *extra])
    ours = json.loads(t.stdout.strip().splitlines()[-1])
    fast_store = ctx.work / f"store-not-compacted-{ctx.label}"
    shutil.rmtree(fast_store, ignore_errors=True)
    t_fast = run_timed([*once, str(fast_store), *extra, "--no-optimize"])
    fast = json.loads(t_fast.stdout.strip().splitlines()[-1])
    fast_bytes = du((fast_store / "active").resolve() / "oxigraph")
    shutil.rmtree(fast_store, ignore_errors=True)
    nq = ctx.work / f"etl-{ctx.label}.nq"
    etl = run_timed([PY, "-m", "kg", "etl", str(ctx.rows), "-o", str(nq)])
    ox_store = ctx.work / f"oxigraph-{ctx.label}"
    shutil.rmtree(ox_store, ignore_errors=True)
    ox = run_timed([str(BIN / "oxigraph"), "load", "--location", str(ox_store), "--file", str(nq)])
    ox_bytes = du(ox_store)
    ox_opt = run_timed([str(BIN / "oxigraph"), "optimize", "--location", str(ox_store)])
    ox_opt_bytes = du(ox_store)
    active = (ctx.store / "active").resolve()
    store_bytes = du(active / "oxigraph")
    index_bytes = du(active / "paths-index")
    nq_bytes = nq.stat().st_size
    if not ctx.keep:
        shutil.rmtree(ox_store, ignore_errors=True)
        nq.unlink(missing_ok=True)
    triples = ours["triples"]
    phases = ours["after_load_seconds"]
    compaction = phases.get("compaction", 0.0)
    after = sum(v for k, v in phases.items() if k != "compaction")
    ratio_same_end = ours["seconds"] / (ox.seconds + ox_opt.seconds)
    ratio_fast = fast["seconds"] / ox.seconds
    ratio_literal = ours["seconds"] / ox.seconds
    mb = 1 << 20

    def per_m(n: int) -> str:
        return f"{n / mb / (triples / 1e6):.0f}"

    return {
        "kg_build": ours,
        "kg_build_wall_seconds": round(t.seconds, 2),
        "kg_build_no_optimize": fast,
        "etl_seconds": round(etl.seconds, 2),
        "etl_maxrss_mb": round(etl.maxrss_mb, 1),
        "nquads_bytes": nq_bytes,
        "oxigraph_load_seconds": round(ox.seconds, 2),
        "oxigraph_load_maxrss_mb": round(ox.maxrss_mb, 1),
        "oxigraph_optimize_seconds": round(ox_opt.seconds, 2),
        "ratio_build_to_oxigraph_load_optimize": round(ratio_same_end, 3),
        "ratio_build_no_optimize_to_oxigraph_load": round(ratio_fast, 3),
        "ratio_build_to_oxigraph_load": round(ratio_literal, 3),
        "rows_per_second": round(ours["rows_read"] / ours["seconds"]),
        "triples_per_second": round(triples / ours["seconds"]),
        "store_bytes": store_bytes,
        "store_bytes_not_compacted": fast_bytes,
        "paths_index_bytes": index_bytes,
        "oxigraph_store_bytes": ox_bytes,
        "oxigraph_store_bytes_optimized": ox_opt_bytes,
        "store_mb_per_million_triples": round(store_bytes / mb / (triples / 1e6), 1),
        "markdown": [[
            f"{ours['rows_read']:,}", f"{triples:,}", f"{ours['seconds']:.1f}", f"{compaction:.1f} / {after:.1f}",
            f"{fast['seconds']:.1f}", f"{ox.seconds:.1f}", f"{ox_opt.seconds:.1f}",
            f"**{ratio_same_end:.2f}×**", f"**{ratio_fast:.2f}×**", f"{ratio_literal:.2f}×",
            f"{triples / ours['seconds']:,.0f}", f"{ours['maxrss_mb']:,.0f} / {ours['worker_maxrss_mb']:,.0f}",
            f"{ox.maxrss_mb:,.0f}",
            f"{per_m(store_bytes)} / {per_m(fast_bytes)} / {per_m(ox_opt_bytes)} / {per_m(ox_bytes)}",
        ]],
        "note": (
            "kg build = read + check + map (in a worker process) + Oxigraph bulk load + compaction + owl:sameAs links "
            "+ statistics + the co-authorship index, into a fresh store; `--no-optimize` skips the compaction and "
            "leaves the store as `oxigraph load` leaves one (ingested files, not compacted; range scans on it are "
            "much slower). oxigraph load / optimize = the `oxigraph` CLI on the N-Quads `kg etl` wrote for the same "
            "rows. Peak RSS from getrusage. MB per M triples is the Oxigraph data alone (the paths index is apart)."
        ),
    }


@benchmark(
    "etl_shards",
    title="Sharded N-Quads: `kg etl --shards 4` (gzip)",
    columns=["workers", "seconds", "triples", "shard MB (total)", "peak RSS MB"],
)
def etl_shards(ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {"markdown": []}
    for workers in (1, 2):
        target = ctx.work / f"shards-{ctx.label}"
        shutil.rmtree(target, ignore_errors=True)
        t = run_timed([PY, "-m", "kg", "etl", str(ctx.rows), "-o", f"{target}/", "--shards", "4",
                       "--workers", str(workers)])
        size = du(target)
        triples = int(t.stderr.split(" triples")[0].rsplit(";", 1)[1].strip().replace(",", ""))
        shutil.rmtree(target, ignore_errors=True)
        out[f"workers_{workers}"] = {"seconds": round(t.seconds, 2), "bytes": size, "maxrss_mb": round(t.maxrss_mb, 1)}
        out["markdown"].append([workers, f"{t.seconds:.1f}", f"{triples:,}", f"{size / (1 << 20):,.0f}",
                                f"{t.maxrss_mb:,.0f}"])
    return out
