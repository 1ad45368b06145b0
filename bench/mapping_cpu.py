"""The mapping's CPU seconds in one process, as the mapping worker spends them, and the ledger's.

    .venv/bin/python bench/mapping_cpu.py ROWS [--from auto]

Reads, checks and maps ROWS (kg.streaming.quads) with the co-authorship index collected
(kg.adjacency.Collector), as kg.pipeline's worker does, into chunks (kg.streaming.batched) that are
discarded; each chunk also goes through the ledger's digests (kg.sync.ledger.Ledger.add_chunk), as
a build's ledger process and a sync do, timed apart. Prints one JSON line: the CPU seconds of each,
the rows, the subjects, the SHA-256 of the N-Quads (to compare two versions' output) and the
process's peak RSS. CPU seconds, not wall seconds: other jobs on the machine change them less.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import time
from pathlib import Path

from kg.adjacency import Collector
from kg.iris import DEFAULT_BASE_IRI, Minter
from kg.records import Reject
from kg.streaming import Report, batched, quads
from kg.sync.ledger import Ledger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--from", dest="kind", default="auto")
    args = parser.parse_args()
    minter = Minter(DEFAULT_BASE_IRI)
    report, collector, ledger = Report(), Collector(minter), Ledger()
    rejects: list[Reject] = []
    digest = hashlib.sha256()
    ledger_seconds = 0.0
    start = time.process_time()
    for chunk in batched(quads([args.rows], args.kind, minter, report, rejects.append, collector=collector)):
        digest.update(chunk)
        before = time.process_time()
        ledger.add_chunk(chunk)
        ledger_seconds += time.process_time() - before
    total = time.process_time() - start
    collector.close()
    print(json.dumps({
        "mapping_cpu_seconds": round(total - ledger_seconds, 2),
        "ledger_cpu_seconds": round(ledger_seconds, 2),
        "rows": report.rows_read,
        "rejects": len(rejects),
        "subjects": ledger.subjects(),
        "nquads_sha256": digest.hexdigest(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }))


if __name__ == "__main__":
    main()
