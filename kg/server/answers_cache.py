"""The answers cache of a worker's HTTP front (kg serve --answers-cache): repeated API and page requests
answered from bytes, without the app.

A 200 the app answered from its page cache or put into it (`X-KG-Cache`) is kept here too, as the
bytes of its header lines and body, per request line, Accept and Host, for the store generation its
ETag names; the same GET again (without a validator to check, or a CORS origin to answer) is
answered from those bytes, logged and charged as the SPARQL pipeline's answers are. A rebuild
(another generation) empties it, as it does the app's.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kg.server.access_log import AccessLines
from kg.server.budget import Charges
from kg.server.config import ServerConfig
from kg.server.tables import Caches, Table, cost

if TYPE_CHECKING:
    from kg.server.web import Site
    from kg.server.wire import Connection, Headers, Request

ANSWERS_BYTES = 64 << 20  # bytes the answers cache keeps at most


@dataclass(frozen=True)
class CachedAnswer:
    tag: str
    head: bytes  # the header lines (no Date, no Content-Length), each ending in CRLF
    body: bytes


class AnswersCache:
    """The answers cache of one worker (kg.server.wire.Taker)."""

    def __init__(self, config: ServerConfig, site: Site, caches: Caches, lines: AccessLines, charges: Charges) -> None:
        self.config = config
        self.site = site
        self.lines = lines
        self.charges = charges
        # a body over an eighth of the bytes is not kept; copies of the page cache's answers: none without it
        size = min(config.answers_cache, config.cache_entries)
        self.answers: Table[Hashable, CachedAnswer] = caches.table("answers", size, ANSWERS_BYTES,
                                                                   largest=ANSWERS_BYTES, lru=True)

    def take(self, conn: Connection, request: Request) -> bool:
        """True when the answer of this GET is here and current: written now."""
        if request.method != "GET" or not self.answers:
            return False
        key = self._key(request)
        found = self.answers.get(key)
        if found is None or self._conditional(request):
            return False
        if found.tag != self.site.build().tag:  # a rebuild: nothing cached is current
            self.answers.generation(self.site.build().tag)
            return False
        refused = self.charges.refusal(request)
        if refused is not None:
            status, headers, body, note = refused
            conn.respond(request, status, headers, body)
            self.lines.add(request, status, note)
            return True
        self.answers.find(key)  # the most recently used now
        conn.respond(request, 200, [], found.body, head=found.head)
        self.lines.add(request, 200, "cached")
        self.charges.charge(request)
        return True

    def keep(self, request: Request, status: int, headers: Headers, body: bytes) -> None:
        """Keeps an answer of the app's page cache (`X-KG-Cache`: hit or miss) for the same request again."""
        if status != 200 or request.method != "GET" or len(body) > ANSWERS_BYTES // 8:
            return
        if self._conditional(request):
            return
        etag = cache = None
        lines = []
        for k, v in headers:
            if k == b"x-kg-cache":
                cache = v
                continue
            if k == b"etag":
                etag = v
            if k in (b"content-length", b"date", b"connection"):
                continue
            lines.append(k + b": " + v + b"\r\n")
        if cache is None or etag is None:
            return
        tag = etag.decode("latin-1").strip('"').split("-", 1)[0]
        lines.append(b"x-kg-cache: hit\r\n")
        self.answers.generation(tag)
        key = self._key(request)
        head = b"".join(lines)
        self.answers.put(key, CachedAnswer(tag, head, body), cost(head, body, *key))

    @staticmethod
    def _key(request: Request) -> tuple[bytes, bytes, bytes | None, bytes | None]:
        return (request.raw_path, request.query, request.header(b"accept"), request.header(b"host"))

    def _conditional(self, request: Request) -> bool:
        """Validators to check, or a CORS origin to answer: the app's business."""
        for k, _ in request.headers:
            if k in (b"if-none-match", b"if-modified-since") or (k == b"origin" and self.config.cors):
                return True
        return False
