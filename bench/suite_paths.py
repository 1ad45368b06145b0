"""Co-authorship path latency (issue 6) for bench/run.py: bench/paths.py on the harness's rows and store."""

from __future__ import annotations

from typing import Any

from harness import Context, benchmark
from paths import modes, modes_markdown, run


@benchmark(
    "paths",
    needs_store=True,
    title="Co-authorship paths: `kg.paths.shortest_paths` on random connected pairs (issue 6; target median "
    "< 100 ms, p95 < 1 s), beside networkx's bidirectional search in memory",
    columns=["neighbour step", "pairs", "median ms", "p95 ms", "max ms", "× networkx (median / p95)", "wrong"],
)
def path_latency(ctx: Context) -> dict[str, Any]:
    slow = 20 if ctx.papers <= 100_000 else 5
    backends = ("index", "bipartite", "store")
    report = run(ctx.rows, ctx.store, pairs=200, seed=ctx.seed, backends=backends, slow_pairs=slow)
    nxs = report["networkx"]
    rows: list[list[Any]] = [["networkx in memory", nxs["n"], f"{nxs['median_ms']:.2f}", f"{nxs['p95_ms']:.2f}",
                              f"{nxs['max_ms']:.2f}", "1", ""]]
    for name, s in report.items():
        if isinstance(s, dict) and "ratio_median" in s:
            rows.append([name, s["n"], f"{s['median_ms']:.1f}", f"{s['p95_ms']:.1f}", f"{s['max_ms']:.1f}",
                         f"{s['ratio_median']:.1f} / {s['ratio_p95']:.1f}", s.get("wrong_distance", "")])
    report["markdown"] = rows
    return report


@benchmark(
    "path_modes",
    needs_store=True,
    title="Path modes (issue 18; targets: `--avoid` and `--strongest` medians within 2× of the plain chain, "
    "`--alternatives 5` median < 200 ms, `reach --max-hops 4` median < 500 ms), on random connected pairs",
    columns=["request", "pairs", "median ms", "p95 ms", "max ms", "× plain (median)", "networkx median ms", "stopped"],
)
def path_modes(ctx: Context) -> dict[str, Any]:
    report = modes(ctx.rows, ctx.store, pairs=100, seed=ctx.seed, cluster_pairs=20)
    report["markdown"] = [[cell.strip() for cell in line.strip("|").split("|")]
                          for line in modes_markdown(report)][2:]
    return report
