"""The ontology's documentation is generated, current and escaped; released terms are never silently removed."""

from __future__ import annotations

from pathlib import Path

import rdflib
from click.testing import CliRunner
from rdflib.namespace import OWL, RDF

from kg.cli import main
from kg.ontodoc import markdown, page, terms
from kg.ontology import ontology_dir, ontology_path
from kg.terms import all_terms

ROOT = Path(__file__).resolve().parent.parent


def test_docs_markdown_is_current() -> None:
    committed = (ROOT / "docs" / "ontology.md").read_text(encoding="utf-8")
    assert committed == markdown(), "docs/ontology.md is stale: run `kg docs`"


def test_kg_docs_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "o.md"
    result = CliRunner().invoke(main, ["docs", "-o", str(out)])
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8") == markdown()


def test_every_term_is_documented_with_its_alignment_and_an_example() -> None:
    documented = {t.iri: t for t in terms()}
    assert set(documented) == set(all_terms().values())
    assert documented[all_terms()["Paper"]].example == (
        "<http://localhost:7878/paper/2018-empower-sequence-labeling-with-task> a kg:Paper ."
    )
    assert ("subproperty of", "dblp:signatureOrdinal") in documented[all_terms()["position"]].aligned
    with_examples = sum(1 for t in documented.values() if t.example)
    # identifiers the example has no value for; its corrections (none); kg:VariantSuggestion (no name of
    # the example has two spellings); affiliations, institutions, citations and ISSNs (its rows tables have none)
    assert with_examples >= len(documented) - 16
    assert documented[all_terms()["VariantSuggestion"]].example is None


def test_page_lists_every_term_escaped() -> None:
    html = page()
    for t in terms():
        assert f'id="{t.local}"' in html
    assert "<svg" in html and "kg:Paper" in html
    assert (
        "The name of an author row, a venue or an institution, as the source writes it (dblp homonym numbers "
        "such as &quot;Hong Chen" in html
    )


def test_released_terms_are_never_removed_without_deprecation() -> None:
    g = rdflib.Graph().parse(ontology_path(), format="turtle")
    defined = {str(s) for s in g.subjects(RDF.type, None)}
    for release in sorted((ontology_dir() / "released").glob("*.txt")):
        for iri in release.read_text(encoding="utf-8").split():
            assert iri in defined, f"{iri} of release {release.stem} was removed; keep it with owl:deprecated true"
    deprecated = {str(s) for s in g.subjects(OWL.deprecated, rdflib.Literal(True))}
    assert deprecated <= defined
