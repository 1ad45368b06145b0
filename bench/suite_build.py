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
    title="Build: `kg build` against `oxigraph load` of the same triples",
    columns=[
        "rows", "triples", "kg build s", "of which after load s", "oxigraph load s", "**ratio**", "rows/s", "triples/s",
        "peak RSS build / mapping worker MB", "peak RSS oxigraph load MB", "store MB", "MB per M triples",
        "oxigraph store MB per M triples",
        "kg build --optimize s", "oxigraph load + optimize s", "**ratio optimized**",
        "MB per M triples optimized (kg / oxigraph)",
    ],
)
def build(ctx: Context) -> dict[str, Any]:
    """`kg build` (fresh store) then `kg etl` + `oxigraph load` of its N-Quads, back to back."""
    shutil.rmtree(ctx.store, ignore_errors=True)
    args = [PY, str(ROOT / "bench" / "_build_once.py"), str(ctx.rows), str(ctx.store)]
    if ctx.workers is not None:
        args += ["--workers", str(ctx.workers)]
    t = run_timed(args)
    ours = json.loads(t.stdout.strip().splitlines()[-1])
    nq = ctx.work / f"etl-{ctx.label}.nq"
    etl = run_timed([PY, "-m", "kg", "etl", str(ctx.rows), "-o", str(nq)])
    ox_store = ctx.work / f"oxigraph-{ctx.label}"
    shutil.rmtree(ox_store, ignore_errors=True)
    ox = run_timed([str(BIN / "oxigraph"), "load", "--location", str(ox_store), "--file", str(nq)])
    # The same two, each followed by a full compaction (both leave a store's ingested files
    # uncompacted otherwise): `kg build --optimize` against `oxigraph load` + `oxigraph optimize`.
    opt_store = ctx.work / f"store-optimized-{ctx.label}"
    shutil.rmtree(opt_store, ignore_errors=True)
    t_opt = run_timed([*args[:3], str(opt_store), *args[4:], "--optimize"])
    ours_opt = json.loads(t_opt.stdout.strip().splitlines()[-1])
    ox_opt = run_timed([str(BIN / "oxigraph"), "optimize", "--location", str(ox_store)])
    opt_bytes = du((opt_store / "active").resolve() / "oxigraph")
    shutil.rmtree(opt_store, ignore_errors=True)
    ox_opt_bytes = du(ox_store)
    ratio_opt = ours_opt["seconds"] / (ox.seconds + ox_opt.seconds)
    active = (ctx.store / "active").resolve()
    store_bytes = du(active / "oxigraph")
    index_bytes = du(active / "paths-index")
    ox_bytes = du(ox_store)
    nq_bytes = nq.stat().st_size
    if not ctx.keep:
        shutil.rmtree(ox_store, ignore_errors=True)
        nq.unlink(missing_ok=True)
    triples = ours["triples"]
    after = sum(ours["after_load_seconds"].values())
    ratio = ours["seconds"] / ox.seconds
    mb = 1 << 20
    return {
        "kg_build": ours,
        "kg_build_wall_seconds": round(t.seconds, 2),
        "etl_seconds": round(etl.seconds, 2),
        "etl_maxrss_mb": round(etl.maxrss_mb, 1),
        "nquads_bytes": nq_bytes,
        "oxigraph_load_seconds": round(ox.seconds, 2),
        "oxigraph_load_maxrss_mb": round(ox.maxrss_mb, 1),
        "ratio_build_to_oxigraph_load": round(ratio, 3),
        "kg_build_optimize": ours_opt,
        "oxigraph_optimize_seconds": round(ox_opt.seconds, 2),
        "ratio_build_optimize_to_oxigraph_load_optimize": round(ratio_opt, 3),
        "store_bytes_optimized": opt_bytes,
        "oxigraph_store_bytes_optimized": ox_opt_bytes,
        "rows_per_second": round(ours["rows_read"] / ours["seconds"]),
        "triples_per_second": round(triples / ours["seconds"]),
        "store_bytes": store_bytes,
        "paths_index_bytes": index_bytes,
        "oxigraph_store_bytes": ox_bytes,
        "store_mb_per_million_triples": round(store_bytes / mb / (triples / 1e6), 1),
        "markdown": [[
            f"{ours['rows_read']:,}", f"{triples:,}", f"{ours['seconds']:.1f}", f"{after:.1f}", f"{ox.seconds:.1f}",
            f"**{ratio:.2f}×**", f"{ours['rows_read'] / ours['seconds']:,.0f}", f"{triples / ours['seconds']:,.0f}",
            f"{ours['maxrss_mb']:,.0f} / {ours['worker_maxrss_mb']:,.0f}", f"{ox.maxrss_mb:,.0f}",
            f"{(store_bytes + index_bytes) / mb:,.0f}", f"{store_bytes / mb / (triples / 1e6):.0f}",
            f"{ox_bytes / mb / (triples / 1e6):.0f}",
            f"{ours_opt['seconds']:.1f}", f"{ox.seconds:.1f} + {ox_opt.seconds:.1f}", f"**{ratio_opt:.2f}×**",
            f"{opt_bytes / mb / (triples / 1e6):.0f} / {ox_opt_bytes / mb / (triples / 1e6):.0f}",
        ]],
        "note": (
            "kg build = read + check + map (in a worker process) + Oxigraph bulk load + owl:sameAs links + "
            "statistics + the co-authorship index (\"after load\"), into a fresh store; oxigraph load = the "
            "`oxigraph` CLI loading the N-Quads `kg etl` wrote for the same rows. Both leave the store as Oxigraph's "
            "bulk loader does (ingested files, not compacted). The optimized columns add a full compaction to both: "
            "`kg build --optimize` against `oxigraph load` then `oxigraph optimize`. Peak RSS from getrusage. "
            "Store MB includes the paths index; MB per M triples is the Oxigraph data alone."
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
