"""The benchmark suite: one command for every size.

    .venv/bin/pip install -e '.[bench]'        # the oxigraph CLI, the reference loader
    .venv/bin/python bench/run.py --sizes 10000,100000,1000000 [--seed 1] [--only build,cluster]

For each size: generate the rows (kept in bench/work/), run the benchmarks of bench/harness.SUITES
(build first: the others use the store it made), write bench/results/<size>.json and regenerate
this harness's section of bench/RESULTS.md. See bench/README.md to add a benchmark.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import harness  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000", help="Comma-separated numbers of papers (10000,100000,1000000).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", help="Comma-separated benchmark names (default: all).")
    parser.add_argument("--skip", default="", help="Comma-separated benchmark names to leave out.")
    parser.add_argument("--workers", type=int, default=None, help="kg build --workers (default: auto).")
    parser.add_argument("--keep", action="store_true", help="Keep the N-Quads and the oxigraph store in bench/work/.")
    parser.add_argument("--markdown-only", action="store_true", help="Only regenerate bench/RESULTS.md from results/.")
    args = parser.parse_args()
    for module in harness.SUITES:
        importlib.import_module(module)
    names = args.only.split(",") if args.only else list(harness.REGISTRY)
    names = [n for n in names if n not in args.skip.split(",")]
    unknown = [n for n in names if n not in harness.REGISTRY]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(harness.REGISTRY)})")
    command = ".venv/bin/python bench/run.py " + " ".join(sys.argv[1:])
    sizes = [] if args.markdown_only else [int(s.replace("_", "")) for s in args.sizes.split(",")]
    for papers in sizes:
        work = harness.WORK
        work.mkdir(parents=True, exist_ok=True)
        label = harness._size_label(papers)
        ctx = harness.Context(
            papers=papers,
            seed=args.seed,
            rows=work / f"rows-{label}-s{args.seed}",
            store=work / f"store-{label}-s{args.seed}",
            work=work,
            workers=args.workers,
            keep=args.keep,
        )
        meta = harness.machine()
        from suite_build import ensure_rows

        ctx.results["generate"] = ensure_rows(ctx)
        for name in names:
            entry = harness.REGISTRY[name]
            if entry.needs_store and not (ctx.store / "active").exists():
                print(f"[{label}] {name}: no store yet (run the build benchmark first); skipped", file=sys.stderr)
                continue
            started = time.perf_counter()
            print(f"[{label}] {name} ...", file=sys.stderr, flush=True)
            ctx.results[name] = entry.run(ctx)
            print(f"[{label}] {name} done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        path = harness.save(ctx, meta, command)
        print(f"[{label}] -> {path}", file=sys.stderr)
    harness.write_markdown(HERE / "RESULTS.md")


if __name__ == "__main__":
    main()
