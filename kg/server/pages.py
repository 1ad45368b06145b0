"""Server-rendered HTML pages (Jinja2, autoescaped; no JavaScript needed).

The name-cluster page and the path page render the same data as /api/clusters and /api/paths;
author, paper, venue and other resource pages render kg.describe's view of the resource.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from kg.iris import name_segment
from kg.paths.model import paper_label
from kg.server.html import CSP, page_context, page_html
from kg.server.web import (
    MAX_NAME,
    BadRequest,
    Site,
    flag,
    has_control,
    integer,
    moved,
    raw_path,
    result_message,
    root,
)

PAGE_RESULTS = 20  # results on a page of /search unless `limit` says


def render(template: str, status: int = 200, headers: dict[str, str] | None = None, /, **context: Any) -> Response:
    return HTMLResponse(page_html(template, **context), status, {"Content-Security-Policy": CSP, **(headers or {})})


def year_chart(per_year: list[dict[str, Any]], width: int = 560, height: int = 140) -> dict[str, Any]:
    """Bars of papers per year (every year from the first to the last, gaps included).

    `per_year` is a cluster's papers per year ({"year": y or None, "papers": n}), of the whole cluster.
    """
    counts: dict[int, int] = {y["year"]: y["papers"] for y in per_year if isinstance(y.get("year"), int)}
    total = sum(y["papers"] for y in per_year)
    if not counts:
        return {"bars": [], "width": width, "height": height, "unknown": total}
    years = list(range(min(counts), max(counts) + 1))
    top = max(counts.values())
    pad = 16  # half a year's label: the first and last labels, centred on their bars, are drawn whole
    slot = (width - 2 * pad) / len(years)
    bar_w = max(4.0, min(40.0, slot * 0.7))
    area = height - 36
    bars = []
    for i, y in enumerate(years):
        n = counts.get(y, 0)
        h = area * n / top
        x = pad + i * slot + (slot - bar_w) / 2
        bars.append({"year": y, "n": n, "x": round(x, 1), "y": round(20 + area - h, 1), "w": round(bar_w, 1),
                     "h": round(h, 1), "cx": round(x + bar_w / 2, 1), "label": len(years) <= 16 or i % 2 == 0})
    unknown = total - sum(counts.values())
    return {"bars": bars, "width": width, "height": height, "unknown": unknown, "base": 20 + area}


def chain_picture(path: dict[str, Any], max_titles: int = 2) -> dict[str, Any]:
    """Layout of one chain: author boxes top to bottom, the joint papers written beside each link.

    A column, not a row: the picture is `width` wide whatever the chain's length (a 5-link row was
    1,720 px and cut off the target), and the page scales it with its viewBox to fit a phone's column.
    """
    nodes = path["nodes"]
    box_w, box_h, left, top = 220, 44, 10, 10
    links_titles = []
    for link in path["links"]:
        papers = link["papers"]
        for p in papers:  # a paper without a title is shown as its page shows it
            p["label"] = paper_label(p.get("title"), p.get("doi"), p["iri"])
        titles = [_cut(p["label"], 40) for p in papers[:max_titles]]
        if len(papers) > max_titles:
            titles.append(f"and {len(papers) - max_titles} more")
        links_titles.append((link, titles))
    lines = max((len(t) for _, t in links_titles), default=0)
    gap = 28 + 16 * (1 + lines)  # the link's count and its titles, written between two boxes
    step = box_h + gap
    cx = left + box_w // 2
    placed = [{"node": n, "x": left, "y": top + i * step, "cx": cx} for i, n in enumerate(nodes)]
    links = []
    for i, (link, titles) in enumerate(links_titles):
        y1, y2 = placed[i]["y"] + box_h, placed[i + 1]["y"]
        links.append({"x": cx, "y1": y1, "y2": y2, "tx": cx + 14, "ty": y1 + 24, "count": len(link["papers"]),
                      "titles": titles, "papers": link["papers"]})
    width = 480
    height = top + (len(nodes) - 1) * step + box_h + top
    return {"nodes": placed, "links": links, "width": width, "height": height, "box_w": box_w, "box_h": box_h}


def pair_rows(cluster: dict[str, Any]) -> dict[str, Any]:
    """The pairwise verdicts of a cluster (its JSON with pairs) as table rows: each row of a pair
    with its name and the number of its probable person on the cluster page."""
    names = {r["iri"]: r["name"] for r in cluster["rows"]}
    person = {row: i for i, p in enumerate(cluster["persons"], 1) for row in p["rows"]}
    pairs = cluster.get("pairs")
    if pairs is None:
        return {"pairs": None}
    return {"pairs": [{"a": {"iri": a, "name": names.get(a, a), "person": person.get(a)},
                       "b": {"iri": b, "name": names.get(b, b), "person": person.get(b)},
                       "verdict": p["verdict"], "score": p["score"], "reasons": p["reasons"]}
                      for p in pairs for a, b in [p["rows"]]]}


EXTERNAL_IDS = (("kg:orcid", "ORCID"), ("kg:dblpPerson", "dblp"), ("kg:openalexAuthor", "OpenAlex"))


def external_ids(r: dict[str, Any]) -> list[dict[str, str]]:
    """An author row's ORCID, dblp and OpenAlex ids as links: the source's name, the id, the IRI."""
    found = []
    for curie, source in EXTERNAL_IDS:
        for p in r["properties"]:
            if p["curie"] == curie:
                found += [{"source": source, "iri": v["iri"], "id": v["iri"].rstrip("/").split(".org/", 1)[-1]}
                          for v in p["objects"] if v.get("iri")]
    return found


def _number(request: Request, param: str, default: int, high: int) -> int | None:
    """A positive integer query parameter up to `high`; None when it is anything else."""
    given = request.query_params.get(param, "")
    if given == "":
        return default
    n = integer(given)
    return n if n is not None and 1 <= n <= high else None


def _flag(request: Request, param: str) -> bool | None:
    """A true-or-false query parameter (as the API reads it: true, 1, yes; false, 0, no, empty or
    absent); None when it is anything else."""
    return flag(request.query_params.get(param, ""))


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _typed_first(names: list[str], typed: str) -> list[str]:
    """`names` (the clusters a search key names: "Zoe" and "Zoé" share one) with the name as typed
    first, in any case, composed or not; the others in their order."""
    def folded(text: str) -> str:
        return unicodedata.normalize("NFC", text.strip()).casefold()

    return sorted(names, key=lambda name: folded(name) != folded(typed))


class Pages:
    def __init__(self, site: Site) -> None:
        self.site = site

    def context(self, request: Request) -> dict[str, Any]:
        return page_context(self.site.base, root(request))

    async def cluster_page(self, request: Request, name: str) -> Response:
        from kg.cluster_page import MAX_PAGE_SIZE, PAGE_SIZE

        page, page_size = _number(request, "page", 1, 10**9), _number(request, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
        if page is None or page_size is None:
            return self.error(request, 400, f"page must be a number from 1, page_size from 1 to {MAX_PAGE_SIZE}")
        loose, pairs = _flag(request, "loose"), _flag(request, "pairs")
        if loose is None or pairs is None:
            return self.error(request, 400, "loose and pairs must be true or false")
        variant = f"page {raw_path(request)}?{request.url.query}"
        ready, headers = self.site.ready_page(request, variant)
        if ready is not None:
            return ready
        result = await self.site.call("cluster", name=name, loose=loose, page=page, page_size=page_size, pairs=pairs)
        if result.status != 200:
            return self.error(request, result.status, result_message(result))
        data = result.data.to_json()
        if pairs:
            answer = render("pairs.html", 200 if data["rows"] else 404, headers, c=data, **self.context(request),
                            **pair_rows(data))
            return self.site.keep(request, variant, answer, "Content-Security-Policy")
        await self.name_venues(data)
        status = 200 if data["rows"] else 404
        kept = [(k, v) for k, v in request.query_params.multi_items() if k in ("page_size", "loose") and v]
        pager = {
            "previous": "?" + urlencode([("page", str(page - 1)), *kept]) if page > 1 else None,
            "next": "?" + urlencode([("page", str(page + 1)), *kept]) if result.data.next_page is not None else None,
            "first": (page - 1) * page_size + 1,
            "last": (page - 1) * page_size + len(data["papers"]),
        }
        answer = render("cluster.html", status, headers, c=data, chart=year_chart(data["years"]), pager=pager,
                        **self.context(request))
        return self.site.keep(request, variant, answer, "Content-Security-Policy")

    async def name_venues(self, data: dict[str, Any]) -> None:
        """A cluster page's venues as every page names them (two venues "SoCC" told apart, kg.bibliography)
        and its papers' types in words; the API's JSON keeps the stored values."""
        from kg.bibliography import type_words
        from kg.describe import source_id

        for p in data["papers"]:
            p["type"] = type_words(p.get("type"), source_id(p["iri"]))
        venues = {p["venue_iri"] for p in data["papers"] if p.get("venue_iri")}
        venues |= {v["iri"] for r in data["rows"] for v in r.get("top_venues", []) if v.get("iri")}
        names = await self.venue_names(venues)
        for p in data["papers"]:
            p["venue"] = names.get(p.get("venue_iri") or "", p["venue"])
        for r in data["rows"]:
            for v in r.get("top_venues", []):
                v["name"] = names.get(v.get("iri") or "", v["name"])

    async def venue_names(self, venues: set[str]) -> dict[str, str]:
        """Venue IRI -> its name as every page shows it (kg.bibliography: two venues "SoCC" told apart);
        empty when there are none or the engine cannot say (the stored short names stay)."""
        if not venues:
            return {}
        found = await self.site.call("venue_names", iris=sorted(venues))
        return found.data if found.status == 200 and isinstance(found.data, dict) else {}

    async def clusters(self, request: Request) -> Response:
        name = request.path_params.get("name", "")
        if not name.strip() or len(name) > MAX_NAME:
            return self.error(request, 400, f"give a name (at most {MAX_NAME} characters)")
        if has_control(name):
            return self.error(request, 400, "a name has no control characters (a newline, a tab...)")
        return await self.cluster_page(request, name)

    async def showcase(self) -> dict[str, Any]:
        """The store's counts, its most ambiguous names and the editor's example values (kg.showcase);
        an engine that cannot answer gives none of them rather than no page."""
        result = await self.site.call("showcase")
        if result.status == 200 and isinstance(result.data, dict):
            return result.data
        return {"stats": None, "names": [], "values": {}, "failed": True}

    async def home(self, request: Request) -> Response:
        """The page a visitor lands on: the graph's counts, the search box, example names from this
        store, and the ways further (the query editor, the API, the ontology, the path finder)."""
        variant = "page /"
        ready, headers = self.site.ready_page(request, variant)
        if ready is not None:
            return ready
        shown = await self.showcase()
        answer = render("home.html", 200, headers, stats=shown["stats"], names=shown["names"], **self.context(request))
        if shown.get("failed"):  # a page without its examples: not kept for the whole build
            return self.site.passing(answer)
        return self.site.keep(request, variant, answer, "Content-Security-Policy")

    async def search(self, request: Request) -> Response:
        """The results page over the search index (kg.search): names, then papers, paged as
        /api/search; `name` (the search box's field before the index) still leads to its cluster."""
        from kg.server.api import MAX_QUERY_PARAM, search_args

        params = request.query_params
        name = params.get("name", "")
        if "q" not in params and name.strip():
            loose = "?loose=true" if _flag(request, "loose") else ""  # the loose cluster, when asked
            return RedirectResponse(f"clusters/{name_segment(name.strip())}{loose}", 303)
        ctx = self.context(request)
        q = params.get("q", "")
        form = {"q": q[:MAX_QUERY_PARAM], "kind": params.get("kind") or "all"}
        if not q.strip():  # the empty box (or none yet): the page to type in, not an error
            return render("search.html", form=form, found=None, message=None, **ctx)
        try:
            args = search_args(params, paged=True, default_limit=PAGE_RESULTS)
        except BadRequest as e:
            return render("search.html", 400, form=form, found=None, message=str(e), **ctx)
        variant = f"page {raw_path(request)}?{request.url.query}"
        ready, headers = self.site.ready_page(request, variant)
        if ready is not None:
            return ready
        result = await self.site.call("search", **args, exact=True)
        if result.status != 200:
            return render("search.html", result.status, form=form, found=None, message=result_message(result), **ctx)
        found = result.data
        exact = _typed_first([s.label for s in found.exact], q) or await self.named_cluster(q)
        given = [(k, v) for k, v in params.multi_items() if k in ("q", "kind", "limit")]
        pager = {
            "first": (found.page - 1) * found.limit + 1,
            "last": (found.page - 1) * found.limit + len(found.results),
            "previous": "?" + urlencode([*given, ("page", str(found.page - 1))]) if found.page > 1 else None,
            "next": "?" + urlencode([*given, ("page", str(found.page + 1))]) if found.more else None,
        }
        answer = render("search.html", 200, headers, form=form, found=found, exact=exact, pager=pager, message=None,
                        **ctx)
        return self.site.keep(request, variant, answer, "Content-Security-Policy")

    async def named_cluster(self, q: str) -> list[str]:
        """The name cluster of exactly `q`, when the search index cannot name it: a name without a word
        (punctuation only, "." or "+ +") or longer than the index keeps of a query; none otherwise
        (the index's exact match is the answer)."""
        from kg.search.fold import MAX_QUERY, clean, name_key

        name = q.strip()
        if name_key(clean(name)) and len(name) <= MAX_QUERY:
            return []
        result = await self.site.call("cluster", name=name, page=1, page_size=1, pairs=False)
        data = result.data.to_json() if result.status == 200 else {}
        return [data["name"]] if data.get("rows") else []

    async def path_page(self, request: Request) -> Response:
        q = request.query_params
        form: dict[str, Any] = {"from": q.get("from", ""), "to": q.get("to", ""), "by": q.get("by", "author"),
                                "max_hops": q.get("max_hops", "6"), "alternatives": q.get("alternatives", ""),
                                "strongest": q.get("strongest", "").lower() in ("1", "true", "on", "yes"),
                                "avoid": q.getlist("avoid")}
        ctx = self.context(request)
        if not form["from"].strip() or not form["to"].strip():
            return render("path.html", form=form, result=None, message=None, pictures=[], avoiding=[], **ctx)
        by = form["by"] if form["by"] in ("author", "cluster") else None
        hops, alternatives, avoid = form["max_hops"], form["alternatives"], form["avoid"]
        too_long = any(len(x) > MAX_NAME or not x.strip() for x in (form["from"], form["to"], *avoid))
        hops_n, alternatives_n = integer(hops), integer(alternatives)
        bad_alternatives = alternatives != "" and not (alternatives_n is not None and 1 <= alternatives_n <= 20)
        if (by is None or hops_n is None or not 0 <= hops_n <= 12 or too_long or bad_alternatives
                or len(avoid) > 50):
            message = (f"by must be author or cluster, max_hops from 0 to 12, alternatives from 1 to 20, at most 50 "
                       f"to avoid, names at most {MAX_NAME} characters")
            return render("path.html", 400, form=form, result=None, pictures=[], avoiding=[], message=message, **ctx)
        variant = f"page {raw_path(request)}?{request.url.query}"
        ready, headers = self.site.ready_page(request, variant)
        if ready is not None:
            return ready
        result = await self.site.call("paths", a=form["from"], b=form["to"], by=by, max_hops=hops_n, all=False,
                                      limit=1, timeout=max(0.1, self.site.config.timeout - 1), avoid=tuple(avoid),
                                      strongest=form["strongest"],
                                      alternatives=alternatives_n,
                                      base=self.site.base)
        if result.status == 301:  # an end given by a merged id: the same page with its survivor
            return moved(request, self.site.base, raw_path(request), result.data["moved"])
        if result.status != 200:
            candidates = result.data.get("candidates", []) if isinstance(result.data, dict) else []
            end = {"A": "from", "B": "to"}.get(result.data.get("end", "") if isinstance(result.data, dict) else "")
            for c in candidates:  # a candidate's link runs the same path again with it as the ambiguous end
                c["rerun"] = (f"{ctx['root']}path?" + urlencode([(k, c["iri"] if k == end else v)
                                                                  for k, v in q.multi_items()])) if end else None
            return render("path.html", result.status, form=form, result=None, pictures=[], avoiding=[],
                          message=result_message(result), candidates=candidates, **ctx)
        data = result.data.to_json()
        joint = [p for chain in data["paths"] for link in chain["links"] for p in link["papers"]]
        names = await self.venue_names({p["venue_iri"] for p in joint if p.get("venue_iri")})
        for p in joint:
            p["venue"] = names.get(p.get("venue_iri") or "", p["venue"])
        query = q.multi_items()
        path_link = f"{ctx['root']}path?"
        pictures = []
        for chain in data["paths"]:
            pic = chain_picture(chain)
            for i, placed in enumerate(pic["nodes"]):  # a click on a node between the ends avoids it
                inner = 0 < i < len(pic["nodes"]) - 1
                placed["href"] = path_link + urlencode([*query, ("avoid", placed["node"]["iri"])]) if inner else None
            pic["weakest"] = min((link["count"] for link in pic["links"]), default=0)
            pictures.append(pic)
        named = [n["name"] for n in data["avoid"]] if len(data["avoid"]) == len(avoid) else avoid
        avoiding = [{"name": name, "without": path_link + urlencode([x for x in query if x != ("avoid", text)])}
                    for text, name in zip(avoid, named, strict=True)]
        answer = render("path.html", 200, headers, form=form, result=data, pictures=pictures, avoiding=avoiding,
                        message=None, **ctx)
        return self.site.keep(request, variant, answer, "Content-Security-Policy")

    def resource(self, request: Request, data: dict[str, Any], headers: dict[str, str]) -> Response:
        r = data["resource"]
        template = {"author": "author.html", "paper": "paper.html", "venue": "venue.html"}.get(r["kind"],
                                                                                                  "resource.html")
        next_page = f"?{urlencode({'page': r['page'] + 1})}" if r["more"] else None
        return render(template, 200, headers, r=r, coauthors=data.get("coauthors", []),
                      coauthors_total=data.get("coauthors_total", 0), anchors=data.get("anchors", []),
                      next_page=next_page, years=data.get("years", []), summary=data.get("summary"),
                      entry=data.get("entry"), venue=data.get("venue"), total=data.get("total"),
                      ids=external_ids(r), **self.context(request))

    def error(self, request: Request, status: int, message: str) -> Response:
        return render("error.html", status, status=status, message=message, **self.context(request))

    def routes(self) -> list[BaseRoute]:
        get = ["GET", "HEAD"]
        return [
            Route("/clusters/{name:rest}", self.clusters, methods=get),
            Route("/clusters", self.search, methods=get),
            Route("/search", self.search, methods=get),
            Route("/path", self.path_page, methods=get),
        ]
