"""The one format registry (kg.formats), walked through every surface that names a format: each
name and alias works wherever the format is offered, and means the same format everywhere."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from server_fixtures import Server

from kg import formats
from kg.cli import main
from kg.formats import Format

SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 3"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"
AUTHOR = "/author/liyuan-liu-b"
FAMILIES = {"results": formats.RESULTS, "graphs": formats.GRAPHS, "linked": formats.LINKED,
            "ontology": formats.ONTOLOGY, "descriptions": formats.DESCRIPTIONS, "data": formats.DATA}


def _bare(content_type: str) -> str:
    return content_type.split(";")[0].strip()


@pytest.mark.parametrize("family", list(FAMILIES))
def test_names_are_unique_where_they_are_looked_up(family: str) -> None:
    offers = FAMILIES[family]
    names = [n for f in offers for n in f.names]
    assert len(names) == len(set(names)), names
    for f in offers:
        for n in f.names:
            assert formats.find(n, offers) is f and formats.find(n.upper(), offers) is f
        assert formats.by_media_type(f.media_type, offers) is f


def test_media_types_and_suffixes_are_pyoxigraphs() -> None:
    for f in formats.GRAPHS:
        assert f.rdf is not None and f.media_type == f.rdf.media_type and f.suffix == "." + f.rdf.file_extension
    for f in formats.RESULTS:
        assert f.results is not None and f.media_type == _bare(f.results.media_type)
    assert formats.RDF_XML.name == "rdfxml" and formats.RDF_XML.suffix == ".rdf"  # one name, the usual suffix


def _parses(data: bytes, f: Format) -> None:
    if f is formats.CSV:  # lossy: pyoxigraph does not parse it back
        assert data.decode().splitlines()[0] == "s,p,o"
    elif f.results is not None:
        ox.parse_query_results(data, format=f.results)
    else:
        assert f.rdf is not None
        assert list(ox.parse(data, format=f.rdf))


@pytest.mark.parametrize("f", formats.RESULTS, ids=lambda f: f.name)
def test_results_formats_on_every_surface(f: Format, example_store: Path, example_front: Server) -> None:
    for name in f.names:
        cli = CliRunner().invoke(main, ["query", SELECT, "--store", str(example_store), "--format", name])
        assert cli.exit_code == 0, (name, cli.output)
        _parses(cli.stdout_bytes, f)
        r = example_front.get(example_front.endpoint, params={"query": SELECT, "format": name})
        assert r.status_code == 200 and _bare(r.headers["content-type"]) == f.media_type, name
        _parses(r.content, f)
    for media in f.media_types:  # the endpoint's Accept (and format=TYPE)
        r = example_front.get(example_front.endpoint, params={"query": SELECT}, headers={"Accept": media})
        assert _bare(r.headers["content-type"]) == f.media_type, media
        r = example_front.get(example_front.endpoint, params={"query": SELECT, "format": media})
        assert _bare(r.headers["content-type"]) == f.media_type, media


@pytest.mark.parametrize("f", formats.GRAPHS, ids=lambda f: f.name)
def test_graph_formats_on_every_surface(f: Format, example_store: Path, example_front: Server, tmp_path: Path) -> None:
    for name in f.names:
        cli = CliRunner().invoke(main, ["query", CONSTRUCT, "--store", str(example_store), "--format", name])
        assert cli.exit_code == 0, (name, cli.output)
        _parses(cli.stdout_bytes, f)
        out = tmp_path / f"export-{name.replace('/', '_')}{f.suffix}"
        exported = CliRunner().invoke(main, ["export", "--store", str(example_store), "--format", name, "-o", str(out)])
        assert exported.exit_code == 0, (name, exported.output)
        _parses(out.read_bytes(), f)
        r = example_front.get(example_front.endpoint, params={"query": CONSTRUCT, "format": name})
        assert r.status_code == 200 and _bare(r.headers["content-type"]) == f.media_type, name
        _parses(r.content, f)
    for media in f.media_types:
        r = example_front.get(example_front.endpoint, params={"query": CONSTRUCT}, headers={"Accept": media})
        assert _bare(r.headers["content-type"]) == f.media_type, media


@pytest.mark.parametrize("f", formats.LINKED, ids=lambda f: f.name)
def test_linked_data_suffixes_names_and_types(f: Format, example_front: Server) -> None:
    assert f.suffix is not None
    by_suffix = example_front.get(example_front.url + AUTHOR + f.suffix, headers={"Accept": "text/turtle"})
    assert by_suffix.status_code == 200 and _bare(by_suffix.headers["content-type"]) == f.media_type
    assert by_suffix.headers["content-location"] == "liyuan-liu-b" + f.suffix
    for name in f.names:
        r = example_front.get(example_front.url + AUTHOR, params={"format": name})
        assert r.status_code == 200 and _bare(r.headers["content-type"]) == f.media_type, name
        assert r.content == by_suffix.content
    for media in f.media_types:
        r = example_front.get(example_front.url + AUTHOR, headers={"Accept": media})
        assert _bare(r.headers["content-type"]) == f.media_type, media
    if f.rdf is not None and f is not formats.JSON_LD:  # JSON-LD names its context by URL
        _parses(by_suffix.content, f)


def test_every_alias_a_surface_does_not_offer_is_refused(example_front: Server, example_store: Path) -> None:
    r = example_front.get(example_front.url + AUTHOR, params={"format": "nq"})  # no N-Quads of one resource
    assert r.status_code == 400 and "ttl, html, jsonld, rdfxml, nt" in r.text
    cli = CliRunner().invoke(main, ["export", "--store", str(example_store), "--format", "csv"])
    assert cli.exit_code != 0 and "ttl, nt, nq, trig, rdfxml, jsonld" in cli.output
    cli = CliRunner().invoke(main, ["query", SELECT, "--store", str(example_store), "--format", "html"])
    assert cli.exit_code == 2 and "json, xml, csv, tsv" in cli.output


@pytest.mark.parametrize("f", formats.DATA, ids=lambda f: f.name)
def test_api_formats(f: Format, example_front: Server) -> None:
    for name in f.names:
        r = example_front.get(example_front.url + "/api/stats", params={"format": name})
        assert r.status_code == 200 and _bare(r.headers["content-type"]) == f.media_type, name
    r = example_front.get(example_front.url + "/api/stats", headers={"Accept": f.media_type})
    assert _bare(r.headers["content-type"]) == f.media_type


@pytest.mark.parametrize("f", formats.ONTOLOGY, ids=lambda f: f.name)
def test_ontology_formats(f: Format, example_front: Server) -> None:
    for name in f.names:
        r = example_front.get(example_front.url + "/ontology", params={"format": name})
        assert r.status_code == 200 and _bare(r.headers["content-type"]) == f.media_type, name
