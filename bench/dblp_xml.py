"""Benchmark: reading dblp XML with kg.sources.dblp, records per second and peak memory.

Writes synthetic dumps in the raw layout (ISO-8859-1, DOCTYPE dblp.dtd, named entities, every
record kind, homonym numbers, orcid attributes, doi.org <ee> links, www person records, records
run together on one line) in bench/work/, then reads each in a fresh process and reports
records/s and peak RSS. The sizes differ by 4x; if memory stayed flat the peaks are about equal.

    .venv/bin/python bench/dblp_xml.py --sizes 0.25 1.0
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / "work" / "dblp_xml"
DTD = """<!-- Entities used by the synthetic dump (a stand-in for dblp.dtd). -->
<!ELEMENT dblp ANY>
<!ENTITY uuml "&#252;"> <!ENTITY ouml "&#246;"> <!ENTITY auml "&#228;"> <!ENTITY eacute "&#233;">
<!ENTITY aacute "&#225;"> <!ENTITY iacute "&#237;"> <!ENTITY ccedil "&#231;"> <!ENTITY szlig "&#223;">
"""
FIRST = ["Wei", "Bin", "Hong", "Jun", "Andrea", "Richard", "Jos&eacute;", "Fran&ccedil;ois", "Maria", "Anna",
         "Pierre", "Roland", "Jerzy", "Chao", "Li", "Yuki", "Sanjeev", "Nathan", "Oded", "J&ouml;rg", "Ali",
         "Hans Ulrich", "A. Pedro", "Norbert", "Manish", "Massimo", "Wolfgang", "Andr&eacute;", "Udo", "Olaf"]
LAST = ["Wang", "Li", "Chen", "Zhang", "M&uuml;ller", "Schr&ouml;der", "Garc&iacute;a", "Siegwart", "Kurek",
        "Aguiar", "Saxena", "Simon", "Goodman", "Shmueli", "Blum", "Singh", "Zancanaro", "Wahlster", "Berton",
        "Kaltenmeier", "Haiber", "Schreiner", "Stra&szlig;e", "Kr&auml;mer", "Liu", "Yang", "Huang", "Zhao"]
STREAMS = [("conf", v, v.upper()) for v in ("nips", "icml", "romoco", "lsms", "socc", "ppopp", "ecoop", "cgo")]
STREAMS += [("journals", v, n) for v, n in (("acta", "Acta Inf."), ("tcs", "Theor. Comput. Sci."), ("corr", "CoRR"))]
STREAMS += [("series", v, n) for v, n in (("hci", "Human-Computer Interaction Series"), ("cogtech", "SmartKom"))]
STREAMS += [("reference", "vision", "Computer Vision, A Reference Guide")]
KINDS = [("inproceedings", 50), ("article", 38), ("incollection", 4), ("proceedings", 2), ("book", 1),
         ("phdthesis", 1), ("mastersthesis", 1), ("www", 3)]


class Names:
    """A fixed pool of ~172k author names (dblp has ~3.7M), so the reader's set of seen names saturates."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self) -> str:
        r = self.rng
        name = f"{r.choice(FIRST)} {r.choice(['', 'A. ', 'B. ', 'K. ', 'M. '])}{r.choice(LAST)}"
        number = r.randrange(45)
        return f"{name} {number + 1:04d}" if number < 40 else name


def record(rng: random.Random, names: Names, n: int) -> str:
    kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
    if kind == "www":
        alias = f"<author>{names.pick()}</author>\n" if rng.random() < 0.2 else ""
        return (f'<www mdate="2020-01-01" key="homepages/{n % 997}/{n}">\n<author>{names.pick()}</author>\n{alias}'
                "<title>Home Page</title>\n</www>\n")
    by_kind = {"article": ("journals",), "inproceedings": ("conf",), "proceedings": ("conf",)}
    wanted = by_kind.get(kind, ("series", "reference"))
    prefix, stream, label = rng.choice([s for s in STREAMS if s[0] in wanted])
    key = f"{prefix}/{stream}/K{n}" if kind != "phdthesis" else f"phd/K{n}"
    authors = "".join(
        f'<author orcid="0000-000{rng.randrange(10)}-{rng.randrange(10000):04d}-{rng.randrange(10000):04d}">'
        f"{names.pick()}</author>\n" if rng.random() < 0.1 else f"<author>{names.pick()}</author>\n"
        for _ in range(0 if kind == "proceedings" or rng.random() < 0.03 else rng.choice([1, 2, 2, 3, 3, 3, 4, 5, 8]))
    )
    venue = f"<journal>{label}</journal>" if prefix == "journals" else f"<booktitle>{label}</booktitle>"
    year = rng.randrange(1970, 2025)
    end = "" if rng.random() < 0.05 else "\n"  # records run together on one line, as in the head of the dump
    return (f'<{kind} mdate="2021-03-04" key="{key}">\n{authors}<title>On <i>the</i> Sch&ouml;n '
            f"Problem {n}.</title>\n<pages>{n % 300}-{n % 300 + 12}</pages>\n<year>{year}</year>\n{venue}\n"
            f"<ee>https://doi.org/10.{1000 + n % 9000}/b{n}</ee>\n<url>db/{prefix}/{stream}/{stream}{year}.html#K{n}"
            f"</url>\n</{kind}>{end}")


def generate(path: Path, gigabytes: float, seed: int = 1) -> None:
    target = int(gigabytes * 1_000_000_000)
    if path.exists() and path.stat().st_size >= target:
        return
    rng = random.Random(seed)
    names = Names(rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / "dblp.dtd").write_text(DTD, encoding="ascii")
    tmp = path.with_suffix(".part")
    with open(tmp, "w", encoding="iso-8859-1") as f:
        f.write('<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE dblp SYSTEM "dblp.dtd">\n<dblp>\n')
        written, n, chunk = 0, 0, []
        while written < target:
            text = "".join(record(rng, names, n + i) for i in range(1000))
            n += 1000
            chunk.append(text)
            written += len(text)
            if len(chunk) >= 20:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk) + "</dblp>\n")
    tmp.replace(path)


def measure(path: Path) -> dict[str, float]:
    """Read the file in this process (run in a child so each size gets a clean peak RSS)."""
    from kg.records import Paper
    from kg.sources import ReadContext, read

    started = time.perf_counter()
    items = papers = 0
    for located in read(path, "dblp", ReadContext()):
        items += 1
        papers += isinstance(located.item, Paper)
    seconds = time.perf_counter() - started
    return {
        "bytes": path.stat().st_size,
        "seconds": seconds,
        "records_out": items,
        "papers": papers,
        "records_per_s": items / seconds,
        "papers_per_s": papers / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.25, 1.0], help="File sizes in GB.")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    for size in args.sizes:
        path = WORK / f"dblp-{size:g}GB.xml"
        started = time.perf_counter()
        generate(path, size)
        print(f"generated {path.name} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
        out = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True, text=True,
                             check=True)
        result = json.loads(out.stdout)
        print(f"{path.name}: {result['papers']:,} papers, {result['records_out']:,} records out in "
              f"{result['seconds']:.0f} s = {result['papers_per_s']:,.0f} papers/s, "
              f"{result['records_per_s']:,.0f} records/s; peak RSS {result['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
