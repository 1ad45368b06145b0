"""The variant suggestions' candidate search (kg.identity.variant_candidates) against the plain loop
over every pair of rows of two clusters: the same suggestions, in the same order, on generated
graphs (names in every script, with their spellings) and generated weights; and the pairs it leaves
out are the ones the plain loop scores for nothing."""

from __future__ import annotations

import gc
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from identity_tables import built_index, opened_index

import kg
from kg.adjacency import AdjacencyIndex
from kg.identity.evidence import Weights
from kg.identity.facts import Facts, RowFacts
from kg.identity.variant_candidates import SCAN_MOST, SCANS, ClusterRows, partners
from kg.identity.variants import Suggestion, suggestions
from kg.synthetic import generate

FAMILIES = [  # one person's name under its spellings (diacritics NFC and NFD, initials, order, scripts)
    ["Liyuan Liu", "L. Liu", "Liu Liyuan", "Li-Yuan Liu"],
    ["José González", "Jose Gonzalez", unicodedata.normalize("NFD", "José González"), "J. González"],
    ["John A. Smith", "John Smith", "J. Smith", "John Smith 0002"],
    ["Γιώργος Παπαδόπουλος", "Γ. Παπαδόπουλος", "Παπαδόπουλος Γιώργος"],
    ["Иван Иванов", "И. Иванов", "Иванов Иван"],
    ["王 伟", "伟 王", "王 伟明"],
    ["محمد علي", "علي محمد", "م علي"],
    ["Jiawei Han", "J. Han", "Han Jiawei"],
]
NAMES = [name for family in FAMILIES for name in family]
ORCIDS = ["0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0003-1415-9269"]
WORDS = ["graph", "neural", "robot", "kernel", "sparse", "query", "ledger", "protein", "vision", "parser",
         "quantum", "lattice", "privacy", "swarm", "tensor", "cache", "codec", "fluid", "proof", "mesh",
         "図形", "データ", "синтез", "ανάλυση", "تعلم"]


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[list[list[str]], list[list[object]]]:
    """Rows tables' authors [id, name, orcid] and papers [id, title, year, venue, [author ids]]."""
    n = draw(st.integers(4, 36))
    authors = [[f"a{k}", draw(st.sampled_from(NAMES)),
                draw(st.sampled_from(ORCIDS)) if draw(st.integers(0, 9)) == 0 else ""] for k in range(n)]
    papers: list[list[object]] = []
    for p in range(draw(st.integers(4, 60))):
        ids = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4, unique=True))
        title = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=6)))
        papers.append([f"p{p}", title, draw(st.integers(2008, 2022)), draw(st.sampled_from(["v1", "v2", "v3"])),
                       [f"a{k}" for k in ids]])
    return authors, papers


def _weights() -> st.SearchStrategy[Weights]:
    """Weights around the shipped ones, where the bounds cut differently."""
    scaled = st.floats(0.0, 2.0)
    return st.builds(
        lambda m, prior, common, title, cap, free, absent, venue, years, coauthor, coauthor_cap, alone: replace(
            Weights(), suggest_min=m, prior=prior, common=common, title=title, title_cap=cap,
            suggest_title_free=free, absent=absent, venue_cap=venue, years_near=years, coauthor=coauthor,
            coauthor_cap=coauthor_cap, suggest_alone=alone),
        st.floats(-8.0, 5.0), scaled, st.floats(0.0, 6.0), st.floats(0.0, 0.6), st.floats(0.0, 6.0),
        st.sampled_from([0.0, 2.0, 12.0]), scaled, scaled, scaled, st.floats(0.0, 4.0), st.floats(0.0, 8.0),
        st.sampled_from([0.0, 0.5, 3.0]))


def _both(index: AdjacencyIndex, facts: Facts, w: Weights) -> tuple[list[Suggestion], list[Suggestion]]:
    return (list(suggestions(index, facts, w)), list(suggestions(index, facts, w, every_pair=True)))


@given(_graphs(), _weights())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_candidate_search_suggests_what_every_pair_does_on_generated_graphs(
        graph: tuple[list[list[str]], list[list[object]]], w: Weights) -> None:
    with built_index(*graph, ("v1", "v2", "v3")) as (index, facts):
        fast, plain = _both(index, facts, w)
        assert fast == plain


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """kg generate's graph (dblp's shapes: large clusters of common names beside their initials)."""
    root = tmp_path_factory.mktemp("generated")
    generate(4000, 3, root / "rows")
    kg.build([root / "rows"], root / "store")
    return root / "store"


@given(_weights())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_candidate_search_suggests_what_every_pair_does_on_kg_generate(generated: Path, w: Weights) -> None:
    with opened_index(generated) as (index, facts):
        fast, plain = _both(index, facts, w)
        assert fast == plain


def test_the_shipped_weights_suggest_on_kg_generate_and_the_search_finds_them(generated: Path) -> None:
    with opened_index(generated) as (index, facts):
        fast, plain = _both(index, facts, Weights())
        assert plain, "the generated graph has suggestions to find"
        assert fast == plain


@given(st.integers(SCAN_MOST + 1, 40), st.data())
@settings(max_examples=150, deadline=None)
def test_a_large_clusters_partners_are_the_same_scanned_or_indexed(n: int, data: st.DataObject) -> None:
    """partners() scans a large cluster's rows for its first SCANS rows asked, then builds the
    co-author index: every answer, on either side of the switch, is the rows sharing a co-author
    cluster or a spelling of one (the rows' names in every script)."""
    clusters = st.frozensets(st.integers(0, 30), max_size=12)
    coauthors = [data.draw(clusters) for _ in range(n)]
    facts = [RowFacts(NAMES[r % len(NAMES)]) for r in range(n)]
    ys = ClusterRows(list(range(n)), facts.__getitem__, coauthors.__getitem__, [])
    for _ in range(SCANS + 4):
        mine, reach = data.draw(clusters), data.draw(clusters)
        assert partners(ys, mine, reach) == {k for k in range(n) if coauthors[k] & (mine | reach)}
    assert "by_coauthor" in vars(ys), "the index was built after SCANS rows"


def test_the_suggestions_leave_no_reference_cycle_behind(generated: Path) -> None:
    """The clusters the suggestions keep read their rows through the cache that keeps them; the
    identity step runs with the cyclic collector paused, so that cycle is broken once the pairs
    are done: nothing of it is left for the collector to find."""
    with opened_index(generated) as (index, facts):
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            assert list(suggestions(index, facts)), "the generated graph has suggestions"
            gc.collect()
            left = [type(o).__name__ for o in gc.garbage if isinstance(o, ClusterRows | RowFacts)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        assert left == []
