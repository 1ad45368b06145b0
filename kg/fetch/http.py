"""One polite HTTP client for every fetcher: a shared requests Session with timeouts, retries
with backoff on 429, 5xx and dropped connections (honouring Retry-After), and clear 4xx errors."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from kg import __version__
from kg.errors import KgError

USER_AGENT = f"kg/{__version__} (scholarly knowledge-graph toolkit; python-requests)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(KgError):
    """A request that failed for good: a 4xx answer, or retries used up."""


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
                response = self.session.get(url, params=params, timeout=(min(self.timeout, 10.0), self.timeout))
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as e:
                # A dropped or stalled connection: the same request is safe to repeat (GET).
                if last:
                    raise FetchError(f"GET {url}: {type(e).__name__} after {self.retries} retries: {e}") from e
                self.sleep(self._backoff(attempt))
                continue
            if response.status_code in RETRY_STATUSES:
                if last:
                    raise FetchError(f"GET {response.url}: HTTP {response.status_code} after {self.retries} retries")
                self.sleep(self._retry_after(response) or self._backoff(attempt))
                continue
            if 400 <= response.status_code < 600:
                snippet = " ".join(response.text[:200].split())
                raise FetchError(f"GET {response.url}: HTTP {response.status_code} {response.reason}: {snippet}")
            return response
        raise AssertionError("unreachable")

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
        return max(0.0, min(self.max_wait, seconds))
