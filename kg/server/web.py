"""What the API, the pages and the linked-data routes share: the store's build (for caching),
library calls in the workers, the one error helper, and links that work behind a proxy."""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from kg.iris import DEFAULT_BASE_IRI, name_segment
from kg.server.config import ServerConfig
from kg.server.messages import Job, Result
from kg.server.page_cache import Answer, PageCache
from kg.server.tables import Caches, Table, cost
from kg.store import StoreDir

MAX_NAME = 4000  # longest name or author accepted in a URL (characters)


class _Rest(Convertor[str]):
    """A route's last parameter as `{name:rest}`: the rest of the decoded path, whatever it holds.
    Starlette's `path` (`.*`) stops at a newline, so "/api/clusters/O'Brien%0A" matched as the name
    "O'Brien" (the route's `$` matches before a final newline) and "a%0Ab" matched no route; with this
    one the handler sees the whole name and refuses its control characters."""

    regex = "(?s:.*)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("rest", _Rest())


def has_control(text: str) -> bool:
    """Whether `text` holds a C0 control character (a newline, a tab, NUL...): never part of a name."""
    return any(ord(c) < 32 for c in text)


def flag(text: str) -> bool | None:
    """`text` as a true-or-false query parameter (true, 1, yes; false, 0, no or empty; any case), None
    when it is neither: the API's and the pages' one reading of `loose` and `pairs`."""
    given = text.lower()
    if given in ("true", "1", "yes"):
        return True
    return False if given in ("false", "0", "no", "") else None


def integer(text: str) -> int | None:
    """`text` as an integer as the API reads one (int(): decimal digits of any script, a sign, spaces
    around), None when it is not one. str.isdigit() is no test: "²" passes it and int() refuses it."""
    try:
        return int(text)
    except ValueError:
        return None


def _dots(segment: str) -> bool:
    """Whether a browser takes this path segment as "." or ".." (WHATWG: %2E in any case counts)."""
    return segment.lower().replace("%2e", ".") in (".", "..")


def name_path(path: str) -> str:
    """A request's path (percent-encodings kept) for a link to it: a last segment of dots (a name that
    reached the server as "/api/clusters/." or "%2E") written as name_segment writes it."""
    head, _, last = path.rpartition("/")
    return f"{head}/{name_segment(unquote(last))}" if _dots(last) else path


class BadRequest(Exception):
    """A parameter the client got wrong: 400 with the message."""


@dataclass(frozen=True)
class Build:
    """The active generation as clients may cache it: an ETag seed, Last-Modified and the base IRI."""

    tag: str
    modified: datetime | None
    base_iri: str


class Host(Protocol):
    """What the web routes need of the endpoint they are mounted on: its settings and its workers."""

    @property
    def config(self) -> ServerConfig: ...

    @property
    def caches(self) -> Caches:
        """The worker's caches (kg.server.tables), emptied together on a new store generation."""
        ...

    async def run(self, job: Job) -> Result:
        """The job's Result from a worker, under the configured timeout (503 past it)."""
        ...

    def authorize_update(self, request: Request) -> None:
        """Returns when the request may change the store (the update token); raises a
        kg.server.protocol.ProtocolError (401, 403) otherwise."""
        ...


class Site:
    """The web side of one endpoint: its workers, its config and the active build."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.config = host.config
        self._build: tuple[str, Build] | None = None  # (the `active` link's text, its build)
        self.caches = host.caches
        self.page_cache = PageCache(self.config.cache_entries, caches=self.caches)
        # the variants answered 200 in this build: only those may be a 304 before their answer is made
        self.answered: Table[str, bool] = self.caches.table("answered variants", lru=True)

    def build(self) -> Build:
        """build.json of the active generation, reread only when `active` changes (one readlink).

        Over a remote engine (kg serve --endpoint) the tag is its data version (--data-version, or
        derived from the --index directory: kg.backend.remote.data_version); without one, "".
        """
        if self.config.store is None:
            version = self.config.remote.version() if self.config.remote is not None else None
            tag = hashlib.sha1(version.encode()).hexdigest()[:16] if version is not None else ""
            self.caches.generation(tag)
            return Build(tag, None, self.config.base_iri or DEFAULT_BASE_IRI)
        active = self.config.store / "active"
        try:  # one readlink a call; realpath (a stat of every component) only when it changed
            seen = os.readlink(active)
        except OSError:  # not a link (or none yet): its real path, as it always was
            seen = os.path.realpath(active)
        if self._build is None or self._build[0] != seen:
            link = os.path.realpath(active)
            try:
                meta = StoreDir(self.config.store).meta()
            except Exception:
                meta = {}
            built = meta.get("built_at")
            try:
                modified = datetime.strptime(built, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if built else None
            except ValueError:
                modified = None
            tag = hashlib.sha1(f"{link}|{built}".encode()).hexdigest()[:16]
            base = self.config.base_iri or meta.get("base_iri") or DEFAULT_BASE_IRI
            self._build = (seen, Build(tag, modified, base))
            self.caches.generation(tag)  # a new generation: every cache of this worker emptied
        return self._build[1]

    @property
    def base(self) -> str:
        return self.build().base_iri

    async def call(self, name: str, /, **args: Any) -> Result:
        """A library call of kg.server.calls in a worker, under --timeout (503 past it)."""
        return await self.host.run(Job("call", name, args=args))

    def cache_key(self, request: Request, variant: str) -> str:
        """The page cache's key of this request's variant: with the origin its absolute links name
        (public_url: the base IRI's, or the request's own scheme and Host), so that a request with a
        forged Host cannot put its links (an API answer's `next`) into the answers of everyone else."""
        return f"{variant}|{public_url(request, self.base, '')}"

    def from_page_cache(self, request: Request, variant: str, headers: dict[str, str]) -> Response | None:
        """The cached answer of this variant for the active build (kg.server.page_cache), or None."""
        if self.config.updates or not self.build().tag:  # nothing kept for a remote engine without a version
            return None
        found = self.page_cache.get(self.build().tag, self.cache_key(request, variant))
        if found is None:
            headers["X-KG-Cache"] = "miss"
            return None
        return Response(found.body, 200, {**headers, **dict(found.headers), "X-KG-Cache": "hit"},
                        media_type=found.media_type)

    def keep(self, request: Request, variant: str, response: Response, *extra: str) -> Response:
        """Keeps a 200 answer for this variant and build (`extra` names its own headers to keep with it);
        the answer to this request as `validated` makes it."""
        if response.status_code == 200 and not self.config.updates and self.build().tag:
            media = response.headers.get("content-type", "application/octet-stream")
            kept = tuple((k, response.headers[k]) for k in extra if k in response.headers)
            self.page_cache.put(self.build().tag, self.cache_key(request, variant),
                                Answer(bytes(response.body), media, kept))
        return self.validated(request, variant, response)

    def validated(self, request: Request, variant: str, response: Response) -> Response:
        """`response`, made for this request, as it is answered: a 200 is remembered as this variant's, and is
        a 304 when the request's validators match it. Any other status is answered as it is, validators
        or not (RFC 9110 §13.2.1): a name with no cluster stays a 404 for `If-None-Match: *`."""
        if response.status_code != 200 or self.config.updates or not self.build().tag:
            return response
        self.answered.put(variant, True, cost(variant))
        etag = response.headers.get("etag")
        if etag is None or not self._fresh(request, etag, self.build()):
            return response
        same = ("etag", "last-modified", "cache-control", "vary", "content-location")
        return Response(status_code=304, headers={k: response.headers[k] for k in same if k in response.headers})

    @staticmethod
    def passing(response: Response) -> Response:
        """An answer good for this request only (a page made without part of its data): not cached here
        nor by the client, and without the build's validators, which would say it is the whole page."""
        response.headers["Cache-Control"] = "no-store"
        for validator in ("ETag", "Last-Modified"):
            if validator in response.headers:
                del response.headers[validator]
        return response

    def ready_page(self, request: Request, variant: str) -> tuple[Response | None, dict[str, str]]:
        """A page's answer without computing it (304 from its validators, or its cached answer for this build),
        or None; and the headers to answer it with otherwise."""
        not_modified, headers = self.conditional(request, variant)
        if not_modified is not None:
            return not_modified, headers
        return self.from_page_cache(request, variant, headers), headers

    def conditional(self, request: Request, variant: str) -> tuple[Response | None, dict[str, str]]:
        """(304 response or None, the ETag/Last-Modified headers) for a GET of this build's data.

        With updates enabled the store changes in place, so nothing is cacheable then.
        """
        build = self.build()
        if self.config.updates or not build.tag:  # changing in place, or a remote engine without a version
            return None, {"Cache-Control": "no-cache"}
        etag = f'"{build.tag}-{hashlib.sha1(variant.encode()).hexdigest()[:8]}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if build.modified is not None:
            headers["Last-Modified"] = email.utils.format_datetime(build.modified, usegmt=True)
        # a 304 now only for a variant answered 200 before in this build; another is a 304 once its
        # answer is made and found a 200 (`validated`): a 404 is never a 304
        if self._fresh(request, etag, build) and self.answered.find(variant):
            return Response(status_code=304, headers=headers), headers
        return None, headers

    @staticmethod
    def _fresh(request: Request, etag: str, build: Build) -> bool:
        """Whether the request's validators match this build's answer with this ETag: If-None-Match
        (weakly, `*` for any), else If-Modified-Since at or after the build."""
        inm = request.headers.get("if-none-match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return etag in tags or "*" in tags
        ims = request.headers.get("if-modified-since")
        if ims and build.modified is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                since = None
            return since is not None and since.tzinfo is not None and build.modified <= since
        return False


def root(request: Request) -> str:
    """A relative prefix from this request's path to the server's root ("./", "../", ...).

    Links built on it keep working when a reverse proxy serves us under a path prefix.
    """
    raw = request.scope.get("raw_path") or request.url.path.encode()
    depth = raw.split(b"?", 1)[0].count(b"/") - 1
    return "../" * depth if depth > 0 else "./"


def public_url(request: Request, base: str, path: str, query: str = "") -> str:
    """The absolute URL of `path` (relative to the server's root) as clients should see it.

    When the request came for the base IRI's host (directly, or through a proxy passing Host on),
    that is the base IRI joined with the path, so a proxy's path prefix and scheme are kept;
    otherwise (the server reached at another address) the request's own scheme and host.
    """
    asked = request.url
    if urlsplit(base).netloc.lower() == asked.netloc.lower():
        url = urljoin(base, path)
    else:
        url = f"{asked.scheme}://{asked.netloc}/{path}"
    return url + (f"?{query}" if query else "")


def ascii_url(url: str) -> str:
    """`url` as a header may carry it: characters outside ASCII percent-encoded as UTF-8 (those
    already percent-encoded, and the URL's delimiters, kept)."""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def moved(request: Request, base: str, path: str, params: Mapping[str, str] | None = None) -> Response:
    """The 301 to `path` (relative to the server's root) for a merged id: this request's query string as
    sent, or with the query parameters in `params` given their new values (the others kept)."""
    query = request.url.query
    if params:
        query = urlencode([(k, params.get(k, v)) for k, v in request.query_params.multi_items()])
    location = public_url(request, base, path.lstrip("/"), query)
    return Response(status_code=301, headers={"Location": ascii_url(location), "Cache-Control": "no-cache"})


def raw_path(request: Request) -> str:
    """The request path as sent (percent-encodings kept): an IRI's path, %2F and all."""
    raw = request.scope.get("raw_path")
    if raw is None:
        return request.url.path
    path: bytes = bytes(raw).split(b"?", 1)[0]
    return str(path, "latin-1")


def error(status: int, message: str, headers: dict[str, str] | None = None, *, as_json: bool = False,
          **extra: Any) -> Response:
    """The one error answer: one line of text/plain, or `{"error": message, **extra}` for the API."""
    if as_json:
        return json_response({"error": message.rstrip("\n"), **extra}, status, headers)
    return PlainTextResponse(message.rstrip("\n") + "\n", status, headers)


def error_from(result: Result, *, as_json: bool = False) -> Response:
    """The error answer for a failed Result (its message, its extra data such as candidates, its headers)."""
    data = result.data if isinstance(result.data, dict) else {}
    extra = {k: v for k, v in data.items() if k != "error"} if as_json else {}
    return error(result.status, result_message(result), result.headers or None, as_json=as_json, **extra)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON as UTF-8 (non-ASCII kept); '<' escaped so the text can never close a script element."""
    body = json.dumps(data, ensure_ascii=False, indent=None).replace("<", "\\u003c")
    return Response(body.encode(), status, headers, media_type="application/json")


def result_message(result: Result) -> str:
    data = result.data
    message = data.get("error") if isinstance(data, dict) else None
    if isinstance(message, str):
        return message
    return result.body.decode("utf-8", "replace").strip()
