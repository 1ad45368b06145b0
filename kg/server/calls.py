"""The call table: library calls a worker runs for the API and the pages (Job kind "call").

Each call takes the worker's backend and keyword arguments and returns a Result whose `data` is
plain, picklable data (dicts, lists, strings, bytes). A user error is a 4xx Result with a one-line
message; the worker's own timeout (kill and 503) still bounds every call. The co-authorship index
is the backend's own (the path features ask `backend.index()`: once per generation, next to its store).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox

import kg.bibliography as bib
import kg.describe as ld
from kg.backend import Backend
from kg.backend.sparql import EndpointError
from kg.cluster_page import cluster_page
from kg.errors import KgError, PageNotFound
from kg.iris import segment
from kg.paths import AmbiguousAuthor, UnknownAuthor, shortest_paths
from kg.paths import coauthors as run_coauthors
from kg.paths import reach as run_reach
from kg.redirects import BadMerge, survivor
from kg.server.evaluator import Call
from kg.server.messages import Result, failure
from kg.showcase import example_names, example_values
from kg.stats import compute_stats
from kg.terms import KG, RDF_TYPE

COAUTHORS_SHOWN = 100  # on an author page; /api/coauthors has them all


def _unknown_or_ambiguous(e: UnknownAuthor | AmbiguousAuthor) -> Result:
    if isinstance(e, AmbiguousAuthor):
        return failure(400, str(e), candidates=e.candidates_json(), end=e.param)
    return failure(404, str(e))


def _merged(backend: Backend, iri: str) -> Result | None:
    """301 to the survivor when `iri` is a merged id (kg.redirects), 404 with the reason when its merges
    have no one survivor, None when it is no merged id."""
    try:
        found = survivor(backend, iri)
    except BadMerge as e:
        return failure(404, str(e), merged=True)
    return None if found is None else Result(301, data={"survivor": found})


def _moved_authors(backend: Backend, given: dict[str, str], base: str | None) -> Result | None:
    """When an author the user gave (`given`: parameter -> what was typed) is unknown because it is a merged
    id: a 301 Result whose data["moved"] gives each such parameter its survivor in the same form (an IRI
    for an IRI, an id for an id); else None (and a 404 with the reason for merges with no survivor)."""
    moved: dict[str, str] = {}
    for param, text in given.items():
        typed = " ".join(text.split())
        as_iri = typed[1:-1] if typed.startswith("<") and typed.endswith(">") else typed
        prefix = f"{base}author/" if base else None
        if as_iri.startswith(("http://", "https://", "urn:")):
            iri, by_id = as_iri, False
        elif prefix is not None:
            iri, by_id = prefix + segment(typed), True
        else:
            continue
        try:
            found = survivor(backend, iri)
        except BadMerge as e:
            return failure(404, f"{param}: {e}", merged=True)
        if found is None:
            continue
        if by_id and prefix is not None and found.startswith(prefix):
            moved[param] = unquote(found[len(prefix):])
        else:
            moved[param] = f"<{found}>" if typed.startswith("<") else found
    return Result(301, data={"moved": moved}) if moved else None


def cluster(backend: Backend, name: str, loose: bool = False, page: int = 1, page_size: int = 50,
            pairs: bool = False) -> Result:
    """One page of a name cluster (kg.cluster_page); a page past the last one is 404."""
    try:
        return Result(200, data=cluster_page(backend, name, page=page, page_size=page_size, loose=loose,
                                             pairs=pairs))
    except EndpointError:
        raise  # the engine's failure, not the client's (kg.server.forward answers it)
    except KgError as e:
        return failure(404 if isinstance(e, PageNotFound) else 400, str(e))


def paths(backend: Backend, a: str, b: str, by: str, max_hops: int, all: bool, limit: int,
          timeout: float, avoid: tuple[str, ...] = (), strongest: bool = False,
          alternatives: int | None = None, base: str | None = None) -> Result:
    try:
        return Result(200, data=shortest_paths(backend, a, b, by=by,  # type: ignore[arg-type]
                                               max_hops=max_hops, all=all, limit=limit, timeout=timeout,
                                               avoid=avoid, strongest=strongest, alternatives=alternatives))
    except (AmbiguousAuthor, UnknownAuthor) as e:
        unknown = isinstance(e, UnknownAuthor)
        return (unknown and _moved_authors(backend, {"from": a, "to": b}, base)) or _unknown_or_ambiguous(e)


def reach(backend: Backend, who: str, by: str, max_hops: int | None, at: int | None, offset: int, limit: int,
          timeout: float, base: str | None = None) -> Result:
    try:
        return Result(200, data=run_reach(backend, who, by=by, max_hops=max_hops, at=at,  # type: ignore[arg-type]
                                          offset=offset, limit=limit, timeout=timeout))
    except (AmbiguousAuthor, UnknownAuthor) as e:
        unknown = isinstance(e, UnknownAuthor)
        return (unknown and _moved_authors(backend, {"author": who}, base)) or _unknown_or_ambiguous(e)


def anchors(backend: Backend, iri: str, given: tuple[str, ...], timeout: float) -> list[dict[str, Any]]:
    """The distance from each anchor (kg serve --anchor) to the author row `iri`: the anchor, the
    status and the distance, as the path page would find them."""
    out: list[dict[str, Any]] = []
    for anchor in given:
        try:
            r = shortest_paths(backend, anchor, iri, timeout=timeout / max(1, len(given)))
        except KgError as e:
            out.append({"anchor": {"iri": None, "name": anchor}, "status": "error", "distance": None, "error": str(e)})
            continue
        out.append({"anchor": {"iri": r.source.iri, "name": r.source.name}, "status": r.status,
                    "distance": r.distance, "max_hops": r.max_hops})
    return out


def coauthors(backend: Backend, who: str, base: str | None = None) -> Result:
    try:
        return Result(200, data=run_coauthors(backend, who))
    except (AmbiguousAuthor, UnknownAuthor) as e:
        unknown = isinstance(e, UnknownAuthor)
        return (unknown and _moved_authors(backend, {"author": who}, base)) or _unknown_or_ambiguous(e)


def stats(backend: Backend) -> Result:
    return Result(200, data=compute_stats(backend))


def describe(backend: Backend, iri: str, fmt: str, page: int = 1, per_page: int = ld.PER_PAGE,
             next_url: str | None = None, anchors_given: tuple[str, ...] = (), timeout: float = 5.0) -> Result:
    """`fmt` a name of kg.formats.LINKED: serialized bytes, the compacted node list (jsonld) or the
    page's data (html); a merged id's 301 (data["survivor"])."""
    moved = _merged(backend, iri)
    if moved is not None:
        return moved
    desc = ld.describe(backend, iri, page=page, per_page=per_page)
    if desc is None:
        return failure(404, f"nothing is known about <{iri}>")
    headers = {"X-KG-More": "1"} if desc.more else {}
    if fmt == "html":
        data: dict[str, Any] = {"resource": ld.view(backend, desc)}
        if desc.kind == "author":
            found = run_coauthors(backend, iri).to_json()["coauthors"]
            data["coauthors"], data["coauthors_total"] = found[:COAUTHORS_SHOWN], len(found)
            data["anchors"] = anchors(backend, iri, anchors_given, timeout)
        data.update(listing(backend, desc, data["resource"]))
        return Result(200, data=data, headers=headers)
    triples = ld.with_next(desc, next_url)
    if fmt == "jsonld":
        return Result(200, data=ld.jsonld_graph(triples), headers=headers)
    return Result(200, body=ld.serialize(triples, fmt), headers=headers)


def listing(backend: Backend, desc: ld.Description, view: dict[str, Any]) -> dict[str, Any]:
    """What an author, paper or venue page shows above its raw description (kg.bibliography): an author's
    papers of this page by year with their authors, and a summary; a paper's line under its title; a
    venue's names and its papers of this page by year."""
    if desc.kind == "author":
        papers = list(dict.fromkeys(a["paper"]["iri"] for a in view["authorships"] if a["paper"]))
        venues: dict[str, dict[str, Any]] = {}
        entries = [bib.paper_entry(backend, p, venues) for p in papers]
        return {"years": bib.by_year(entries), "summary": bib.summary(entries, desc.iri)}
    if desc.kind == "paper":
        return {"entry": bib.paper_entry(backend, desc.iri, max_authors=0)}
    if desc.kind == "venue":
        papers = sorted({i["subject"]["iri"] for i in view["incoming"] if i["predicate"] == "kg:publishedIn"})
        venues = bib.venue_names(backend, [desc.iri])
        entries = [bib.paper_entry(backend, p, venues) for p in papers]
        total = sum(1 for _ in backend.triples(None, ox.NamedNode(KG.publishedIn), ox.NamedNode(desc.iri)))
        listed = set(papers)  # listed by year with their authors, not again as links in
        view["incoming"] = [i for i in view["incoming"]
                            if not (i["predicate"] == "kg:publishedIn" and i["subject"]["iri"] in listed)]
        return {"venue": venues[desc.iri], "years": bib.by_year(entries), "total": total}
    return {}


def export(backend: Backend, iri: str, fmt: str) -> Result:
    """Every paper of an author row as BibTeX or CSV (kg.bibliography), newest first."""
    node = ox.NamedNode(iri)
    if not any(True for _ in backend.triples(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(KG.AuthorRow))):
        moved = _merged(backend, iri)
        if moved is not None:
            return moved
        if not any(True for _ in backend.triples(node, None, None)):
            return failure(404, f"nothing is known about <{iri}>")
        return failure(400, f"format {fmt}: only an author row's papers are exported; <{iri}> is no author row")
    entries = bib.author_papers(backend, iri, max_authors=10_000)
    text = bib.bibtex(entries) if fmt == "bibtex" else bib.csv_text(entries)
    return Result(200, body=text.encode("utf-8"))


def showcase(backend: Backend, names: int = 8) -> Result:
    """The home page's and the query editor's examples from this store (kg.showcase), with its counts."""
    found = example_names(backend, names)
    return Result(200, data={"stats": compute_stats(backend), "names": found,
                             "values": example_values(backend, found[:1])})


def venue_names(backend: Backend, iris: list[str]) -> Result:
    """How pages name these venues (kg.bibliography.venue_names: those sharing a short name told apart)."""
    return Result(200, data={iri: v["shown"] for iri, v in bib.venue_names(backend, iris).items()})
def search(backend: Backend, q: str, kind: str, page: int, limit: int, exact: bool = False,
           paged: bool = True) -> Result:
    """A page of the search index's results (kg.search), with the clusters the text names when
    `exact`, whether there are more when `paged`; 503 when the graph has none."""
    from kg.search.query import SearchUnavailable, for_backend, search_page

    try:
        index = for_backend(backend)
    except SearchUnavailable as e:
        return failure(503, str(e))
    return Result(200, data=search_page(index, q, kind, page, limit, exact, paged))  # type: ignore[arg-type]


CALLS: dict[str, Call] = {
    "venue_names": venue_names,
    "showcase": showcase,
    "export": export,
    "cluster": cluster,
    "paths": paths,
    "reach": reach,
    "coauthors": coauthors,
    "stats": stats,
    "describe": describe,
    "search": search,
}
