"""IRIs: minted deterministically from source ids under a base IRI, and public identifier IRIs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from kg.errors import KgError

DEFAULT_BASE_IRI = "http://localhost:7878/"

_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_OPENALEX_AUTHOR = re.compile(r"^A\d+$")
_DBLP_PID = re.compile(r"^[0-9a-z]+(/[0-9A-Za-z\-]+)+$")


def segment(value: str) -> str:
    """Percent-encode one id as an IRI path segment; '.' and '..' are encoded too."""
    encoded = quote(value, safe="")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def check_base_iri(base: str) -> str:
    if not _SCHEME.match(base) or _IRI_UNSAFE.search(base):
        raise KgError(f"--base-iri {base!r} is not an absolute IRI")
    if not base.endswith(("/", "#")):
        raise KgError(f"--base-iri {base!r} must end with '/' or '#'")
    return base


def safe_iri(value: str) -> str:
    """An absolute IRI with the characters N-Quads forbids percent-encoded; ValueError if not absolute."""
    value = value.strip()
    if not _SCHEME.match(value):
        raise ValueError(f"not an absolute IRI: {value!r}")
    return _IRI_UNSAFE.sub(lambda m: quote(m.group(0), safe=""), value)


def normalize_doi(value: str) -> str:
    """'https://doi.org/10.1/X' or 'doi:10.1/x' -> '10.1/x' (DOIs are case-insensitive: lower case)."""
    doi = value.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :]
            break
    if not _DOI.match(doi):
        raise ValueError(f"not a DOI: {value!r}")
    return doi.lower()


def normalize_orcid(value: str) -> str:
    orcid = value.strip()
    for prefix in ("https://orcid.org/", "http://orcid.org/"):
        if orcid.startswith(prefix):
            orcid = orcid[len(prefix) :]
    if not _ORCID.match(orcid):
        raise ValueError(f"not an ORCID: {value!r}")
    return orcid


def normalize_openalex_author(value: str) -> str:
    oid = value.strip()
    for prefix in ("https://openalex.org/", "http://openalex.org/"):
        if oid.startswith(prefix):
            oid = oid[len(prefix) :]
    if not _OPENALEX_AUTHOR.match(oid):
        raise ValueError(f"not an OpenAlex author id: {value!r}")
    return oid


def normalize_dblp_pid(value: str) -> str:
    pid = value.strip()
    for prefix in ("https://dblp.org/pid/", "http://dblp.org/pid/"):
        if pid.startswith(prefix):
            pid = pid[len(prefix) :]
    if not _DBLP_PID.match(pid):
        raise ValueError(f"not a dblp pid: {value!r}")
    return pid


def doi_iri(doi: str) -> str:
    return "https://doi.org/" + quote(doi, safe="/:;()._-~!$&'*+,=@")


def orcid_iri(orcid: str) -> str:
    return "https://orcid.org/" + orcid


def dblp_iri(pid: str) -> str:
    return "https://dblp.org/pid/" + pid


def openalex_iri(oid: str) -> str:
    return "https://openalex.org/" + oid


@dataclass(frozen=True, slots=True)
class Minter:
    """Mints the IRIs of one graph's resources under a base IRI."""

    base: str = DEFAULT_BASE_IRI

    def paper(self, id: str) -> str:
        return f"{self.base}paper/{segment(id)}"

    def author(self, id: str) -> str:
        return f"{self.base}author/{segment(id)}"

    def venue(self, id: str) -> str:
        return f"{self.base}venue/{segment(id)}"

    def authorship(self, paper_id: str, position: int) -> str:
        return f"{self.base}paper/{segment(paper_id)}/authorship/{position}"

    def cluster(self, key: str) -> str:
        return f"{self.base}cluster/{segment(key)}"

    def graph(self, source: str) -> str:
        return f"{self.base}graph/{segment(source)}"
