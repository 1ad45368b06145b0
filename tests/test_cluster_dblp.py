"""Name clusters on the real dblp XML samples, checked against a count made here from the XML."""

from __future__ import annotations

import random
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import DATA, shared
from lxml import etree

import kg
from kg.cluster import cluster

SAMPLES = [
    "donnerdistel_dblp_test.xml",
    "rgovaerts_dblp_excerpt.xml",
    "xcurator_dblp_sample.xml",
    "shenka123_dblp_head.xml",
    "florentin4_dblp_articles.xml",
]
PAPERS = {"article", "inproceedings", "proceedings", "book", "incollection", "phdthesis", "mastersthesis"}
NUMBERED = re.compile(r"^(.*\S)\s+\d{4}$")


def _base(name: str) -> str:
    """The name without its homonym number, compared case-insensitively."""
    name = " ".join(unicodedata.normalize("NFKC", name).split())
    m = NUMBERED.match(name)
    return (m.group(1) if m else name).casefold()


def _independent_counts(path: Path) -> tuple[dict[str, set[str]], set[str]]:
    """Per base name, the keys of the papers with an author of that name; and the numbered names."""
    parser = etree.XMLParser(load_dtd=True, resolve_entities=True, no_network=True)
    root = etree.parse(str(path), parser).getroot()
    papers: dict[str, set[str]] = defaultdict(set)
    numbered: set[str] = set()
    for record in root:
        if record.tag not in PAPERS or not (record.findtext("title") or "").strip():
            continue
        for author in record.iterfind("author"):
            name = " ".join("".join(author.itertext()).split())
            papers[_base(name)].add(record.get("key"))
            if NUMBERED.match(name):
                numbered.add(name)
    return papers, numbered


def _check(xml: Path, tmp_path: Path, sample: int = 40) -> int:
    store = tmp_path / "S"
    kg.build([xml], store, kind="dblp")
    db = kg.open_store(store)
    expected, numbered = _independent_counts(xml)
    for name in numbered:
        c = cluster(db, name, details=False)
        assert name in {r.name for r in c.rows}, f"{name} is not in the cluster of its base name"
        assert c.key == _base(name)
    names = sorted(expected)
    checked = sorted(random.Random(7).sample(names, min(sample, len(names))) + [n.casefold() for n in numbered])
    for name in checked:
        c = cluster(db, name, details=False)
        got = {p.iri.rsplit("/", 1)[-1] for p in c.papers}
        assert len(got) == len(expected[_base(name)]), name
    return len(numbered)


@pytest.mark.parametrize("sample", SAMPLES)
def test_clusters_on_dblp_samples(sample: str, tmp_path: Path) -> None:
    xml = shared("data", "dblp_xml", sample)
    _check(xml, tmp_path)


def test_homonyms_land_in_their_base_cluster_on_the_fixture(tmp_path: Path) -> None:
    fixtures = sorted((DATA / "dblp").glob("*.xml"))
    assert fixtures, "tests/data/dblp/ has no XML fixture"
    assert sum(_check(f, tmp_path / f.stem) for f in fixtures) > 0, "the fixtures have no homonym-numbered name"
