"""One polite HTTP client for every fetcher: a shared requests Session with timeouts, retries
with backoff on 429, 5xx and dropped connections (honouring Retry-After), and clear 4xx errors.

Redirects are followed only within the origin asked (the same scheme, host and port) or to the https
of the same host: a redirect elsewhere is a FetchError naming both URLs. What a fetch writes is said
to come from --base-url; a server that sends it to another host (a moved API, a captive portal, a
misconfigured proxy) gets neither the request's parameters (the mailto, an api_key) nor the trust."""

from __future__ import annotations

import email.utils
import math
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from kg.errors import KgError
from kg.version import __version__

USER_AGENT = f"kg/{__version__} (scholarly knowledge-graph toolkit; python-requests)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10


class FetchError(KgError):
    """A request that failed for good: a 4xx answer (`status`), or retries used up."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


# Query parameters that are credentials: never shown in a message (the answer's URL carries them).
SECRET_PARAMS = ("api_key",)
_SECRET = re.compile(r"([?&](?:" + "|".join(SECRET_PARAMS) + r")=)[^&#]*")


def shown(url: str) -> str:
    """`url` as a message may show it: the value of a credential parameter replaced by ***."""
    return _SECRET.sub(r"\1***", url)


@dataclass
class Client:
    """GETs with retries. `sleep` is injectable so tests replay Retry-After without waiting."""

    base_url: str
    mailto: str | None = None
    timeout: float = 30.0
    retries: int = 5
    backoff: float = 1.0
    max_wait: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        agent = USER_AGENT if not self.mailto else f"{USER_AGENT[:-1]}; mailto:{self.mailto})"
        self.session.headers["User-Agent"] = agent

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> requests.Response:
        """The response to GET base_url + path, after up to `retries` retries; FetchError otherwise."""
        url = self.base_url + path
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._followed(url, params)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as e:
                host = _unresolved_host(e)
                if host is not None:
                    # No network, or a wrong name: asking again will not help, so say it at once.
                    raise FetchError(
                        f"GET {shown(url)}: cannot resolve host {host!r} (no network, or a wrong --base-url?)"
                    ) from e
                # A dropped or stalled connection: the same request is safe to repeat (GET).
                if last:
                    raise FetchError(f"GET {shown(url)}: {_reason(e)}{_after(self.retries)}") from e
                self.sleep(self._backoff(attempt))
                continue
            if response.status_code in RETRY_STATUSES:
                if last:
                    raise FetchError(f"GET {shown(response.url)}: HTTP {response.status_code}{_after(self.retries)}",
                                     response.status_code)
                self.sleep(self._retry_after(response) or self._backoff(attempt))
                continue
            if 400 <= response.status_code < 600:
                snippet = " ".join(response.text[:200].split())
                raise FetchError(
                    f"GET {shown(response.url)}: HTTP {response.status_code} {response.reason}: {snippet}",
                    response.status_code, response.text[:2000])
            return response
        raise AssertionError("unreachable")

    def _followed(self, url: str, params: Mapping[str, Any] | None) -> requests.Response:
        """The answer to GET `url`, its redirects followed within its origin (or to its https)."""
        timeout = (min(self.timeout, 10.0), self.timeout)
        response = self.session.get(url, params=params, timeout=timeout, allow_redirects=False)
        for _ in range(MAX_REDIRECTS):
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response
            target = urljoin(response.url, location)
            if not same_site(response.url, target):
                raise FetchError(f"GET {shown(response.url)}: HTTP {response.status_code} redirects to another host "
                                 f"or port: {shown(target)} (not followed; give that host as --base-url if it "
                                 "is meant)",
                                 response.status_code)
            response.close()
            response = self.session.get(target, timeout=timeout, allow_redirects=False)
        raise FetchError(f"GET {shown(url)}: more than {MAX_REDIRECTS} redirects (last to {shown(response.url)})",
                         response.status_code)

    def _backoff(self, attempt: int) -> float:
        return float(min(self.max_wait, self.backoff * 2**attempt))

    def _retry_after(self, response: requests.Response) -> float | None:
        """Retry-After in seconds (a number or an HTTP date), capped at max_wait; None if absent."""
        value = response.headers.get("Retry-After")
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            seconds = when.timestamp() - time.time()
        if math.isnan(seconds):
            return None  # "nan" parses as a number but says nothing: min() would have waited max_wait
        return max(0.0, min(self.max_wait, seconds))


def same_site(url: str, target: str) -> bool:
    """Whether a redirect from `url` to `target` stays where it was asked: the same scheme, host and
    port, or the https of the same host (an upgrade)."""
    old, new = urlsplit(url), urlsplit(target)
    if not new.hostname or new.hostname != old.hostname:
        return False
    if new.scheme == "https" and old.scheme == "http":
        return True
    try:
        return new.scheme == old.scheme and _port(new.scheme, new.port) == _port(old.scheme, old.port)
    except ValueError:  # a port that is not a number
        return False


def _port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else {"http": 80, "https": 443}.get(scheme)


def _after(retries: int) -> str:
    """How many times the request was repeated (`retries` retries: retries + 1 attempts)."""
    if retries == 0:
        return " (not retried: --retries 0)"
    return f" after {retries} {'retry' if retries == 1 else 'retries'}"


def _causes(e: BaseException) -> list[BaseException]:
    """`e` and what caused it: requests wraps urllib3's errors, which wrap the socket's."""
    chain: list[BaseException] = []
    todo: list[BaseException | None] = [e]
    while todo:
        item = todo.pop()
        if item is None or any(item is seen for seen in chain):
            continue
        chain.append(item)
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None)]
        todo += [a for a in item.args if isinstance(a, BaseException)]
    return chain


def _unresolved_host(e: BaseException) -> str | None:
    """The host name that did not resolve (DNS said no, or there is no network), if that is the cause."""
    for cause in _causes(e):
        if isinstance(cause, urllib3.exceptions.NameResolutionError):
            return str(cause.conn.host) if cause.conn is not None else "?"
        if isinstance(cause, socket.gaierror):
            return "?"
    return None


def _reason(e: BaseException) -> str:
    """A short reason for a failed connection, not urllib3's whole chain of wrappers."""
    for cause in reversed(_causes(e)):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "connection reset"
    # an answer that stalls in its body: requests says ConnectionError, around urllib3's ReadTimeoutError
    if isinstance(e, requests.Timeout) or any(isinstance(c, urllib3.exceptions.ReadTimeoutError | TimeoutError)
                                              for c in _causes(e)):
        return "timed out"
    if isinstance(e, requests.exceptions.ChunkedEncodingError):
        return "connection dropped while reading the answer"
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text[:200]}"
