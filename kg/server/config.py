"""`kg serve`'s settings (the CLI's options), shared by the app and the web routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ServerConfig:
    store: Path
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
    client_budget: float | None = None  # query seconds per minute per client (kg.server.budget)
    client_budget_loopback: bool = False
    cache_entries: int = 2048  # hot answers kept in memory (kg.server.hot); 0: none
    anchors: tuple[str, ...] = ()  # author rows whose distance every author page shows (kg serve --anchor)

    @property
    def updates(self) -> bool:
        return self.allow_update or bool(self.update_token)
