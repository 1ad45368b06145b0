"""The web routes beside the SPARQL endpoint: the API, the pages, the ontology and dereferencing."""

from __future__ import annotations

from starlette.routing import BaseRoute

from kg.server.api import Api
from kg.server.curations import Curations
from kg.server.linked import Linked
from kg.server.pages import Pages
from kg.server.web import Site


def routes(site: Site) -> list[BaseRoute]:
    """API, pages and ontology routes, then the catch-all that dereferences IRIs (it must come last)."""
    pages = Pages(site)
    linked = Linked(site, pages)
    return [*Curations(site).routes(), *Api(site).routes(), *pages.routes(), *linked.routes(), linked.catch_all()]
