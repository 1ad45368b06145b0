"""kg serve --pin-workers (kg.server.prefork.pin): each worker process on its own share of the CPUs.
The shares are checked on generated CPU sets (hypothesis); a real kg serve's workers are found on
theirs, and answer as an unpinned server does, names in every script included."""

from __future__ import annotations

import os
import time
import unicodedata
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from server_fixtures import Server, running

from kg.server.prefork import cores_of

NAMES = ["Liyuan Liu", "Jürgen Becker", "Γεώργιος Παπαδόπουλος", "Сергей Иванов", "王小明", "محمد الأحمد"]
FORMS = [unicodedata.normalize(form, name) for name in NAMES for form in ("NFC", "NFD")]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(allowed=st.sets(st.integers(0, 63), max_size=16), workers=st.integers(1, 20))
def test_the_workers_share_out_the_allowed_cpus(allowed: set[int], workers: int) -> None:
    shares = [cores_of(slot, workers, allowed) for slot in range(workers)]
    if not allowed:
        assert all(share == set() for share in shares)  # nothing known: left as it is
        return
    assert all(share and share <= allowed for share in shares)
    assert set().union(*shares) == allowed  # every CPU is someone's
    if workers <= len(allowed):
        assert sum(len(share) for share in shares) == len(allowed)  # none shared
    else:
        assert all(len(share) == 1 for share in shares)


def _workers(server: Server) -> list[int]:
    """The worker processes of a kg serve (not multiprocessing's resource tracker)."""
    with open(f"/proc/{server.process.pid}/task/{server.process.pid}/children", encoding="ascii") as f:
        children = [int(c) for c in f.read().split()]
    out = []
    for pid in children:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"resource_tracker" not in f.read():
                out.append(pid)
    return out


def _answers(server: Server) -> list[tuple[int, bytes]]:
    out = []
    with requests.Session() as session:
        for name in FORMS:
            query = ("PREFIX kg: <https://w3id.org/scholarly-kg/ontology#> SELECT ?row WHERE { ?row kg:name ?n ."
                     f' FILTER(STR(?n) = "{name}") }} ORDER BY ?row')
            r = session.post(server.endpoint, data=urlencode({"query": query}), timeout=30, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})
            out.append((r.status_code, r.content))
            r = session.get(f"{server.url}/api/clusters/{requests.utils.quote(name)}", timeout=30)
            out.append((r.status_code, r.content.replace(server.url.encode(), b"http://SERVER")))
    return out


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or not os.path.exists("/proc/self/task"),
                    reason="CPU affinity and /proc are Linux's")
def test_kg_serve_pins_its_workers_and_answers_the_same(example_store: Path, tmp_path: Path) -> None:
    allowed = os.sched_getaffinity(0)
    wanted = sorted(sorted(cores_of(slot, 2, allowed)) for slot in range(2))
    with running(example_store, "--workers", "2", "--pin-workers", log=tmp_path / "pinned.log") as pinned:
        deadline = time.monotonic() + 30  # the first worker answers while the second may still be starting
        while (shares := sorted(sorted(os.sched_getaffinity(pid)) for pid in _workers(pinned))) != wanted \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        fast = _answers(pinned)
    assert shares == wanted
    with running(example_store, "--workers", "2", log=tmp_path / "plain.log") as plain:
        assert all(os.sched_getaffinity(pid) == allowed for pid in _workers(plain))  # off: left as they were
        assert _answers(plain) == fast
    assert {status for status, _ in fast} == {200}
