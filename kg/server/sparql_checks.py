"""The checks of a SPARQL query request, each kept for the text or header it depends on: the text's
SERVICE/LOAD refusal and query form (kg.sparqltext), the formats its answer goes out in (Accept and
`format=`), and the Job they make (kg.server.sparql_pipeline plans every /sparql request with them)."""

from __future__ import annotations

from dataclasses import dataclass

from kg.formats import BOOLEAN, GRAPHS, JSON, N_TRIPLES, RESULTS, Format
from kg.server.config import ServerConfig
from kg.server.html import html_wanted
from kg.server.messages import Job
from kg.server.negotiation import by_name, choose, offered
from kg.server.protocol import Operation, ProtocolError
from kg.server.tables import Caches, Table, cost
from kg.sparqltext import Analysis, Refused, check_outbound, check_shape, lex


@dataclass(frozen=True)
class Choice:
    """The formats a query's answer goes out in, and whether a browser gets a page of it instead."""

    results: Format | None
    graph: Format | None
    html: bool


class Checks:
    """The endpoint's checks of a query request, each kept for the text or header it depends on."""

    def __init__(self, config: ServerConfig, caches: Caches) -> None:
        self.config = config
        self.texts: Table[tuple[str, str], tuple[Analysis, str | None]] = caches.table("checked texts")
        self.choices: Table[tuple[str | None, str | None, str | None], Choice | str] = caches.table("answer formats")

    def checked(self, text: str, base: str) -> Analysis:
        """The text's analysis; ProtocolError 400 when it must be refused (SERVICE, LOAD, a bad escape, a
        text nested past what evaluation takes)."""
        key = (text, base)
        found = self.texts.get(key)
        if found is None:
            refusal = None
            try:
                analysis = lex(text)
                check_outbound(analysis, self.config.allow_service, base)
                check_shape(text)
            except Refused as e:
                analysis, refusal = Analysis(text), str(e)
            # the text twice (the key, and the analysis's tokens at most as long)
            found = self.texts.put(key, (analysis, refusal), cost(text, text, base, refusal))
        if found[1] is not None:
            raise ProtocolError(400, found[1])
        return found[0]

    def choice(self, form: str | None, fmt_param: str | None, accept: str | None) -> Choice:
        """The answer's formats for this query form, `format=` and Accept; ProtocolError 406 for an
        ASK asked for a format it has none in."""
        key = (form, fmt_param, accept)
        found = self.choices.get(key)
        if found is None:
            found = self._choose(form, fmt_param, accept)
            self.choices.put(key, found, cost(form, fmt_param, accept) + 256)
        if isinstance(found, str):
            raise ProtocolError(406, found)
        return found

    @staticmethod
    def _choose(form: str | None, fmt_param: str | None, accept: str | None) -> Choice | str:
        answers = BOOLEAN if form == "ASK" else RESULTS
        named = by_name(fmt_param, RESULTS)
        if named is not None and named not in answers:
            return f"an ASK has no {named.name} answer; offered: {offered(BOOLEAN)}"
        results_fmt = named or choose(answers, accept)
        graph_fmt = by_name(fmt_param, GRAPHS) or choose(GRAPHS, accept)
        html = html_wanted(fmt_param, accept, GRAPHS if form in ("CONSTRUCT", "DESCRIBE") else answers)
        if html:
            results_fmt, graph_fmt = JSON, N_TRIPLES
        return Choice(results_fmt, graph_fmt, html)

    def query_job(self, op: Operation, analysis: Analysis, base: str, choice: Choice) -> Job:
        """The Job of a query request (its dataset parameters validated: ProtocolError 400)."""
        return Job(
            "query",
            op.text,
            base_iri=base,
            default_graphs=op.graphs("default-graph-uri"),
            named_graphs=op.graphs("named-graph-uri"),
            union=not analysis.has_dataset_clause(),
            results_format=choice.results.name if choice.results else None,
            graph_format=choice.graph.name if choice.graph else None,
            max_rows=self.config.max_rows,
        )
