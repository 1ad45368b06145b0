"""The endpoint's per-text Python work, old against new in the same process: kg.sparqltext's checks
of a query text not seen before and the SPARQL protocol's form decoding.

    .venv/bin/python bench/lexer.py [--repeat 15] [--number 500]

The texts: bench/endpoint.py's LOOKUPS, filled with sample terms (the name key also in Chinese
script), and the named queries of queries/*.rq. For each text, the best of --repeat runs (old and new in turn) of
--number calls (a quarter of that for the longer named queries), in µs per call, of:
- checks: what `kg serve` does for a new text (kg.server.sparql_checks.Checks.checked and query_job):
  lex, check_outbound, form, has_dataset_clause;
- lex: lex alone, then reading every token (what add_using and the tests read);
- form: kg.server.protocol.parse of a POST form request carrying the text (urlencode'd);
- pairs: its _pairs alone on that body.
The old implementations are tests/reference_sparqltext.py (the ones these replaced, kept verbatim).
Prints a table (mean over texts of each group, and old/new) and one JSON object; --out writes it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from endpoint import LOOKUPS  # noqa: E402
from reference_sparqltext import old_check_outbound, old_lex, old_pairs, old_parse  # noqa: E402

from kg.server import protocol  # noqa: E402
from kg.sparqltext import check_outbound, lex  # noqa: E402

SAMPLES = {"{key}": '"liu|liyuan"', "{row}": "<https://kg.example.org/row/dblp/42>",
           "{paper}": "<https://kg.example.org/paper/123>"}
NONE: frozenset[str] = frozenset()


def lookups() -> dict[str, str]:
    out = {}
    for name, text in LOOKUPS.items():
        for hole, term in SAMPLES.items():
            text = text.replace(hole, term)
        out[name] = text
    out["papers_of_key, a key in Chinese"] = out["papers_of_key"].replace(SAMPLES["{key}"], '"刘|力源"')
    return out


def named() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))}


def new_checks(text: str) -> object:
    a = lex(text)
    check_outbound(a, NONE, "http://127.0.0.1/sparql")
    return a.form(), a.has_dataset_clause()


def old_checks(text: str) -> object:
    a = old_lex(text)
    old_check_outbound(a, NONE, "http://127.0.0.1/sparql")
    return a.form(), a.has_dataset_clause()


def old_tokens(text: str) -> object:
    return old_lex(text).tokens


def new_tokens(text: str) -> object:
    return lex(text).tokens


def old_form_parse(body: bytes) -> protocol.Operation:
    return old_parse("POST", b"", protocol.FORM, body)


def new_parse(body: bytes) -> protocol.Operation:
    return protocol.parse("POST", b"", protocol.FORM, body)


def old_form_pairs(body: bytes) -> object:
    return old_pairs(body, "the form body")


def new_form_pairs(body: bytes) -> object:
    return protocol._pairs(body, "the form body")


CALLS: dict[str, tuple[Callable[[str], object], Callable[[str], object], bool]] = {  # old, new, of the body
    "checks": (old_checks, new_checks, False),
    "lex": (old_tokens, new_tokens, False),
    "form": (old_form_parse, new_parse, True),  # type: ignore[dict-item]
    "pairs": (old_form_pairs, new_form_pairs, True),  # type: ignore[dict-item]
}


def per_call(old: Callable[[], object], new: Callable[[], object], repeat: int, number: int) -> tuple[float, float]:
    """The best µs per call of each, their runs interleaved (old, new, old, ...) so that both meet the
    same load from the machine's other jobs."""
    best_old = best_new = float("inf")
    for _ in range(repeat):
        best_old = min(best_old, timeit.timeit(old, number=number))
        best_new = min(best_new, timeit.timeit(new, number=number))
    return best_old / number * 1e6, best_new / number * 1e6


def plain(found: object) -> object:
    """Tokens as tuples (the old and the new Token are two classes); anything else as it is."""
    if isinstance(found, list):
        return [(t.kind, t.text, t.start, t.depth) for t in found]
    return found


def measure(texts: dict[str, str], repeat: int, number: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name, text in texts.items():
        body = urlencode({"query": text}).encode("ascii")
        row = {}
        for what, (old, new, of_body) in CALLS.items():
            arg: Any = body if of_body else text
            assert plain(old(arg)) == plain(new(arg)), (what, name)
            row[f"{what}_old"], row[f"{what}_new"] = per_call(partial(old, arg), partial(new, arg), repeat, number)
        out[name] = row
    return out


def summary(rows: dict[str, dict[str, float]]) -> dict[str, float]:
    out = {}
    for what in CALLS:
        old = statistics.mean(r[f"{what}_old"] for r in rows.values())
        new = statistics.mean(r[f"{what}_new"] for r in rows.values())
        out[f"{what}_old_us"], out[f"{what}_new_us"], out[f"{what}_ratio"] = old, new, old / new
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--number", type=int, default=500)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    groups = {"lookup": lookups(), "named": named()}
    report: dict[str, Any] = {"load_before": list(os.getloadavg())}
    print(f"{'texts':8} {'what':7} {'old µs':>8} {'new µs':>8} {'old/new':>8}")
    for group, texts in groups.items():
        rows = measure(texts, args.repeat, args.number if group == "lookup" else max(1, args.number // 4))
        s = summary(rows)
        report[group] = {"summary": s, "texts": rows}
        for what in CALLS:
            old, new, ratio = s[f"{what}_old_us"], s[f"{what}_new_us"], s[f"{what}_ratio"]
            print(f"{group:8} {what:7} {old:8.1f} {new:8.1f} {ratio:7.1f}x")
    report["load_after"] = list(os.getloadavg())
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v["summary"] if k in groups else v for k, v in report.items()}))


if __name__ == "__main__":
    main()
