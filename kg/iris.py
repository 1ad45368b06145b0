"""IRIs: minted deterministically from source ids under a base IRI, and public identifier IRIs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox

from kg.errors import KgError

DEFAULT_BASE_IRI = "http://localhost:7878/"

_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_~\-][A-Za-z0-9_.~\-]*\Z")
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_OPENALEX_AUTHOR = re.compile(r"^A\d+$")
_ROR = re.compile(r"^0[0-9a-hj-km-np-tv-z]{6}[0-9]{2}$", re.IGNORECASE)
_DBLP_PID = re.compile(r"^[0-9a-z]+(/[0-9A-Za-z\-]+)+$")


def segment(value: str) -> str:
    """Percent-encode one id as an IRI path segment; '.' and '..' are encoded too."""
    if _PLAIN_SEGMENT.match(value):  # the common case, without quote()'s cost: nothing to encode
        return value
    encoded = quote(value, safe="")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def name_segment(name: str) -> str:
    """A name as one path segment of a link the server writes (/clusters/NAME): percent-encoded as
    UTF-8, and "." or ".." followed by %20. A browser drops a segment of dots from a path, written
    %2E too (the WHATWG URL standard: "/clusters/%2E" is "/clusters/"), and a name's surrounding
    spaces are not part of it, so "/clusters/.%20" is the cluster of "."."""
    encoded = quote(name, safe="")
    return encoded + "%20" if encoded in (".", "..") else encoded


def check_base_iri(base: str) -> str:
    if not _SCHEME.match(base) or _IRI_UNSAFE.search(base):
        raise KgError(f"--base-iri {base!r} is not an absolute IRI")
    try:
        ox.NamedNode(base)
    except ValueError as e:
        raise KgError(f"--base-iri {base!r} is not a valid IRI: {e}") from None
    if not base.endswith(("/", "#")):
        raise KgError(f"--base-iri {base!r} must end with '/' or '#'")
    return base


def safe_iri(value: str) -> str:
    """An absolute IRI with the characters N-Quads forbids percent-encoded; ValueError if it is not then
    a valid IRI (RFC 3987, as Oxigraph checks it).

    Every IRI kg writes is either minted (a checked base and percent-encoded segments), built from an
    identifier checked against its pattern, or passed through here: the build's loader can then skip
    re-validating IRIs (kg.build loads its own N-Quads leniently).
    """
    value = value.strip()
    if not _SCHEME.match(value):
        raise ValueError(f"not an absolute IRI: {value!r}")
    value = _IRI_UNSAFE.sub(lambda m: quote(m.group(0), safe=""), value)
    try:
        ox.NamedNode(value)
    except ValueError as e:
        raise ValueError(f"not a valid IRI: {value!r} ({e})") from None
    return value


def _identifier(value: str, prefixes: tuple[str, ...], pattern: re.Pattern[str], what: str) -> str:
    """`value` without any of its public IRI `prefixes` (case-insensitive), checked against `pattern`."""
    ident = value.strip()
    for prefix in prefixes:
        if ident.lower().startswith(prefix):
            ident = ident[len(prefix) :]
            break
    if not pattern.match(ident):
        raise ValueError(f"not {what}: {value!r}")
    return ident


def normalize_doi(value: str) -> str:
    """'https://doi.org/10.1/X' or 'doi:10.1/x' -> '10.1/x' (DOIs are case-insensitive: lower case)."""
    prefixes = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")
    return _identifier(value, prefixes, _DOI, "a DOI").lower()


def normalize_orcid(value: str) -> str:
    return _identifier(value, ("https://orcid.org/", "http://orcid.org/"), _ORCID, "an ORCID")


def normalize_openalex_author(value: str) -> str:
    return _identifier(
        value, ("https://openalex.org/", "http://openalex.org/"), _OPENALEX_AUTHOR, "an OpenAlex author id"
    )


def normalize_ror(value: str) -> str:
    """'https://ror.org/04aj4sh46' or '04aj4sh46' -> '04aj4sh46' (0, six letters or digits, two check digits)."""
    return _identifier(value, ("https://ror.org/", "http://ror.org/"), _ROR, "a ROR id").lower()


def normalize_dblp_pid(value: str) -> str:
    return _identifier(value, ("https://dblp.org/pid/", "http://dblp.org/pid/"), _DBLP_PID, "a dblp pid")


def doi_iri(doi: str) -> str:
    return "https://doi.org/" + quote(doi, safe="/:;()._-~!$&'*+,=@")


def orcid_iri(orcid: str) -> str:
    return "https://orcid.org/" + orcid


def dblp_iri(pid: str) -> str:
    return "https://dblp.org/pid/" + pid


def ror_iri(ror: str) -> str:
    return "https://ror.org/" + ror


def openalex_iri(oid: str) -> str:
    return "https://openalex.org/" + oid


# How many paper, author, venue and cluster IRIs a Minter remembers (each kind apart): the mapping
# mints the same ones again and again, mostly one after the other (a paper's and its author row's
# for each authorship, in the index's collector and then in the mapper). A full memo is emptied,
# not grown: about 1 MB at most each, whatever the input.
MEMO = 1 << 12


@dataclass(frozen=True, slots=True)
class Minter:
    """Mints the IRIs of one graph's resources under a base IRI."""

    base: str = DEFAULT_BASE_IRI
    _papers: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _authors: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _venues: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _clusters: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def paper(self, id: str) -> str:
        return self._papers.get(id) or self._remembered(self._papers, id, "paper/")

    def author(self, id: str) -> str:
        return self._authors.get(id) or self._remembered(self._authors, id, "author/")

    def venue(self, id: str) -> str:
        return self._venues.get(id) or self._remembered(self._venues, id, "venue/")

    def _remembered(self, memo: dict[str, str], id: str, kind: str) -> str:
        """The IRI of `id` under `kind` (e.g. "paper/"), minted and kept in `memo` (emptied when full)."""
        if len(memo) >= MEMO:
            memo.clear()
        minted = memo[id] = f"{self.base}{kind}{segment(id)}"
        return minted

    def authorship(self, paper_id: str, position: int) -> str:
        return f"{self.paper(paper_id)}/authorship/{position}"

    def institution(self, id: str) -> str:
        return f"{self.base}institution/{segment(id)}"

    def cluster(self, key: str) -> str:
        return self._clusters.get(key) or self._remembered(self._clusters, key, "cluster/")

    def graph(self, source: str) -> str:
        return f"{self.base}graph/{segment(source)}"
