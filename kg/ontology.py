"""Where the ontology files and named queries live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

from kg.terms import ONTOLOGY_IRI

ONTOLOGY_GRAPH = ONTOLOGY_IRI

_HERE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    installed = _HERE / name
    if installed.is_dir():
        return installed
    return _HERE.parent / name


def ontology_dir() -> Path:
    return _data_dir("ontology")


def queries_dir() -> Path:
    return _data_dir("queries")


def examples_dir() -> Path:
    return _data_dir("examples")


def ontology_path() -> Path:
    return ontology_dir() / "kg.ttl"


def context_path() -> Path:
    return ontology_dir() / "context.jsonld"
