"""`kg serve`'s settings (the CLI's options), shared by the app and the web routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kg.backend.remote import RemoteSpec

LOG_FORMAT = "%(asctime)s %(name)s %(message)s"  # kg serve's log lines (its access log's too)
# kg serve --cors: any origin, these methods; the request fields allowed and the answer's fields exposed
CORS_METHODS = ("GET", "POST")
CORS_HEADERS = ("Accept", "Accept-Language", "Authorization", "Cache-Control", "Content-Type", "If-Modified-Since",
                "If-None-Match", "Pragma", "X-Requested-With")
CORS_EXPOSED = ("X-SPARQL-MaxRows", "ETag", "Link", "Content-Location")


@dataclass(frozen=True)
class ServerConfig:
    store: Path | None  # None with `remote`: kg serve --endpoint
    host: str = "127.0.0.1"
    port: int = 7878
    base_iri: str | None = None
    timeout: float = 30.0
    max_rows: int | None = 100_000
    cors: bool = False
    update_token: str | None = None
    allow_update: bool = False
    allow_service: frozenset[str] = field(default_factory=frozenset)
    workers: int = 2
    max_body: int = 1 << 20
    request_timeout: float = 10.0  # seconds a begun request has for its head, and between two reads of its body
    client_budget: float | None = None  # query seconds per minute per client (kg.server.budget)
    client_budget_loopback: bool = False
    cache_entries: int = 2048  # API and page answers kept in memory (kg.server.page_cache); 0: none
    answers_cache: int = 2048  # of those, kept as bytes by the HTTP front too (kg.server.answers_cache); 0: none
    # (at most cache_entries: with no page cache, the front keeps no answer either)
    results_cache: int = 64  # MB of /sparql query results kept per worker (kg.server.results_cache); 0: none
    pin_workers: bool = False  # each worker process kept on its own CPUs (kg.server.prefork.pin)
    anchors: tuple[str, ...] = ()  # author rows whose distance every author page shows (kg serve --anchor)
    remote: RemoteSpec | None = None  # kg serve --endpoint URL [--index DIR] [--data-version V]

    @property
    def updates(self) -> bool:
        return self.allow_update or bool(self.update_token)

    @property
    def source(self) -> str | RemoteSpec:
        """What the workers open: the store directory, or the remote endpoint."""
        if self.remote is not None:
            return self.remote
        assert self.store is not None
        return str(self.store)

    @property
    def label(self) -> str:
        return self.remote.url if self.remote is not None else str(self.store)
