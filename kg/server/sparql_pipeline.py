"""The SPARQL endpoint of a worker: every /sparql request, from its method, target, headers and body
to its answer, in one pipeline.

    plan    the checks of the SPARQL 1.1 Protocol (kg.server.protocol), the update token, the text's
            SERVICE/LOAD refusal and the choice of format (kg.server.sparql_checks), CORS
            (kg.server.cors), the client budget (kg.server.budget)
    run     a query or update goes to the worker's evaluation threads by LocalRunner.submit, whose
            one deadline mechanism answers a query past --timeout 503 (kg.server.local); a query
            whose Result the results cache keeps for this generation is not run again
            (kg.server.results_cache)
    answer  the Result's bytes as they are, or a browser's page of them; an error's one line
    log     one access-log line (kg.server.access_log), and the request's time charged to its client

Nothing here knows HTTP's framing or a web framework (a browser's page is kg.server.html's): a
request is its method, target, headers and body (`Request`), an answer is a status, header fields
and a body (`Answer`), handed to the caller's `reply`. kg's HTTP front (kg.server.wire) calls
`SparqlPipeline.handle` for every /sparql request; kg.server.asgi.SparqlAsgi is the same pipeline
as an ASGI app (the reference server of the tests, and the in-process client of the views' unit
tests). The app (Starlette) has no /sparql route.

A plan depends only on the request's method, query string, Content-Type, body, Accept, Host and
scheme (updates, which depend on the Authorization header too, and CORS requests are planned every
time); it is kept per request in `plans`, so a repeated request costs a scan of its header fields
and a dictionary lookup before its evaluation.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from ipaddress import AddressValueError, IPv6Address
from typing import Any, Protocol

import pyoxigraph as ox

from kg.formats import BOOLEAN, DESCRIPTIONS, GRAPHS, N_TRIPLES, RESULTS
from kg.server.access_log import AccessLines
from kg.server.budget import Charges, Ledger, SharedLedger
from kg.server.config import ServerConfig
from kg.server.cors import preflight, with_cors
from kg.server.html import CSP, format_links, html_wanted, page_context, results_html, triples_html
from kg.server.messages import Family, Job, Result
from kg.server.negotiation import by_name, choose, offered
from kg.server.protocol import Operation, ProtocolError, authorize_update, parse
from kg.server.results_cache import Key, ResultsCache, key, serves, volatile
from kg.server.service_description import service_description
from kg.server.sparql_checks import Checks
from kg.server.tables import Caches, Table, cost
from kg.sparqltext import Refused, add_using, check_outbound, check_shape, lex

log = logging.getLogger("kg.server")
Headers = list[tuple[bytes, bytes]]
OFFERS = {Family.RESULTS: RESULTS, Family.BOOLEAN: BOOLEAN, Family.GRAPH: GRAPHS}
TEXT = b"text/plain; charset=utf-8"
HTML_TYPE = b"text/html; charset=utf-8"
ROOT = "./"  # /sparql's relative prefix to the server's root (its pages' links)


class Request(Protocol):
    """A /sparql request as the HTTP layer hands it over (kg.server.wire.Request, or kg.server.asgi's)."""

    method: str
    raw_path: bytes
    query: bytes  # the query string, as sent
    headers: Headers  # (name in lower case, value), in the order sent
    body: bytes
    client: tuple[str, int]
    scheme: str
    started: float  # time.monotonic() when it began to be answered


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole answer: status, header fields (or `head`, their lines prepared once) and body; the HTTP
    layer adds the framing (Date, Content-Length, Connection) and leaves out a HEAD's body."""

    status: int
    headers: Headers
    body: bytes
    head: bytes | None = None  # the header lines, each ending in CRLF, instead of `headers`


Reply = Callable[[Answer], None]


class Runner(Protocol):
    """The worker's evaluation threads (kg.server.local.LocalRunner): its one entry point."""

    def submit(self, job: Job, timeout: float, done: Callable[[Result, bool], None]) -> None: ...


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Answer:
    """The one error answer of the endpoint: its message in one line of text/plain (as kg.server.web.error)."""
    fields = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    return Answer(status, [*fields, (b"content-type", TEXT)], (message.rstrip("\n") + "\n").encode())


def body_too_large(limit: int) -> Answer:
    return error(413, f"request body too large (limit {limit} bytes)")


@dataclass(frozen=True)
class Page:
    """A browser's page of a query's results: what its table and its format links need."""

    query: str
    params: list[tuple[str, str]]
    form: str | None


@dataclass(frozen=True)
class Plan:
    """What a request comes to: a job to run (and a page of its answer for a browser), or an answer now."""

    note: str  # the access log's note
    job: Job | None = None
    answer: Answer | None = None
    page: Page | None = None
    keep: bool = True  # the same for every request of its key (not an update's, which depends on Authorization)
    cors: bool = True  # with an Origin and --cors, answered with CORS fields (not a preflight: its own)
    results: Key | None = None  # a query's key in the results cache (None: its Result is never kept)


@dataclass
class Fields:
    """The header fields the endpoint reads, each the first of its name (as Starlette's `headers.get`)."""

    content_type: bytes | None = None
    accept: bytes | None = None
    host: bytes | None = None
    origin: bytes | None = None
    authorization: bytes | None = None
    preflight: bytes | None = None  # Access-Control-Request-Method
    preflight_headers: bytes | None = None  # Access-Control-Request-Headers
    private_network: bytes | None = None  # Access-Control-Request-Private-Network

    @staticmethod
    def of(headers: Headers) -> Fields:
        fields = Fields()
        for k, v in headers:
            name = _FIELDS.get(k)
            if name is not None and getattr(fields, name) is None:
                setattr(fields, name, v)
        return fields


_FIELDS = {b"content-type": "content_type", b"accept": "accept", b"host": "host", b"origin": "origin",
           b"authorization": "authorization", b"access-control-request-method": "preflight",
           b"access-control-request-headers": "preflight_headers",
           b"access-control-request-private-network": "private_network"}


# a Host field that cannot change the URL's path or authority (Starlette's rule: kg.server.asgi's app reads it so)
_HOST = re.compile(r"^(?P<host>[a-z0-9._~%!$&'()*+,;=-]+|\[(?:(?P<ipv6>[a-f0-9]*:[a-f0-9.:]+)|"
                   r"(?-i:v)[a-f0-9]+\.[a-z0-9._~!$&'()*+,;=:-]+)\])(?::(?P<port>[0-9]+))?$", re.IGNORECASE)


def _authority(host: str) -> str | None:
    """The Host field as a URL's authority, or None when it is not a valid one."""
    match = _HOST.fullmatch(host)
    if match is None:
        return None
    if match["ipv6"] is not None:
        try:
            IPv6Address(match["ipv6"])
        except AddressValueError:
            return None
    port = match["port"]
    if port is None:
        return str(match["host"])
    digits = port.lstrip("0")
    return f"{match['host']}:{port}" if len(digits) <= 5 and int(digits or "0") <= 65535 else None


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


class SparqlPipeline:
    """The SPARQL endpoint of one worker (see the module's note)."""

    def __init__(self, config: ServerConfig, runner: Runner, caches: Caches, base: Callable[[], str],
                 ledger: Ledger | SharedLedger | None = None, others_in_flight: Callable[[], int] = lambda: 0,
                 generation: Callable[[], str] | None = None) -> None:
        """`generation` names the store generation served now (the Site's build tag; it empties `caches`
        when it changes): with it, query Results are kept for it (kg.server.results_cache)."""
        self.config = config
        self.runner = runner
        self.base = base  # the served build's base IRI (its pages' links)
        self.checks = Checks(config, caches)
        self.lines = AccessLines(caches)
        self.charges = Charges(config.client_budget, config.client_budget_loopback, ledger)
        self.others_in_flight = others_in_flight  # requests in flight in the app (a late answer goes out after them)
        self.plans: Table[Hashable, Plan] = caches.table("request plans")
        self.endpoints: Table[tuple[str, bytes | None], str] = caches.table("endpoint URLs")
        self.heads: Table[str, bytes] = caches.table("answer heads")  # a 200's header lines, by content type
        self.results = ResultsCache(config, caches, generation) if generation is not None and serves(config) \
            else None
        self.in_flight = 0  # jobs submitted, not answered yet

    def handle(self, request: Request, reply: Reply) -> None:
        """Answers `request` by `reply`: now (on the loop), or once its job comes back from a thread."""
        refused = self.charges.refusal(request)
        if refused is not None:  # before anything else, as ClientBudget in the app: no CORS fields, not charged
            status, headers, body, note = refused
            reply(Answer(status, headers, body))
            self.lines.add(request, status, note)
            return
        origin, plan = self._plan(request)
        if plan.job is None:
            assert plan.answer is not None
            self._finish(request, reply, plan, plan.answer, plan.note, origin)
            return
        tag = None
        if plan.results is not None and self.results is not None:
            tag, found = self.results.find(plan.results)
            if found is not None:  # kept for this generation: answered now, on the loop
                note = plan.note if found.rows is None else f"{plan.note} rows={found.rows}"
                self._finish(request, reply, plan, self._answer(plan, found), f"{note} cached", origin)
                return
        self.in_flight += 1
        self.runner.submit(plan.job, self.config.timeout,
                           lambda result, late: self._answered(request, reply, plan, origin, result, late, tag))

    # -- plan
    def _plan(self, request: Request) -> tuple[bytes | None, Plan]:
        """(the request's CORS Origin, when --cors answers one; its plan)."""
        fields = Fields.of(request.headers)
        if self.config.cors and fields.origin is not None:
            if request.method == "OPTIONS" and fields.preflight is not None:
                answer = Answer(*preflight(fields.preflight, fields.preflight_headers, fields.private_network))
                return fields.origin, Plan("", answer=answer, cors=False)
            return fields.origin, self._make(request, fields)
        key = (request.method, request.query, fields.content_type, request.body, fields.accept, fields.host,
               request.scheme)
        found = self.plans.get(key)
        if found is not None:
            return None, found
        return None, self._planned(request, key, fields)

    def _planned(self, request: Request, key: tuple[Any, ...], fields: Fields) -> Plan:
        """The request's plan, kept for its key when it depends on nothing else."""
        plan = self._make(request, fields)
        if plan.keep:
            method, query, content_type, body, accept, host, scheme = key
            text = plan.job.text if plan.job is not None else None  # the text decoded from the body or query
            answer = plan.answer.body if plan.answer is not None else None
            self.plans.put(key, plan, cost(method, query, content_type, body, accept, host, scheme, text, answer) + 512)
        return plan

    def _make(self, request: Request, fields: Fields) -> Plan:
        """The plan of a request, from its fields; a ProtocolError is its error answer."""
        updating = False
        try:
            op = parse(request.method, request.query, _text(fields.content_type), request.body)
            endpoint = self._endpoint(request.scheme, fields.host)
            if op.kind == "description":
                return self._description(op, endpoint, _text(fields.accept))
            base = self.config.base_iri or endpoint
            if op.kind == "update":
                updating = True
                return self._update(op, base, _text(fields.authorization))
            analysis = self.checks.checked(op.text, base)
            form = analysis.form()
            choice = self.checks.choice(form, op.one("format"), _text(fields.accept))
            job = self.checks.query_job(op, analysis, base, choice)
        except ProtocolError as e:
            return Plan(f"refused: {e.message[:120]}", answer=error(e.status, e.message, e.headers), keep=not updating)
        page = None
        if choice.html:
            params = [(k, v) for k, vs in op.params.items() for v in vs]
            if "query" not in op.params:
                params.append(("query", op.text))
            page = Page(op.text, params, form)
        results = key(job) if self.results is not None and not volatile(analysis) else None
        return Plan(f"query {form or '?'}", job=job, page=page, results=results)

    def _update(self, op: Operation, base: str, authorization: str | None) -> Plan:
        authorize_update(self.config, authorization)  # before looking at the text at all
        try:
            analysis = lex(op.text)
            check_outbound(analysis, self.config.allow_service, base)
            check_shape(op.text)
            using, using_named = op.graphs("using-graph-uri"), op.graphs("using-named-graph-uri")
            text = op.text
            if using is not None or using_named is not None:
                text = add_using(analysis, [ox.NamedNode(g) for g in using or []],
                                 [ox.NamedNode(g) for g in using_named or []])
        except Refused as e:
            raise ProtocolError(400, str(e)) from None
        return Plan("update", job=Job("update", text, base_iri=base), keep=False)

    def _description(self, op: Operation, endpoint: str, accept: str | None) -> Plan:
        """The service description: RDF by Accept or `format=`, a page for a browser."""
        c = self.config
        site = endpoint.removesuffix("/sparql") if endpoint.endswith("/sparql") else f"http://{c.host}:{c.port}"
        void_url = site + "/.well-known/void"
        triples = service_description(endpoint, update=c.updates, service=bool(c.allow_service), void_url=void_url)
        fmt_param = op.one("format")
        if html_wanted(fmt_param, accept, DESCRIPTIONS):
            links = format_links("sparql", [], DESCRIPTIONS, ROOT)
            html = triples_html(page_context(self.base(), ROOT), "Service description",
                                f"{len(triples)} triples about this endpoint", triples, links)
            return Plan("service-description", answer=_html(html), keep=False)  # its links follow the build's base
        fmt = by_name(fmt_param, DESCRIPTIONS) or choose(DESCRIPTIONS, accept)
        if fmt is None or fmt.rdf is None:
            return Plan("service-description", answer=error(406, f"not acceptable; offered: {offered(DESCRIPTIONS)}"))
        body = ox.serialize(triples, format=fmt.rdf) or b""
        return Plan("service-description",
                    answer=Answer(200, [(b"vary", b"Accept"), (b"content-type", fmt.content_type.encode())], body))

    def _endpoint(self, scheme: str, host: bytes | None) -> str:
        """This endpoint's URL (the base IRI of queries), as Starlette's `request.url` gives it: the scheme,
        the first Host field when it is a valid authority (else the server's address), and /sparql."""
        key = (scheme, host)
        found = self.endpoints.get(key)
        if found is None:
            netloc = _authority(host.decode("latin-1")) if host is not None else None
            if netloc is None:
                name, port = self.config.host, self.config.port
                name = f"[{name}]" if ":" in name and not name.startswith("[") else name
                netloc = name if port == {"http": 80, "https": 443}.get(scheme) else f"{name}:{port}"
            try:
                found = ox.NamedNode(f"{scheme}://{netloc}/sparql").value
            except ValueError:
                found = f"http://{self.config.host}:{self.config.port}/sparql"
            self.endpoints.put(key, found, cost(scheme, host, found))
        return found

    # -- answer
    def _answered(self, request: Request, reply: Reply, plan: Plan, origin: bytes | None, result: Result,
                  late: bool, tag: str | None) -> None:
        """A job's Result back on the loop (`tag`: the generation it was asked on, when it may be kept)."""
        self.in_flight -= 1
        if tag is not None and plan.results is not None and self.results is not None:
            self.results.keep(plan.results, tag, result, late)
        answer = self._answer(plan, result)
        note = plan.note if result.rows is None else f"{plan.note} rows={result.rows}"
        if not late:
            self._finish(request, reply, plan, answer, note, origin)
            return
        asyncio.ensure_future(self._last(request, reply, plan, answer, note, origin))

    async def _last(self, request: Request, reply: Reply, plan: Plan, answer: Answer, note: str,
                    origin: bytes | None) -> None:
        """The answer of the job that ran past the time limit: after the others' 503s (the app's are written
        by its tasks), then this worker dies (LocalRunner.retire began it)."""
        from kg.server.local import _die, after_the_others

        await after_the_others(self.others_in_flight)
        try:
            self._finish(request, reply, plan, answer, note, origin)  # the budget, shared memory: seen by the next
        finally:
            _die()

    def _answer(self, plan: Plan, result: Result) -> Answer:
        """The answer of a job's Result: its bytes as they are, or a browser's page of them."""
        if result.status == 406:
            offers = OFFERS[result.unacceptable or Family.RESULTS]
            return error(406, f"not acceptable; offered: {offered(offers)}")
        if result.status >= 500 and result.status != 503:
            log.error("query failed: %s", result.body.decode("utf-8", "replace").strip())
        if plan.page is not None and result.status == 200:
            return self._page(plan.page, result)
        if result.status == 200 and not result.headers and not self.config.cors:
            head = self.heads.get(result.content_type)  # the common answer: its header lines prepared once
            if head is None:
                head = self.heads.put(result.content_type, b"content-type: %s\r\nvary: Accept\r\n"
                                      % result.content_type.encode("latin-1"), cost(result.content_type) + 32)
            return Answer(200, [], result.body, head)
        headers = [(b"vary", b"Accept")] + [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                            for k, v in result.headers.items()]
        if result.status != 204:
            headers.insert(0, (b"content-type", result.content_type.encode("latin-1")))
        return Answer(result.status, headers, result.body)

    def _page(self, page: Page, result: Result) -> Answer:
        graph = result.content_type.startswith(N_TRIPLES.media_type)
        offers = GRAPHS if graph else BOOLEAN if page.form == "ASK" else RESULTS
        links = format_links("sparql", page.params, offers, ROOT)
        html = results_html(page_context(self.base(), ROOT), result.body, graph=graph, query=page.query, links=links,
                            capped=result.headers.get("X-SPARQL-MaxRows"))
        return _html(html)

    # -- log, charge, reply
    def _finish(self, request: Request, reply: Reply, plan: Plan, answer: Answer, note: str,
                origin: bytes | None) -> None:
        """Charges, replies and logs: every answer of the pipeline but a 429 (which is neither charged nor
        given CORS fields, as ClientBudget does it in the app)."""
        if self.config.cors and plan.cors:
            assert answer.head is None  # no prepared header lines with --cors (_answer)
            answer = Answer(answer.status, with_cors(answer.headers, origin is not None), answer.body)
        # charged before the answer goes out, so that the client's next request sees the charge (on another
        # worker too, when this one dies after a late answer)
        self.charges.charge(request)
        reply(answer)
        self.lines.add(request, answer.status, note)


def _html(html: str) -> Answer:
    return Answer(200, [(b"content-security-policy", CSP.encode()), (b"vary", b"Accept"),
                        (b"content-type", HTML_TYPE)], html.encode())
