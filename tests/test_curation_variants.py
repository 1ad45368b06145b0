"""Corrections by hand about rows of two name clusters (issue 26): never a merge, applied to the
variant suggestion between the rows: `same` confirms it (whatever the evidence), `distinct` removes it."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
import requests

import kg
import kg.curate as curate
from kg.backend.embedded import EmbeddedBackend
from kg.cluster import cluster
from kg.identity.curation import ACROSS, APPLIED, CONFLICT
from kg.store import StoreDir
from tests.server_fixtures import running
from tests.test_curation import _tables

BASE = "http://localhost:7878/"
# per script: a name, the same name spelled otherwise (a spelling kg relates), an unrelated name
SPELLINGS = {
    "latin": ("Zoë Ünal", "Zoe Unal", "Ada Brook"),
    "nfd": (unicodedata.normalize("NFD", "Jürgen Ñúñez"), "Jurgen Nunez", "Ola Berg"),
    "greek": ("Γιώργος Παπαδόπουλος", "Γ. Παπαδόπουλος", "Νίκος Βλάχος"),
    "cyrillic": ("Иван Петров", "И. Петров", "Олег Сидоров"),
    "cjk": ("王伟", "伟 王", "李娜"),
    "arabic": ("محمد علي", "علي محمد", "سارة حسن"),
}


def _world(folder: Path) -> Path:
    """Per script: rows -x (the name) and -y (its other spelling) sharing two co-authors (a computed
    suggestion), row -s (the other spelling again, in -y's cluster) and row -z (an unrelated name) sharing
    nothing with -x, rows -x and -w (another spelling) on one paper."""
    authors: list[tuple[str, str]] = []
    papers: dict[str, tuple[int, str, list[str]]] = {}
    for script, (name, other, unrelated) in SPELLINGS.items():
        authors += [(f"{script}-x", name), (f"{script}-y", other), (f"{script}-z", unrelated),
                    (f"{script}-w", other + " Jr"), (f"{script}-s", other), (f"{script}-m1", f"Mate One {script}"),
                    (f"{script}-m2", f"Mate Two {script}")]
        papers[f"{script}-p1"] = (2015, f"v{script}", [f"{script}-x", f"{script}-m1", f"{script}-m2"])
        papers[f"{script}-p2"] = (2016, f"v{script}", [f"{script}-y", f"{script}-m1", f"{script}-m2"])
        papers[f"{script}-p3"] = (2010, "elsewhere", [f"{script}-z"])
        papers[f"{script}-p4"] = (2012, "other", [f"{script}-x", f"{script}-w"])
        papers[f"{script}-p5"] = (1990, f"far {script}", [f"{script}-s"])
    return _tables(folder, authors, papers)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    out = tmp_path / "store"
    kg.build([_world(tmp_path / "in")], out)
    return out


def _suggested(store: Path, name: str) -> dict[str, list[str]]:
    """The cluster's suggestions: other row -> its reasons."""
    with EmbeddedBackend.open(store) as backend:
        c = cluster(backend, name)
    return {s.row: s.reasons for s in c.suggestions}


def _rows(store: Path, name: str) -> list[str]:
    with EmbeddedBackend.open(store) as backend:
        return sorted(r.iri for r in cluster(backend, name).rows)


@pytest.mark.parametrize("script", list(SPELLINGS))
def test_same_across_clusters_confirms_a_suggestion_and_merges_nothing(store: Path, script: str) -> None:
    name, _, unrelated = SPELLINGS[script]
    x, z = f"{BASE}author/{kg.iris.segment(script + '-x')}", f"{BASE}author/{kg.iris.segment(script + '-z')}"
    assert z not in _suggested(store, name)  # nothing in common: never suggested by the evidence
    before = (_rows(store, name), _rows(store, unrelated))
    done = curate.add(store, "same", f"{script}-x", f"{script}-z", why="same ORCID on both CVs", by="Ann")
    reasons = _suggested(store, name)[z]
    assert reasons[0].startswith("corrected by hand:") and "are one person" in reasons[0]
    assert "same ORCID on both CVs" in reasons[0] and "computed: not" in " ".join(reasons)
    assert x in _suggested(store, unrelated)  # seen from the other cluster too
    assert (_rows(store, name), _rows(store, unrelated)) == before  # the exact-name clusters stay
    found = json.loads((StoreDir(store).require() / "build.json").read_text())["curations"]
    assert found["applied"] == 1 and not found["not_applied"]
    listed = curate.listing(store)
    assert listed[0].status == APPLIED and ACROSS in (listed[0].note or "")
    assert done.to_json()["note"] == listed[0].note  # the answer to the correction says it too
    curate.undo(store, str(done.correction.id), by="Ann")
    assert z not in _suggested(store, name)


# kg relates no other spelling of a name written in CJK (no romanisation, no token order without
# spaces): no suggestion is computed there to remove; a `same` across its clusters is tested above.
@pytest.mark.parametrize("script", [s for s in SPELLINGS if s != "cjk"])
def test_distinct_across_clusters_removes_a_computed_suggestion(store: Path, script: str) -> None:
    name = SPELLINGS[script][0]
    y = f"{BASE}author/{kg.iris.segment(script + '-y')}"
    assert y in _suggested(store, name), "the fixture's rows share two co-authors: a computed suggestion"
    curate.add(store, "distinct", f"{script}-y", f"{script}-x", why="different institutions", by="Ann")
    assert y not in _suggested(store, name)
    curate.add(store, "same", f"{script}-x", f"{script}-y", why="confirmed by e-mail", by="Ann")
    reasons = _suggested(store, name)[y]
    assert reasons[0].startswith("corrected by hand:") and any(r.startswith("computed: ") for r in reasons)


# Two spellings kg relates, rows sharing nothing: compared, not suggested; a `same` makes the suggestion and
# says the evidence did not (the unrelated -z above was never compared at all).
@pytest.mark.parametrize("script", [s for s in SPELLINGS if s != "cjk"])
def test_same_across_related_spellings_that_were_not_suggested(store: Path, script: str) -> None:
    name, other, _ = SPELLINGS[script]
    s = f"{BASE}author/{kg.iris.segment(script + '-s')}"
    x = f"{BASE}author/{kg.iris.segment(script + '-x')}"
    assert s not in _suggested(store, name), "nothing shared but a related spelling: not suggested"
    done = curate.add(store, "same", f"{script}-s", f"{script}-x", why="the same thesis advisor", by="Ann")
    reasons = _suggested(store, name)[s]
    assert reasons[0].startswith("corrected by hand:") and "the same thesis advisor" in reasons[0]
    assert "computed: not suggested" in reasons and "computed: not compared" not in reasons
    assert x in _suggested(store, other)
    assert curate.listing(store)[0].status == APPLIED
    curate.undo(store, str(done.correction.id), by="Ann")
    assert s not in _suggested(store, name)


def test_same_across_clusters_for_rows_on_one_paper_is_a_conflict(store: Path) -> None:
    curate.add(store, "same", "latin-x", "latin-w", why="typo", by="Ann")
    listed = curate.listing(store)
    assert listed[0].status == CONFLICT and "one paper" in (listed[0].note or "")
    assert f"{BASE}author/latin-w" not in _suggested(store, SPELLINGS["latin"][0])


def test_the_page_and_the_api_of_a_real_server_say_it(store: Path, tmp_path: Path) -> None:
    token = "t0k3n"
    curate.add(store, "same", "greek-x", "greek-z", why="Ίδιο πρόσωπο", by="Άννα")
    name = SPELLINGS["greek"][0]
    with running(store, "--update-token", token, log=tmp_path / "serve.log") as server:
        r = requests.get(server.url + "/api/clusters/" + requests.utils.quote(name), timeout=30)
        assert r.status_code == 200
        shown = {s["row"]: s for s in r.json()["suggestions"]}
        assert shown[f"{BASE}author/{kg.iris.segment('greek-z')}"]["reasons"][0].startswith("corrected by hand:")
        page = requests.get(server.url + "/clusters/" + requests.utils.quote(name), timeout=30)
        assert page.status_code == 200 and "corrected by hand" in page.text and "Ίδιο πρόσωπο" in page.text
        made = requests.post(server.url + "/api/curations", json={
            "verdict": "distinct", "a": "cyrillic-x", "b": "cyrillic-y", "why": "разные люди", "by": "Ан"},
            headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert made.status_code in (200, 201, 202), made.text
        listed = requests.get(server.url + "/api/curations", timeout=30).json()["curations"]
        # the answer says what `kg curate list` and GET say: applied to the suggestion, across two clusters
        assert made.json()["note"] == ACROSS == next(c["note"] for c in listed if c["id"] == made.json()["id"])
    assert f"{BASE}author/{kg.iris.segment('cyrillic-y')}" not in _suggested(store, SPELLINGS["cyrillic"][0])
