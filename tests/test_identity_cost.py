"""The persons inside the clusters (kg.identity.compute.clusters) on its speed path against its plain
path (`plain=True`: every title evidence computed in full, every verdict by compare): the same
identity lines, byte for byte, on generated graphs (names in every script, NFC and NFD, clusters
on both sides of ALL_PAIRS and DIRECT) under generated weights, and on kg generate's graph; and
each shortcut's bound against the evidence it stands for."""

from __future__ import annotations

import gc
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from identity_tables import built_index, opened_index, write_tables

import kg
from kg.adjacency import AdjacencyIndex
from kg.identity import step
from kg.identity.compute import ClusterIdentity, NameClusters, clusters, commonness_ranks, may_title
from kg.identity.evidence import (
    Context,
    Profile,
    Weights,
    title_chance,
    title_evidence,
    variant_coauthors,
    word_tables,
)
from kg.identity.facts import Facts, RowFacts
from kg.identity.spelling import cluster_key, read_pairs, spellings
from kg.identity.step import cluster_lines
from kg.store import DATA
from kg.synthetic import generate

# the names the clusters are made of: one of them makes most rows of a graph (a cluster of 40+)
NAMES = ["Wei Wang", "José González", unicodedata.normalize("NFD", "José González"), "Wei Wang 0001",
         "Wei Wang 0002", "Γιώργος Παπαδόπουλος", "Иван Иванов", "王 伟", "محمد علي", "Zoë Ñúñez"]
# co-authors, some under two spellings of one name (variant co-authors)
COAUTHORS = ["Jiawei Han", "J. Han", "Han Jiawei", "Ζωή Κώστα", "Анна Петрова", "А. Петрова", "李 娜",
             "فاطمة حسن", "Jörg Müller", unicodedata.normalize("NFD", "Jörg Müller"), "Jorg Muller"]
ORCIDS = ["0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0003-1415-9269"]
WORDS = ["graph", "neural", "robot", "kernel", "sparse", "query", "ledger", "protein", "vision", "parser",
         "quantum", "lattice", "privacy", "swarm", "tensor", "cache", "codec", "fluid", "proof", "mesh",
         "図形", "データ", "синтез", "ανάλυση", "تعلم", "über", unicodedata.normalize("NFD", "élan")]
WORDS += [f"{word}ic" for word in WORDS]  # rare enough that shared words are title evidence now and then
VENUES = ("v1", "v2", "v3", "v4")
GRAPH = "<http://example.org/graph/identity>"


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[list[list[str]], list[list[object]]]:
    """Rows tables' authors [id, name, orcid, dblp pid] and papers [id, title, year, venue, [author ids]]:
    most rows of one name, the others of other names; papers of one to three of them and co-authors."""
    main = draw(st.sampled_from(NAMES))
    n = draw(st.sampled_from([3, 6, 9, 14, 30, 45, 60]))
    m = draw(st.integers(1, len(COAUTHORS)))
    authors: list[list[str]] = []
    for k in range(n + m):
        name = (main if draw(st.integers(0, 4)) else draw(st.sampled_from(NAMES))) if k < n \
            else COAUTHORS[(k - n) % len(COAUTHORS)]
        orcid = draw(st.sampled_from(ORCIDS)) if draw(st.integers(0, 12)) == 0 else ""
        pid = draw(st.sampled_from(["12/3456", "78/9012"])) if draw(st.integers(0, 15)) == 0 else ""
        authors.append([f"a{k}", name, orcid, pid])
    papers: list[list[object]] = []
    for p in range(draw(st.integers(n, 2 * n + 10))):
        rows = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
        co = draw(st.lists(st.integers(n, n + m - 1), max_size=3, unique=True))
        title = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=7)))
        papers.append([f"p{p}", title, draw(st.integers(1995, 2024)), draw(st.sampled_from(VENUES)),
                       [f"a{k}" for k in rows + co]])
    return authors, papers


def _weights() -> st.SearchStrategy[Weights]:
    """Weights around the shipped ones, where the title bound cuts differently (and where it must
    not cut at all: no title weight, no positive evidence asked)."""
    return st.builds(
        lambda title, free, venue, cap, positive, same, prior, common: replace(
            Weights(), title=title, title_free=free, title_venue=venue, title_cap=cap, positive=positive,
            same=same, prior=prior, common=common),
        st.sampled_from([0.0, 0.05, 0.2, 1.0]), st.sampled_from([0.0, 2.0, 12.0]), st.sampled_from([0.0, 6.0]),
        st.sampled_from([0.5, 4.0, 10.0]), st.sampled_from([-1.0, 0.0, 0.5, 2.0]), st.sampled_from([0.0, 2.0, 4.0]),
        st.sampled_from([0.0, 1.2]), st.sampled_from([0.0, 4.0]))


def _lines(index: AdjacencyIndex, facts: Facts, w: Weights, plain: bool) -> list[str]:
    """Every cluster's identity lines, as the build writes them."""
    return ["".join(cluster_lines(ci, GRAPH)) for ci in clusters(index, facts, w, plain=plain)]


@given(_graphs(), _weights())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_speed_path_writes_the_plain_paths_lines_on_generated_graphs(
        graph: tuple[list[list[str]], list[list[object]]], w: Weights) -> None:
    with built_index(*graph, VENUES, ("id", "name", "orcid", "dblp_pid")) as (index, facts):
        assert _lines(index, facts, w, plain=False) == _lines(index, facts, w, plain=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """kg generate's graph (dblp's shapes: large clusters of common names, titles of few words)."""
    root = tmp_path_factory.mktemp("generated")
    generate(4000, 3, root / "rows")
    kg.build([root / "rows"], root / "store")
    return root / "store"


def test_the_speed_path_writes_the_plain_paths_lines_on_kg_generate(generated: Path) -> None:
    with opened_index(generated) as (index, facts):
        fast = _lines(index, facts, Weights(), plain=False)
        assert any("IdentityVerdict" in lines for lines in fast), "the generated graph has pairs to write"
        assert fast == _lines(index, facts, Weights(), plain=True)


@given(_weights())
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_speed_path_writes_the_plain_paths_lines_on_kg_generate_under_other_weights(
        generated: Path, w: Weights) -> None:
    with opened_index(generated) as (index, facts):
        assert _lines(index, facts, w, plain=False) == _lines(index, facts, w, plain=True)


@st.composite
def _pair(draw: st.DrawFn, least: float = 0.0) -> tuple[Profile, Profile, Context, dict[int, float]]:
    """Two rows with title words, papers and venues; word rarities (from `least` bits: below zero
    in facts whose word counts exceed the documents), and venues where words are common."""
    bits = {x: draw(st.floats(least, 16.0)) for x in range(12)}
    rows = []
    for k in range(2):
        facts = RowFacts("Wei Wang", papers=draw(st.sampled_from([1, 2, 3, 5, 8, 40])), first=2000, last=2001,
                         venues=draw(st.frozensets(st.integers(0, 1), max_size=2)),
                         words=draw(st.frozensets(st.integers(0, 11), max_size=12)))
        rows.append(Profile(f"r{k}", facts, row=k))
    used = draw(st.dictionaries(st.tuples(st.integers(0, 3), st.integers(0, 11)), st.integers(0, 80)))
    ctx = Context(2, 0.0, lambda c: 1, str, lambda v: 10, str, bits.__getitem__, str,
                  venue_word=lambda v, x: (used.get((v, x), 0), 100))
    return rows[0], rows[1], ctx, bits


@given(_pair(), _weights())
@settings(max_examples=400, deadline=None)
def test_the_title_bound_never_turns_away_titles_that_are_evidence(
        drawn: tuple[Profile, Profile, Context, dict[int, float]], w: Weights) -> None:
    a, b, ctx, bits = drawn
    vector = [bits[x] for x in range(len(bits))]
    if title_evidence(a, b, ctx, w)[0] >= w.positive:
        assert may_title(a, b, ctx, w, vector)


def test_the_title_bound_turns_away_common_words() -> None:
    """Words every fourth paper uses, shared by two rows of ten papers: within chance, no evidence."""
    words = frozenset(range(8))
    a, b = (Profile(f"r{k}", RowFacts("Wei Wang", papers=10, words=words), row=k) for k in range(2))
    ctx = Context(2, 0.0, lambda c: 1, str, lambda v: 10, str, lambda x: 2.0, str)
    assert title_evidence(a, b, ctx, Weights())[0] == 0.0
    assert not may_title(a, b, ctx, Weights(), [2.0] * 8)


@given(_pair(), _weights())
@settings(max_examples=1000, deadline=None)
def test_the_bounded_title_evidence_is_the_title_evidence(
        drawn: tuple[Profile, Profile, Context, dict[int, float]], w: Weights) -> None:
    """Context.title_bound skips the venues' rarities only where the evidence is nothing anyway."""
    a, b, ctx, _ = drawn
    bounded = replace(ctx, title_bound=True)
    assert title_evidence(a, b, bounded, w) == title_evidence(a, b, ctx, w)


def _tabled(ctx: Context, bits: dict[int, float]) -> Context:
    """The context as the speed path gives it: the words' chance and ceiling terms tabled once."""
    chances, ceilings = word_tables([bits[x] for x in range(len(bits))])
    return replace(ctx, word_chance=chances, word_ceiling=ceilings)


@given(st.one_of(_pair(), _pair(-3.0)), _weights(), st.booleans())
@settings(max_examples=1000, deadline=None)
def test_the_title_ceiling_never_changes_the_title_evidence(
        drawn: tuple[Profile, Profile, Context, dict[int, float]], w: Weights, bound: bool) -> None:
    """Context.word_ceiling turns a pair away before its shared words are weighed only where the
    evidence is nothing anyway: the same score and words, with and without the venues' bound."""
    a, b, ctx, bits = drawn
    plain = replace(ctx, title_bound=bound)
    fast = _tabled(plain, bits)
    fresh = [replace(p, chance=None, ceiling=None) for p in (a, b)]
    assert title_evidence(*fresh, fast, w) == title_evidence(a, b, plain, w)


@given(st.one_of(_pair(), _pair(-3.0)), _weights())
@settings(max_examples=1000, deadline=None)
def test_the_title_ceiling_turns_away_only_what_the_title_bound_turns_away(
        drawn: tuple[Profile, Profile, Context, dict[int, float]], w: Weights) -> None:
    a, b, ctx, bits = drawn
    vector = [bits[x] for x in range(len(bits))]
    fresh = [replace(p, chance=None, ceiling=None) for p in (a, b)]
    assert may_title(*fresh, _tabled(ctx, bits), w, vector) == may_title(a, b, ctx, w, vector)


def test_the_title_ceiling_turns_away_rows_of_common_words_before_their_words_in_common() -> None:
    """Two rows of ten papers whose words every fourth paper uses: turned away on their ceilings
    (the shared words are never asked for: a set of words that refuses intersection shows it)."""

    class Untouchable(frozenset[int]):
        def __and__(self, other: object) -> frozenset[int]:
            raise AssertionError("the shared words were asked for")

    ctx = Context(2, 0.0, lambda c: 1, str, lambda v: 10, str, lambda x: 2.0, str)
    tabled = _tabled(ctx, dict.fromkeys(range(8), 2.0))
    a, b = (Profile(f"r{k}", RowFacts("Wei Wang", papers=10, words=Untouchable(range(8))), row=k) for k in range(2))
    assert not may_title(a, b, tabled, Weights(), [2.0] * 8)
    with pytest.raises(AssertionError, match="shared words"):  # without the ceiling they are
        may_title(replace(a, chance=None), replace(b, chance=None), ctx, Weights(), [2.0] * 8)


@given(st.lists(st.floats(0.0, 24.0), min_size=1, max_size=200), st.data())
@settings(max_examples=300, deadline=None)
def test_a_rows_title_chance_from_the_word_table_is_the_sum_of_its_terms(
        bits: list[float], data: st.DataObject) -> None:
    """The speed path's title chance (its words' terms tabled once) is the plain path's, to the bit."""
    words = data.draw(st.frozensets(st.integers(0, len(bits) - 1), max_size=64))
    ctx = Context(2, 0.0, lambda c: 1, str, lambda v: 10, str, bits.__getitem__, str)
    fast = replace(ctx, word_chance=word_tables(bits)[0])
    row = RowFacts("Wei Wang", papers=3, words=words)
    assert title_chance(Profile("r", row), fast) == title_chance(Profile("r", row), ctx)


@given(_graphs())
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_name_clusters_read_once_are_what_each_pass_computed(
        graph: tuple[list[list[str]], list[list[object]]]) -> None:
    """NameClusters (read once a step for the persons and the suggestions) against what each pass
    computed itself: the keys decoded whole, the ranks of those keys, the spellings found by the
    cluster table's own search, the IDFs by Facts.idf."""
    with built_index(*graph, VENUES, ("id", "name", "orcid", "dblp_pid")) as (index, facts):
        names = NameClusters.of(index, facts)
        iris = [index.clusters.iri(c) for c in range(len(index.clusters))]
        assert names.keys == [cluster_key(iri) for iri in iris]
        assert names.ranks == commonness_ranks([cluster_key(iri) for iri in iris])
        pairs = read_pairs(index.path)
        assert pairs is not None
        assert names.spelt == spellings(pairs, index.clusters.find)
        assert [(iris[x], iris[y]) for x, y in names.pairs] == pairs
        assert names.bits == [facts.idf(w) for w in range(len(facts.word_papers))]
        assert list(names.chances) == [b * 2 ** -b for b in names.bits]
        assert list(names.ceilings) == [max(0.0, b) for b in names.bits]


@st.composite
def _coauthored(draw: st.DrawFn) -> tuple[Profile, Profile, dict[int, frozenset[int]], frozenset[int]]:
    """Two rows' co-author clusters, which clusters spell which others, and the pair's own clusters."""
    clusters = st.frozensets(st.integers(0, 11), max_size=8)
    a, b = (Profile(f"r{k}", RowFacts("Wei Wang"), draw(clusters), row=k) for k in range(2))
    links = draw(st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=14))
    spelt: dict[int, set[int]] = {}
    for x, y in links:
        if x != y:
            spelt.setdefault(x, set()).add(y)
            spelt.setdefault(y, set()).add(x)
    return a, b, {c: frozenset(v) for c, v in spelt.items()}, draw(st.frozensets(st.integers(0, 11), max_size=3))


@given(_coauthored(), st.lists(st.integers(1, 400), min_size=12, max_size=12))
@settings(max_examples=500, deadline=None)
def test_the_co_authors_under_two_spellings_on_the_speed_path_are_the_plain_paths(
        drawn: tuple[Profile, Profile, dict[int, frozenset[int]], frozenset[int]], papers: list[int]) -> None:
    """variant_coauthors with the clusters that have another spelling known (Context.spelt_clusters:
    the speed path's set operations) gives the plain path's pairs, in its order."""
    a, b, spelt, own = drawn
    plain = Context(2, 0.0, papers.__getitem__, str, lambda v: 1, str,
                    coauthor_variants=lambda c: spelt.get(c, frozenset()), own=own)
    fast = replace(plain, spelt_clusters=frozenset(spelt))
    assert variant_coauthors(a, b, fast) == variant_coauthors(a, b, plain)
    assert variant_coauthors(b, a, fast) == variant_coauthors(b, a, plain)
    # and with each row's clusters that have another spelling known beforehand (Profile.spelt)
    known = [replace(p, spelt=p.clusters & frozenset(spelt)) for p in (a, b)]
    assert variant_coauthors(*known, fast) == variant_coauthors(a, b, plain)
    assert variant_coauthors(*reversed(known), fast) == variant_coauthors(b, a, plain)


@given(st.lists(st.tuples(st.sampled_from(["", *NAMES, *COAUTHORS]), st.integers(0, 30), st.integers(0, 2030),
                          st.frozensets(st.integers(0, 3), max_size=4),
                          st.frozensets(st.sampled_from(WORDS), max_size=5), st.booleans(),
                          st.sampled_from([None, *ORCIDS])), min_size=1, max_size=12),
       st.integers(0, 3))
@settings(max_examples=200, deadline=None)
def test_a_rows_facts_are_what_they_were_assembled_from(
        drawn: list[tuple[str, int, int, frozenset[int], frozenset[str], bool, str | None]], beyond: int) -> None:
    """Facts.row (read with fewer lookups for the identity step) against the values the facts were
    assembled from: names in every script, rows with and without facts, rows beyond the arrays."""
    rows = {r: (papers, year, year + 3 if year else 0, sorted(venues), sorted(words))
            for r, (_, papers, year, venues, words, known, _) in enumerate(drawn) if known}
    ids: dict[int, list[str | None]] = {r: [orcid, None, None] for r, (*_, orcid) in enumerate(drawn) if orcid}
    facts = Facts.assemble([d[0] for d in drawn], rows, [f"http://example.org/v/{v}" for v in range(4)], {}, ids,
                           {}, [1] * 4, lambda w: 2, 100)
    for r in range(len(drawn) + beyond):
        iri = f"http://example.org/author/row{r}%C3%A9"
        got = facts.row(r, iri)
        name = drawn[r][0] if r < len(drawn) else ""
        assert got.name == (name or f"row{r}é")
        assert (got.orcid, got.dblp, got.openalex) == tuple(ids.get(r, [None, None, None]))
        papers, first, last, venues, words = rows.get(r, (0, 0, 0, [], []))
        assert (got.papers, got.first, got.last) == (papers, first or None, last or None)
        assert got.venues == frozenset(venues)
        assert {facts.vocabulary[w] for w in got.words} == set(words)
        assert got.institutions == frozenset() and got.cites == ()


SPELT = [("Jiawei Han", "J. Han"), ("Анна Петрова", "А. Петрова"), ("Jörg Müller", "Jorg Muller"),
         ("Ζωή Κώστα", "Κώστα Ζωή"), ("李 娜", "娜 李"), ("فاطمة حسن", "حسن فاطمة")]


@given(st.sampled_from(NAMES), st.integers(41, 60), st.sampled_from(SPELT), st.data())
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_large_clusters_rows_sharing_a_co_author_only_under_two_spellings_are_compared_on_both_paths(
        name: str, n: int, spelt: tuple[str, str], data: st.DataObject) -> None:
    """In a cluster of more than DIRECT rows, two rows whose one co-author is written two ways and
    who share nothing else (no title word, crowded venues): compared, with the same lines, on both
    paths."""
    i, j = data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
    authors = [[f"a{k}", name, "", ""] for k in range(n)] + [["c0", spelt[0], "", ""], ["c1", spelt[1], "", ""]]
    papers: list[list[object]] = [
        [f"p{k}", f"title{k}", 2000 + k % 3, VENUES[k % len(VENUES)],
         [f"a{k}"] + (["c0"] if k == i else ["c1"] if k == j else [])] for k in range(n)]
    with built_index(authors, papers, VENUES, ("id", "name", "orcid", "dblp_pid")) as (index, facts):
        fast = _lines(index, facts, Weights(), plain=False)
        assert fast == _lines(index, facts, Weights(), plain=True)
        rows = {index.authors.iri(r) for r in range(len(index.authors))}
        a, b = (next(r for r in rows if r.endswith(f"/a{k}")) for k in (i, j))
        assert any(f"<{a}>" in lines and f"<{b}>" in lines and "under another spelling" in lines for lines in fast)


def test_the_step_runs_with_the_collector_paused_and_leaves_it_as_it_found_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kg.identity.step pauses Python's cyclic collector for its passes (their millions of
    short-lived containers make no cycles) and gives it back as it was, enabled or not."""
    authors = [[f"a{k}", NAMES[k % len(NAMES)], "", ""] for k in range(30)]
    papers: list[list[object]] = [[f"p{k}", f"{WORDS[k % 7]} {WORDS[k % 5]}", 2000 + k % 4, VENUES[k % 2],
                                   [f"a{k % 30}", f"a{(k * 7) % 30}"]] for k in range(40)]
    kg.build([write_tables(tmp_path / "rows", authors, papers, VENUES, ("id", "name", "orcid", "dblp_pid"))],
             tmp_path / "store")
    generation = (tmp_path / "store" / "active").resolve()
    seen: list[bool] = []
    computed = step.clusters

    def watched(*args: Any, **kwargs: Any) -> Iterator[ClusterIdentity]:
        seen.append(gc.isenabled())
        yield from computed(*args, **kwargs)

    monkeypatch.setattr(step, "clusters", watched)
    store = ox.Store(str(generation / DATA))
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            assert step.identity_step(store, generation)["clusters"] > 0
            assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert seen == [False, False]
